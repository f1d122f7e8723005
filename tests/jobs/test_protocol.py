"""The job folder's protocol (app/jobs/protocol.py): one set of models that the worker writes, the
server reads and OpenAPI shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.jobs.config import JobConfig
from app.jobs.folder import JobFolder, MetricsWriter, parse_lines
from app.jobs.protocol import (
    EpochEvent,
    EventType,
    JobStatus,
    StatusEvent,
    StatusFields,
    StatusLine,
    StepEvent,
    StepFields,
    StepLine,
)


def test_a_written_line_reads_back_as_the_same_event(tmp_path: Path) -> None:
    folder = JobFolder.create(tmp_path, JobConfig())
    writer = MetricsWriter(folder)
    writer.write(StepLine(step=3, epoch=1, value=StepFields(loss=2.25, images_per_s=400.0), time=1.5e9))
    writer.write(StatusLine(step=3, epoch=1, value=StatusFields(status=JobStatus.RUNNING, pid=42, processes=2), time=1.5e9))
    writer.close()
    lines = [json.loads(x) for x in folder.metrics.read_text().splitlines()]
    assert lines[0] == {"step": 3, "epoch": 1, "name": "step", "value": {"loss": 2.25, "images_per_s": 400.0}, "time": 1.5e9}
    assert lines[1]["value"] == {"status": "running", "pid": 42, "processes": 2}  # unset fields are not written as null
    step, status = folder.read_records()
    assert step.id == 1 and step.name is EventType.STEP and step.value.loss == 2.25
    assert status.event_data() == {"step": 3, "epoch": 1, "status": "running", "pid": 42, "processes": 2, "time": 1.5e9}
    assert StatusEvent(**status.event_data()).processes == 2


def test_an_unknown_event_type_or_a_cut_line_is_skipped_and_keeps_its_id() -> None:
    blob = (
        b'{"step":0,"epoch":0,"name":"weight_norms","value":{"x":1},"time":1.0}\n'  # a newer worker's event
        b'{"step":1,"epoch":0,"name":"step","value":{"loss":1.0},"time":1.0}\n'  # a field missing
        b'{"step":1,"epoch":0,"name":"step","value":{"loss":1.0,"images_per_s":2.0},"time":1.0}\n'
        b'{"step":2,"epoch":0,"na'
    )
    records, used = parse_lines(blob, 1)
    assert [r.id for r in records] == [3] and used == blob.rfind(b"\n") + 1


def test_status_json_refuses_a_field_the_protocol_does_not_name(tmp_path: Path) -> None:
    folder = JobFolder.create(tmp_path, JobConfig())
    folder.write_status(status=JobStatus.RUNNING, pid=7)
    assert folder.status().status is JobStatus.RUNNING and folder.status().pid == 7
    assert json.loads((folder.path / "status.json").read_text()).keys() == {"status", "created", "pid"}
    with pytest.raises(ValueError, match="no field totl_steps"):
        folder.write_status(totl_steps=10)  # misspelt: was silently written before the protocol was typed
    with pytest.raises(ValidationError):
        folder.write_status(status="finished")


def test_a_status_json_from_a_newer_worker_still_reads(tmp_path: Path) -> None:
    folder = JobFolder.create(tmp_path, JobConfig())
    (folder.path / "status.json").write_text(json.dumps({"status": "succeeded", "created": 1.0, "gpu_name": "H200"}))
    assert folder.status().status is JobStatus.SUCCEEDED
    (folder.path / "status.json").write_text("{")
    assert folder.status().status is JobStatus.FAILED and "unreadable" in folder.status().error


def test_openapi_shows_the_protocols_models(client) -> None:  # type: ignore[no-untyped-def]
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    for model in (StepEvent, EpochEvent, StatusEvent):
        assert set(schemas[model.__name__]["properties"]) == set(model.model_fields), model
    history = schemas["History"]["properties"]
    assert history["steps"]["items"] == {"$ref": "#/components/schemas/StepEvent"}
    assert history["epochs"]["items"] == {"$ref": "#/components/schemas/EpochEvent"}
    events = spec["paths"]["/api/jobs/{job_id}/events"]["get"]["responses"]["200"]["content"]["text/event-stream"]
    data = json.dumps(events["itemSchema"]["properties"]["data"]["contentSchema"])
    assert all(f"#/components/schemas/{m.__name__}" in data for m in (StepEvent, EpochEvent, StatusEvent))
