"""The ``backward`` of a run request: a loss with its target, or one output value, as the engine takes it.

``"target": "label"`` stands for the CIFAR-10 classes of the input images; it is turned into class
indices here, where the input's source is known, so the engine only ever sees numbers.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..engine.backward import Backward, BackwardError
from ..engine.schema import NestedNumbers, loss_union
from ..inputs import Cifar10BatchInput, Cifar10Input
from ..services import Services


class LossBackward(BaseModel):
    """Differentiate ``loss(output, target)``."""

    model_config = ConfigDict(extra="forbid")
    loss: loss_union() = Field(description='{"type": "CrossEntropyLoss", <its constructor arguments>}: any loss of GET /api/losses.')  # type: ignore[valid-type]
    target: NestedNumbers | Literal["label"] = Field(
        description='Class indices (integers), a tensor of the output\'s shape, or "label": the CIFAR-10 classes of the input images.'
    )


class OutputBackward(BaseModel):
    """Differentiate one value of the last stage's output."""

    model_config = ConfigDict(extra="forbid")
    output: list[Annotated[int, Field(strict=True)]] = Field(min_length=1, max_length=8, description="[n, c, …]: an index into the last stage's output.")


BackwardSpec = LossBackward | OutputBackward


def _labels(source: BaseModel, services: Services) -> list[int]:
    if isinstance(source, Cifar10Input):
        return [services.cifar10.label(source.split, source.index)]
    if isinstance(source, Cifar10BatchInput):
        return [services.cifar10.label(source.split, i) for i in range(source.start, source.start + source.count)]
    raise BackwardError(
        f'target "label" means the CIFAR-10 classes of the input images, but the input is {getattr(source, "source", "not CIFAR-10")!r}. '
        "Give the class indices yourself (one integer per sample), or pick a CIFAR-10 input.", "target")


def engine_backward(spec: BackwardSpec, source: BaseModel, services: Services) -> Backward:
    if isinstance(spec, OutputBackward):
        return Backward(output=tuple(spec.output))
    params = spec.loss.model_dump(exclude_unset=True, exclude={"type"})
    target = _labels(source, services) if spec.target == "label" else spec.target
    return Backward(loss=spec.loss.type, loss_params=params, target=target)
