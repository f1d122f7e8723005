"""Turn torch's refusal of a layer into a sentence a learner can act on.

Only called after torch has refused (on the meta device or for real), so a diagnosis here never
refuses something torch accepts: it only chooses the words. Each message says which layer, what it
expected, what it got and what to change; where no diagnosis fits, torch's own message is quoted.
"""

from __future__ import annotations

from typing import Any

from .errors import LayerError
from .records import Stage
from .registry import REQUIRED, Category, LayerSpec, ReceptiveField
from .shapes import pair, shape_text


def layer_label(spec: LayerSpec, layer: dict[str, Any], position: int) -> str:
    """``Layer 5 (Linear(in_features=1024, out_features=10))``: the layer as the request wrote it."""
    args = ", ".join(
        f"{p.name}={layer[p.name]!r}".replace("'", "")
        for p in spec.params
        if p.name in layer and (p.default is REQUIRED or layer[p.name] != p.default)
    )
    return f"Layer {position + 1} ({spec.name}({args}))"


def _inferred_mismatch(stage: Stage) -> tuple[str, str] | None:
    spec, shape = stage.spec, stage.input_shape
    if spec.infer is None:
        return None
    for name, actual in spec.infer(shape).items():
        given = stage.kwargs.get(name)
        if given is not None and given != actual:
            what = {"in_channels": "channels", "num_features": "channels", "in_features": "features"}[name]
            return name, (
                f"expects {name}={given} but receives {actual} {what}: its input has shape {shape_text(shape)}. "
                f"Set {name} to {actual}, or leave it out to have it inferred."
            )
    return None


def _window_too_large(stage: Stage) -> tuple[str, str] | None:
    kw, shape = stage.kwargs, stage.input_shape
    if stage.spec.receptive_field is not ReceptiveField.WINDOW or len(shape) < 2:
        return None
    kernel = pair(kw["kernel_size"])
    padding = pair(kw.get("padding", 0)) if not isinstance(kw.get("padding", 0), str) else (0, 0)
    dilation = pair(kw.get("dilation", 1))
    size = shape[-2:]
    effective = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))
    padded = tuple(s + 2 * p for s, p in zip(size, padding, strict=True))
    if all(e <= p for e, p in zip(effective, padded, strict=True)):
        return None
    return "kernel_size", (
        f"needs an input of at least {shape_text(effective)} after padding for its {shape_text(kernel)} window, "
        f"but gets {shape_text(size)} (input {shape_text(shape)}, padding {shape_text(padding)}), padded to {shape_text(padded)}. "
        "Use a smaller kernel_size, add padding, or remove a downsampling layer before it."
    )


def _negative_zero_padding(stage: Stage) -> tuple[str, str] | None:
    # torch crops with a negative padding only through F.pad (padding_mode other than 'zeros');
    # the zeros path refuses it on the CPU although the meta kernel accepts it.
    kw = stage.kwargs
    padding = kw.get("padding", 0)
    has_mode = any(p.name == "padding_mode" for p in stage.spec.params)
    if not has_mode or kw.get("padding_mode", "zeros") != "zeros" or isinstance(padding, str) or min(pair(padding)) >= 0:
        return None
    return "padding", (
        f"pads with zeros, which cannot be negative, but got padding={shape_text(pair(padding))}. "
        "Use padding ≥ 0, or padding_mode 'replicate' or 'circular' to crop the input instead."
    )


def _padding_too_large(stage: Stage) -> tuple[str, str] | None:
    kw = stage.kwargs
    # Pooling windows (not convolutions) refuse padding over half the window.
    if stage.spec.receptive_field is not ReceptiveField.WINDOW or stage.spec.category is not Category.POOLING:
        return None
    kernel, padding = pair(kw["kernel_size"]), pair(kw.get("padding", 0))
    dilation = pair(kw.get("dilation", 1))
    effective = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))
    if all(2 * p <= e for p, e in zip(padding, effective, strict=True)):
        return None
    return "padding", (
        f"allows padding of at most half its window ({shape_text(tuple(e // 2 for e in effective))} for a "
        f"{shape_text(effective)} window), but got padding={shape_text(padding)}. Lower padding or enlarge kernel_size."
    )


def _groups(stage: Stage) -> tuple[str, str] | None:
    kw = stage.kwargs
    groups = kw.get("groups", 1)
    if not isinstance(groups, int) or groups < 1 or "in_channels" not in kw:
        return None
    bad = [n for n in ("in_channels", "out_channels") if kw.get(n, 0) % groups]
    if not bad:
        return None
    counts = ", ".join(f"{n}={kw[n]}" for n in bad)
    return "groups", f"needs both channel counts divisible by groups={groups}, but {counts}. Change groups or the channels."


def _unpool_indices(stage: Stage) -> tuple[str, str] | None:
    if stage.indices_from is None:
        return None
    return "indices_from", (
        f"takes indices from layer {stage.indices_from + 1}, which must have the same shape as its input "
        f"{shape_text(stage.input_shape)}; the layers in between changed it. Unpool right after the layers that keep the "
        "pooled shape, or point indices_from at a matching MaxPool2d."
    )


_DIAGNOSES = (_negative_zero_padding, _inferred_mismatch, _window_too_large, _padding_too_large, _groups, _unpool_indices)


def explain_refusal(stage: Stage, layer: dict[str, Any], exc: BaseException) -> LayerError:
    """The :class:`LayerError` for torch's refusal ``exc`` of ``stage``."""
    label = layer_label(stage.spec, layer, stage.position)
    torch_says = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    context = {"torch": f"{type(exc).__name__}: {torch_says}", "input_shape": list(stage.input_shape)}
    for diagnose in _DIAGNOSES:
        try:
            found = diagnose(stage)
        except Exception:  # a diagnosis must never hide the refusal itself
            found = None
        if found is not None:
            param, sentence = found
            return LayerError(stage.position, stage.spec.name, f"{label} {sentence}", param=param, context=context)
    return LayerError(
        stage.position,
        stage.spec.name,
        f"{label} cannot run on an input of shape {shape_text(stage.input_shape)}; torch says: {torch_says}",
        context=context,
    )
