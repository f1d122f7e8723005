"""The lab page carries the answers of its first three GETs (app/api/routes/pages.py): they must be
the API's own answers, in the page's language, or the lab would start from something else."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

CARRIED = re.compile(r'<script type="application/json" id="page-answers">(.*?)</script>', re.S)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_lab_carries_the_apis_answers_in_its_language(client: TestClient, lang: str) -> None:
    page = client.get("/", params={"lang": lang})
    assert page.status_code == 200
    answers = json.loads(CARRIED.search(page.text).group(1))
    assert set(answers) == {"/api/layers", "/api/models", "/api/examples"}
    for url, carried in answers.items():
        assert carried == client.get(url, params={"lang": lang}).json(), url
    assert "</" not in CARRIED.search(page.text).group(1)  # no text in an answer can close the script


def test_a_network_imported_after_the_page_was_served_is_in_the_next_page(client: TestClient) -> None:
    before = json.loads(CARRIED.search(client.get("/").text).group(1))["/api/models"]["models"]
    layers = json.dumps([{"type": "Flatten"}, {"type": "Linear", "in_features": 4, "out_features": 2}])
    imported = client.post("/api/models", data={"layers": layers, "name": "carried", "input_shape": "[1, 1, 2, 2]"})
    assert imported.status_code in (200, 201), imported.text
    after = json.loads(CARRIED.search(client.get("/").text).group(1))["/api/models"]["models"]
    assert len(after) == len(before) + 1 and any(m["name"] == "carried" for m in after)
