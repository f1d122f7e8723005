"""Weights a run can use: networks imported from a user's files (``print(model)`` text, ONNX, JSON
layers, with ``.safetensors``/``.pt`` state_dicts). Plain torch, onnx and safetensors; no web layer.

The entry point is :func:`.importer.import_network`; every refusal is a :class:`.errors.ModelImportError`.
"""

from .errors import ModelImportError
from .importer import ImportedNetwork, MappingRow, import_network

__all__ = ["ImportedNetwork", "MappingRow", "ModelImportError", "import_network"]
