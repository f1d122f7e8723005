"""What every gradient rule shares: the point asked about, and a sum of terms written out with its numbers."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .record import GradArithmetic, GradTerm, Index, factor, number, text


@dataclass
class GradPoint:
    """One value of ∂L/∂x for one layer, with everything its arithmetic reads (the run's own tensors)."""

    spec: object  # the layer's LayerSpec
    module: torch.nn.Module  # rebuilt as the run built it
    x: torch.Tensor  # the layer's input
    y: torch.Tensor  # its output
    g: torch.Tensor  # ∂L/∂y, the upstream gradient
    gx: torch.Tensor  # ∂L/∂x as autograd left it (only read where the forward pass leaves no trace of a factor)
    index: Index  # into x
    indices: torch.Tensor | None = None  # pool indices: the layer's own (MaxPool2d) or consumed (MaxUnpool2d)


def term(upstream: float | torch.Tensor, by: float | torch.Tensor, output: list[int] | None, label: str) -> GradTerm:
    u, f = float(upstream), float(by)
    return GradTerm(number(u), number(f), number(u * f), output, label)


def summed(terms: list[GradTerm], formula: str, shown: int = 8, **more: object) -> GradArithmetic:
    """Σ upstream × factor over ``terms``, in float64, with the first few written out; 0 when nothing flows back."""
    total = sum((t.upstream or 0.0) * (t.factor or 0.0) for t in terms)
    listed = " + ".join(f"{factor(t.upstream)}·{factor(t.factor)}" for t in terms[:shown])
    if len(terms) > shown:
        listed += f" + … ({len(terms)} terms)"
    equation = f"{listed} = {text(total)}" if terms else "no output reads this value, so its gradient is 0"
    return GradArithmetic(equation, formula, number(total), terms=terms, **more)  # type: ignore[arg-type]
