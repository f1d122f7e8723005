"""The vocabulary of the layer registry: what a layer type declares (:class:`LayerSpec`), how each
constructor argument is written (:class:`Param`, :class:`Kind`) and the closed sets the engine and
the page dispatch on (:class:`ReceptiveField`, :class:`PoolIndices`, :class:`Arithmetic`, :class:`Category`).

Data only; the entries themselves are in :mod:`app.engine.registry.table`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import torch.nn as nn

from ..shapes import Shape


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


class Arithmetic(StrEnum):
    """How one output value is computed from the input: picks its worked arithmetic and size formula."""

    CONVOLUTION = "convolution"  # Σ window × kernel + bias
    TRANSPOSED_CONVOLUTION = "transposed_convolution"  # Σ over the inputs whose spread kernel covers it
    MAX_POOL = "max_pool"
    AVG_POOL = "avg_pool"
    ADAPTIVE_MAX_POOL = "adaptive_max_pool"
    ADAPTIVE_AVG_POOL = "adaptive_avg_pool"
    MAX_UNPOOL = "max_unpool"  # the value whose pool index points here, else 0
    LINEAR = "linear"  # Σ x · weight row + bias
    BATCH_NORM = "batch_norm"
    ELEMENTWISE = "elementwise"  # f(x)
    RANDOM_ELEMENTWISE = "random_elementwise"  # f(x) with a random draw per value in train mode
    SOFTMAX = "softmax"
    LOG_SOFTMAX = "log_softmax"
    RESAMPLE = "resample"  # a fixed linear map of the input (Upsample)
    FLATTEN = "flatten"  # a copy of one input value


class BackwardRule(StrEnum):
    """How one value of ∂L/∂input is made from the upstream gradient g = ∂L/∂output: picks its worked arithmetic."""

    CONVOLUTION = "convolution"  # Σ over the outputs whose window covers it of g × the kernel weight that touched it
    TRANSPOSED_CONVOLUTION = "transposed_convolution"  # Σ over the outputs it was spread to of g × kernel weight
    MAX_ROUTE = "max_route"  # g of every output whose max it won (torch's indices break ties)
    AVERAGE = "average"  # Σ over the windows covering it of g / that window's divisor
    GATHER = "gather"  # g at the position its pool index sent it to (MaxUnpool2d)
    TRANSPOSED_WEIGHTS = "transposed_weights"  # Wᵀg: Σ over outputs f of g[f] · weight[f, i]
    BATCH_NORM = "batch_norm"  # three terms with batch statistics (direct, through the mean, through the variance)
    MASK = "mask"  # g where the layer passed x through unchanged (f'(x) = 1), else 0
    DERIVATIVE = "derivative"  # f'(x) · g
    SOFTMAX = "softmax"  # Σ_j g_j · y_j (δ_ij − y_i)
    LOG_SOFTMAX = "log_softmax"  # Σ_j g_j (δ_ij − softmax_i)
    LINEAR_MAP = "linear_map"  # Σ over outputs of g × the fixed weight this input had in them (Upsample, Flatten)


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

    @property
    def bounds(self) -> dict[str, float]:
        """The numeric constraints that are set, by pydantic's names (``ge``, ``gt``, ``le``)."""
        return {k: v for k, v in (("ge", self.ge), ("gt", self.gt), ("le", self.le)) if v is not None}


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
    arithmetic: Arithmetic = Arithmetic.ELEMENTWISE
    # Draws from torch's global generator in its forward pass in train mode, so that pass runs under
    # the RNG lock and continues the run's random stream, exactly as the ``code`` field's does.
    random_in_train: bool = False
    # Outputs 0 for every negative input (ReLU, ReLU6): a unit never positive over a batch is dead, passing
    # no gradient back; training jobs report the fraction of such units (app.engine.health).
    can_die: bool = False
    # How ∂L/∂input is made from ∂L/∂output (the gradient's worked arithmetic; autograd computes it).
    backward: BackwardRule = BackwardRule.DERIVATIVE

    @property
    def name(self) -> str:
        return self.cls.__name__

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)


INDICES_FROM_DOC = "Index (as answered, 1-based) of the earlier layer whose pool indices to use (required)."
"""The extra request field of a layer that consumes pool indices (MaxUnpool2d)."""

OUTPUT_SIZE_DOC = (
    "[H, W] to unpool to, passed to forward as torch's output_size: several input sizes pool to the same "
    "size (237 and 236 by 2), so the formula alone may give back one less."
)
"""The optional forward argument of a layer that consumes pool indices (MaxUnpool2d's output_size)."""
