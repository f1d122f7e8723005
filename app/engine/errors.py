"""Refusals that a person can act on.

Every refusal names the layer (its 0-based position in the request, so the web layer can answer
``loc = ["body", "layers", position]``), says what it expected and what it got, and which parameter
to change. The web layer turns these into 422 answers; the engine never imports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class EngineError(Exception):
    """Base of every refusal the engine makes for bad input (never a bug of ours)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class LayerError(EngineError):
    """A layer that torch would refuse, or that breaks a limit, at ``position`` (0-based)."""

    position: int
    layer_type: str
    message: str
    param: str | None = None
    context: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        EngineError.__init__(self, self.message)


class InputError(EngineError):
    """The pipeline's input itself is unusable (ragged, empty, too large, impossible reshape)."""

    def __init__(self, message: str, field_name: str | None = None) -> None:
        super().__init__(message)
        self.field_name = field_name


class LimitError(EngineError):
    """A request that would exceed a configured limit."""


class QueryError(EngineError):
    """A query parameter that names something the run does not have (an index outside the output)."""

    def __init__(self, message: str, field_name: str) -> None:
        super().__init__(message)
        self.field_name = field_name


class ArgumentError(EngineError):
    """A request field beside the layers and input that does not fit the network (a class index, a stage)."""

    def __init__(self, message: str, field_name: str) -> None:
        super().__init__(message)
        self.field_name = field_name
