"""app/models/printed.py: print(model) text → lab layers with module paths, refusals quoting the line."""

from __future__ import annotations

import pytest
from torch import nn

from app.models.errors import ModelImportError
from app.models.printed import parse_printed
from tests.models.nets import ModernNet, example14


def test_a_plain_sequential_is_flattened_in_order_with_torchs_arguments() -> None:
    printed = parse_printed(str(example14()))
    assert [p.path for p in printed.layers] == [str(i) for i in range(9)]
    assert printed.layers[0].config == {"type": "Conv2d", "in_channels": 3, "out_channels": 32, "kernel_size": (5, 5), "stride": (1, 1), "padding": (2, 2)}
    assert printed.layers[1].config == {"type": "MaxPool2d", "kernel_size": 2, "stride": 2, "padding": 0, "dilation": 1, "ceil_mode": False}
    assert printed.layers[7].config == {"type": "Linear", "in_features": 1024, "out_features": 64, "bias": True}
    assert printed.layers[6].config == {"type": "Flatten", "start_dim": 1, "end_dim": -1}
    assert not printed.custom and printed.notes == []


def test_nested_containers_give_module_paths_and_a_custom_module_is_noted() -> None:
    printed = parse_printed(str(ModernNet()))
    paths = [p.path for p in printed.layers]
    assert paths[:5] == ["features.0", "features.1", "features.2", "features.3", "features.4"]
    assert paths[-5:] == ["flatten", "head.0", "head.1", "head.2", "head.3"]
    assert printed.layers[1].config["type"] == "BatchNorm2d" and printed.layers[1].config["eps"] == 1e-05
    assert printed.layers[2].config == {"type": "ReLU"}  # inplace=True accepted and left out
    assert printed.layers[-2].config == {"type": "Dropout", "p": 0.5}
    assert printed.custom and "ModernNet is a custom module" in printed.notes[0] and "onnx" in printed.notes[0].lower()
    assert any("inplace" in note for note in printed.notes)


def test_repeated_module_list_entries_and_unquoted_strings() -> None:
    text = str(nn.Sequential(nn.ModuleList([nn.Linear(4, 4) for _ in range(3)]), nn.Identity(), nn.Conv2d(3, 8, 3, padding="same", padding_mode="reflect", bias=False)))
    assert "(0-2): 3 x Linear" in text
    printed = parse_printed(text)
    assert [p.path for p in printed.layers] == ["0.0", "0.1", "0.2", "2"]
    assert printed.layers[3].config["padding"] == "same" and printed.layers[3].config["padding_mode"] == "reflect"
    assert printed.layers[3].config["bias"] is False
    assert any("Identity" in note for note in printed.notes)
    assert printed.custom  # a ModuleList has no forward of its own


def test_a_single_module_has_the_empty_path() -> None:
    (layer,) = parse_printed(str(nn.Conv2d(3, 8, 3))).layers
    assert layer.path == "" and layer.config["out_channels"] == 8


@pytest.mark.parametrize(
    ("text", "quoted", "words"),
    [
        ("Sequential(\n  (0): LSTM(10, 20)\n)", "(0): LSTM(10, 20)", "LSTM is not a layer"),
        ("Sequential(\n  (0): Conv2d(3, 8, kernel_size=__import__('os'))\n)", "__import__('os')", "not a value"),
        ("Sequential(\n  (0): Conv2d(3, 8, kernel_size=-1)\n)", "kernel_size=-1", "greater than or equal to 1"),
        ("Sequential(\n  (0): Linear(3, 4, device='cuda')\n)", "device='cuda'", "leave it out"),
        ("Sequential(\n  (0): Conv2d(3, 8, kernel_size=(3, 3)\n)", "kernel_size=(3, 3)", "constructor call"),
        ("Net(\n  hello=1\n  (a): ReLU()\n)", "hello=1", "child module"),
        ("Sequential(\n  (0): ReLU()", "Sequential(", "ends before"),
    ],
)
def test_a_line_that_is_not_a_lab_layer_is_refused_quoting_it(text: str, quoted: str, words: str) -> None:
    with pytest.raises(ModelImportError) as caught:
        parse_printed(text)
    assert quoted in caught.value.message and words in caught.value.message
    assert caught.value.field == "architecture" and quoted in caught.value.context["line"]


def test_the_same_text_imported_twice_is_parsed_once_and_each_import_gets_its_own_layers() -> None:
    from app.models import architecture

    text = str(ModernNet())
    architecture._parsed.cache_clear()
    first = architecture.from_printed(text)
    first.layers[0]["out_channels"] = 999  # what one import does with its layers stays its own
    first.notes.append("mine")
    second = architecture.from_printed(text)
    assert architecture._parsed.cache_info().hits == 1
    assert second.layers[0]["out_channels"] == 32 and "mine" not in second.notes
    assert second.layers == [p.config for p in parse_printed(text).layers]
