"""One download per run: everything needed to look at it again, or redo it, without layerlab.

``request.json`` (POST it again to get the same run), ``pipeline.py`` (the ``code`` field), ``trace.csv``
(one row per layer, like the lab's trace table), and per stage its exact values as numpy ``.npy``
(float32, the stage's shape; pool indices as int64) and its map as drawn by default (PNG). A run with
``weights_from`` adds the ``.safetensors`` file ``pipeline.py`` loads, beside it.
"""

from __future__ import annotations

import csv
import io
import zipfile

import numpy as np
import torch

from ..engine.shapes import shape_text
from ..models.safetensors_file import state_dict_bytes
from .maps import MapQuery, StageMaps
from .store import RunResult

_README = """layerlab run {run_id}

request.json   the request; POST it to /api/pipeline/run to get this run again
pipeline.py    PyTorch code that rebuilds the same modules, weights and outputs
trace.csv      one row per layer: shapes, parameters, mult-adds, size formula, statistics
values/        every stage's exact values: numpy.load("values/01_Conv2d.npy") (float32)
indices/       where each MaxPool2d maximum came from (int64, torch's flat y·W + x)
maps/          every stage drawn as in the lab (PNG)
{weights}"""

_COLUMNS = ["index", "type", "module", "input_shape", "output_shape", "params", "mult_adds", "size_formula",
            "min", "max", "mean", "std", "time_ms", "notes"]


def npy_bytes(tensor: torch.Tensor) -> bytes:
    """A tensor as a numpy ``.npy`` file: dtype and shape in its header, values in C order."""
    buffer = io.BytesIO()
    np.save(buffer, tensor.detach().contiguous().numpy(), allow_pickle=False)
    return buffer.getvalue()


def trace_csv(result: RunResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_COLUMNS)
    for s in result.trace.stages:
        stage = s.stage
        writer.writerow([
            stage.index, stage.spec.name, s.module_repr, shape_text(stage.input_shape), shape_text(tuple(s.output.shape)),
            stage.params, stage.mult_adds, stage.size_formula, *(s.stats[k] for k in ("min", "max", "mean", "std")),
            f"{s.time_ms:.4f}", " | ".join(s.notes),
        ])
    return out.getvalue()


def stage_names(result: RunResult) -> list[str]:
    """``00_input``, ``01_Conv2d``, …: file names in pipeline order."""
    return ["00_input"] + [f"{s.stage.index:02d}_{s.stage.spec.name}" for s in result.trace.stages]


def export_zip(result: RunResult, maps: StageMaps) -> bytes:
    buffer = io.BytesIO()
    trace = result.trace
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        weights = f"{result.weights_file}  the weights pipeline.py loads (safetensors)\n" if result.weights_file else ""
        archive.writestr("README.txt", _README.format(run_id=result.run_id, weights=weights))
        if result.weights_file is not None and trace.weights is not None:
            archive.writestr(result.weights_file, state_dict_bytes(trace.weights))
        archive.writestr("request.json", result.request.model_dump_json(indent=2))
        archive.writestr("pipeline.py", result.code)
        archive.writestr("trace.csv", trace_csv(result))
        tensors = [trace.input] + [s.output for s in trace.stages]
        for k, (name, tensor) in enumerate(zip(stage_names(result), tensors, strict=True)):
            archive.writestr(f"values/{name}.npy", npy_bytes(tensor))
            # PNGs are compressed already: stored as they are.
            archive.writestr(f"maps/{name}.png", maps.png(result.run_id, k, MapQuery()), zipfile.ZIP_STORED)
            if k and trace.stages[k - 1].indices is not None:
                archive.writestr(f"indices/{name}.npy", npy_bytes(trace.stages[k - 1].indices))
    return buffer.getvalue()
