"""``python -m app.jobs.worker <job dir>``: train one job, writing only into its folder.

Started as its own process (never forked from the server after torch ran), so a crash, an OOM kill
or a bug in training never takes the server down. Settings come from the ``LAYERLAB_`` environment
the launcher passes. Signals: SIGTERM cancels (status ``cancelled``); SIGINT means whoever runs the
worker is going away (the server shutting down: status ``failed``, saying so). Both stop within a
torch op: the handler raises out of the loop. Anything else that goes wrong becomes ``failed`` with
the exception as ``error``; the traceback goes to stderr, which the launcher keeps in the folder.

Under ``torchrun`` (a job with ``processes`` > 1) rank 0 is this worker and speaks for the job; the
other ranks train their share of every batch, write nothing and ignore the signals: they end when
rank 0 leaves the process group.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import sys
import time
import traceback
from pathlib import Path
from types import FrameType
from typing import Any

import torch

from ..datasets import load_cifar10
from ..datasets.cifar10 import CLASSES, Cifar10, Split
from ..engine.distributed import Ranks, ranks_from_env
from ..engine.health import ActivationRecord, LayerHealthRecord
from ..engine.train import (
    EpochRecord,
    Network,
    StepRecord,
    TrainData,
    build_network,
    plan_for_training,
    resolve_device,
    total_steps,
    train,
)
from ..images import UploadDirectory
from ..inputs import resolve_input
from ..memory import keep_freed_memory_for_reuse
from ..models.home import WeightsHome
from ..services import Services
from ..settings import Settings
from .config import JobConfig
from .folder import JobFolder, MetricsWriter
from .protocol import (
    ActivationsFields,
    ActivationsLine,
    EpochFields,
    EpochLine,
    JobStatus,
    LayerHealthFields,
    LayerHealthLine,
    ProbeFields,
    StatusFields,
    StatusLine,
    StepFields,
    StepLine,
)

log = logging.getLogger("layerlab.worker")
PROBE_IMAGES = 16  # probabilities kept for at most this many probe images


class Stopped(Exception):
    def __init__(self, status: JobStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def _ignore_signals() -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_IGN)


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    _ignore_signals()  # the first signal decides; the final status is being written
    if signum == signal.SIGTERM:
        raise Stopped(JobStatus.CANCELLED, "Cancelled.")
    raise Stopped(JobStatus.FAILED, "Stopped because the server shut down while the job ran; the checkpoints so far are kept.")


class Worker:
    def __init__(self, folder: JobFolder, settings: Settings, ranks: Ranks) -> None:
        self.folder = folder
        self.settings = settings
        self.ranks = ranks
        self.config: JobConfig = folder.config()
        self.writer = MetricsWriter(folder)
        self.step = self.epoch = 0

    def status(self, status: JobStatus, **fields: Any) -> None:
        """``fields``: of :class:`StatusFields` (the worker's facts, an error), written to both files."""
        now = time.time()
        extra = {"finished": now} if status.final else {}
        value = StatusFields(status=status, **fields)
        self.folder.write_status(**value.model_dump(exclude_unset=True), **extra)
        self.writer.write(StatusLine(step=self.step, epoch=self.epoch, value=value, time=now))

    def run(self) -> None:
        self.folder.remove_partial_checkpoints()  # an earlier worker of this job killed while saving
        cifar10 = load_cifar10(self.settings)
        services = Services(settings=self.settings, cifar10=cifar10, uploads=UploadDirectory(self.settings))
        probe = resolve_input(self.config.probe, services).tensor
        spec = self.config.train_spec(initial_weights(self.config, self.settings))
        data = _train_data(cifar10)
        self.status(
            JobStatus.RUNNING,
            started=time.time(),
            pid=os.getpid(),
            total_steps=total_steps(spec, len(data.train_labels)),
            train_size=len(data.train_labels),
            test_size=len(data.test_labels),
            dataset=str(cifar10.source),
            device=str(resolve_device(spec.device, self.ranks)),
            processes=self.ranks.world,
        )
        # The probe runs on a CPU copy of the network, built like the trained one.
        probe_net = build_network(plan_for_training(spec.layers, spec.batch_size, self.settings.max_elements), spec.seed).eval()
        for record in train(spec, data, max_elements=self.settings.max_elements, ranks=self.ranks):
            self.step, self.epoch = record.step, record.epoch
            if isinstance(record, StepRecord):
                value = StepFields(loss=record.loss, images_per_s=record.images_per_s)
                self.writer.write(StepLine(step=record.step, epoch=record.epoch, value=value, time=record.time))
            elif isinstance(record, LayerHealthRecord):
                line = LayerHealthLine(step=record.step, epoch=record.epoch, value=LayerHealthFields(**layer_health_fields(record)), time=record.time)
                self.writer.write(line)
            elif isinstance(record, ActivationRecord):
                line = ActivationsLine(step=record.step, epoch=record.epoch, value=ActivationsFields(**activations_fields(record)), time=record.time)
                self.writer.write(line)
            else:
                self._checkpoint(record, probe_net, probe)
        _ignore_signals()  # done: a late cancel must not turn success into anything else
        self.status(JobStatus.SUCCEEDED)

    def _checkpoint(self, record: EpochRecord, probe_net: Network, probe: torch.Tensor) -> None:
        path = self.folder.checkpoint(record.epoch)
        tmp = path.with_name(f".{path.name}.tmp")
        torch.save(record.state_dict, tmp)
        tmp.replace(path)  # a reader sees a whole checkpoint or none
        probe_net.load_state_dict(record.state_dict)
        with torch.no_grad():
            probabilities = probe_net(probe[:PROBE_IMAGES]).softmax(1)
        value = EpochFields(
            train_loss=record.train_loss,
            test_loss=record.test_loss,
            test_accuracy=record.test_accuracy,
            class_accuracy=record.class_accuracy,
            confusion=record.confusion,
            checkpoint=record.epoch,
            probe=ProbeFields(
                probabilities=[[round(p, 5) for p in row] for row in probabilities.tolist()],
                predicted=[CLASSES[i] for i in probabilities.argmax(1).tolist()],
                # The request the page sends to POST /api/pipeline/run to see every stage at this epoch.
                run={"input": self.config.probe.model_dump(mode="json"), "weights_from": {"job_id": self.folder.id, "epoch": record.epoch}},
            ),
        )
        self.writer.write(EpochLine(step=record.step, epoch=record.epoch, value=value, time=record.time))


def _finite(value: float | None) -> float | None:
    """JSON has no NaN or infinity: a diverged layer's norms are written as null."""
    return value if value is not None and math.isfinite(value) else None


def layer_health_fields(record: LayerHealthRecord) -> dict[str, Any]:
    layers = [
        {"index": n.index, "type": n.type, "grad_norm": _finite(n.grad_norm), "weight_norm": _finite(n.weight_norm), "update_ratio": _finite(n.update_ratio)}
        for n in record.layers
    ]
    return {"lr": record.lr, "layers": layers}


def activations_fields(record: ActivationRecord) -> dict[str, Any]:
    stages = [
        {"index": s.index, "type": s.type, "dead_fraction": s.dead_fraction, "min": _finite(s.min), "max": _finite(s.max), "counts": s.counts}
        for s in record.stages
    ]
    return {"images": record.images, "stages": stages}


def initial_weights(config: JobConfig, settings: Settings) -> dict[str, torch.Tensor] | None:
    """The state_dict the job fine-tunes from (pinned by the server when the job was created), or None."""
    if config.weights_from is None:
        return None
    home = WeightsHome(settings.data_dir, max_elements=settings.max_elements, cache_bytes=0)
    return home.resolve(config.weights_from).state_dict


def _train_data(cifar10: Cifar10) -> TrainData:
    return TrainData(
        cifar10.images_by_split[Split.TRAIN],
        cifar10.labels_by_split[Split.TRAIN],
        cifar10.images_by_split[Split.TEST],
        cifar10.labels_by_split[Split.TEST],
    )


def follow(folder: JobFolder, settings: Settings, ranks: Ranks) -> None:
    """A rank other than 0: its share of every step, nothing written (an error ends it, and rank 0 with it)."""
    _ignore_signals()  # rank 0 decides how the job ends; this rank ends when rank 0 leaves the group
    config = folder.config()
    spec = config.train_spec(initial_weights(config, settings))
    for _ in train(spec, _train_data(load_cifar10(settings)), max_elements=settings.max_elements, ranks=ranks):
        pass  # rank 0 alone gets records


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m app.jobs.worker <job dir>", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    keep_freed_memory_for_reuse()  # every step frees what the next allocates: no fresh pages per step
    ranks = ranks_from_env()
    if not ranks.leader:
        follow(JobFolder(Path(args[0])), Settings(), ranks)
        return 0
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    worker = Worker(JobFolder(Path(args[0])), Settings(), ranks)
    try:
        worker.run()
    except Stopped as stop:
        worker.status(stop.status, **({"error": str(stop)} if stop.status is JobStatus.FAILED else {}))
    except Exception as exc:
        traceback.print_exc()
        worker.status(JobStatus.FAILED, error="".join(traceback.format_exception_only(exc)).strip())
        return 1
    finally:
        worker.writer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
