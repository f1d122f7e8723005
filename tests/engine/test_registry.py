"""The registry describes every layer exactly as torch's own constructor does (issue 11, deliverable 2)."""

from __future__ import annotations

import inspect

import pytest

from app.engine import REGISTRY, LayerSpec
from app.engine.losses import LOSSES, LossSpec
from app.engine.registry import REQUIRED

# torch's factory arguments: where a module is built is the server's business, not the request's.
_FACTORY = {"device", "dtype"}


def _torch_params(spec: LayerSpec | LossSpec) -> dict[str, object]:
    signature = inspect.signature(spec.cls.__init__)
    return {
        name: (REQUIRED if p.default is inspect.Parameter.empty else p.default)
        for name, p in signature.parameters.items()
        if name != "self" and name not in _FACTORY and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }


@pytest.mark.parametrize("spec", REGISTRY.values(), ids=list(REGISTRY))
def test_parameters_are_torchs_names_in_torchs_order(spec: LayerSpec) -> None:
    assert [p.name for p in spec.params] == list(_torch_params(spec))


@pytest.mark.parametrize("spec", REGISTRY.values(), ids=list(REGISTRY))
def test_defaults_are_torchs(spec: LayerSpec) -> None:
    torch_params = _torch_params(spec)
    for param in spec.params:
        expected = torch_params[param.name]
        assert param.default is expected or param.default == expected, f"{spec.name}.{param.name}"
        assert type(param.default) is type(expected), f"{spec.name}.{param.name}: {param.default!r} vs {expected!r}"


@pytest.mark.parametrize("spec", LOSSES.values(), ids=list(LOSSES))
def test_loss_parameters_are_torchs(spec: LossSpec) -> None:
    torch_params = _torch_params(spec)
    assert [p.name for p in spec.params] == list(torch_params)
    for param in spec.params:
        assert param.default == torch_params[param.name], f"{spec.name}.{param.name}"
