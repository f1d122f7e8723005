"""app/engine/explain.py: after torch refuses, the words fit the mistake, and torch is quoted otherwise.

Each case is a refusal of a different kind; the sentence must name the layer as written, what it
expected, what it got, the parameter to change, and keep torch's own message in the context.
"""

from __future__ import annotations

import pytest

from app.engine import LayerError, make_plan

LIMIT = 50_000_000


def _refusal(input_shape: tuple[int, ...], layers: list[dict]) -> LayerError:
    with pytest.raises(LayerError) as refused:
        make_plan(input_shape, layers, LIMIT)
    return refused.value


@pytest.mark.parametrize(
    ("input_shape", "layers", "param", "words"),
    [
        pytest.param(
            (1, 3072), [{"type": "Linear", "in_features": 1024, "out_features": 10}], "in_features",
            ["Layer 1 (Linear(in_features=1024, out_features=10))", "expects in_features=1024 but receives 3072 features",
             "its input has shape 1×3072", "Set in_features to 3072, or leave it out"],
            id="inferred-size-mismatch",
        ),
        pytest.param(
            (1, 2, 4, 4), [{"type": "Conv2d", "in_channels": 3, "out_channels": 1, "kernel_size": 1}], "in_channels",
            ["expects in_channels=3 but receives 2 channels"],
            id="inferred-channels-mismatch",
        ),
        pytest.param(
            (1, 1, 5, 5), [{"type": "MaxPool2d", "kernel_size": 7}], "kernel_size",
            ["needs an input of at least 7×7 after padding for its 7×7 window", "but gets 5×5", "Use a smaller kernel_size, add padding"],
            id="window-larger-than-input",
        ),
        pytest.param(
            (1, 1, 5, 5), [{"type": "Conv2d", "out_channels": 1, "kernel_size": 3, "dilation": 3}], "kernel_size",
            ["at least 7×7 after padding for its 3×3 window"],
            id="dilated-window-larger-than-input",
        ),
        pytest.param(
            (1, 1, 8, 8), [{"type": "MaxPool2d", "kernel_size": 2, "padding": 2}], "padding",
            ["allows padding of at most half its window (1×1 for a 2×2 window)", "but got padding=2×2", "Lower padding or enlarge kernel_size"],
            id="pool-padding-over-half-the-window",
        ),
        pytest.param(
            (1, 3, 4, 4), [{"type": "Conv2d", "out_channels": 4, "kernel_size": 1, "groups": 2}], "groups",
            ["needs both channel counts divisible by groups=2, but in_channels=3"],
            id="groups",
        ),
        pytest.param(
            (1, 1, 4, 4),
            [{"type": "MaxPool2d", "kernel_size": 2}, {"type": "MaxPool2d", "kernel_size": 1, "stride": 2}, {"type": "MaxUnpool2d", "kernel_size": 2, "indices_from": 1}],
            "indices_from",
            ["Layer 3 (MaxUnpool2d(", "takes indices from layer 1, which must have the same shape as its input 1×1×1×1"],
            id="unpool-indices-of-another-shape",
        ),
    ],
)
def test_each_kind_of_refusal_gets_its_own_words(input_shape: tuple[int, ...], layers: list[dict], param: str, words: list[str]) -> None:
    error = _refusal(input_shape, layers)
    assert error.position == len(layers) - 1 and error.param == param
    for phrase in words:
        assert phrase in error.message, error.message
    assert error.context["torch"]  # torch's own words stay available to the page


def test_a_refusal_no_diagnosis_fits_quotes_torch() -> None:
    error = _refusal((1, 1, 4, 4), [{"type": "Upsample"}])  # neither size nor scale_factor
    assert error.param is None
    assert error.message.startswith("Layer 1 (Upsample()) cannot run on an input of shape 1×1×4×4; torch says: ")
    torch_says = error.context["torch"].split(": ", 1)[1]
    assert error.message.endswith(torch_says)


def test_the_label_shows_only_what_differs_from_torchs_defaults() -> None:
    error = _refusal((1, 1, 2, 2), [{"type": "MaxPool2d", "kernel_size": 3, "stride": None, "ceil_mode": False, "dilation": 1}])
    assert error.message.startswith("Layer 1 (MaxPool2d(kernel_size=3)) ")
