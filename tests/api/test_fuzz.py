"""Fuzzing: schemathesis sends requests generated from the app's own OpenAPI to every operation.

Whatever it sends, the app never answers with a server error and every answer matches the schema
the app publishes. A few examples per operation keep this quick; a failure prints the request as
a curl command to reproduce it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from app.main import create_app
from app.settings import Settings

# The schema is read at collection, before fixtures exist; the folder goes when the process ends.
_DATA = tempfile.TemporaryDirectory(prefix="layerlab-fuzz-")
TOKEN = "fuzz-token"  # set, so the fuzzer also checks that job endpoints refuse a request without it
_APP = create_app(Settings(data_dir=Path(_DATA.name), cifar10_dir=None, api_token=TOKEN, max_jobs=1))
# Examples and random fuzzing only: the coverage phase's exhaustive boundary cases of every layer
# type would take minutes (the property tests cover the layers' boundaries against torch).
_CONFIG = schemathesis.config.SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
schema = schemathesis.openapi.from_asgi("/openapi.json", _APP, config=_CONFIG)


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_and_every_answer_matches_the_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {TOKEN}"},
        # Not checked: that every schema-valid request succeeds (no schema can say "a readable image" or
        # "a pipeline torch accepts": those are refused 415/422 with a reason), and Starlette's Allow header
        # on a 405, which lists the methods of the first route matching the path only.
        excluded_checks=[schemathesis.checks.positive_data_acceptance, schemathesis.checks.allow_header_conformance],
    )
