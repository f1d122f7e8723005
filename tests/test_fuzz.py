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
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(Settings(data_dir=Path(_DATA.name), cifar10_dir=None)))


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_and_every_answer_matches_the_schema(case: schemathesis.Case) -> None:
    case.call_and_validate()
