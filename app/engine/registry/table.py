"""The one list of layer types layerlab can run.

Each entry names a ``torch.nn`` class and describes its constructor arguments with torch's own
names, defaults and constraints, and how the layer reads its input (receptive-field rule, pool
indices). Everything else is derived from this list: the request schemas, the catalogue served at
``GET /api/layers``, the forms and outlines in the browser, and the property tests. **Adding a layer
type is one new entry**: here for an elementwise layer (an activation is one ``_activation(...)``
line), in :mod:`.spatial` for one that reads a neighbourhood of the image.
"""

from __future__ import annotations

from typing import Any

import torch.nn as nn

from .costs import batchnorm_mult_adds, linear_mult_adds
from .spatial import SPATIAL
from .spec import REQUIRED, Arithmetic, BackwardRule, Category, Kind, LayerSpec, Param, ReceptiveField

_INPLACE = Param("inplace", Kind.BOOL, False, "Accepted as torch does; layerlab keeps every stage, so the layer works on a copy.")


def _activation(cls: type[nn.Module], doc: str, *params: Param, **more: Any) -> LayerSpec:
    return LayerSpec(cls, Category.ACTIVATION, doc, params, **more)


SPECS: tuple[LayerSpec, ...] = (
    *SPATIAL,
    _activation(nn.ReLU, "max(0, x): negatives become 0.", _INPLACE, can_die=True, backward=BackwardRule.MASK),
    _activation(nn.ReLU6, "min(max(0, x), 6).", _INPLACE, can_die=True, backward=BackwardRule.MASK),
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
        arithmetic=Arithmetic.RANDOM_ELEMENTWISE,
        random_in_train=True,
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
        backward=BackwardRule.MASK,
    ),
    _activation(nn.Hardswish, "x·ReLU6(x + 3) / 6: a cheap swish.", _INPLACE),
    *(
        LayerSpec(
            cls,
            Category.ACTIVATION,
            doc,
            (Param("dim", Kind.INT, None, f"Dimension {what} (null: torch's legacy implicit choice).", nullable=True),),
            receptive_field=ReceptiveField.SOFTMAX,
            arithmetic=arithmetic,
            backward=backward,
        )
        for cls, doc, what, arithmetic, backward in (
            (nn.Softmax, "Exponentiates and normalises along dim so the values sum to 1.", "that sums to 1", Arithmetic.SOFTMAX, BackwardRule.SOFTMAX),
            (nn.LogSoftmax, "log(Softmax(x)) along dim, computed stably.", "to normalise", Arithmetic.LOG_SOFTMAX, BackwardRule.LOG_SOFTMAX),
        )
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
        mult_adds=linear_mult_adds,
        receptive_field=ReceptiveField.EVERYTHING,
        new_card={"out_features": 10},
        arithmetic=Arithmetic.LINEAR,
        backward=BackwardRule.TRANSPOSED_WEIGHTS,
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
        receptive_field=ReceptiveField.FLATTEN, arithmetic=Arithmetic.FLATTEN,  # each output value is one input value
        backward=BackwardRule.LINEAR_MAP,
    ),
    LayerSpec(
        nn.Dropout,
        Category.REGULARIZATION,
        "In train mode zeroes each element with probability p and scales the rest by 1/(1 − p); identity in eval mode.",
        (
            Param("p", Kind.FLOAT, 0.5, "Probability of zeroing an element.", ge=0, le=1),
            _INPLACE,
        ),
        arithmetic=Arithmetic.RANDOM_ELEMENTWISE,
        random_in_train=True,
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
        mult_adds=batchnorm_mult_adds,
        # Elementwise as the page outlines it: in train mode the batch statistics also tie each value to
        # its whole channel, which the outline does not show.
        receptive_field=ReceptiveField.ELEMENTWISE,
        arithmetic=Arithmetic.BATCH_NORM,
        backward=BackwardRule.BATCH_NORM,
    ),
)

