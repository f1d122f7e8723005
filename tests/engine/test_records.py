"""Stage.build without torch's initialisation (app/engine/records.py): on the meta device, and on the
CPU for a run whose state_dict replaces every tensor."""

from __future__ import annotations

import pytest
import torch

from app.engine.plan import make_plan
from app.engine.registry import SPECS, LayerSpec, PoolIndices


def _one_layer(spec: LayerSpec) -> dict[str, object]:
    """The layer with every required argument 2 (channels, features, kernel and output sizes)."""
    return {"type": spec.name, **{p.name: 2 for p in spec.params if p.required}, **ONE_OF.get(spec.name, {})}


ONE_OF = {"Upsample": {"scale_factor": 2}}  # needs size or scale_factor, neither required alone


BUILT_ALONE = [s for s in SPECS if s.pool_indices is not PoolIndices.CONSUMES]


@pytest.mark.parametrize("spec", BUILT_ALONE, ids=lambda s: s.name)
def test_every_tensor_of_every_layer_is_in_its_state_dict(spec: LayerSpec) -> None:
    """Skipping the initialisation leaves no value unset only because a strict state_dict holds every
    parameter and buffer: a layer with a tensor outside it (a non-persistent buffer) must fail here."""
    stage = make_plan((1, 2, 6, 6), [_one_layer(spec)], 10_000).stages[0]
    module = stage.build()
    tensors = {name for name, _ in module.named_parameters()} | {name for name, _ in module.named_buffers()}
    assert tensors <= set(module.state_dict())
    # What the plan kept of its meta build (the import maps keys with it, building nothing) is the module's own.
    assert stage.module_repr == repr(module)
    assert list(stage.tensors) == [(name, tuple(t.shape), t.dtype) for name, t in module.state_dict().items()]


@pytest.mark.parametrize("spec", [s for s in BUILT_ALONE if hasattr(s.cls, "reset_parameters")], ids=lambda s: s.name)
def test_building_without_initialising_draws_nothing_and_is_torchs_own_module(spec: LayerSpec) -> None:
    stage = make_plan((1, 2, 6, 6), [_one_layer(spec)], 10_000).stages[0]
    initialised = stage.build()
    for build in (lambda: stage.build(initialise=False), lambda: stage.build("meta")):
        state = torch.get_rng_state()
        module = build()
        assert torch.equal(torch.get_rng_state(), state)
        assert type(module) is spec.cls and repr(module) == repr(initialised)
        assert {k: v.shape for k, v in module.state_dict().items()} == {k: v.shape for k, v in initialised.state_dict().items()}


def test_building_on_the_cpu_still_initialises_as_torch_does() -> None:
    stage = make_plan((1, 2, 6, 6), [{"type": "Conv2d", "out_channels": 3, "kernel_size": 2}], 10_000).stages[0]
    torch.manual_seed(5)
    built = stage.build()
    torch.manual_seed(5)
    assert torch.equal(built.weight, torch.nn.Conv2d(2, 3, 2).weight)
