"""A ``state_dict`` file's bytes as an ordered dict of tensors, without ever running code from it.

``.safetensors`` is read by the ``safetensors`` package (a header and raw bytes: nothing to run).
``.pt``/``.pth`` is a pickle, read only with ``torch.load(weights_only=True)``: torch's restricted
unpickler refuses every global that is not a tensor type, so a ``__reduce__`` that would call
``os.system`` is refused before it runs. The bytes are already in memory, so they are read from a
``BytesIO``: ``mmap=True`` needs a file path and would only add a copy to disk here.

Order matters when the architecture does not name its modules (JSON layers): a ``.pt`` keeps torch's
registration order; a ``.safetensors`` header is sorted, so its keys are put in module-path order
with numeric parts compared as numbers (``0 < 3 < 12``).
"""

from __future__ import annotations

import io
import pickle
import re
from collections.abc import Mapping
from typing import Any

import safetensors.torch
import torch

from .errors import ModelImportError

FIELD = "weights"
_MODULE_GLOBALS = "torch.nn.modules."
_GLOBAL = re.compile(r"GLOBAL ([\w.]+)")


def path_order(key: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key: ``features.3.weight`` before ``features.12.weight`` (numbers as numbers, before names)."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in key.split("."))


def _is_torch_pickle(data: bytes) -> bool:
    return data[:2] == b"PK" or data[:1] == b"\x80"  # a zip archive (torch.save) or a legacy pickle


def _is_safetensors(data: bytes) -> bool:
    return len(data) >= 9 and data[8:9] == b"{"  # u64 header length, then the JSON header


def read_weights(data: bytes, filename: str | None = None) -> dict[str, torch.Tensor]:
    """The file's tensors by key, in the order described above; ModelImportError for anything else."""
    name = filename or "the weights file"
    if _is_safetensors(data):
        return _read_safetensors(data, name)
    if _is_torch_pickle(data):
        return _read_torch(data, name)
    raise ModelImportError(
        FIELD,
        f"{name} is neither a .safetensors file nor a file of torch.save: save the weights with "
        "safetensors.torch.save_file(model.state_dict(), 'weights.safetensors') or torch.save(model.state_dict(), 'weights.pt').",
        filename=filename,
    )


def _read_safetensors(data: bytes, name: str) -> dict[str, torch.Tensor]:
    try:
        tensors = safetensors.torch.load(data)
    except Exception as exc:  # the parser's own refusal of a truncated or corrupt file (SafetensorError and kin)
        raise ModelImportError(
            FIELD, f"{name} is not a complete .safetensors file ({exc}); it may be truncated: save or upload it again."
        ) from exc
    return {key: tensors[key] for key in sorted(tensors, key=path_order)}


def _read_torch(data: bytes, name: str) -> dict[str, torch.Tensor]:
    try:
        loaded = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise _refused_pickle(data, name, exc) from exc
    except Exception as exc:  # a truncated zip, a corrupt record: torch's reader refuses it
        raise ModelImportError(FIELD, f"{name} could not be read by torch.load ({exc}); it may be truncated or corrupt.") from exc
    return _tensors_only(loaded, name)


def _globals_in(data: bytes, exc: Exception) -> list[str]:
    """The classes and functions the pickle would import, found without unpickling it."""
    try:
        return torch.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(data))
    except Exception:  # a legacy (non-zip) file: torch's refusal names the first one
        return _GLOBAL.findall(str(exc))[:1]


def _refused_pickle(data: bytes, name: str, exc: Exception) -> ModelImportError:
    found = _globals_in(data, exc)
    if any(g.startswith(_MODULE_GLOBALS) for g in found):
        return ModelImportError(
            FIELD,
            f"{name} holds a whole nn.Module (torch.save(model, ...)), which can only be read by running code "
            "from the file. Save its weights instead: torch.save(model.state_dict(), 'weights.pt').",
            globals=found,
        )
    what = ", ".join(found) if found else "something other than tensors"
    return ModelImportError(
        FIELD,
        f"{name} would import {what} when unpickled; layerlab reads .pt files only with torch.load(weights_only=True), "
        "which refuses that, and never runs code from a file. Save model.state_dict() (or use .safetensors).",
        globals=found,
    )


def _tensors_only(loaded: Any, name: str) -> dict[str, torch.Tensor]:
    if not isinstance(loaded, Mapping) or not all(isinstance(k, str) for k in loaded):
        raise ModelImportError(FIELD, f"{name} holds a {type(loaded).__name__}, not a state_dict; save model.state_dict().")
    others = [k for k, v in loaded.items() if not isinstance(v, torch.Tensor)]
    if others:
        nested = [k for k in others if isinstance(loaded[k], Mapping)]
        hint = f" If checkpoint[{nested[0]!r}] is the model's state_dict, save that alone." if nested else ""
        raise ModelImportError(
            FIELD,
            f"{name} is not a plain state_dict: {', '.join(map(repr, others[:5]))} "
            f"{'is not a tensor' if len(others) == 1 else 'are not tensors'}.{hint} "
            "Save model.state_dict() itself: torch.save(model.state_dict(), 'weights.pt').",
            key=others[0],
        )
    return dict(loaded)
