"""app/engine/plan.py: shapes inferred on meta, sizes filled in, refusals at the right layer, limits."""

from __future__ import annotations

from dataclasses import FrozenInstanceError

import pytest
import torch
from torch import nn

from app.engine import LayerError, make_plan

LIMIT = 50_000_000


def test_sizes_left_out_are_inferred_from_the_incoming_shape() -> None:
    layers = [
        {"type": "Conv2d", "out_channels": 6, "kernel_size": 3, "padding": 1},
        {"type": "BatchNorm2d"},
        {"type": "MaxPool2d", "kernel_size": 2},
        {"type": "Flatten"},
        {"type": "Linear", "out_features": 10},
    ]
    plan = make_plan((2, 3, 8, 8), layers, LIMIT)
    conv, norm, _, _, linear = plan.stages
    assert conv.kwargs["in_channels"] == 3 and norm.kwargs["num_features"] == 6 and linear.kwargs["in_features"] == 6 * 4 * 4
    assert [s.output_shape for s in plan.stages] == [(2, 6, 8, 8), (2, 6, 8, 8), (2, 6, 4, 4), (2, 96), (2, 10)]
    assert [s.input_shape for s in plan.stages[1:]] == [s.output_shape for s in plan.stages[:-1]]
    assert [s.index for s in plan.stages] == [1, 2, 3, 4, 5]


def test_planned_shapes_params_and_mult_adds_are_what_torch_builds() -> None:
    layers = [{"type": "Conv2d", "out_channels": 4, "kernel_size": [3, 2], "stride": 2, "groups": 1}, {"type": "Flatten"}, {"type": "Linear", "out_features": 5}]
    plan = make_plan((1, 2, 9, 9), layers, LIMIT)
    torch.manual_seed(0)
    x = torch.rand(1, 2, 9, 9)
    for stage in plan.stages:
        module = stage.build()
        y = module(x)
        assert stage.output_shape == tuple(y.shape), stage.spec.name
        assert stage.params == sum(p.numel() for p in module.parameters())
        x = y
    conv, _, linear = plan.stages
    assert conv.mult_adds == 4 * 4 * 4 * (2 * 3 * 2)  # output elements × in_channels/groups × kH × kW
    assert linear.mult_adds == 5 * 64 and plan.stages[1].mult_adds == 0


def test_a_size_given_is_kept_not_overwritten() -> None:
    plan = make_plan((1, 3, 4, 4), [{"type": "Conv2d", "in_channels": 3, "out_channels": 2, "kernel_size": 1}], LIMIT)
    assert plan.stages[0].kwargs["in_channels"] == 3 and plan.stages[0].kwargs["kernel_size"] == 1


def test_a_pool_whose_indices_are_used_returns_them() -> None:
    layers = [{"type": "MaxPool2d", "kernel_size": 2}, {"type": "ReLU"}, {"type": "MaxUnpool2d", "kernel_size": 2, "indices_from": 1}]
    pool, _, unpool = make_plan((1, 1, 4, 4), layers, LIMIT).stages
    assert pool.kwargs["return_indices"] is True and pool.returns_indices and pool.indices_shape == (1, 1, 2, 2)
    assert unpool.indices_from == 0 and unpool.output_shape == (1, 1, 4, 4)


def test_torchs_refusal_on_meta_names_the_layer_by_its_position() -> None:
    layers = [{"type": "ReLU"}, {"type": "MaxPool2d", "kernel_size": 2}, {"type": "Conv2d", "out_channels": 1, "kernel_size": 5}]
    with pytest.raises(LayerError) as refused:
        make_plan((1, 1, 6, 6), layers, LIMIT)  # 3×3 after pooling: a 5×5 window does not fit
    error = refused.value
    assert (error.position, error.layer_type, error.param) == (2, "Conv2d", "kernel_size")
    assert error.message.startswith("Layer 3 (Conv2d(")
    assert "torch" in error.context and error.context["input_shape"] == [1, 1, 3, 3]


def test_a_constructor_torch_refuses_is_a_layer_error() -> None:
    with pytest.raises(LayerError) as refused:
        make_plan((1, 3, 4, 4), [{"type": "ReLU"}, {"type": "Conv2d", "out_channels": 2, "kernel_size": 3, "stride": 2, "padding": "same"}], LIMIT)
    assert refused.value.position == 1 and refused.value.message.startswith("Layer 2 (Conv2d(")
    assert "padding='same' is not supported for strided convolutions" in refused.value.context["torch"]


def test_image_layers_refuse_flat_input_and_say_what_to_do() -> None:
    with pytest.raises(LayerError) as refused:
        make_plan((4, 10), [{"type": "Conv2d", "out_channels": 1, "kernel_size": 1}], LIMIT)
    assert refused.value.position == 0
    assert "expects a 3-D or 4-D input" in refused.value.message and "(N, C, H, W)" in refused.value.message


def test_unpool_must_name_an_earlier_pool() -> None:
    with pytest.raises(LayerError) as refused:
        make_plan((1, 1, 4, 4), [{"type": "ReLU"}, {"type": "MaxUnpool2d", "kernel_size": 2, "indices_from": 1}], LIMIT)
    assert (refused.value.position, refused.value.param) == (1, "indices_from")
    assert "layer 1 is ReLU" in refused.value.message


def test_batchnorm_in_train_mode_refuses_one_value_per_channel() -> None:
    layers = [{"type": "BatchNorm2d"}]
    make_plan((1, 3, 1, 1), layers, LIMIT, training=False)
    with pytest.raises(LayerError):
        make_plan((1, 3, 1, 1), layers, LIMIT, training=True)


def test_ops_without_a_meta_kernel_are_planned_on_the_cpu() -> None:
    plan = make_plan((2, 3, 4, 4), [{"type": "BatchNorm2d", "momentum": None}], LIMIT, training=True)
    assert plan.stages[0].output_shape == (2, 3, 4, 4)


def test_an_output_above_the_limit_is_refused_before_anything_is_allocated() -> None:
    # 1 × 4096 × 4096 × 4096 floats would be 256 GiB: only a plan on meta can answer this at once.
    with pytest.raises(LayerError) as refused:
        make_plan((1, 1, 4096, 4096), [{"type": "Conv2d", "out_channels": 4096, "kernel_size": 1}], LIMIT)
    error = refused.value
    assert error.position == 0 and "LAYERLAB_MAX_ELEMENTS" in error.message
    assert error.context == {"limit": LIMIT, "got": 4096**3}


def test_a_parameter_above_the_limit_names_the_parameter() -> None:
    with pytest.raises(LayerError) as refused:
        make_plan((1, 100_000), [{"type": "Linear", "out_features": 100_000}], LIMIT)
    assert refused.value.param == "weight" and "parameter weight" in refused.value.message


def test_the_limit_is_the_callers() -> None:
    layers = [{"type": "Conv2d", "out_channels": 8, "kernel_size": 1}]
    make_plan((1, 1, 10, 10), layers, max_elements=800)
    with pytest.raises(LayerError, match="limit of 799"):
        make_plan((1, 1, 10, 10), layers, max_elements=799)


def test_built_modules_equal_what_the_code_names() -> None:
    (stage,) = make_plan((1, 3, 8, 8), [{"type": "Conv2d", "out_channels": 6, "kernel_size": [3, 3], "padding": 1}], LIMIT).stages
    assert repr(stage.build()) == repr(nn.Conv2d(3, 6, (3, 3), padding=1))
    assert stage.build("meta").weight.device.type == "meta"


def test_a_plan_is_kept_for_the_same_pipeline_and_shape_and_made_anew_for_any_difference() -> None:
    layers = [{"type": "Conv2d", "out_channels": 4, "kernel_size": 3}, {"type": "ReLU"}]
    plan = make_plan((1, 3, 9, 9), layers, LIMIT)
    assert make_plan((1, 3, 9, 9), [dict(layer) for layer in layers], LIMIT) is plan  # an equal request, not the same dicts
    assert make_plan((2, 3, 9, 9), layers, LIMIT).stages[0].output_shape == (2, 4, 7, 7)
    assert make_plan((1, 3, 9, 9), [{**layers[0], "padding": 1}, layers[1]], LIMIT).stages[0].output_shape == (1, 4, 9, 9)
    assert make_plan((1, 3, 9, 9), layers, LIMIT, training=True) is not plan


def test_a_refusal_is_not_kept_in_place_of_a_plan() -> None:
    layers = [{"type": "Conv2d", "out_channels": 8, "kernel_size": 1}]
    for _ in range(2):
        with pytest.raises(LayerError, match="limit of 799"):
            make_plan((1, 1, 10, 10), layers, max_elements=799)


def test_a_kept_plan_cannot_be_changed_by_one_of_the_threads_sharing_it() -> None:
    plan = make_plan((1, 3, 9, 9), [{"type": "MaxPool2d", "kernel_size": 2}, {"type": "MaxUnpool2d", "kernel_size": 2, "indices_from": 1}], LIMIT)
    pool, unpool = plan.stages
    with pytest.raises(FrozenInstanceError):
        pool.output_shape = (1, 1)  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        plan.stages = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        pool.kwargs["kernel_size"] = 3  # type: ignore[index]
    with pytest.raises(TypeError):
        unpool.explicit["weight"] = torch.zeros(1)  # type: ignore[index]
    with pytest.raises(AttributeError):
        plan.stages.append(pool)  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        unpool.size_notes.append("changed")  # type: ignore[attr-defined]
    assert pool.kwargs["return_indices"] is True and pool.kwargs["kernel_size"] == 2
