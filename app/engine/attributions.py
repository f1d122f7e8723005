"""Which input values (or which cells of a stage) made the network pick a class: Captum's attributions.

Captum does the work, called with its defaults (``Saliency``, ``InputXGradient``,
``IntegratedGradients``, ``LayerGradCam``): nothing here re-implements a method. This module only
rebuilds the run's network (seeded and weighted as the run was, in eval mode, :func:`.run.rebuild_modules`),
checks that the question fits it — one score per class, a target class that exists, Grad-CAM at a
stage with rows and columns — and refuses in the lab's words when it does not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import torch
from torch import nn

from .errors import ArgumentError, EngineError, LayerError
from .records import Mode, Trace
from .run import rebuild_modules
from .shapes import shape_text
from .train import Network


class Method(StrEnum):
    SALIENCY = "saliency"  # |∂ score / ∂ input| (captum.attr.Saliency, abs=True)
    INPUT_X_GRADIENT = "input_x_gradient"  # input · ∂ score / ∂ input
    INTEGRATED_GRADIENTS = "integrated_gradients"  # (input − 0) · mean gradient along the straight path from 0
    GRAD_CAM = "grad_cam"  # Σ_c mean_hw(∂ score / ∂ A_c) · A_c at one stage A (not ReLU'd: captum's default)

    @property
    def signed(self) -> bool:
        """Whether the values can be negative (drawn with the diverging palette, centred on 0)."""
        return self is not Method.SALIENCY


DEFAULT_STEPS = 50  # IntegratedGradients' own n_steps default


@dataclass
class Attribution:
    method: Method
    target: list[int]  # the class explained, per sample
    probabilities: torch.Tensor  # (N, classes): softmax of the network's output
    values: torch.Tensor  # the input's shape; Grad-CAM: (N, 1, h, w) at the stage's own resolution
    layer: int | None  # Grad-CAM's stage
    steps: int | None  # integrated gradients' n_steps
    on_input: torch.Tensor | None  # (N, 1, H, W): summed over channels, or Grad-CAM upsampled; None unless the input is (N, C, H, W)


def _check_classes(trace: Trace) -> int:
    """The number of classes; refuses an output that is not one score per class and sample."""
    out = tuple(trace.output.shape)
    if len(out) == 2:
        return out[1]
    advice = "End the pipeline with Flatten and a Linear whose out_features is the number of classes."
    if not trace.stages:
        raise EngineError(f"Attributions explain one class score per sample, so the network must end in (N, classes); with no layers it is the input, {shape_text(out)}. {advice}")
    last = trace.plan.stages[-1]
    raise LayerError(
        last.position,
        last.spec.name,
        f"Attributions explain one class score per sample, so the network must end in (N, classes); "
        f"layer {last.index} ({last.spec.name}) ends it in {shape_text(out)}. {advice}",
        context={"expected": "(N, classes)", "got": list(out)},
    )


def _targets(target: int | None, probabilities: torch.Tensor) -> list[int]:
    classes = probabilities.shape[1]
    if target is None:
        return probabilities.argmax(1).tolist()
    if not 0 <= target < classes:
        raise ArgumentError(
            f"target={target} is not a class of this network: it scores {classes} classes, 0 to {classes - 1}. "
            "Leave target out to explain the predicted class.",
            "target",
        )
    return [target] * probabilities.shape[0]


def _grad_cam_stage(trace: Trace, layer: int | None) -> int:
    spatial = [s.stage.index for s in trace.stages if s.output.dim() == 4 and not s.stage.returns_indices]
    choose = (
        f"choose one of stages {', '.join(map(str, spatial))} (later conv stages: coarser but more class-specific)"
        if spatial
        else "this network has no stage with rows and columns, so Grad-CAM cannot be used: try another method"
    )
    if layer is None:
        raise ArgumentError(f"Grad-CAM explains the maps of one stage; give layer: {choose}.", "layer")
    if not 1 <= layer <= len(trace.stages):
        raise ArgumentError(f"layer={layer} is not a stage of this network (1 to {len(trace.stages)}); {choose}.", "layer")
    stage = trace.stages[layer - 1]
    name = f"Stage {layer} ({stage.stage.spec.name})"
    if stage.stage.returns_indices:
        raise ArgumentError(f"{name} hands its pool indices on to an unpooling layer, so its output is a pair; {choose}.", "layer")
    if stage.output.dim() != 4:
        raise ArgumentError(
            f"{name} gives {shape_text(tuple(stage.output.shape))}, not maps with rows and columns (N, C, H, W): "
            f"Grad-CAM weighs each channel's map by its mean gradient, so it needs a spatial stage; {choose}.",
            "layer",
        )
    return layer


def _check_steps(trace: Trace, steps: int, max_elements: int) -> None:
    """Integrated gradients runs every stage on ``steps`` copies of the input at once."""
    largest = max([trace.input.numel(), *(s.output.numel() for s in trace.stages)])
    if largest * steps > max_elements:
        raise ArgumentError(
            f"steps={steps} would run {steps} copies of the network at once, {largest * steps:,} values in its largest "
            f"stage, above this server's limit of {max_elements:,} (LAYERLAB_MAX_ELEMENTS); use at most "
            f"{max(1, max_elements // largest)} steps.",
            "steps",
        )


def forward_function(trace: Trace, modules: list[nn.Module] | None = None) -> tuple[Callable[[torch.Tensor], torch.Tensor], Network]:
    """The run's network as one module (eval mode), and the callable Captum differentiates: ``modules`` when
    given (the run's own, as it built them), else built again as the run built them.

    The callable clones the input first when the first layer works in place (``inplace=True``):
    autograd refuses an in-place change of the input it differentiates, and the run clones it too.
    """
    net = Network(modules if modules is not None else rebuild_modules(trace), [s.stage.indices_from for s in trace.stages]).eval()
    first_in_place = bool(len(net)) and getattr(net[0], "inplace", False)
    forward = (lambda x: net(x.clone())) if first_in_place else net  # noqa: E731
    return forward, net


def attribute(
    trace: Trace,
    method: Method,
    *,
    target: int | None = None,
    layer: int | None = None,
    steps: int = DEFAULT_STEPS,
    max_elements: int = 50_000_000,
    modules: list[nn.Module] | None = None,
) -> Attribution:
    """``method``'s attribution of the ``target`` class score (default: each sample's prediction) for the run's input.

    ``trace`` must be an eval-mode run (what attributions explain is the network as it predicts); ``modules``
    are its modules when the caller has them (``run_pipeline(built=…)``), else they are built again.
    Raises :class:`LayerError`, :class:`ArgumentError` or :class:`LimitError` for a question that does not fit.
    """
    assert trace.mode is Mode.EVAL, "attributions explain the network in eval mode"
    _check_classes(trace)
    probabilities = trace.output.softmax(1)  # (N, classes): the run's own forward pass
    targets = _targets(target, probabilities)
    stage = _grad_cam_stage(trace, layer) if method is Method.GRAD_CAM else None
    if method is Method.INTEGRATED_GRADIENTS:
        _check_steps(trace, steps, max_elements)
    forward, net = forward_function(trace, modules)
    # Imported here: captum (with matplotlib) is ~30 MB of every server process's memory otherwise.
    from captum.attr import InputXGradient, IntegratedGradients, LayerGradCam, Saliency

    x = trace.input.detach().clone().requires_grad_()  # Captum warns when it has to ask for the gradient itself
    with torch.enable_grad():
        if method is Method.SALIENCY:
            values = Saliency(forward).attribute(x, target=targets)
        elif method is Method.INPUT_X_GRADIENT:
            values = InputXGradient(forward).attribute(x, target=targets)
        elif method is Method.INTEGRATED_GRADIENTS:
            values = IntegratedGradients(forward).attribute(x, target=targets, n_steps=steps)
        else:
            assert stage is not None
            values = LayerGradCam(forward, net[stage - 1]).attribute(x, target=targets)
    values = values.detach()
    ig_steps = steps if method is Method.INTEGRATED_GRADIENTS else None
    return Attribution(method, targets, probabilities, values, stage, ig_steps, _on_input(values, x.detach(), method))


def _on_input(values: torch.Tensor, x: torch.Tensor, method: Method) -> torch.Tensor | None:
    """One value per input pixel for the overlay: channels summed (as captum.attr.visualization does),
    or Grad-CAM's cells upsampled to the input's size by ``LayerAttribution.interpolate`` (nearest)."""
    if x.dim() != 4:
        return None
    if method is Method.GRAD_CAM:
        from captum.attr import LayerAttribution

        return LayerAttribution.interpolate(values, tuple(x.shape[-2:]))  # (N, 1, H, W)
    return values.sum(1, keepdim=True)  # (N, 1, H, W)
