"""∂L/∂x at one position of a layer that reads one value (activations), a row (Linear, Softmax), a channel's
batch (BatchNorm2d) or a fixed linear map of the input (Upsample, Flatten), with the numbers filled in."""

from __future__ import annotations

import math

import torch

from .grad_terms import GradPoint, summed, term
from .pointwise import _around, _softmax_dim
from .record import GradArithmetic, GradTerm, number, text


def transposed_weights(p: GradPoint) -> GradArithmetic:
    m, i = p.module, p.index[-1]
    row = p.index[:-1]
    terms = [term(p.g[(*row, f)], m.weight[f, i], [*row, f], f"weight[{f}, {i}]") for f in range(m.out_features)]
    return summed(terms, "Σ_f g[f] · weight[f, i]: row i of Wᵀ times g", transposed=f"(g @ weight)[{', '.join(map(str, p.index))}]")


def batch_norm(p: GradPoint) -> GradArithmetic:
    m, c = p.module, p.index[1]
    w = float(m.weight[c]) if m.weight is not None else 1.0  # affine=False: no scale
    g = float(p.g[p.index])
    if not (m.training or not m.track_running_stats):  # eval with running statistics: a fixed scale per channel
        sigma = math.sqrt(float(m.running_var[c]) + m.eps)
        terms = [term(g, w / sigma, list(p.index), "weight / √(running_var + eps)")]
        named = {"weight": number(w), "running_var": number(float(m.running_var[c])), "eps": m.eps}
        return summed(terms, "g · weight / √(running_var + eps) (eval mode: the statistics are constants)", named=named)
    plane, grads = p.x[:, c].double(), p.g[:, c].double()
    mean, var = float(plane.mean()), float(plane.var(unbiased=False))
    sigma = math.sqrt(var + m.eps)
    xhat = (plane - mean) / sigma
    xhat_i = (float(p.x[p.index]) - mean) / sigma
    mean_g, mean_gx = float(grads.mean()), float((grads * xhat).mean())
    scale = w / sigma
    terms = [
        term(g, scale, list(p.index), "direct: weight / σ"),
        term(mean_g, -scale, None, f"through the batch mean: −weight / σ, times the mean of g over channel {c}"),
        term(mean_gx, -scale * xhat_i, None, f"through the batch variance: −weight / σ · x̂ ({text(xhat_i)}), times the mean of g·x̂ over channel {c}"),
    ]
    named = {"x": number(float(p.x[p.index])), "mean": number(mean), "var": number(var), "eps": m.eps, "sigma": number(sigma),
             "x_hat": number(xhat_i), "weight": number(w), "mean_g": number(mean_g), "mean_g_x_hat": number(mean_gx)}
    notes = [f"every value of channel {c} ({plane.numel()} over the batch) moves the mean and variance, so its gradient has two more terms"]
    return summed(terms, "weight / σ · (g − mean(g) − x̂ · mean(g · x̂)), σ = √(var + eps), x̂ = (x − mean) / σ", named=named, notes=notes)


def _slope(p: GradPoint) -> tuple[float, str]:
    """f'(x) of the layer at x, by autograd on the one value (with its channel, for PReLU's per-channel slope)."""
    x, y = float(p.x[p.index]), float(p.y[p.index])
    if p.spec.random_in_train and p.module.training:  # type: ignore[attr-defined]
        # Its random factor was drawn in the forward pass: y = factor · x, so read it back.
        if x != 0:
            return y / x, f"the factor drawn in the forward pass: y / x = {text(y)} / {text(x)}"
        g = float(p.g[p.index])
        read = float(p.gx[p.index]) / g if g != 0 else 0.0
        return read, "x = 0 hides the draw in the output; autograd's saved factor"
    row, at = _around(p.x, p.index, {1} if p.x.dim() >= 2 else set())
    row = row.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        p.module(row)[at].backward()
    assert row.grad is not None
    return float(row.grad[at]), f"{p.spec.name}'(x) at x = {text(x)}"  # type: ignore[attr-defined]


def derivative(p: GradPoint) -> GradArithmetic:
    slope, label = _slope(p)
    named = {"x": number(float(p.x[p.index])), "f'(x)": number(slope)}
    return summed([term(p.g[p.index], slope, list(p.index), label)], "g · f'(x)", named=named)


def mask(p: GradPoint) -> GradArithmetic:
    slope, label = _slope(p)
    passed = slope != 0
    x = float(p.x[p.index])
    named = {"x": number(x), "f'(x)": number(slope)}
    why = f"x = {text(x)}: the layer passed it through, so g passes" if passed else f"x = {text(x)}: the layer clipped it, so g stops here (0)"
    return summed([term(p.g[p.index], slope, list(p.index), label)], "g where x passed unchanged, else 0", named=named, notes=[why])


def _softmax_terms(p: GradPoint, log: bool) -> tuple[list[GradTerm], int]:
    dim = _softmax_dim(p)  # type: ignore[arg-type]
    ys, at = _around(p.y, p.index, {dim})
    gs, _ = _around(p.g, p.index, {dim})
    ys, gs = ys.reshape(-1).double(), gs.reshape(-1).double()
    i = at[dim]
    mine = math.exp(float(ys[i])) if log else float(ys[i])  # softmax_i
    terms = []
    for j in range(ys.numel()):
        delta = 1.0 if j == i else 0.0
        factor = (delta - mine) if log else float(ys[j]) * (delta - mine)
        output = list(p.index)
        output[dim] = j
        label = f"δ − softmax_{i}" if log else f"y_{j} · (δ − y_{i})"
        terms.append(term(gs[j], factor, output, label))
    return terms, dim


def softmax(p: GradPoint) -> GradArithmetic:
    terms, dim = _softmax_terms(p, log=False)
    return summed(terms, f"Σ_j g_j · y_j · (δ_ij − y_i) along dim {dim}: every output of the row depends on x_i")


def log_softmax(p: GradPoint) -> GradArithmetic:
    terms, dim = _softmax_terms(p, log=True)
    return summed(terms, f"Σ_j g_j · (δ_ij − softmax_i) along dim {dim} = g_i − softmax_i · Σ_j g_j")


def linear_map(p: GradPoint) -> GradArithmetic:
    """Upsample (every mode) and Flatten are linear maps without bias: the layer applied to a one-hot input
    gives the weight x had in every output."""
    one_hot = torch.zeros_like(p.x)
    one_hot[p.index] = 1.0
    weights = p.module(one_hot)
    terms = [term(p.g[tuple(o)], weights[tuple(o)], o, "weight of x in this output") for o in weights.nonzero().tolist()]
    return summed(terms, "Σ over outputs o of g[o] · the weight x had in output o")
