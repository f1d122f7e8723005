"""A job on disk (app/jobs/folder.py): ids that sort by creation and match exactly, leftovers of a
killed worker removed."""

from __future__ import annotations

from pathlib import Path

from app.jobs.config import JobConfig
from app.jobs.folder import JobFolder, is_job_id, new_job_id


def test_ids_made_within_one_second_sort_in_the_order_they_were_made() -> None:
    ids = [new_job_id() for _ in range(200)]  # far more than one a second
    assert sorted(ids) == ids and len(set(ids)) == 200
    assert all(is_job_id(i) for i in ids)


def test_old_ids_still_read_and_nothing_around_an_id_is_taken() -> None:
    assert is_job_id("20260101-000000-abcdef")  # made before ids had microseconds
    assert is_job_id("20260101-000000-123456-abcdef")
    for bad in ("20260101-000000-abcdef\n", "20260101-000000-123456-abcdef\n", "x20260101-000000-abcdef", "20260101-000000-abcdeg"):
        assert not is_job_id(bad), repr(bad)


def test_a_checkpoint_name_with_a_trailing_newline_is_not_a_checkpoint(tmp_path: Path) -> None:
    folder = JobFolder.create(tmp_path, JobConfig())
    (folder.checkpoints / "epoch-1.pt").write_bytes(b"x")
    (folder.checkpoints / "epoch-2.pt\n").write_bytes(b"x")
    assert folder.checkpoint_epochs() == [1]


def test_partial_checkpoints_of_a_killed_worker_are_removed(tmp_path: Path) -> None:
    folder = JobFolder.create(tmp_path, JobConfig())
    (folder.checkpoints / "epoch-0.pt").write_bytes(b"whole")
    (folder.checkpoints / ".epoch-1.pt.tmp").write_bytes(b"half")
    assert [p.name for p in folder.remove_partial_checkpoints()] == [".epoch-1.pt.tmp"]
    assert sorted(p.name for p in folder.checkpoints.iterdir()) == ["epoch-0.pt"]
