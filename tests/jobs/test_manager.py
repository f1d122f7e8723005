"""The job manager under a real server process: shutdown with a stream open and a job running."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import httpx

from tests.live_server import LiveServer
from tests.own_loop import run_on_own_loop
from tests.sse import NoWorkers, job_on_disk

LONG = {
    "layers": [{"type": "Conv2d", "out_channels": 4, "kernel_size": 3}, {"type": "Flatten"}, {"type": "Linear", "out_features": 10}],
    "batch_size": 5,
    "epochs": 1000,
}


def test_ctrl_c_stops_the_server_promptly_with_a_stream_open_and_fails_its_job(tmp_path: Path) -> None:
    server = LiveServer(tmp_path)
    base = server.url
    try:
        server.start()
        job_id = httpx.post(f"{base}/api/jobs", json=LONG).json()["job_id"]
        seen: list[str] = []
        first_step = threading.Event()

        def listen() -> None:
            with httpx.stream("GET", f"{base}/api/jobs/{job_id}/events", timeout=None) as response:
                for line in response.iter_lines():
                    seen.append(line)
                    if line == "event: step":
                        first_step.set()

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        assert first_step.wait(120), "no step event"
        server.process.send_signal(signal.SIGINT)
        listener.join(5)
        assert not listener.is_alive()  # the server ended the stream at once rather than wait for the client
        # uvicorn waits for open responses before the lifespan's shutdown: it got there, so it exits.
        # (Interpreter teardown after uvicorn finished takes ~20 s on a loaded 2-core machine, job or not.)
        server.process.wait(90)
    finally:
        server.stop(kill=True)
    status = json.loads((tmp_path / "jobs" / job_id / "status.json").read_text())
    assert status["status"] == "failed" and "server shut down" in status["error"]


def test_an_idle_watcher_reads_no_finished_jobs_status(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Watching costs nothing per job ever run: finished folders are not re-read every tick."""
    import asyncio

    from app.jobs.config import JobConfig
    from app.jobs.folder import JobFolder, JobStatus
    from app.jobs.manager import TICK_S, JobManager
    from app.jobs.protocol import StatusFile
    from app.services import Services

    jobs_dir = Path(settings.data_dir) / "jobs"
    for _ in range(20):
        JobFolder.create(jobs_dir, JobConfig.model_validate(LONG)).write_status(status=JobStatus.SUCCEEDED)
    reads = 0
    real_status = JobFolder.status

    def counting_status(self: JobFolder) -> StatusFile:
        nonlocal reads
        reads += 1
        return real_status(self)

    async def watch_a_while() -> None:
        nonlocal reads
        manager = JobManager(Services(settings=settings, cifar10=None, uploads=None))  # type: ignore[arg-type]
        monkeypatch.setattr(JobFolder, "status", counting_status)
        await manager.start()
        reads = 0  # start-up reads every folder once: that is expected
        await asyncio.sleep(60 * TICK_S)
        await manager.stop()

    run_on_own_loop(watch_a_while)
    assert reads == 0


def _wait_for(check, seconds: float = 120):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not (value := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
    return value


def _detail(server, job_id: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    return httpx.get(f"{server.url}/api/jobs/{job_id}", timeout=30).json()


def test_a_second_server_on_the_data_dir_watches_a_running_job_without_failing_or_stopping_it(tmp_path: Path) -> None:
    a, b = LiveServer(tmp_path / "data"), LiveServer(tmp_path / "data")
    try:
        a.start()
        job_id = httpx.post(f"{a.url}/api/jobs", json=LONG, timeout=60).json()["job_id"]
        _wait_for(lambda: _detail(a, job_id)["progress"]["step"] >= 1)
        b.start()  # its start-up scan finds the job running: the worker is a's, alive
        on_b = _detail(b, job_id)
        assert on_b["status"] == "running" and on_b.get("error") is None, on_b
        b.stop()  # b stops only workers it started itself
        step = _detail(a, job_id)["progress"]["step"]
        _wait_for(lambda: _detail(a, job_id)["progress"]["step"] > step + 5)
        b.start()
        assert httpx.post(f"{b.url}/api/jobs/{job_id}/cancel", timeout=30).status_code == 200  # signalled across servers
        ended = _wait_for(lambda: (d := _detail(a, job_id))["status"] != "running" and d, 30)
        assert ended["status"] == "cancelled", ended
    finally:
        a.stop(), b.stop()
        _kill_worker(tmp_path / "data" / "jobs")


def test_a_server_restarted_after_a_kill_adopts_the_worker_that_kept_training(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "data")
    try:
        server.start()
        job_id = httpx.post(f"{server.url}/api/jobs", json=LONG, timeout=60).json()["job_id"]
        _wait_for(lambda: _detail(server, job_id)["progress"]["step"] >= 1)
        server.restart(kill=True)  # SIGKILL: the worker, in its own session, trains on
        detail = _detail(server, job_id)
        assert detail["status"] == "running" and detail.get("error") is None, detail
        step = detail["progress"]["step"]
        _wait_for(lambda: _detail(server, job_id)["progress"]["step"] > step + 5)  # and its curve still grows
        httpx.post(f"{server.url}/api/jobs/{job_id}/cancel", timeout=30)
        ended = _wait_for(lambda: (d := _detail(server, job_id))["status"] != "running" and d, 30)
        assert ended["status"] == "cancelled", ended
    finally:
        server.stop()
        _kill_worker(tmp_path / "data" / "jobs")
    status = json.loads((tmp_path / "data" / "jobs" / job_id / "status.json").read_text())
    assert "error" not in status, status


def _kill_worker(jobs_dir: Path) -> None:
    """A failed assertion must not leave a worker training on after the test (it outlives a SIGKILLed server)."""
    from app.jobs.backend import _worker_pid  # the pid only while it is this job's worker (not a reused one)

    for job_dir in jobs_dir.iterdir():
        if (pid := _worker_pid(job_dir)) is not None:
            os.killpg(os.getpgid(pid), signal.SIGKILL)


SHORT = {**LONG, "epochs": 1, "max_steps": 3}


def test_of_two_managers_on_one_data_dir_one_leads_and_the_other_takes_over_when_it_stops(settings) -> None:  # type: ignore[no-untyped-def]
    """What two server processes (LAYERLAB_WEB_WORKERS=2) do: one starts jobs, the other hands them to it."""
    import asyncio

    from app.datasets import load_cifar10
    from app.images import UploadDirectory
    from app.jobs.config import JobConfig
    from app.jobs.folder import JobStatus
    from app.jobs.manager import JobManager
    from app.services import Services

    services = Services(settings=settings, cifar10=load_cifar10(settings), uploads=UploadDirectory(settings))

    async def until(check, seconds: float = 120.0):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + seconds
        while not check():
            assert time.monotonic() < deadline, "timed out"
            await asyncio.sleep(0.1)

    async def scenario() -> None:
        first, second = JobManager(services), JobManager(services)
        await first.start()
        await second.start()
        assert first.leads and not second.leads
        job = second.create(JobConfig.model_validate(SHORT))  # made by the follower, started by the leader
        await until(lambda: job.status().status is JobStatus.SUCCEEDED)
        await first.stop()  # the leader's process ends: the follower takes over at its next check
        await until(lambda: second.leads, 5)
        again = second.create(JobConfig.model_validate(SHORT))
        await until(lambda: again.status().status is JobStatus.SUCCEEDED)
        await second.stop()
        for folder in (job, again):  # one worker each, one final status each
            statuses = [r.value.status for r in folder.read_records() if r.name == "status"]
            assert statuses == ["running", "succeeded"], statuses

    run_on_own_loop(scenario)


# --- without workers (tests/sse.py: NoWorkers, job_on_disk) ----------------------------------------


def test_listing_and_reading_finished_jobs_keeps_no_feed_for_them(settings, no_workers) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from app.main import create_app
    from tests.sse import read_events

    ids = [job_on_disk(settings.data_dir / "jobs", "succeeded").name for _ in range(50)]
    with TestClient(create_app(settings)) as client:
        feeds = client.app.state.jobs._feeds
        listed = client.get("/api/jobs").json()["jobs"]
        assert [j["job_id"] for j in listed] == ids[::-1] and listed[0]["progress"]["step"] == 3
        for job_id in ids:
            assert client.get(f"/api/jobs/{job_id}").json()["history"]["steps"][-1]["step"] == 3
            assert client.get(f"/api/jobs/{job_id}/metrics.csv").status_code == 200
        assert len(feeds) == 0
        assert read_events(client, f"/api/jobs/{ids[0]}/events")[-1].data["status"] == "succeeded"
        _wait_for(lambda: len(feeds) == 0, 5)  # the stream ended: its feed goes at the next tick


def test_a_stream_whose_job_has_no_final_line_and_no_worker_ends_saying_why(settings, no_workers) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from app.main import create_app
    from tests.sse import read_events

    job_id = job_on_disk(settings.data_dir / "jobs", "succeeded", final_line=False).name  # the disk was full then
    events: list = []  # type: ignore[type-arg]
    with TestClient(create_app(settings)) as client:
        reader = threading.Thread(target=lambda: events.extend(read_events(client, f"/api/jobs/{job_id}/events")), daemon=True)
        reader.start()
        reader.join(30)
        assert not reader.is_alive(), "the stream never ended"
    assert [e.event for e in events] == ["status", "step", "step", "step", "status"]
    last = events[-1]
    assert last.data["status"] == "succeeded" and "no final status line" in last.data["error"] and last.id == 5


def test_a_persistent_error_while_watching_is_logged_once_then_its_end(settings, caplog) -> None:  # type: ignore[no-untyped-def]
    import asyncio
    import logging

    from app.jobs.manager import JobManager
    from app.services import Services

    calls = 0

    async def scenario() -> None:
        nonlocal calls
        manager = JobManager(Services(settings=settings, cifar10=None, uploads=None), backend=NoWorkers())  # type: ignore[arg-type]
        real = manager._check_jobs

        def broken() -> None:
            nonlocal calls
            calls += 1
            raise OSError(28, "No space left on device")

        manager._check_jobs = broken  # type: ignore[method-assign]
        await manager.start()
        await asyncio.sleep(1.5)  # ~15 liveness checks at the normal pace
        manager._check_jobs = real  # type: ignore[method-assign]
        deadline = time.monotonic() + 10
        while "watching jobs works again" not in caplog.text and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await manager.stop()

    with caplog.at_level(logging.WARNING, logger="app.jobs.manager"):
        run_on_own_loop(scenario)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert calls >= 2 and len(errors) == 1, (calls, [r.getMessage() for r in errors])
    assert "No space left" in caplog.text and "watching jobs works again" in caplog.text


def test_a_job_whose_worker_died_mid_save_loses_its_partial_checkpoint(settings) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from app.jobs.manager import JobManager
    from app.services import Services

    job = job_on_disk(settings.data_dir / "jobs", "running", final_line=False)
    (job / "checkpoints" / "epoch-0.pt").write_bytes(b"whole")
    (job / "checkpoints" / ".epoch-1.pt.tmp").write_bytes(b"half")

    async def scenario() -> None:
        manager = JobManager(Services(settings=settings, cifar10=None, uploads=None), backend=NoWorkers())  # type: ignore[arg-type]
        await manager.start()  # leads: finds the job running without its worker
        await manager.stop()

    run_on_own_loop(scenario)
    assert sorted(p.name for p in (job / "checkpoints").iterdir()) == ["epoch-0.pt"]
    assert json.loads((job / "status.json").read_text())["status"] == "failed"
