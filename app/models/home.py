"""The one way to weights a run or a training job can use: ``weights_from`` → layers, state_dict, file.

Runs (``POST /api/pipeline/run``) and jobs (``POST /api/jobs``, the worker) both call
:meth:`WeightsHome.resolve`, whatever the source: a stored or shipped model, or a job's checkpoint.
Loaded state_dicts are kept in a small LRU bounded in bytes, so a run with ``weights_from`` costs
about what the same run with the weights already in memory costs (the bench measures it). Beside each
one are the networks built with it (:mod:`app.engine.built`), which eval runs reuse; they go with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ..engine.built import BuiltNetworks
from ..engine.errors import EngineError
from ..errors import NotFoundError
from ..lru import ByteLRU
from .checkpoints import JobCheckpoints
from .sources import JobWeights, ModelWeights
from .safetensors_file import state_dict_bytes
from .store import ModelInfo, ModelStore, Network

Source = JobWeights | ModelWeights
JOB_INPUT_SHAPE = (1, 3, 32, 32)  # jobs train on CIFAR-10 images
CHECKPOINT_NAME = "Job {job_id}, epoch {epoch}"  # a training job's checkpoint as GET /api/models names it


@dataclass(frozen=True)
class ResolvedWeights:
    source: Source  # pinned: a job's epoch is always named
    layers: list[dict[str, Any]]  # the network's own layers, as request JSON
    state_dict: dict[str, torch.Tensor]  # keys "<position>.<name>"; shared, never written to
    file_name: str  # the file the run's code loads with safetensors.torch.load_file
    url: str  # where that file is downloaded
    built: BuiltNetworks = field(default_factory=BuiltNetworks)  # networks built with state_dict, for eval runs


@dataclass(frozen=True)
class _Loaded:
    state_dict: dict[str, torch.Tensor]
    built: BuiltNetworks = field(default_factory=BuiltNetworks)  # kept and dropped with the tensors they hold


def _nbytes(state_dict: dict[str, torch.Tensor]) -> int:
    return sum(t.element_size() * t.numel() for t in state_dict.values())


class WeightsHome:
    def __init__(self, data_dir: Path, *, max_elements: int, cache_bytes: int, models: ModelStore | None = None) -> None:
        self.models = models or ModelStore(data_dir / "models", max_elements)
        self.checkpoints = JobCheckpoints(data_dir / "jobs")
        self._tensors: ByteLRU[tuple[str, ...], _Loaded] = ByteLRU(cache_bytes, lambda loaded: _nbytes(loaded.state_dict))

    def save(self, network: Network, *, name: str | None = None, seed: int = 0) -> ModelInfo:
        """Store an imported network; its weights stay in memory for the runs that follow."""
        info = self.models.save(network, name=name, seed=seed)
        if network.state_dict is not None:
            self._tensors.put(("model", info.model_id), _Loaded(dict(network.state_dict)))
        return info

    def pin(self, source: Source) -> Source:
        """The source with nothing left to "the latest": a job's epoch named (404 for an unknown job or
        model; 422 when the job has no such checkpoint)."""
        if isinstance(source, ModelWeights):
            self.models.get(source.model_id)  # 404 when unknown
            return source
        try:
            epoch = self.checkpoints.epoch(source.job_id, source.epoch)
        except NotFoundError as exc:
            self.checkpoints.job_dir(source.job_id)  # an unknown job stays a 404
            raise EngineError(f"weights_from: {exc}") from exc
        return JobWeights(job_id=source.job_id, epoch=epoch)

    def layers(self, source: Source) -> list[dict[str, Any]]:
        """The network's own layers (request JSON), for a request that gives none."""
        if isinstance(source, ModelWeights):
            return self.models.get(source.model_id).layers
        return self.checkpoints.layers(source.job_id)

    def catalogue(self) -> list[ModelInfo]:
        """Every network a run can use: shipped, imported (newest first), then each job's latest checkpoint."""
        checkpoints = []
        for job_id, epoch in self.checkpoints.jobs_with_checkpoints():
            try:
                layers = self.checkpoints.layers(job_id)
                params = self.models.params(layers, list(JOB_INPUT_SHAPE))
            except (NotFoundError, EngineError, OSError, ValueError, KeyError):  # a damaged or vanishing job: not listed
                continue
            checkpoints.append(ModelInfo(
                model_id=None, name=CHECKPOINT_NAME.format(job_id=job_id, epoch=epoch), layers=layers, params=params,
                input_shape=list(JOB_INPUT_SHAPE), source="job", job={"job_id": job_id, "epoch": epoch},
            ))
        return self.models.list() + checkpoints

    def resolve(self, source: Source) -> ResolvedWeights:
        pinned = self.pin(source)
        if isinstance(pinned, ModelWeights):
            model_id = pinned.model_id
            file_name, url = f"{model_id}.safetensors", f"/api/models/{model_id}/weights.safetensors"
        else:
            file_name = f"{pinned.job_id}-epoch-{pinned.epoch}.safetensors"
            url = f"/api/jobs/{pinned.job_id}/weights.safetensors?epoch={pinned.epoch}"
        loaded = self._loaded(pinned)
        return ResolvedWeights(pinned, self.layers(pinned), loaded.state_dict, file_name, url, loaded.built)

    def state_dict(self, pinned: Source) -> dict[str, torch.Tensor]:
        return self._loaded(pinned).state_dict

    def _loaded(self, pinned: Source) -> _Loaded:
        key = ("model", pinned.model_id) if isinstance(pinned, ModelWeights) else ("job", pinned.job_id, str(pinned.epoch))
        loaded = self._tensors.get(key)
        if loaded is None:
            if isinstance(pinned, ModelWeights):
                state = self.models.load(pinned.model_id)
            else:
                assert pinned.epoch is not None
                state = self.checkpoints.state_dict(pinned.job_id, pinned.epoch)
            loaded = _Loaded(state)
            self._tensors.put(key, loaded)
        return loaded

    def safetensors(self, source: Source) -> tuple[str, bytes]:
        """(file name, ``.safetensors`` bytes) of any source: a model's file as stored, a checkpoint converted."""
        pinned = self.pin(source)
        if isinstance(pinned, ModelWeights):
            return f"{pinned.model_id}.safetensors", self.models.weights_path(pinned.model_id).read_bytes()
        return f"{pinned.job_id}-epoch-{pinned.epoch}.safetensors", state_dict_bytes(self.state_dict(pinned))
