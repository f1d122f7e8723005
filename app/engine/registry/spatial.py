"""Layers that read a neighbourhood of an image (N, C, H, W) or (C, H, W): convolutions, pooling,
unpooling, adaptive pooling and resampling. Part of the one table (:mod:`.table`).

A new spatial layer is one more entry here, with the :class:`ReceptiveField` rule whose index
arithmetic torch uses for it (a sliding window, a transposed window, adaptive windows, resampling);
the page outlines receptive fields by that rule and refuses to guess for a rule it does not know.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch.nn as nn

from ..shapes import Shape
from .costs import channels, conv_mult_adds, conv_transpose_mult_adds
from .spec import REQUIRED, Arithmetic, BackwardRule, Category, Kind, LayerSpec, Param, PoolIndices, ReceptiveField

_IMAGE_RANKS = (3, 4)  # (N, C, H, W), or unbatched (C, H, W) as torch accepts


def _k(doc: str = "Size of the window.") -> Param:
    return Param("kernel_size", Kind.INT_OR_PAIR, REQUIRED, doc, ge=1)


def _stride(default: Any = 1) -> Param:
    # Pooling's stride defaults to None, which torch reads as kernel_size (see defaults_from).
    doc = "Step of the window." + (" Defaults to kernel_size." if default is None else "")
    return Param("stride", Kind.INT_OR_PAIR, default, doc, ge=1, nullable=default is None)


def _padding(doc: str) -> Param:
    return Param("padding", Kind.INT_OR_PAIR, 0, doc, ge=0)


def _dilation(ge: int = 1) -> Param:
    return Param("dilation", Kind.INT_OR_PAIR, 1, "Spacing between kernel elements.", ge=ge)


def _bool(name: str, default: bool, doc: str) -> Param:
    return Param(name, Kind.BOOL, default, doc)


_GROUPS = Param("groups", Kind.INT, 1, "Split channels into groups; both channel counts must divide by it.", ge=1)
_BIAS = _bool("bias", True, "Add a learnable bias per output channel.")
_CEIL_MODE = _bool("ceil_mode", False, "Round the output size up instead of down.")
_OUTPUT_SIZE = Param("output_size", Kind.OUTPUT_SIZE, REQUIRED, "Target H×W (null keeps that side).", ge=0)
_STRIDE_IS_KERNEL = {"stride": "kernel_size"}  # torch: "Default value is kernel_size"

_POOL_FORMULA = (
    "H_out = floor or ceil (ceil_mode) of (H_in + 2·padding − dilation·(kernel_size − 1) − 1) / stride + 1, "
    "likewise W; a window starting in the right padding is dropped. Channels unchanged."
)


def _convolution(
    cls: type[nn.Module], doc: str, params: tuple[Param, ...], formula: str, mult_adds: Callable[[nn.Module, Shape, Shape], int], **more: Any
) -> LayerSpec:
    """A convolution: in_channels inferred, explicit weight and bias allowed."""
    in_channels = Param("in_channels", Kind.INT, REQUIRED, "Channels of the input (inferred).", ge=1, inferred=True)
    return LayerSpec(
        cls,
        Category.CONVOLUTION,
        doc,
        (in_channels, *params),
        formula,
        infer=lambda s: {"in_channels": channels(s)},
        input_ranks=_IMAGE_RANKS,
        tensors=("weight", "bias"),
        mult_adds=mult_adds,
        **more,
    )


def _pooling(cls: type[nn.Module], category: Category, doc: str, params: tuple[Param, ...], formula: str, **more: Any) -> LayerSpec:
    return LayerSpec(cls, category, doc, params, formula, input_ranks=_IMAGE_RANKS, **more)


def _kernel_pooling(
    cls: type[nn.Module], category: Category, doc: str, params: tuple[Param, ...], formula: str, rule: ReceptiveField = ReceptiveField.WINDOW, **more: Any
) -> LayerSpec:
    """Max/average pooling (a window) and unpooling (a transposed one): kernel_size, stride defaulting to it."""
    more |= {"defaults_from": _STRIDE_IS_KERNEL, "new_card": {"kernel_size": 2}}
    return _pooling(cls, category, doc, params, formula, receptive_field=rule, **more)


SPATIAL: tuple[LayerSpec, ...] = (
    _convolution(
        nn.Conv2d,
        "2-D convolution: each output channel is a learned filter slid over all input channels.",
        (
            Param("out_channels", Kind.INT, REQUIRED, "Number of filters, i.e. output channels.", ge=1),
            _k("Size of each filter."),
            _stride(),
            Param(
                "padding",
                Kind.PADDING,
                0,
                "Padding on both sides, or 'valid' (none) / 'same' (output as large as the input; stride 1 only). "
                "Negative crops, which torch allows with a padding_mode other than 'zeros'.",
                choices=("valid", "same"),
            ),
            _dilation(),
            _GROUPS,
            _BIAS,
            Param("padding_mode", Kind.CHOICE, "zeros", "What the padding is filled with.", choices=("zeros", "reflect", "replicate", "circular")),
        ),
        "H_out = floor((H_in + 2·padding − dilation·(kernel_size − 1) − 1) / stride + 1), likewise W; C_out = out_channels.",
        conv_mult_adds,
        receptive_field=ReceptiveField.WINDOW,
        new_card={"out_channels": 8, "kernel_size": 3, "padding": 1},
        arithmetic=Arithmetic.CONVOLUTION,
        backward=BackwardRule.CONVOLUTION,
    ),
    _convolution(
        nn.ConvTranspose2d,
        "Transposed convolution ('deconvolution'): spreads each input value over a kernel-sized patch; upsamples with stride > 1.",
        (
            Param("out_channels", Kind.INT, REQUIRED, "Output channels.", ge=1),
            _k("Size of each filter."),
            _stride(),
            _padding("dilation·(kernel_size − 1) − padding zero-padding is added to both sides of the input."),
            Param("output_padding", Kind.INT_OR_PAIR, 0, "Extra size added to one side of the output.", ge=0),
            _GROUPS,
            _BIAS,
            _dilation(ge=0),  # torch's batched 1×1 path accepts 0; the run refuses it otherwise
            Param("padding_mode", Kind.CHOICE, "zeros", "Only 'zeros' is supported by torch.", choices=("zeros",)),
        ),
        "H_out = (H_in − 1)·stride − 2·padding + dilation·(kernel_size − 1) + output_padding + 1, likewise W.",
        conv_transpose_mult_adds,
        receptive_field=ReceptiveField.TRANSPOSED_WINDOW,
        new_card={"out_channels": 8, "kernel_size": 4, "stride": 2, "padding": 1},  # doubles H and W (DCGAN's)
        arithmetic=Arithmetic.TRANSPOSED_CONVOLUTION,
        backward=BackwardRule.TRANSPOSED_CONVOLUTION,
    ),
    _kernel_pooling(
        nn.MaxPool2d,
        Category.POOLING,
        "Keeps the largest value of each window.",
        (
            _k(),
            _stride(None),
            _padding("Implicit −inf padding on both sides; at most half the kernel size."),
            _dilation(),
            _bool("return_indices", False, "Also return where each maximum came from (for MaxUnpool2d)."),
            _CEIL_MODE,
        ),
        _POOL_FORMULA,
        pool_indices=PoolIndices.PRODUCES,
        arithmetic=Arithmetic.MAX_POOL,
        backward=BackwardRule.MAX_ROUTE,
    ),
    _kernel_pooling(
        nn.AvgPool2d,
        Category.POOLING,
        "Averages each window.",
        (
            _k(),
            _stride(None),
            _padding("Implicit zero padding on both sides; at most half the kernel size."),
            _CEIL_MODE,
            _bool("count_include_pad", True, "Count the zero padding in the average."),
            Param("divisor_override", Kind.INT, None, "Divide every window's sum by this instead of the window size.", nullable=True),
        ),
        _POOL_FORMULA.replace("dilation·(kernel_size − 1) − 1", "kernel_size"),
        arithmetic=Arithmetic.AVG_POOL,
        backward=BackwardRule.AVERAGE,
    ),
    _kernel_pooling(
        nn.MaxUnpool2d,
        Category.UNPOOLING,
        "Partial inverse of MaxPool2d: puts each value back where its maximum came from, zeros elsewhere. "
        "Needs indices_from: the index of an earlier MaxPool2d.",
        # torch only uses these in the output-size formula and checks nothing else (stride 0 or a negative
        # padding is accepted), so they carry no bounds here: the size check on meta refuses what torch refuses.
        (
            Param("kernel_size", Kind.INT_OR_PAIR, REQUIRED, "Window size MaxPool2d used."),
            Param("stride", Kind.INT_OR_PAIR, None, "Step MaxPool2d used. Defaults to kernel_size.", nullable=True),
            Param("padding", Kind.INT_OR_PAIR, 0, "Padding MaxPool2d used, subtracted from the output size."),
        ),
        "H_out = (H_in − 1)·stride − 2·padding + kernel_size, likewise W.",
        rule=ReceptiveField.TRANSPOSED_WINDOW,
        pool_indices=PoolIndices.CONSUMES,
        arithmetic=Arithmetic.MAX_UNPOOL,
        backward=BackwardRule.GATHER,
    ),
    *(
        _pooling(
            cls,
            Category.POOLING,
            f"{what} over windows chosen so the output has exactly output_size.",
            params,
            "H_out, W_out = output_size (a null side keeps the input's).",
            receptive_field=ReceptiveField.ADAPTIVE,
            new_card={"output_size": 1},
            arithmetic=arithmetic,
            backward=backward,
        )
        for cls, what, params, arithmetic, backward in (
            (nn.AdaptiveAvgPool2d, "Averages", (_OUTPUT_SIZE,), Arithmetic.ADAPTIVE_AVG_POOL, BackwardRule.AVERAGE),
            (
                nn.AdaptiveMaxPool2d,
                "Takes the maximum",
                (_OUTPUT_SIZE, _bool("return_indices", False, "Also return where each maximum came from.")),
                Arithmetic.ADAPTIVE_MAX_POOL,
                BackwardRule.MAX_ROUTE,
            ),
        )
    ),
    LayerSpec(
        nn.Upsample,
        Category.RESAMPLING,
        "Resizes by a scale factor or to a size, by nearest neighbour or interpolation.",
        (
            Param("size", Kind.INT_OR_PAIR, None, "Output H×W (give this or scale_factor).", ge=0, nullable=True),  # 0: torch decides (area mode gives an empty output, the others refuse)
            Param("scale_factor", Kind.FLOAT_OR_PAIR, None, "Multiplier for H and W.", gt=0, nullable=True),
            Param("mode", Kind.CHOICE, "nearest", "Interpolation.", choices=("nearest", "nearest-exact", "bilinear", "bicubic", "area")),
            Param("align_corners", Kind.BOOL, None, "Align corner pixels (bilinear/bicubic only).", nullable=True),
            Param("recompute_scale_factor", Kind.BOOL, None, "Recompute the scale from the rounded output size.", nullable=True),
        ),
        "H_out = size, or floor(H_in · scale_factor); likewise W.",
        receptive_field=ReceptiveField.RESAMPLE,
        new_card={"scale_factor": 2.0},
        arithmetic=Arithmetic.RESAMPLE,
        backward=BackwardRule.LINEAR_MAP,
    ),
)
