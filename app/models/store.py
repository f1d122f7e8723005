"""Models kept by content hash: an imported network's layers and weights, and the trained ones shipped.

``<data dir>/models/<id>/`` holds ``weights.safetensors`` (keys ``"<position>.<name>"``: exactly the
keys of the ``nn.Sequential`` the run's ``code`` builds) and ``model.json`` (layers, input shape,
mapping, notes, name), written last so a folder with a ``model.json`` is complete. The id hashes
the layers, the input shape and the weights' bytes: the same file imported twice is one model.
Imported models are pruned with the rest of the data dir.

Shipped models live in the package, ``app/models/shipped/<id>.safetensors`` + ``<id>.json`` (with
their ``trained`` facts); they are read-only and never pruned. Both kinds are immutable once
written, so what is read of them is kept in memory.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import threading
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol

import safetensors.torch
import torch
from safetensors import safe_open

from ..engine import Mode
from ..engine.plan import make_plan
from ..engine.rng import seeded
from ..engine.run import build_modules
from ..errors import NotFoundError
from ..storage import write_atomic
from .safetensors_file import SafetensorsFile

SHIPPED_DIR = Path(__file__).resolve().parent / "shipped"
WEIGHTS_FILE = "weights.safetensors"
_STORED_ID = re.compile(r"^[0-9a-f]{32}$")
_SHIPPED_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class Network(Protocol):
    """What :func:`app.models.importer.import_network` answers (its ``ImportedNetwork``)."""

    layers: list[dict[str, Any]]
    state_dict: dict[str, torch.Tensor] | None
    mapping: list[Any]
    source: str
    input_shape: list[int]
    notes: list[str]


@dataclass(frozen=True)
class ModelInfo:
    """A model as the API shows it (``model.json``, or a shipped model's ``<id>.json``)."""

    model_id: str | None  # None: a training job's checkpoint (see ``job``)
    name: str
    layers: list[dict[str, Any]]
    params: int
    input_shape: list[int]
    source: str  # "print" | "onnx" | "layers" | "shipped" | "job"
    mapping: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    created: float = 0.0
    trained: dict[str, Any] | None = None
    job: dict[str, Any] | None = None  # {"job_id", "epoch"} of a checkpoint
    description: str = ""

    @property
    def weights_from(self) -> dict[str, Any]:
        """What a run or a job names to use these weights."""
        return dict(self.job) if self.job is not None else {"model_id": self.model_id}

    @property
    def weights_url(self) -> str:
        if self.job is not None:
            return f"/api/jobs/{self.job['job_id']}/weights.safetensors?epoch={self.job['epoch']}"
        return f"/api/models/{self.model_id}/weights.safetensors"


def _mapping_row(row: Any) -> dict[str, Any]:
    data = vars(row) if hasattr(row, "__dataclass_fields__") else dict(row)  # vars: asdict would deep-copy it
    return {k: data[k] for k in ("key", "layer", "module", "param", "shape") if k in data}


class ModelStore:
    def __init__(self, models_dir: Path, max_elements: int, shipped_dir: Path | None = None) -> None:
        self.models_dir = models_dir
        self.shipped_dir = shipped_dir or SHIPPED_DIR
        self.max_elements = max_elements
        self._infos: dict[str, ModelInfo] = {}  # immutable per id: read once
        self._lock = threading.Lock()

    # --- writing ---------------------------------------------------------------------------------

    def params(self, layers: list[dict[str, Any]], input_shape: list[int]) -> int:
        """Parameters of the network (buffers such as running_mean not counted, as torch counts them)."""
        return sum(stage.params for stage in make_plan(tuple(input_shape), layers, self.max_elements).stages)

    def save(self, network: Network, *, name: str | None = None, seed: int = 0) -> ModelInfo:
        """Store ``network`` (weights, or torch's init under ``seed`` when it has none); the same content
        gives the same id, and a second save of it only refreshes its age."""
        layers, input_shape = [dict(layer) for layer in network.layers], list(network.input_shape)
        plan = make_plan(tuple(input_shape), layers, self.max_elements)  # refuses what torch would (LayerError)
        state_dict = network.state_dict if network.state_dict is not None else self._initial_weights(plan, seed)
        weights = SafetensorsFile(state_dict)  # hashed and written in parts, never joined in memory
        architecture = json.dumps({"layers": layers, "input_shape": input_shape}, sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(architecture.encode() + b"\0")
        weights.feed(digest)
        model_id = digest.hexdigest()[:32]
        folder = self.models_dir / model_id
        if (folder / "model.json").is_file():
            (folder / "model.json").touch()  # imported again: young again for pruning
            return self.get(model_id)
        info = ModelInfo(
            model_id=model_id,
            name=name or f"Imported network {model_id[:8]}",
            layers=layers,
            params=sum(stage.params for stage in plan.stages),
            input_shape=input_shape,
            source=network.source,
            mapping=[_mapping_row(row) for row in network.mapping],
            notes=list(network.notes),
            created=time.time(),
        )
        text = json.dumps({f.name: getattr(info, f.name) for f in fields(info)})  # plain data already: no asdict copy
        try:
            write_atomic(folder / WEIGHTS_FILE, weights.write_to)
            write_atomic(folder / "model.json", text.encode())  # last: the folder is complete
        except OSError:
            shutil.rmtree(folder, ignore_errors=True)  # a full disk leaves no half model behind
            raise
        stored = ModelInfo(**json.loads(text))  # as get() would read it back, so the run that follows need not
        with self._lock:
            self._infos[model_id] = stored
        return stored

    @staticmethod
    def _initial_weights(plan: Any, seed: int) -> dict[str, torch.Tensor]:
        """torch's own initialisation under ``torch.manual_seed(seed)``, as a run builds it."""
        with seeded(seed):
            modules = build_modules(plan, Mode.EVAL)
        return {f"{i}.{k}": v for i, m in enumerate(modules) for k, v in m.state_dict().items()}

    # --- reading ---------------------------------------------------------------------------------

    def get(self, model_id: str) -> ModelInfo:
        with self._lock:
            info = self._infos.get(model_id)
        if info is None:
            info = self._read(model_id)
            with self._lock:
                self._infos[model_id] = info
        return info

    def list(self) -> list[ModelInfo]:
        """Shipped models first (by id), then imported ones, newest first."""
        shipped = sorted(p.stem for p in self.shipped_dir.glob("*.json")) if self.shipped_dir.is_dir() else []
        imported = [p.parent.name for p in self.models_dir.glob("*/model.json")] if self.models_dir.is_dir() else []
        return self._known(shipped) + sorted(self._known(imported), key=lambda info: -info.created)

    def _known(self, model_ids: list[str]) -> list[ModelInfo]:
        infos = []
        for model_id in model_ids:
            try:
                infos.append(self.get(model_id))
            except NotFoundError:  # pruned meanwhile
                continue
        return infos

    def weights_path(self, model_id: str) -> Path:
        if _SHIPPED_ID.match(model_id) and (self.shipped_dir / f"{model_id}.json").is_file():
            return self.shipped_dir / f"{model_id}.safetensors"
        if _STORED_ID.match(model_id) and (self.models_dir / model_id / "model.json").is_file():
            return self.models_dir / model_id / WEIGHTS_FILE
        raise self._unknown(model_id)

    def load(self, model_id: str) -> dict[str, torch.Tensor]:
        """The model's state_dict, read from its ``.safetensors`` file."""
        return safetensors.torch.load_file(self.weights_path(model_id))

    def _read(self, model_id: str) -> ModelInfo:
        path = self.weights_path(model_id)
        if path.parent == self.shipped_dir:
            return self._shipped(model_id, path)
        return ModelInfo(**json.loads((path.parent / "model.json").read_text()))

    def _shipped(self, model_id: str, weights: Path) -> ModelInfo:
        meta = json.loads((self.shipped_dir / f"{model_id}.json").read_text())
        input_shape = list(meta.get("input_shape", [1, 3, 32, 32]))
        plan = make_plan(tuple(input_shape), meta["layers"], self.max_elements)
        mapping = []
        with safe_open(weights, framework="pt") as f:
            for key in f.keys():  # noqa: SIM118 (safe_open is not a mapping)
                position, param = key.split(".", 1)
                stage = plan.stages[int(position)]
                mapping.append({"key": key, "layer": stage.index, "param": param, "shape": list(f.get_slice(key).get_shape())})
        return ModelInfo(
            model_id=model_id,
            name=meta.get("name", model_id),
            layers=meta["layers"],
            params=sum(stage.params for stage in plan.stages),
            input_shape=input_shape,
            source="shipped",
            mapping=mapping,
            notes=list(meta.get("notes", [])),
            created=weights.stat().st_mtime,
            trained=meta.get("trained"),
            description=meta.get("description", ""),
        )

    @staticmethod
    def _unknown(model_id: str) -> NotFoundError:
        return NotFoundError(f"No model {model_id!r}. GET /api/models lists them; POST /api/models imports one.")
