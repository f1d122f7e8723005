"""The one refusal of an import: which form field it concerns, a sentence, and the facts behind it.

Part of the engine's error family (:class:`~app.engine.errors.EngineError`), so the web layer answers
422 with ``loc = ["body", field]`` and ``ctx`` = :attr:`ModelImportError.context`.
"""

from __future__ import annotations

from typing import Any

from ..engine.errors import EngineError


class ModelImportError(EngineError):
    """An architecture or weights file that cannot become a lab network (never a bug of ours).

    ``field`` is the request's field: ``"architecture"``, ``"onnx"``, ``"layers"``, ``"weights"`` or
    ``"input_shape"``. ``context`` holds what a client may show apart from the sentence: the file
    ``key``, the 1-based ``layer``, its ``module`` as torch prints it, ``expected`` and ``got`` shapes,
    the ONNX ``node`` and ``op_type``, the refused ``line``.
    """

    def __init__(self, field: str, message: str, **context: Any) -> None:
        super().__init__(message)
        self.field = field
        self.context = context
