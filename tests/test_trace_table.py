"""app/trace_table.py: the engine's records as a table, the same text for the same run, notes below."""

from __future__ import annotations

import torch

from app.engine import run_pipeline
from app.trace_table import trace_table

LAYERS = [{"type": "Conv2d", "out_channels": 4, "kernel_size": 3}, {"type": "ReLU"}, {"type": "Flatten", "start_dim": 0}]


def test_one_row_per_layer_with_the_records_numbers() -> None:
    trace = run_pipeline(torch.rand(2, 3, 6, 6), LAYERS, seed=1)
    lines = trace_table(trace).splitlines()
    rows = [line.split("  ") for line in lines if ": 1-" in line and not line.startswith(" ")]
    assert [[cell.strip() for cell in row if cell.strip()] for row in rows] == [
        ["Conv2d: 1-1", "[2, 3, 6, 6]", "[2, 4, 4, 4]", "112", "3,456"],  # 2·4·4·4 outputs × 3·3·3
        ["ReLU: 1-2", "[2, 4, 4, 4]", "[2, 4, 4, 4]", "0", "0"],
        ["Flatten: 1-3", "[2, 4, 4, 4]", "[128]", "0", "0"],
    ]
    assert "Total params: 112" in lines and "Total mult-adds: 3,456" in lines and "Output shape: [128]" in lines


def test_columns_line_up_and_the_text_does_not_depend_on_timing() -> None:
    x = torch.rand(2, 3, 6, 6)
    first, second = (trace_table(run_pipeline(x, LAYERS, seed=1)) for _ in range(2))
    assert first == second  # times differ between the runs; the table leaves them out
    header, *rows = [line for line in first.splitlines() if line.startswith(("Layer", "Conv2d", "ReLU", "Flatten"))]
    for column in ("Input Shape", "Output Shape"):
        at = header.index(column)
        assert all(row[at - 1] == " " and row[at] == "[" for row in rows)  # every shape starts under its heading
    assert {len(row) for row in rows} == {len(header)}  # counts right-aligned to the header's end


def test_notes_follow_the_table_under_their_layer() -> None:
    text = trace_table(run_pipeline(torch.rand(2, 3, 6, 6), LAYERS, seed=1))
    table, notes = text.split("Notes:\n")
    assert "Seed: 1, mode: eval" in table
    assert notes.startswith("  Flatten: 1-3: start_dim=0 merges the batch dimension")
