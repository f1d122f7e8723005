"""Attributions of a run: the request, its id, a byte-bounded cache, recomputation after eviction.

An attribution is asked of a run: the network, weights and input are resolved exactly as
``POST /api/pipeline/run`` resolves them (:class:`RunStore`, eval mode, ``weights_from`` pinned to its
epoch), then :func:`app.engine.attributions.attribute` asks Captum. The id is a hash of the run's id
and the attribution's own fields, so it names the same numbers on any server process; the request
is written beside the runs' (``<data dir>/runs/<id>.attribution.json``, pruned with them) so a
picture asked of another process, or after eviction, is recomputed instead of lost.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from torch import nn

from ..engine.attributions import DEFAULT_STEPS, Attribution, Method, attribute
from ..engine.records import Mode
from ..engine.schema import layer_union
from ..errors import NotFoundError
from ..inputs import InputSpec
from ..lru import ByteLRU
from ..memory import reusing_freed_memory
from ..models.sources import WeightsFrom
from ..storage import write_atomic
from .store import RunRequest, RunResult, RunStore

log = logging.getLogger(__name__)


class AttributionRequest(BaseModel):
    """The body of ``POST /api/attributions``: a run's network and input, and what to explain."""

    model_config = ConfigDict(extra="forbid")
    input: InputSpec
    layers: list[layer_union()] = Field(default_factory=list, max_length=256)  # type: ignore[valid-type]
    seed: int = Field(0, ge=0, le=2**63 - 1, strict=True, description="torch.manual_seed before the modules are built.")
    weights_from: WeightsFrom | None = Field(None, description="Trained weights, as the run API takes them.")
    method: Method = Field(description="saliency, input_x_gradient, integrated_gradients or grad_cam (Captum, its defaults).")
    target: int | None = Field(None, ge=0, description="The class whose score is explained; default: each sample's predicted class.")
    layer: int | None = Field(None, ge=0, description="grad_cam: the stage k (as a run's `index`) whose maps are weighed.")
    steps: int = Field(DEFAULT_STEPS, ge=1, le=1024, description="integrated_gradients: points on the path from the zero baseline (n_steps).")

    def run_request(self) -> RunRequest:
        return RunRequest(input=self.input, layers=self.layers, seed=self.seed, mode=Mode.EVAL, weights_from=self.weights_from)

    def question(self) -> dict[str, object]:
        """The fields that change the answer for a given run (layer and steps only where the method reads them)."""
        return {
            "method": self.method.value,
            "target": self.target,
            "layer": self.layer if self.method is Method.GRAD_CAM else None,
            "steps": self.steps if self.method is Method.INTEGRATED_GRADIENTS else None,
        }


class StoredAttribution(BaseModel):
    """What is written to disk: the pinned run request and the question."""

    run: RunRequest
    question: AttributionRequest


@dataclass
class AttributionResult:
    attribution_id: str
    run: RunResult
    attribution: Attribution

    @property
    def nbytes(self) -> int:
        tensors = [self.attribution.values, self.attribution.probabilities]
        tensors += [self.attribution.on_input] if self.attribution.on_input is not None else []
        return sum(t.element_size() * t.numel() for t in tensors)


def attribution_id(run_id: str, request: AttributionRequest) -> str:
    canonical = json.dumps({"run": run_id, **request.question()}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


class AttributionStore:
    def __init__(self, runs: RunStore, data_dir: Path, limit_bytes: int, max_elements: int) -> None:
        self._runs = runs
        self._dir = data_dir / "runs"
        self._max_elements = max_elements
        self._cache: ByteLRU[str, AttributionResult] = ByteLRU(limit_bytes, lambda r: r.nbytes)

    def attribute(self, request: AttributionRequest) -> AttributionResult:
        built: list[nn.Module] = []  # the modules of a run computed now: Captum differentiates them, not a rebuilt copy
        run = self._runs.run(request.run_request(), built=built)
        key = attribution_id(run.run_id, request)
        result = self._cache.get(key)
        if result is None:
            result = self._compute(key, run, request, built or None)
            path = self._path(key)
            assert path is not None
            if not path.exists():
                write_atomic(path, StoredAttribution(run=run.request, question=request).model_dump_json().encode())
            self._cache.put(key, result)
        return result

    def get(self, key: str) -> AttributionResult:
        result = self._cache.get(key)
        if result is not None:
            return result
        path = self._path(key)
        if path is None or not path.is_file():
            raise NotFoundError(f"No attribution with id {key!r}. Attributions are made by POST /api/attributions.")
        try:
            stored = StoredAttribution.model_validate_json(path.read_bytes())
        except (ValidationError, UnicodeDecodeError) as exc:
            path.unlink(missing_ok=True)
            raise NotFoundError(f"Attribution {key}'s stored request was unreadable and has been removed; POST it again.") from exc
        log.info("recomputing evicted attribution %s", key)
        result = self._compute(key, self._runs.run(stored.run), stored.question)
        self._cache.put(key, result)
        return result

    def _compute(self, key: str, run: RunResult, request: AttributionRequest, modules: list[nn.Module] | None = None) -> AttributionResult:
        with reusing_freed_memory():  # Captum allocates and frees the same activations step after step
            found = attribute(
                run.trace, request.method, target=request.target, layer=request.layer, steps=request.steps,
                max_elements=self._max_elements, modules=modules,
            )
        return AttributionResult(key, run, found)

    def _path(self, key: str) -> Path | None:
        if len(key) != 32 or any(c not in "0123456789abcdef" for c in key):
            return None
        return self._dir / f"{key}.attribution.json"
