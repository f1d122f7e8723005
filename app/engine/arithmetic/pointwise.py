"""Outputs that read one value (activations, BatchNorm2d), a row (Linear, Softmax) or a fixed linear map
of the input (Upsample, Flatten), spelled out with the numbers torch used."""

from __future__ import annotations

import math

import torch

from ..registry import Kind
from .record import Index, OutputArithmetic, Point, Source, number, numbers, sum_of_products, text


def _around(x: torch.Tensor, index: Index, keep: set[int]) -> tuple[torch.Tensor, Index]:
    """The smallest slice of ``x`` a layer can run on to give ``index``: dimensions in ``keep`` whole."""
    slices = tuple(slice(None) if d in keep else slice(i, i + 1) for d, i in enumerate(index))
    return x[slices], tuple(i if d in keep else 0 for d, i in enumerate(index))


def _own_numbers(p: Point, c: int) -> dict[str, float | None]:
    """The layer's own scalars (negative_slope, alpha, …) and its per-channel parameters at channel c."""
    # Deprecated argument names (Hardtanh's min_value) are no attributes: the module keeps the current name.
    scalars = [q.name for q in p.spec.params if q.kind is Kind.FLOAT and isinstance(getattr(p.module, q.name, None), float | int)]
    terms = {name: number(getattr(p.module, name)) for name in scalars}
    for name, t in p.module.named_parameters():
        terms[name] = number(t.reshape(-1)[c if t.numel() > 1 else 0])
    return terms


def _channel(p: Point) -> int:
    return p.index[1] if len(p.index) >= 2 else 0


def elementwise(p: Point) -> OutputArithmetic:
    # Run the layer itself on the value (with its channel dimension, for PReLU's per-channel slope).
    x, at = _around(p.x, p.index, {1} if p.x.dim() >= 2 else set())
    result = number(p.module(x)[at])
    value = number(p.x[p.index])
    terms = {"x": value, **_own_numbers(p, _channel(p))}
    return OutputArithmetic(f"{p.spec.name}({text(value)}) = {text(result)}", p.spec.doc, result, terms=terms)


def random_elementwise(p: Point) -> OutputArithmetic:
    """Dropout, RReLU: in train mode each value gets its own random factor, read back from the output."""
    if not p.module.training:
        return elementwise(p)
    x, y = float(p.x[p.index]), float(p.y[p.index])
    if x == 0:
        return OutputArithmetic(f"{p.spec.name}(0) = {text(y)} (0 stays 0 whatever the draw)", p.spec.doc, number(y), terms={"x": 0.0})
    factor = y / x
    terms = {"x": number(x), "factor": number(factor), **_own_numbers(p, _channel(p))}
    equation = f"{text(x)} · {text(factor)} = {text(y)} (factor drawn at random in train mode for this value)"
    return OutputArithmetic(equation, p.spec.doc, number(x * factor), terms=terms)


def batch_norm(p: Point) -> OutputArithmetic:
    m, c = p.module, p.index[1]
    x = float(p.x[p.index])
    if m.training or not m.track_running_stats:
        plane = p.x[:, c].double()
        mean, var = float(plane.mean()), float(plane.var(unbiased=False))
        source = f"batch statistics of channel {c} over {plane.numel()} values (biased variance)"
    else:
        mean, var = float(m.running_mean[c]), float(m.running_var[c])
        source = f"running statistics of channel {c} (eval mode)"
    weight = float(m.weight[c]) if m.weight is not None else 1.0  # affine=False: no scale
    bias = float(m.bias[c]) if m.bias is not None else 0.0  # affine=False or bias=False: no shift
    result = (x - mean) / math.sqrt(var + m.eps) * weight + bias
    equation = f"({text(x)} − {text(mean)}) / √({text(var)} + {m.eps:g}) · {text(weight)} + {text(bias)} = {text(result)}"
    terms = {"x": number(x), "mean": number(mean), "var": number(var), "eps": m.eps, "weight": number(weight), "bias": number(bias)}
    return OutputArithmetic(equation, "(x − mean) / √(var + eps) · weight + bias", number(result), terms=terms, notes=[f"mean and var: {source}"])


def _softmax_dim(p: Point) -> int:
    dim = p.module.dim
    if dim is None:  # torch's legacy implicit choice (torch.nn.functional._get_softmax_dim)
        dim = 0 if p.x.dim() in (0, 1, 3) else 1
    return dim % p.x.dim()


def _softmax(p: Point, log: bool) -> OutputArithmetic:
    dim = _softmax_dim(p)
    row, at = _around(p.x, p.index, {dim})
    values = row.reshape(-1).double()
    x, top = float(p.x[p.index]), float(values.max())
    total = float(torch.exp(values - top).sum())
    terms = {"x": number(x), "max": number(top), "sum_exp": number(total)}
    if log:
        result = x - top - math.log(total)
        equation = f"{text(x)} − {text(top)} − log {text(total)} = {text(result)}"
        formula = "x − max − log Σ e^(x_j − max) along dim"
    else:
        result = math.exp(x - top) / total
        equation = f"e^({text(x)} − {text(top)}) / {text(total)} = {text(result)}"
        formula = "e^(x − max) / Σ e^(x_j − max) along dim"
    return OutputArithmetic(equation, formula, number(result), inputs=numbers(values), terms=terms, notes=[f"dim = {dim}: {values.numel()} values"])


def softmax(p: Point) -> OutputArithmetic:
    return _softmax(p, log=False)


def log_softmax(p: Point) -> OutputArithmetic:
    return _softmax(p, log=True)


def linear(p: Point) -> OutputArithmetic:
    m, f = p.module, p.index[-1]
    row = p.x[p.index[:-1]].double()  # (in_features,)
    weights = m.weight[f].double()
    products = row * weights
    total = float(products.sum())
    bias = float(m.bias[f]) if m.bias is not None else None
    result = total + (bias or 0.0)
    equation = f"{sum_of_products(list(zip(row.tolist(), weights.tolist(), strict=True)))} = {text(total)}" + (f"; + bias {text(bias)} = {text(result)}" if bias is not None else " (no bias)")
    return OutputArithmetic(
        equation, "Σ x_i · weight[f, i] + bias[f]", number(result), inputs=numbers(row), kernel=numbers(weights),
        products=numbers(products), sum=number(total), bias=None if bias is None else number(bias),
    )


def linear_map(p: Point) -> OutputArithmetic:
    """Upsample (every mode) and Flatten are fixed linear maps of the input: autograd finds each source's weight."""
    x = p.x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        p.module(x)[p.index].backward()
    assert x.grad is not None
    grad = x.grad
    where = grad.nonzero().tolist()
    sources = [Source(i, number(p.x[tuple(i)]), float(grad[tuple(i)])) for i in where]
    result = sum(float(p.x[tuple(i)]) * float(grad[tuple(i)]) for i in where)
    shown = " + ".join(f"{text(s.weight)}·{text(s.value)}" for s in sources[:8]) + (f" + … ({len(sources)} terms)" if len(sources) > 8 else "")
    return OutputArithmetic(f"{shown} = {text(result)}", "Σ weight · input over the values this output is made from",
                            number(result), sources=sources)
