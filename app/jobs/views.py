"""A job's records as the API shows them: progress with ETA, history curves, CSV rows. Pure functions."""

from __future__ import annotations

from typing import Any

from ..datasets.cifar10 import CLASSES
from .folder import Record
from .protocol import EpochFields, EventType, JobStatus, StatusFile, StepFields

RATE_WINDOW = 50  # recent steps the ETA's pace is measured over
CSV_FIELDS = ("step", "epoch", "name", "value", "time")
STEP_SCALARS = tuple(StepFields.model_fields)  # loss, images_per_s
EPOCH_SCALARS = ("train_loss", "test_loss", "test_accuracy")


def steps(records: list[Record]) -> list[Record]:
    return [r for r in records if r.name is EventType.STEP]


def epochs(records: list[Record]) -> list[Record]:
    return [r for r in records if r.name is EventType.EPOCH]


def progress(status: StatusFile, records: list[Record], epochs_asked: int) -> dict[str, Any]:
    step_records = steps(records)
    last = step_records[-1] if step_records else None
    total = status.total_steps
    done = last.step if last else 0
    recent = step_records[-RATE_WINDOW:]
    pace = (recent[-1].time - recent[0].time) / (len(recent) - 1) if len(recent) > 1 else None  # s per step
    running = status.status is JobStatus.RUNNING
    return {
        "step": done,
        "total_steps": total,
        "epoch": last.epoch if last else 0,
        "epochs": epochs_asked,
        "fraction": min(1.0, done / total) if total else (1.0 if status.status is JobStatus.SUCCEEDED else 0.0),
        "images_per_s": last.value.images_per_s if last else None,
        "eta_s": round(pace * (total - done), 1) if running and pace is not None and total else None,
    }


def metric_rows(records: list[Record]) -> list[tuple[int, int, str, float, float]]:
    """Every scalar as (step, epoch, name, value, time): loss and images/s per step; per epoch the
    train and test loss, test accuracy and each class's accuracy (``test_accuracy/<class>``); every
    ``health_every`` steps ``lr`` and per layer ``grad_norm/<index>.<type>``, ``weight_norm/…`` and
    ``update_ratio/…``; per epoch ``dead_fraction/<index>.<type>`` of each layer that can die (the
    activation histograms are in the events only)."""
    rows: list[tuple[int, int, str, float, float]] = []
    for r in records:
        if r.name is EventType.STEP:
            names = {k: getattr(r.value, k) for k in STEP_SCALARS}
        elif r.name is EventType.EPOCH:
            value: EpochFields = r.value
            names = {k: getattr(value, k) for k in EPOCH_SCALARS}
            names |= {f"test_accuracy/{c}": a for c, a in zip(CLASSES, value.class_accuracy, strict=True)}
        elif r.name is EventType.LAYER_HEALTH:
            names = {"lr": r.value.lr}
            for layer in r.value.layers:
                names |= {f"{k}/{layer['index']}.{layer['type']}": layer[k] for k in ("grad_norm", "weight_norm", "update_ratio")}
        elif r.name is EventType.ACTIVATIONS:
            names = {f"dead_fraction/{s['index']}.{s['type']}": s["dead_fraction"] for s in r.value.stages}
        else:
            continue
        rows += [(r.step, r.epoch, name, value, r.time) for name, value in names.items() if value is not None]
    return rows
