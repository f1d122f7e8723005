"""Run a pipeline request once, keep its outputs for the maps, recompute them when evicted.

A run's id is a hash of the canonical request (upload ids are content hashes, so the image's
content is part of it): the same request gives the same id on any server process. The request is
written under ``<data dir>/runs/`` so a map asked for after eviction, or of another process's run,
is recomputed from it instead of failing. Outputs live in an LRU bounded in bytes, not entries.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from ..engine import LimitError, Mode, Trace, run_pipeline
from ..engine.backward import Gradient, Gradients
from ..engine.records import Stats
from ..engine.codegen import pipeline_code
from ..engine.schema import layer_config, layer_union
from ..errors import NotFoundError
from ..inputs import InputSpec, ResolvedInput, resolve_input
from ..lru import ByteLRU
from ..models.home import ResolvedWeights, WeightsHome
from ..models.sources import WeightsFrom
from ..services import Services
from .backward import BackwardSpec, engine_backward
from ..storage import write_atomic

log = logging.getLogger(__name__)
_LAYERS: TypeAdapter[list] = TypeAdapter(list[layer_union()])  # type: ignore[valid-type]


class RunRequest(BaseModel):
    """The body of ``POST /api/pipeline/run``."""

    model_config = ConfigDict(extra="forbid")
    input: InputSpec
    layers: list[layer_union()] = Field(default_factory=list, max_length=256)  # type: ignore[valid-type]
    seed: int = Field(0, ge=0, le=2**63 - 1, strict=True, description="torch.manual_seed before the modules are built.")
    mode: Mode = Field(Mode.EVAL, description="eval or train (Dropout, RReLU, BatchNorm).")
    weights_from: WeightsFrom | None = None
    backward: BackwardSpec | None = Field(
        None, description="Also differentiate: a loss with its target, or one output value (GET .../grads, param_grads)."
    )

    def run_id(self) -> str:
        fields = self.model_dump(mode="json")
        if fields["backward"] is None:
            del fields["backward"]  # a plain run keeps the id it had before backward existed
        canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class RunStart:
    """A run being computed, as :data:`StageSeen` is told it: enough to draw its stages' maps meanwhile."""

    run_id: str
    request: RunRequest
    from_image: bool


StageSeen = Callable[[RunStart, int, torch.Tensor, Stats], object]
"""Told each stage (k, its tensor and statistics) of a run being computed, as soon as they exist."""


@dataclass
class RunResult:
    run_id: str
    request: RunRequest
    source: ResolvedInput
    trace: Trace
    code: str
    weights_file: str | None = None  # the .safetensors file the code loads (weights_from)

    def stage(self, k: int, *, first: int = 0) -> tuple[torch.Tensor, Stats]:
        """Stage k's tensor and statistics (0 is the input, k is layer k's output); 404 outside ``first`` … last."""
        n = len(self.trace.stages)
        if not first <= k <= n:
            raise NotFoundError(f"Run {self.run_id} has stages {first} to {n}; there is no stage {k}.")
        if k == 0:
            return self.trace.input, self.trace.input_stats
        return self.trace.stages[k - 1].output, self.trace.stages[k - 1].stats

    def gradients(self) -> Gradients:
        """The run's gradients; 404 for a run made without ``backward``."""
        if self.trace.grads is None:
            raise NotFoundError(f"Run {self.run_id} was made without backward, so it has no gradients; add \"backward\" to the request.")
        return self.trace.grads

    def grad(self, k: int) -> Gradient:
        """∂L/∂ stage k's output; 404 for a run without backward or a stage it does not have."""
        self.stage(k)
        return self.gradients().stages[k]

    def param_grad(self, k: int, name: str) -> Gradient:
        """∂L/∂ layer k's parameter ``name``; 404 when the layer has no such parameter."""
        self.stage(k, first=1)
        params = self.gradients().params[k - 1]
        if name not in params:
            have = ", ".join(params) or "none"
            raise NotFoundError(f"Layer {k} ({self.trace.stages[k - 1].stage.spec.name}) has no parameter {name!r} (it has: {have}).")
        return params[name]

    @property
    def nbytes(self) -> int:
        tensors = [self.trace.input] + [s.output for s in self.trace.stages]
        tensors += [s.indices for s in self.trace.stages if s.indices is not None]
        grads = self.trace.grads.nbytes if self.trace.grads is not None else 0
        return sum(t.element_size() * t.numel() for t in tensors) + grads


class RunStore:
    def __init__(self, services: Services, weights: WeightsHome) -> None:
        self._services = services
        self._dir = Path(services.settings.data_dir) / "runs"
        self.weights = weights
        # A result larger than the whole budget is not kept: its maps recompute it on demand.
        self._cache: ByteLRU[str, RunResult] = ByteLRU(services.settings.run_cache_bytes, lambda r: r.nbytes)

    @property
    def cached_bytes(self) -> int:
        return self._cache.nbytes

    def run(self, request: RunRequest, on_stage: StageSeen | None = None, built: list[torch.nn.Module] | None = None) -> RunResult:
        """The result of ``request``, from the cache when the same request ran before.

        ``on_stage`` is told each stage as soon as it is computed (not for a cached result); ``built``, when
        given, receives the modules of a run computed now (left empty for a cached result, which keeps none).
        """
        request = self._pin_weights(request)
        run_id = request.run_id()
        result = self._cache.get(run_id)
        if result is None:
            result = self._compute(run_id, request, on_stage, built)
            self._persist(result)
            self._cache.put(run_id, result)
        return result

    def forget_outputs(self) -> None:
        """Drop every kept output (the inputs they came from changed, e.g. CIFAR-10 finished downloading)."""
        self._cache.clear()

    def get(self, run_id: str) -> RunResult:
        """A run by id: from memory, else recomputed from its stored request."""
        result = self._cache.get(run_id)
        if result is not None:
            return result
        path = self._path(run_id)
        if path is None or not path.is_file():
            raise NotFoundError(f"No run with id {run_id!r}. Runs are made by POST /api/pipeline/run.")
        try:
            request = RunRequest.model_validate_json(path.read_bytes())
        except (ValidationError, UnicodeDecodeError) as exc:
            path.unlink(missing_ok=True)  # so the same request, posted again, stores a good copy
            log.warning("removed unreadable stored run %s: %s", run_id, exc)
            raise NotFoundError(
                f"Run {run_id}'s stored request was unreadable (damaged on disk) and has been removed; "
                "POST it to /api/pipeline/run again."
            ) from exc
        log.info("recomputing evicted run %s", run_id)
        result = self._compute(run_id, request)
        self._cache.put(run_id, result)
        return result

    def _pin_weights(self, request: RunRequest) -> RunRequest:
        """Name the source's weights exactly in the request itself (a job's epoch; the network's own layers
        when none are given), so the run id says which weights ran: "the latest" changes while a job
        trains, its id must not."""
        source = request.weights_from
        if source is None:
            return request
        pinned = self.weights.pin(source)
        layers = request.layers or _LAYERS.validate_python(self.weights.layers(pinned))
        return request.model_copy(update={"weights_from": pinned, "layers": layers})

    def _compute(
        self, run_id: str, request: RunRequest, on_stage: StageSeen | None = None, built: list[torch.nn.Module] | None = None
    ) -> RunResult:
        weights = None if request.weights_from is None else self.weights.resolve(request.weights_from)
        return self.compute(run_id, request, weights, on_stage, built)

    def compute(
        self, run_id: str, request: RunRequest, weights: ResolvedWeights | None, on_stage: StageSeen | None = None,
        built: list[torch.nn.Module] | None = None,
    ) -> RunResult:
        """The run itself, with its weights already resolved (the bench compares this with and without the store)."""
        settings = self._services.settings
        if len(request.layers) > settings.max_layers:
            raise LimitError(
                f"The pipeline has {len(request.layers)} layers; this server runs at most {settings.max_layers} "
                "(LAYERLAB_MAX_LAYERS)."
            )
        source = resolve_input(request.input, self._services)
        layers = [layer_config(layer) for layer in request.layers]
        backward = None if request.backward is None else engine_backward(request.backward, request.input, self._services)
        trace = run_pipeline(
            source.tensor, layers, seed=request.seed, mode=request.mode, max_elements=settings.max_elements,
            weights=None if weights is None else weights.state_dict, backward=backward,
            on_stage=None if on_stage is None else partial(on_stage, RunStart(run_id, request, source.is_image)), built=built,
            reuse=None if weights is None else weights.built,
        )
        file_name = None if weights is None else weights.file_name
        code = pipeline_code(trace.plan, request.seed, request.mode, source.code, file_name, None if weights is None else weights.url, backward)
        return RunResult(run_id, request, source, trace, code, file_name)

    def _path(self, run_id: str) -> Path | None:
        # Ids are our own hex digests; anything else never touches the file system.
        if len(run_id) != 32 or any(c not in "0123456789abcdef" for c in run_id):
            return None
        return self._dir / f"{run_id}.json"

    def _persist(self, result: RunResult) -> None:
        path = self._path(result.run_id)
        assert path is not None
        if not path.exists():
            write_atomic(path, result.request.model_dump_json().encode())
