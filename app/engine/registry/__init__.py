"""The layer registry: the only place a layer type is described (see :mod:`.table`).

``spec`` holds the vocabulary (:class:`LayerSpec`, :class:`Param` and the enums dispatched on),
``costs`` the shape arithmetic the entries use, ``table`` the entries themselves.
"""

from .spec import INDICES_FROM_DOC, OUTPUT_SIZE_DOC, REQUIRED, Arithmetic, BackwardRule, Category, Kind, LayerSpec, Param, PoolIndices, ReceptiveField
from .table import SPECS

REGISTRY: dict[str, LayerSpec] = {spec.name: spec for spec in SPECS}

__all__ = [
    "INDICES_FROM_DOC",
    "OUTPUT_SIZE_DOC",
    "REGISTRY",
    "REQUIRED",
    "SPECS",
    "Arithmetic",
    "BackwardRule",
    "Category",
    "Kind",
    "LayerSpec",
    "Param",
    "PoolIndices",
    "ReceptiveField",
]
