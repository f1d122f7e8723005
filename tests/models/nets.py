"""Real torch networks for the import tests, and the lab's output for them."""

from __future__ import annotations

import torch
from torch import nn

from app.engine import run_pipeline
from app.models.importer import ImportedNetwork

LIMIT = 50_000_000


def example14(seed: int = 14) -> nn.Sequential:
    """Example 14 of EXAMPLES.md: the classic CIFAR-10 network, 145,578 parameters (torch's init under ``seed``)."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 5, padding=2), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1024, 64), nn.Linear(64, 10),
    ).eval()  # fmt: skip


class ModernNet(nn.Module):
    """Example 14 with BatchNorm2d + ReLU after each conv, in a custom module whose forward runs its
    modules in the order they are registered (so print(model) shows the whole network)."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(15)
        blocks = [[nn.Conv2d(c_in, c_out, 5, padding=2), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True), nn.MaxPool2d(2)]
                  for c_in, c_out in ((3, 32), (32, 32), (32, 64))]  # fmt: skip
        self.features = nn.Sequential(*[m for block in blocks for m in block])
        self.flatten = nn.Flatten()
        self.head = nn.ModuleList([nn.Linear(1024, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 10)])
        with torch.no_grad():  # running statistics that are not the defaults, so they visibly count
            for m in self.features:
                if isinstance(m, nn.BatchNorm2d):
                    m.running_mean.uniform_(-0.5, 0.5)
                    m.running_var.uniform_(0.5, 2.0)
                    m.num_batches_tracked.fill_(7)
        self.eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.flatten(self.features(x))
        for m in self.head:
            x = m(x)
        return x


def lab_output(net: ImportedNetwork, x: torch.Tensor) -> torch.Tensor:
    return run_pipeline(x, net.layers, weights=net.state_dict, max_elements=LIMIT).output
