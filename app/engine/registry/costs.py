"""What the table computes from shapes: inferred constructor arguments and multiply-accumulates.

Mult-adds count the multiply-accumulates of one forward pass of weighted layers (0 for the others).
"""

from __future__ import annotations

import torch.nn as nn

from ..shapes import Shape, numel


def channels(shape: Shape) -> int:
    # (N, C, H, W) or unbatched (C, H, W): C is third from the end.
    return shape[-3]


def conv_mult_adds(module: nn.Module, _in: Shape, out: Shape) -> int:
    # Each output element is a dot product over in_channels/groups × kH × kW inputs.
    assert isinstance(module, nn.Conv2d)
    return numel(out) * (module.in_channels // module.groups) * numel(module.kernel_size)


def conv_transpose_mult_adds(module: nn.Module, inp: Shape, _out: Shape) -> int:
    # Each input element is scattered into out_channels/groups × kH × kW outputs.
    assert isinstance(module, nn.ConvTranspose2d)
    return numel(inp) * (module.out_channels // module.groups) * numel(module.kernel_size)


def linear_mult_adds(module: nn.Module, _in: Shape, out: Shape) -> int:
    assert isinstance(module, nn.Linear)
    return numel(out) * module.in_features


def batchnorm_mult_adds(_module: nn.Module, _in: Shape, out: Shape) -> int:
    # One scale and one shift per element (the normalisation folded into them).
    return numel(out)
