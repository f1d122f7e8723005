"""The one list of layer types layerlab can run.

Each entry names a ``torch.nn`` class and describes its constructor arguments with torch's own
names, defaults and constraints. Everything else is derived from this list: the request schemas
(:mod:`app.engine.schema`), the catalogue served at ``GET /api/layers``, the forms in the browser
and the property tests. **Adding a layer type is one new entry at the bottom of this file.**
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import torch.nn as nn

Shape = tuple[int, ...]


class Category(StrEnum):
    CONVOLUTION = "convolution"
    POOLING = "pooling"
    UNPOOLING = "unpooling"
    RESAMPLING = "resampling"
    ACTIVATION = "activation"
    LINEAR = "linear"
    RESHAPE = "reshape"
    REGULARIZATION = "regularization"
    NORMALIZATION = "normalization"


class ReceptiveField(StrEnum):
    """Which values of a layer's input feed one value of its output: the page's receptive-field rule.

    A new spatial layer picks the rule whose index arithmetic torch uses for it; the page refuses to
    outline a rule it does not know rather than treating it as the identity.
    """

    ELEMENTWISE = "elementwise"  # output (n, c, y, x) reads input (n, c, y, x) only
    WINDOW = "window"  # kernel_size, stride, padding, dilation (and groups) slide a window
    TRANSPOSED_WINDOW = "transposed_window"  # each input value is spread over a window of the output
    ADAPTIVE = "adaptive"  # windows chosen so the output has output_size
    RESAMPLE = "resample"  # Upsample's source indices for its mode
    SOFTMAX = "softmax"  # every value along `dim`
    FLATTEN = "flatten"  # dimensions start_dim … end_dim merged, order kept
    EVERYTHING = "everything"  # every value of the last dimension (Linear)


class PoolIndices(StrEnum):
    """A layer's part in handing pool indices on (MaxPool2d → MaxUnpool2d)."""

    PRODUCES = "produces"  # returns indices when return_indices (or when a later layer consumes them)
    CONSUMES = "consumes"  # takes them from the earlier producer named by ``indices_from``


class Kind(StrEnum):
    """How a parameter is written in JSON (and in torch's signature)."""

    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    CHOICE = "choice"  # one of a fixed set of strings
    INT_OR_PAIR = "int_or_pair"  # 3 or [3, 2], torch's _size_2_t
    FLOAT_OR_PAIR = "float_or_pair"  # Upsample's scale_factor
    PADDING = "padding"  # int, pair, or "valid"/"same" (Conv2d only)
    OUTPUT_SIZE = "output_size"  # adaptive pools: int or pair whose items may be null
    TENSOR = "tensor"  # a number or nested lists of numbers (losses' weight, pos_weight)


@dataclass(frozen=True)
class Param:
    name: str
    kind: Kind
    default: Any
    doc: str
    ge: float | None = None  # inclusive lower bound (each item of a pair)
    gt: float | None = None  # exclusive lower bound
    le: float | None = None  # inclusive upper bound
    choices: tuple[str, ...] = ()
    nullable: bool = False  # None is a meaningful value (torch's Optional[...])
    inferred: bool = False  # filled from the incoming shape when left out (like torch's Lazy modules)

    @property
    def required(self) -> bool:
        return self.default is REQUIRED and not self.inferred


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


@dataclass(frozen=True)
class LayerSpec:
    cls: type[nn.Module]
    category: Category
    doc: str
    params: tuple[Param, ...] = ()
    formula: str = "Output has the same shape as the input."
    # Inferred constructor arguments from the incoming shape, e.g. {"in_channels": C}.
    infer: Callable[[Shape], dict[str, int]] | None = None
    # Which input ranks the layer accepts, in words and as a check (None: any rank).
    input_ranks: tuple[int, ...] | None = None
    # Explicit tensors a request may give; "bias" is also torch's on/off flag where it has one.
    tensors: tuple[str, ...] = ()
    # Multiply-accumulate count of one forward pass from the module, its input and output shapes.
    mult_adds: Callable[[nn.Module, Shape, Shape], int] | None = None
    receptive_field: ReceptiveField = ReceptiveField.ELEMENTWISE
    pool_indices: PoolIndices | None = None
    # Parameters whose null or absent value takes another's: {"stride": "kernel_size"} for pooling.
    defaults_from: Mapping[str, str] = field(default_factory=dict)
    # The arguments a card added in the lab starts with (required ones given sensible values).
    new_card: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.cls.__name__

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)


# --- shared pieces --------------------------------------------------------------------------------


def _prod(values: Shape) -> int:
    out = 1
    for v in values:
        out *= v
    return out


def _channels(shape: Shape) -> int:
    # (N, C, H, W) or unbatched (C, H, W): C is third from the end.
    return shape[-3]


def _conv_mult_adds(module: nn.Module, _in: Shape, out: Shape) -> int:
    # Each output element is a dot product over in_channels/groups × kH × kW inputs.
    assert isinstance(module, nn.Conv2d)
    k = module.in_channels // module.groups * _prod(module.kernel_size)
    return _prod(out) * k


def _conv_transpose_mult_adds(module: nn.Module, inp: Shape, _out: Shape) -> int:
    # Each input element is scattered into out_channels/groups × kH × kW outputs.
    assert isinstance(module, nn.ConvTranspose2d)
    k = module.out_channels // module.groups * _prod(module.kernel_size)
    return _prod(inp) * k


def _linear_mult_adds(module: nn.Module, _in: Shape, out: Shape) -> int:
    assert isinstance(module, nn.Linear)
    return _prod(out) * module.in_features


def _batchnorm_mult_adds(_module: nn.Module, _in: Shape, out: Shape) -> int:
    # One scale and one shift per element (the normalisation folded into them).
    return _prod(out)


def _k(default: Any = REQUIRED, doc: str = "Size of the window.") -> Param:
    return Param("kernel_size", Kind.INT_OR_PAIR, default, doc, ge=1)


def _stride(default: Any = 1, nullable: bool = False) -> Param:
    doc = "Step of the window." + (" Defaults to kernel_size." if nullable else "")
    return Param("stride", Kind.INT_OR_PAIR, default, doc, ge=1, nullable=nullable)


def _padding(doc: str = "Implicit zero padding on both sides.") -> Param:
    return Param("padding", Kind.INT_OR_PAIR, 0, doc, ge=0)


def _dilation(ge: int = 1) -> Param:
    return Param("dilation", Kind.INT_OR_PAIR, 1, "Spacing between kernel elements.", ge=ge)


_INPLACE = Param(
    "inplace",
    Kind.BOOL,
    False,
    "Accepted as torch does; layerlab keeps every stage, so the layer works on a copy.",
)

_CONV_FORMULA = (
    "H_out = floor((H_in + 2·padding − dilation·(kernel_size − 1) − 1) / stride + 1), "
    "likewise W; C_out = out_channels."
)
_POOL_FORMULA = (
    "H_out = floor or ceil (ceil_mode) of (H_in + 2·padding − dilation·(kernel_size − 1) − 1) / stride + 1, "
    "likewise W; a window starting in the right padding is dropped. Channels unchanged."
)


_STRIDE_IS_KERNEL = {"stride": "kernel_size"}  # torch: "Default value is kernel_size"


def _activation(cls: type[nn.Module], doc: str, *params: Param) -> LayerSpec:
    return LayerSpec(cls, Category.ACTIVATION, doc, params)


# --- the registry ---------------------------------------------------------------------------------

SPECS: tuple[LayerSpec, ...] = (
    LayerSpec(
        nn.Conv2d,
        Category.CONVOLUTION,
        "2-D convolution: each output channel is a learned filter slid over all input channels.",
        (
            Param("in_channels", Kind.INT, REQUIRED, "Channels of the input (inferred).", ge=1, inferred=True),
            Param("out_channels", Kind.INT, REQUIRED, "Number of filters, i.e. output channels.", ge=1),
            _k(doc="Size of each filter."),
            _stride(),
            Param(
                "padding",
                Kind.PADDING,
                0,
                "Padding on both sides, or 'valid' (none) / 'same' (output as large as the input; stride 1 only).",
                ge=0,
                choices=("valid", "same"),
            ),
            _dilation(),
            Param("groups", Kind.INT, 1, "Split channels into groups; both channel counts must divide by it.", ge=1),
            Param("bias", Kind.BOOL, True, "Add a learnable bias per output channel."),
            Param(
                "padding_mode",
                Kind.CHOICE,
                "zeros",
                "What the padding is filled with.",
                choices=("zeros", "reflect", "replicate", "circular"),
            ),
        ),
        _CONV_FORMULA,
        infer=lambda s: {"in_channels": _channels(s)},
        input_ranks=(3, 4),
        tensors=("weight", "bias"),
        mult_adds=_conv_mult_adds,
        receptive_field=ReceptiveField.WINDOW,
        new_card={"out_channels": 8, "kernel_size": 3, "padding": 1},
    ),
    LayerSpec(
        nn.ConvTranspose2d,
        Category.CONVOLUTION,
        "Transposed convolution ('deconvolution'): spreads each input value over a kernel-sized patch; upsamples with stride > 1.",
        (
            Param("in_channels", Kind.INT, REQUIRED, "Channels of the input (inferred).", ge=1, inferred=True),
            Param("out_channels", Kind.INT, REQUIRED, "Output channels.", ge=1),
            _k(doc="Size of each filter."),
            _stride(),
            _padding("dilation·(kernel_size − 1) − padding zero-padding is added to both sides of the input."),
            Param("output_padding", Kind.INT_OR_PAIR, 0, "Extra size added to one side of the output.", ge=0),
            Param("groups", Kind.INT, 1, "Split channels into groups; both channel counts must divide by it.", ge=1),
            Param("bias", Kind.BOOL, True, "Add a learnable bias per output channel."),
            _dilation(ge=0),  # torch's batched 1×1 path accepts 0; the run refuses it otherwise
            Param("padding_mode", Kind.CHOICE, "zeros", "Only 'zeros' is supported by torch.", choices=("zeros",)),
        ),
        "H_out = (H_in − 1)·stride − 2·padding + dilation·(kernel_size − 1) + output_padding + 1, likewise W.",
        infer=lambda s: {"in_channels": _channels(s)},
        input_ranks=(3, 4),
        tensors=("weight", "bias"),
        mult_adds=_conv_transpose_mult_adds,
        receptive_field=ReceptiveField.TRANSPOSED_WINDOW,
        new_card={"out_channels": 8, "kernel_size": 2, "stride": 2},
    ),
    LayerSpec(
        nn.MaxPool2d,
        Category.POOLING,
        "Keeps the largest value of each window.",
        (
            _k(),
            _stride(None, nullable=True),
            _padding("Implicit −inf padding on both sides; at most half the kernel size."),
            _dilation(),
            Param("return_indices", Kind.BOOL, False, "Also return where each maximum came from (for MaxUnpool2d)."),
            Param("ceil_mode", Kind.BOOL, False, "Round the output size up instead of down."),
        ),
        _POOL_FORMULA,
        input_ranks=(3, 4),
        receptive_field=ReceptiveField.WINDOW,
        pool_indices=PoolIndices.PRODUCES,
        defaults_from=_STRIDE_IS_KERNEL,
        new_card={"kernel_size": 2},
    ),
    LayerSpec(
        nn.AvgPool2d,
        Category.POOLING,
        "Averages each window.",
        (
            _k(),
            _stride(None, nullable=True),
            _padding("Implicit zero padding on both sides; at most half the kernel size."),
            Param("ceil_mode", Kind.BOOL, False, "Round the output size up instead of down."),
            Param("count_include_pad", Kind.BOOL, True, "Count the zero padding in the average."),
            Param(
                "divisor_override",
                Kind.INT,
                None,
                "Divide every window's sum by this instead of the window size.",
                nullable=True,
            ),
        ),
        _POOL_FORMULA.replace("dilation·(kernel_size − 1) − 1", "kernel_size"),
        input_ranks=(3, 4),
        receptive_field=ReceptiveField.WINDOW,
        defaults_from=_STRIDE_IS_KERNEL,
        new_card={"kernel_size": 2},
    ),
    LayerSpec(
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
        input_ranks=(3, 4),
        receptive_field=ReceptiveField.TRANSPOSED_WINDOW,
        pool_indices=PoolIndices.CONSUMES,
        defaults_from=_STRIDE_IS_KERNEL,
        new_card={"kernel_size": 2},
    ),
    LayerSpec(
        nn.AdaptiveAvgPool2d,
        Category.POOLING,
        "Averages over windows chosen so the output has exactly output_size.",
        (Param("output_size", Kind.OUTPUT_SIZE, REQUIRED, "Target H×W (null keeps that side).", ge=0),),
        "H_out, W_out = output_size (a null side keeps the input's).",
        input_ranks=(3, 4),
        receptive_field=ReceptiveField.ADAPTIVE,
        new_card={"output_size": 1},
    ),
    LayerSpec(
        nn.AdaptiveMaxPool2d,
        Category.POOLING,
        "Takes the maximum over windows chosen so the output has exactly output_size.",
        (
            Param("output_size", Kind.OUTPUT_SIZE, REQUIRED, "Target H×W (null keeps that side).", ge=0),
            Param("return_indices", Kind.BOOL, False, "Also return where each maximum came from."),
        ),
        "H_out, W_out = output_size (a null side keeps the input's).",
        input_ranks=(3, 4),
        receptive_field=ReceptiveField.ADAPTIVE,
        new_card={"output_size": 1},
    ),
    LayerSpec(
        nn.Upsample,
        Category.RESAMPLING,
        "Resizes by a scale factor or to a size, by nearest neighbour or interpolation.",
        (
            Param("size", Kind.INT_OR_PAIR, None, "Output H×W (give this or scale_factor).", ge=1, nullable=True),
            Param("scale_factor", Kind.FLOAT_OR_PAIR, None, "Multiplier for H and W.", gt=0, nullable=True),
            Param(
                "mode",
                Kind.CHOICE,
                "nearest",
                "Interpolation.",
                choices=("nearest", "nearest-exact", "bilinear", "bicubic", "area"),
            ),
            Param(
                "align_corners",
                Kind.BOOL,
                None,
                "Align corner pixels (bilinear/bicubic only).",
                nullable=True,
            ),
            Param(
                "recompute_scale_factor",
                Kind.BOOL,
                None,
                "Recompute the scale from the rounded output size.",
                nullable=True,
            ),
        ),
        "H_out = size, or floor(H_in · scale_factor); likewise W.",
        receptive_field=ReceptiveField.RESAMPLE,
        new_card={"scale_factor": 2.0},
    ),
    _activation(nn.ReLU, "max(0, x): negatives become 0.", _INPLACE),
    _activation(nn.ReLU6, "min(max(0, x), 6).", _INPLACE),
    _activation(nn.Sigmoid, "1 / (1 + e^−x): squashes to (0, 1)."),
    _activation(nn.Tanh, "tanh(x): squashes to (−1, 1), zero-centred."),
    _activation(
        nn.LeakyReLU,
        "x for x ≥ 0, negative_slope·x otherwise: no dead zone.",
        Param("negative_slope", Kind.FLOAT, 0.01, "Slope for negative inputs."),
        _INPLACE,
    ),
    LayerSpec(
        nn.PReLU,
        Category.ACTIVATION,
        "LeakyReLU whose negative slope is learned (one per channel or shared).",
        (
            Param("num_parameters", Kind.INT, 1, "Number of slopes: 1, or the channel count.", ge=1),
            Param("init", Kind.FLOAT, 0.25, "Initial value of the slope."),
        ),
        tensors=("weight",),
    ),
    _activation(
        nn.RReLU,
        "LeakyReLU with a random slope from [lower, upper] in train mode, their mean in eval mode.",
        Param("lower", Kind.FLOAT, 1 / 8, "Lower bound of the random slope."),
        Param("upper", Kind.FLOAT, 1 / 3, "Upper bound of the random slope."),
        _INPLACE,
    ),
    _activation(
        nn.ELU,
        "x for x > 0, alpha·(e^x − 1) otherwise: smooth, saturates at −alpha.",
        Param("alpha", Kind.FLOAT, 1.0, "Value approached for very negative inputs (as −alpha)."),
        _INPLACE,
    ),
    _activation(nn.SELU, "Scaled ELU with fixed constants that keep activations self-normalising.", _INPLACE),
    _activation(
        nn.CELU,
        "max(0, x) + min(0, alpha·(e^(x/alpha) − 1)).",
        Param("alpha", Kind.FLOAT, 1.0, "Scale of the negative part (must not be 0)."),
        _INPLACE,
    ),
    _activation(
        nn.GELU,
        "x·Φ(x): weights each input by the Gaussian probability it is positive.",
        Param("approximate", Kind.CHOICE, "none", "'tanh' uses the tanh approximation.", choices=("none", "tanh")),
    ),
    _activation(nn.SiLU, "x·sigmoid(x) (a.k.a. swish).", _INPLACE),
    _activation(nn.Mish, "x·tanh(softplus(x)).", _INPLACE),
    _activation(
        nn.Softplus,
        "log(1 + e^(beta·x)) / beta: a smooth ReLU.",
        Param("beta", Kind.FLOAT, 1.0, "Sharpness; larger is closer to ReLU."),
        Param("threshold", Kind.FLOAT, 20.0, "Above beta·x > threshold the layer is linear."),
    ),
    _activation(
        nn.Hardtanh,
        "Clamps to [min_val, max_val].",
        Param("min_val", Kind.FLOAT, -1.0, "Lower clamp."),
        Param("max_val", Kind.FLOAT, 1.0, "Upper clamp (must exceed min_val)."),
        _INPLACE,
        Param("min_value", Kind.FLOAT, None, "Deprecated name of min_val (torch warns); replaces it when given.", nullable=True),
        Param("max_value", Kind.FLOAT, None, "Deprecated name of max_val (torch warns); replaces it when given.", nullable=True),
    ),
    _activation(nn.Hardswish, "x·ReLU6(x + 3) / 6: a cheap swish.", _INPLACE),
    LayerSpec(
        nn.Softmax,
        Category.ACTIVATION,
        "Exponentiates and normalises along dim so the values sum to 1.",
        (Param("dim", Kind.INT, None, "Dimension that sums to 1 (null: torch's legacy implicit choice).", nullable=True),),
        receptive_field=ReceptiveField.SOFTMAX,
    ),
    LayerSpec(
        nn.LogSoftmax,
        Category.ACTIVATION,
        "log(Softmax(x)) along dim, computed stably.",
        (Param("dim", Kind.INT, None, "Dimension to normalise (null: torch's legacy implicit choice).", nullable=True),),
        receptive_field=ReceptiveField.SOFTMAX,
    ),
    LayerSpec(
        nn.Linear,
        Category.LINEAR,
        "y = x·Wᵀ + b over the last dimension.",
        (
            Param("in_features", Kind.INT, REQUIRED, "Size of the last input dimension (inferred).", ge=0, inferred=True),
            Param("out_features", Kind.INT, REQUIRED, "Size of the output's last dimension.", ge=0),
            Param("bias", Kind.BOOL, True, "Add a learnable bias."),
        ),
        "Last dimension in_features → out_features; other dimensions unchanged.",
        infer=lambda s: {"in_features": s[-1]},
        input_ranks=None,
        tensors=("weight", "bias"),
        mult_adds=_linear_mult_adds,
        receptive_field=ReceptiveField.EVERYTHING,
        new_card={"out_features": 10},
    ),
    LayerSpec(
        nn.Flatten,
        Category.RESHAPE,
        "Merges dimensions start_dim … end_dim into one.",
        (
            Param("start_dim", Kind.INT, 1, "First dimension to merge (0 merges the batch too!)."),
            Param("end_dim", Kind.INT, -1, "Last dimension to merge."),
        ),
        "Dimensions start_dim … end_dim become their product.",
        receptive_field=ReceptiveField.FLATTEN,
    ),
    LayerSpec(
        nn.Dropout,
        Category.REGULARIZATION,
        "In train mode zeroes each element with probability p and scales the rest by 1/(1 − p); identity in eval mode.",
        (
            Param("p", Kind.FLOAT, 0.5, "Probability of zeroing an element.", ge=0, le=1),
            _INPLACE,
        ),
    ),
    LayerSpec(
        nn.BatchNorm2d,
        Category.NORMALIZATION,
        "Normalises each channel by batch statistics (train) or running statistics (eval), then scales and shifts.",
        (
            Param("num_features", Kind.INT, REQUIRED, "Channels of the input (inferred).", ge=1, inferred=True),
            Param("eps", Kind.FLOAT, 1e-5, "Added to the variance for stability."),
            Param("momentum", Kind.FLOAT, 0.1, "Running-statistics update rate (null: cumulative average).", nullable=True),
            Param("affine", Kind.BOOL, True, "Learnable scale (weight) and shift (bias)."),
            Param("track_running_stats", Kind.BOOL, True, "Keep running mean and variance."),
            # Keyword-only in torch; as for Conv2d, a list instead of the flag gives the shift's values.
            Param("bias", Kind.BOOL, True, "Learnable shift (with affine=True)."),
        ),
        infer=lambda s: {"num_features": s[1]},
        input_ranks=(4,),
        tensors=("weight", "bias"),
        mult_adds=_batchnorm_mult_adds,
        # Elementwise as the page outlines it: in train mode the batch statistics also tie each value to
        # its whole channel, which the outline does not show.
        receptive_field=ReceptiveField.ELEMENTWISE,
    ),
)

REGISTRY: dict[str, LayerSpec] = {spec.name: spec for spec in SPECS}

INDICES_FROM_DOC = "Index (as answered, 1-based) of the earlier layer whose pool indices to use (required)."
"""The extra request field of a layer that consumes pool indices (MaxUnpool2d)."""
