"""The lab's receptive-field arithmetic (static/js/field-geometry.js, run in Chromium) against torch's autograd.

For random layers, the input values a range of outputs depends on are found by torch: the support of
the gradient of those outputs' sum, over a batch of 64 random inputs (so that MaxPool's argmax visits
every position of its window). The page's `stepBack` must give that support's bounding box exactly;
for bilinear and bicubic resampling (whose weights can be exactly zero) it must contain it.
"""

from __future__ import annotations

import random

import pytest
import torch
from torch import nn

pytestmark = pytest.mark.browser

BATCH = 64


def _pair(rng: random.Random, lo: int, hi: int) -> int | list[int]:
    return rng.randint(lo, hi) if rng.random() < 0.6 else [rng.randint(lo, hi), rng.randint(lo, hi)]


def _both(v) -> tuple[int, int]:
    return tuple(v) if isinstance(v, list) else (v, v)


def random_layer(rng: random.Random) -> tuple[dict, tuple[int, int, int]]:
    """A lab layer (torch's names) that accepts an input of the returned (C, H, W)."""
    c, h, w = rng.choice([1, 2, 3, 4]), rng.randint(5, 13), rng.randint(5, 13)
    kind = rng.choice(["Conv2d", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d",
                       "AdaptiveMaxPool2d", "Upsample", "Upsample", "Softmax"])
    if kind in ("Conv2d", "ConvTranspose2d"):
        groups = rng.choice([g for g in (1, 2, 4) if c % g == 0])
        layer = {"type": kind, "in_channels": c, "out_channels": groups * rng.randint(1, 3), "groups": groups,
                 "kernel_size": _pair(rng, 1, 4), "stride": _pair(rng, 1, 3), "dilation": _pair(rng, 1, 3)}
        k, d = _both(layer["kernel_size"]), _both(layer["dilation"])
        if kind == "Conv2d":
            layer["padding_mode"] = rng.choice(["zeros", "zeros", "reflect", "replicate", "circular"])
            limit = min(h, w) - 1 if layer["padding_mode"] == "reflect" else 3
            layer["padding"] = rng.randint(0, min(3, limit))
            h, w = max(h, d[0] * (k[0] - 1) + 1), max(w, d[1] * (k[1] - 1) + 1)
        else:
            layer["padding"] = rng.randint(0, 2)
            s = _both(layer["stride"])
            layer["output_padding"] = [rng.randint(0, max(s[0], d[0]) - 1), rng.randint(0, max(s[1], d[1]) - 1)]
            h = max(h, (2 * layer["padding"] - d[0] * (k[0] - 1) - layer["output_padding"][0]) // s[0] + 2)
            w = max(w, (2 * layer["padding"] - d[1] * (k[1] - 1) - layer["output_padding"][1]) // s[1] + 2)
        return layer, (c, h, w)
    if kind in ("MaxPool2d", "AvgPool2d"):
        k = rng.randint(1, 4)
        layer = {"type": kind, "kernel_size": k, "stride": rng.randint(1, 3), "padding": rng.randint(0, k // 2),
                 "ceil_mode": rng.random() < 0.5}
        if kind == "MaxPool2d":
            layer["dilation"] = rng.randint(1, 2)
        return layer, (c, h, w)
    if kind.startswith("Adaptive"):
        return {"type": kind, "output_size": [rng.randint(1, 7), rng.randint(1, 7)]}, (c, h, w)
    if kind == "Softmax":
        return {"type": kind, "dim": rng.choice([1, 2, 3, -1, -3])}, (c, h, w)
    mode = rng.choice(["nearest", "nearest-exact", "bilinear", "bicubic"])
    layer = {"type": "Upsample", "mode": mode}
    if rng.random() < 0.5:
        layer["scale_factor"] = rng.choice([1.5, 2, 3, 0.5, 0.7, [2, 1.5]])
    else:
        layer["size"] = [rng.randint(3, 20), rng.randint(3, 20)]
    if mode in ("bilinear", "bicubic"):
        layer["align_corners"] = rng.random() < 0.5
    return layer, (c, h, w)


def torch_module(layer: dict) -> nn.Module:
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in layer.items() if k != "type"}
    module = getattr(nn, layer["type"])(**params)
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        with torch.no_grad():
            module.weight.uniform_(0.5, 1.5)  # no tap of exactly zero weight
    return module


def torch_field(module: nn.Module, in_shape, field: dict) -> dict | None:
    """Bounding box of the inputs that outputs `field` (channels c, rows y, cols x) depend on, by autograd."""
    x = torch.randn(BATCH, *in_shape, dtype=torch.float64, requires_grad=True)
    y = module.double()(x)
    (c0, c1), (y0, y1), (x0, x1) = field["c"], field["y"], field["x"]
    y[:, c0 : c1 + 1, y0 : y1 + 1, x0 : x1 + 1].sum().backward()
    support = (x.grad != 0).any(dim=0)  # (C, H, W)
    if not support.any():
        return None
    idx = support.nonzero()
    lo, hi = idx.min(dim=0).values.tolist(), idx.max(dim=0).values.tolist()
    return {"n": 0, "c": [lo[0], hi[0]], "y": [lo[1], hi[1]], "x": [lo[2], hi[2]]}


def random_range(rng: random.Random, size: int) -> list[int]:
    a = rng.randrange(size)
    return [a, a] if rng.random() < 0.7 else [a, rng.randint(a, size - 1)]


def build_cases(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    torch.manual_seed(seed)
    cases = []
    while len(cases) < count:
        layer, in_shape = random_layer(rng)
        module = torch_module(layer)
        try:
            out_shape = tuple(module(torch.zeros(1, *in_shape)).shape)
        except RuntimeError:  # torch refuses it (output too small): the lab refuses it too, nothing to click
            continue
        if min(out_shape) == 0:
            continue
        field = {"n": 0, "c": random_range(rng, out_shape[1]), "y": random_range(rng, out_shape[2]), "x": random_range(rng, out_shape[3])}
        cases.append({"layer": layer, "in": [1, *in_shape], "out": list(out_shape), "field": field,
                      "expect": torch_field(module, in_shape, field),
                      "contains": layer["type"] == "Upsample" and layer["mode"] in ("bilinear", "bicubic")})
    return cases


def test_step_back_matches_torch_autograd(page) -> None:
    cases = build_cases(300, seed=20261123)
    page.goto("/")
    page.wait_for_selector("body[data-ready=true]")
    got = page.evaluate(
        """async (cases) => {
            const { stepBack } = await import("/static/js/field-geometry.js");
            const catalogue = Object.fromEntries((await (await fetch("/api/layers")).json()).map((e) => [e.type, e]));
            return cases.map((t) => stepBack(t.layer, catalogue[t.layer.type], t.field, t.in, t.out));
        }""",
        cases,
    )
    wrong = []
    for case, field in zip(cases, got, strict=True):
        expect = case["expect"]
        if case["contains"] and expect is not None and field is not None:
            ok = all(field[a][0] <= expect[a][0] and expect[a][1] <= field[a][1] for a in ("c", "y", "x"))
        else:
            ok = field == expect
        if not ok:
            wrong.append((case["layer"], case["in"], case["out"], case["field"], "torch:", expect, "page:", field))
    assert not wrong, f"{len(wrong)} of {len(cases)} differ; first: {wrong[:3]}"
    kinds = {c["layer"]["type"] for c in cases}
    assert len(kinds) == 8 and sum(c["expect"] is None for c in cases) < len(cases) // 4  # varied and mostly non-empty


def test_every_rule_of_the_registry_is_known_and_an_unknown_one_throws(page) -> None:
    """The page has a step for every rule GET /api/layers names; a rule it lacks throws (never identity)."""
    page.goto("/")
    page.wait_for_selector("body[data-ready=true]")
    got = page.evaluate(
        """async () => {
            const { RULES, stepBack, UnknownRuleError } = await import("/static/js/field-geometry.js");
            const rules = (await (await fetch("/api/layers")).json()).map((e) => e.receptive_field);
            const field = { n: 0, c: [0, 0], y: [1, 1], x: [1, 1] };
            let thrown = null;
            try {
                stepBack({ type: "Spiral2d" }, { receptive_field: "spiral", params: [], defaults_from: {} }, field, [1, 1, 4, 4], [1, 1, 4, 4]);
            } catch (err) {
                thrown = err instanceof UnknownRuleError ? err.message : `other: ${err}`;
            }
            return { missing: rules.filter((r) => !(r in RULES)), thrown };
        }"""
    )
    assert got["missing"] == []
    assert got["thrown"] is not None and "spiral" in got["thrown"] and "Spiral2d" in got["thrown"]
