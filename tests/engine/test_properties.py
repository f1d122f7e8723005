"""Property tests against torch itself, over every registered layer type.

For random configurations (valid and invalid) and random inputs, the API must answer exactly what
torch's own module answers on the same input and seed — bit for bit — and must refuse (422, never a
500) exactly when torch raises.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.engine.registry import REGISTRY, REQUIRED, Kind, Param
from app.main import create_app
from app.settings import Settings

# Mostly valid sizes, sometimes torch's edge cases (0, -1, larger than the input).
SMALL_INT = st.sampled_from([1, 1, 1, 2, 2, 2, 3, 3, 1, 2, 0, -1, 6])
FLOATS = st.sampled_from([-1.0, -0.5, 0.0, 0.1, 0.5, 1.0, 2.0, 20.0])


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings_ = Settings(data_dir=Path(tmp_path_factory.mktemp("data")))
    with TestClient(create_app(settings_)) as c:
        yield c


def _value(param: Param) -> st.SearchStrategy[Any]:
    """Values of the right JSON type, valid or not, so refusals can be compared with torch's."""
    pair = st.tuples(SMALL_INT, SMALL_INT).map(list)
    match param.kind:
        case Kind.INT:
            if param.name in ("groups", "num_parameters", "divisor_override"):
                base = st.sampled_from([1, 1, 1, 2, 2, 3, 0, -1])
            elif param.name in ("dim", "start_dim", "end_dim"):
                base: st.SearchStrategy[Any] = st.integers(-5, 4)
            elif param.name in ("in_channels", "num_features", "in_features"):
                base = st.integers(1, 6)
            else:
                base = st.integers(0, 4)
        case Kind.FLOAT:
            base = st.floats(0.0, 1.0) if param.name == "p" else FLOATS
        case Kind.BOOL:
            base = st.booleans()
        case Kind.CHOICE:
            base = st.sampled_from(param.choices)
        case Kind.INT_OR_PAIR:
            small = st.sampled_from([0, 0, 0, 1, 1, 2, -1]) if param.default == 0 else SMALL_INT
            base = small | st.tuples(small, small).map(list)
        case Kind.FLOAT_OR_PAIR:
            scale = st.sampled_from([0.5, 1.0, 1.5, 2.0])
            base = scale | st.tuples(scale, scale).map(list)
        case Kind.PADDING:
            base = SMALL_INT | pair | st.sampled_from(param.choices)
        case Kind.OUTPUT_SIZE:
            side = st.none() | st.integers(0, 4)
            base = st.integers(0, 4) | st.tuples(side, side).map(list)
        case _:
            raise AssertionError(param.kind)
    return base | st.none() if param.nullable else base


@st.composite
def layer_configs(draw: st.DrawFn, type_name: str) -> dict[str, Any]:
    spec = REGISTRY[type_name]
    config: dict[str, Any] = {"type": type_name}
    for param in spec.params:
        chance = 0.2 if param.inferred else (1.0 if param.default is REQUIRED else 0.4)
        if draw(st.floats(0, 1)) < chance:
            config[param.name] = draw(_value(param))
    if type_name == "Upsample" and draw(st.floats(0, 1)) < 0.8:
        # Usually exactly one of size / scale_factor, as torch requires; sometimes neither or both.
        wanted = draw(st.sampled_from(["size", "scale_factor"]))
        config.pop("size" if wanted == "scale_factor" else "scale_factor", None)
        if config.get(wanted) is None:
            config[wanted] = draw(_value(spec.param(wanted)).filter(lambda v: v is not None))
    return config


@st.composite
def inputs(draw: st.DrawFn, image_like: bool = False) -> torch.Tensor:
    """Random tensors; for image layers mostly (N, C, H, W) with a few channels, sometimes any rank."""
    if image_like and draw(st.floats(0, 1)) < 0.85:
        shape = [draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 9)), draw(st.integers(1, 9))]
        if draw(st.floats(0, 1)) < 0.2:
            shape = shape[1:]  # unbatched (C, H, W), which torch accepts too
    else:
        shape = draw(st.lists(st.integers(1, 6), min_size=1, max_size=4))
    seed = draw(st.integers(0, 2**16))
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(shape, generator=g) * 6 - 3).round(decimals=2)


def _tuples(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _torch_kwargs(config: dict[str, Any], x: torch.Tensor) -> dict[str, Any]:
    """What a PyTorch user writes: the config as keyword arguments, inferred sizes from the input."""
    spec = REGISTRY[config["type"]]
    kwargs = {k: _tuples(v) for k, v in config.items() if k not in ("type", "indices_from")}
    if spec.infer is not None:
        try:
            inferred = spec.infer(tuple(x.shape))
        except IndexError:
            inferred = {p.name: 1 for p in spec.params if p.inferred}
        for name, value in inferred.items():
            kwargs.setdefault(name, value)
    return kwargs


class TorchRefused(Exception):
    """torch itself raised: building a module or running it. Anything else is a bug of this harness."""


def _torch(call: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return call(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 (any refusal by torch counts)
        raise TorchRefused(exc) from exc


def torch_reference(layers: list[dict[str, Any]], x: torch.Tensor, seed: int, train: bool) -> list[torch.Tensor] | Exception:
    """Build with torch.manual_seed(seed), every module in order, then one forward pass.

    Only torch's own calls count as a refusal (returned); an error of this harness propagates.
    """
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        try:
            torch.manual_seed(seed)
            modules = []
            # Inferred sizes need each stage's input shape: a dry forward with the RNG state put
            # back afterwards, so the modules are still built one after another from the same seed.
            shapes_x, dry_indices = x, None
            for config in layers:
                kwargs = _torch_kwargs(config, shapes_x)
                if config["type"] == "MaxPool2d" and any(lay.get("indices_from") for lay in layers):
                    kwargs["return_indices"] = True
                module = _torch(REGISTRY[config["type"]].cls, **kwargs)
                modules.append(module)
                module.train(train)
                with torch.random.fork_rng(devices=[]):
                    unpool = config["type"] == "MaxUnpool2d"
                    out = _torch(module, shapes_x, dry_indices) if unpool else _torch(module, shapes_x)
                if isinstance(out, tuple):
                    out, dry_indices = out
                shapes_x = out
            outputs, indices = [], None
            current = x
            for config, module in zip(layers, modules, strict=True):
                out = _torch(module, current, indices) if config["type"] == "MaxUnpool2d" else _torch(module, current.clone())
                if isinstance(out, tuple):
                    out, indices = out
                outputs.append(out)
                current = out
            return outputs
        except TorchRefused as refused:
            return refused.__cause__  # type: ignore[return-value]


def _from_json(values: Any) -> torch.Tensor:
    def fill(v: Any) -> Any:
        return [fill(i) for i in v] if isinstance(v, list) else (math.nan if v is None else v)

    return torch.tensor(fill(values), dtype=torch.float32)


def _same(api_values: Any, expected: torch.Tensor) -> bool:
    got = _from_json(api_values).reshape(expected.shape)
    finite = torch.isfinite(expected)
    return bool(torch.equal(torch.isfinite(got), finite) and torch.equal(got[finite], expected[finite]))


def check_against_torch(api: TestClient, layers: list[dict[str, Any]], x: torch.Tensor, seed: int, train: bool) -> None:
    expected = torch_reference(layers, x, seed, train)
    body = {"input": {"source": "tensor", "data": x.tolist()}, "layers": layers, "seed": seed, "mode": "train" if train else "eval"}
    r = api.post("/api/pipeline/run", json=body)
    assert r.status_code != 500, r.text
    if isinstance(expected, Exception):
        assert r.status_code == 422, f"torch refused ({type(expected).__name__}: {expected}) but the API answered {r.status_code}"
        detail = r.json()["detail"][0]
        assert detail["msg"], detail
        return
    assert r.status_code == 200, f"torch accepted {layers} on {tuple(x.shape)} but the API refused: {r.text}"
    answered = r.json()["layers"]
    for stage, out in zip(answered, expected, strict=True):
        assert stage["output_shape"] == list(out.shape)
        if out.numel() <= 4096:
            assert _same(stage["values"], out), f"{stage['type']}: values differ from torch"


def _random_seed() -> st.SearchStrategy[int]:
    return st.integers(0, 1000)


@pytest.mark.parametrize("type_name", [name for name in REGISTRY if name != "MaxUnpool2d"])
def test_every_layer_matches_torch(api: TestClient, type_name: str) -> None:
    image_like = REGISTRY[type_name].input_ranks is not None or type_name == "Upsample"

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(config=layer_configs(type_name), x=inputs(image_like), seed=_random_seed(), train=st.booleans())
    def check(config: dict[str, Any], x: torch.Tensor, seed: int, train: bool) -> None:
        check_against_torch(api, [config], x, seed, train)

    check()


def test_max_unpool_matches_torch(api: TestClient) -> None:
    @settings(max_examples=60, deadline=None)
    @given(
        pool=layer_configs("MaxPool2d"),
        unpool=layer_configs("MaxUnpool2d"),
        x=inputs(True),
        seed=_random_seed(),
    )
    def check(pool: dict[str, Any], unpool: dict[str, Any], x: torch.Tensor, seed: int) -> None:
        check_against_torch(api, [pool, {**unpool, "indices_from": 1}], x, seed, False)

    check()


def test_two_layer_pipelines_match_torch(api: TestClient) -> None:
    """Inferred sizes and seeds carry through a stack: conv → activation → pool → flatten → linear."""

    @settings(max_examples=30, deadline=None)
    @given(
        conv=layer_configs("Conv2d"),
        act=st.sampled_from(["ReLU", "GELU", "PReLU", "Tanh"]).map(lambda t: {"type": t}),
        out_features=st.integers(1, 5),
        x=inputs(True),
        seed=_random_seed(),
    )
    def check(conv: dict[str, Any], act: dict[str, Any], out_features: int, x: torch.Tensor, seed: int) -> None:
        layers = [conv, act, {"type": "Flatten"}, {"type": "Linear", "out_features": out_features}]
        check_against_torch(api, layers, x, seed, False)

    check()


@pytest.mark.parametrize(
    ("layer", "why"),
    [
        ({"type": "Conv2d", "out_channels": 2.5, "kernel_size": 3}, "float for int"),
        ({"type": "Conv2d", "out_channels": True, "kernel_size": 3}, "bool for int"),
        ({"type": "Conv2d", "out_channels": 2, "kernel_size": "3"}, "string for int"),
        ({"type": "Conv2d", "out_channels": 2}, "missing required"),
        ({"type": "ReLU", "slope": 1}, "unknown argument"),
        ({"type": "Conv3d", "out_channels": 2, "kernel_size": 3}, "unknown type"),
        ({"type": "MaxPool2d", "kernel_size": [2, 2, 2]}, "triple for pair"),
        ({"type": "Dropout", "p": "half"}, "string for float"),
        ({"kernel_size": 2}, "no type"),
    ],
)
def test_wrongly_typed_layers_are_422(api: TestClient, layer: dict[str, Any], why: str) -> None:
    r = api.post("/api/pipeline/run", json={"input": {"source": "tensor", "data": [[[[1.0]]]]}, "layers": [layer]})
    assert r.status_code == 422, why
    assert r.json()["detail"][0]["loc"][:3] == ["body", "layers", 0]


@settings(max_examples=200, deadline=None)
@given(
    shape=st.lists(st.integers(1, 40), min_size=0, max_size=3),
    special=st.lists(st.sampled_from([0.0, -0.0, math.inf, -math.inf, math.nan, 1e30, -1e-30]), max_size=4),
    seed=st.integers(0, 2**16),
)
def test_stats_are_torchs_own_over_the_finite_values(shape: list[int], special: list[float], seed: int) -> None:
    from app.engine.summary import tensor_stats

    x = torch.randn(shape, generator=torch.Generator().manual_seed(seed)).flatten()
    x[: len(special)] = torch.tensor(special[: x.numel()])
    stats = tensor_stats(x.reshape(shape))
    finite = x[torch.isfinite(x)]
    assert stats["nan_count"] == int(torch.isnan(x).sum()) and stats["inf_count"] == int(torch.isinf(x).sum())
    assert stats["zero_fraction"] == int((x == 0).sum()) / x.numel()
    if finite.numel() == 0:
        assert stats["min"] is stats["max"] is stats["mean"] is stats["std"] is None
        return
    assert stats["min"] == float(finite.min()) and stats["max"] == float(finite.max())
    assert stats["mean"] == float(finite.mean())
    assert stats["std"] == (float(finite.std()) if finite.numel() > 1 else None)


def test_an_error_of_this_harness_is_not_counted_as_torch_refusing() -> None:
    with pytest.raises(KeyError):
        torch_reference([{"type": "NoSuchLayer"}], torch.zeros(1, 3), seed=0, train=False)
    refused = torch_reference([{"type": "Linear", "in_features": 4, "out_features": 2}], torch.zeros(1, 3), seed=0, train=False)
    assert isinstance(refused, RuntimeError)  # torch's own refusal: shapes cannot be multiplied
