"""app/models/importer.py: round trips against torch's own output, bit for bit, and every refusal."""

from __future__ import annotations

import io

import pytest
import safetensors.torch
import torch
from torch import nn

from app.engine import LayerError
from app.models.errors import ModelImportError
from app.models.importer import import_network
from tests.models.nets import LIMIT, ModernNet, example14, lab_output


def _pt(state: dict[str, torch.Tensor]) -> bytes:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def _files(model: nn.Module) -> dict[str, bytes]:
    state = model.state_dict()
    return {"w.pt": _pt(state), "w.safetensors": safetensors.torch.save(state)}


X = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("model", [example14(), ModernNet()], ids=["example14", "modern"])
@pytest.mark.parametrize("filename", ["w.pt", "w.safetensors"])
def test_print_text_and_a_state_dict_give_torchs_output_bit_for_bit(model: nn.Module, filename: str) -> None:
    net = import_network(architecture=str(model), weights=_files(model)[filename], weights_filename=filename, max_elements=LIMIT)
    with torch.no_grad():
        expected = model(X)
    assert torch.equal(lab_output(net, X), expected)
    assert net.source == "print" and net.input_shape == [1, 3, 32, 32]
    assert len(net.mapping) == len(model.state_dict()) and {row.key for row in net.mapping} == set(model.state_dict())
    assert sum(t.numel() for k, t in net.state_dict.items() if "running" not in k and "num_batches" not in k) == sum(p.numel() for p in model.parameters())


def test_the_mapping_and_filled_layers_say_which_key_became_what() -> None:
    model = ModernNet()
    net = import_network(architecture=str(model), weights=_files(model)["w.pt"], max_elements=LIMIT)
    by_key = {row.key: row for row in net.mapping}
    norm = by_key["features.1.running_var"]
    assert (norm.layer, norm.param, norm.shape) == (2, "running_var", [32]) and norm.module.startswith("BatchNorm2d(32, eps=1e-05")
    assert by_key["head.3.weight"].layer == len(net.layers) and by_key["head.3.weight"].module == "Linear(in_features=64, out_features=10, bias=True)"
    assert net.state_dict["1.num_batches_tracked"].item() == 7  # buffers count and are kept
    assert "1.num_batches_tracked" in net.state_dict and "1.running_mean" in net.state_dict
    assert net.layers[0] == {"type": "Conv2d", "in_channels": 3, "out_channels": 32, "kernel_size": [5, 5], "stride": [1, 1], "padding": [2, 2]}
    assert "custom module" in net.notes[0]


@pytest.mark.parametrize("filename", ["w.pt", "w.safetensors"])
def test_json_layers_take_the_keys_in_order(filename: str) -> None:
    # 13 modules: keys 0 … 12, where a string sort would put 10 and 12 before 2.
    torch.manual_seed(3)
    widths = [3, 4, 5, 6, 7, 8, 9]
    model = nn.Sequential(*[m for a, b in zip(widths, widths[1:]) for m in (nn.Conv2d(a, b, 3, padding=1), nn.Tanh())], nn.Conv2d(9, 2, 1)).eval()
    layers = [{"type": "Conv2d", "out_channels": b, "kernel_size": 3, "padding": 1} if i % 2 == 0 else {"type": "Tanh"} for i, b in enumerate(w for w in widths[1:] for _ in (0, 1))]
    layers.append({"type": "Conv2d", "out_channels": 2, "kernel_size": 1})
    net = import_network(layers=layers, weights=_files(model)[filename], weights_filename=filename, input_shape=[2, 3, 32, 32], max_elements=LIMIT)
    with torch.no_grad():
        assert torch.equal(lab_output(net, X), model(X))
    assert net.layers[2]["in_channels"] == 4 and net.source == "layers"
    assert [row.key for row in net.mapping if row.param == "weight"] == [f"{i}.weight" for i in range(0, 13, 2)]


def test_without_weights_the_state_dict_is_none_and_sizes_are_filled() -> None:
    net = import_network(layers=[{"type": "Conv2d", "out_channels": 4, "kernel_size": 3}, {"type": "Flatten"}, {"type": "Linear", "out_features": 2}], max_elements=LIMIT)
    assert net.state_dict is None and net.mapping == []
    assert net.layers[0]["in_channels"] == 3 and net.layers[2]["in_features"] == 4 * 30 * 30


def _refusal(model: nn.Module, state: dict[str, torch.Tensor], filename: str = "w.pt") -> ModelImportError:
    data = _pt(state) if filename.endswith(".pt") else safetensors.torch.save(state)
    with pytest.raises(ModelImportError) as caught:
        import_network(architecture=str(model), weights=data, weights_filename=filename, max_elements=LIMIT)
    assert caught.value.field == "weights"
    return caught.value


def test_a_wrong_shape_names_the_key_the_layer_and_both_shapes() -> None:
    model = example14()
    state = model.state_dict() | {"2.weight": torch.zeros(16, 32, 5, 5)}
    refusal = _refusal(model, state)
    for words in ("2.weight", "layer 3", "Conv2d(32, 32, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))", "16×32×5×5", "32×32×5×5"):
        assert words in refusal.message
    assert {k: refusal.context[k] for k in ("key", "layer", "expected", "got")} == {"key": "2.weight", "layer": 3, "expected": [32, 32, 5, 5], "got": [16, 32, 5, 5]}


@pytest.mark.parametrize("filename", ["w.pt", "w.safetensors"])
def test_a_missing_key_is_refused_buffers_included(filename: str) -> None:
    model = ModernNet()
    state = {k: v for k, v in model.state_dict().items() if k != "features.5.num_batches_tracked"}
    refusal = _refusal(model, state, filename)
    assert "Missing key features.5.num_batches_tracked" in refusal.message and "layer 6 (features.5: BatchNorm2d(32" in refusal.message
    assert refusal.context["layer"] == 6 and refusal.context["expected"] == []


def test_an_unused_key_is_refused() -> None:
    model = example14()
    refusal = _refusal(model, model.state_dict() | {"9.weight": torch.zeros(3)})
    assert "Unused key 9.weight (shape 3)" in refusal.message and "no layer at 9" in refusal.message
    refusal = _refusal(model, model.state_dict() | {"1.weight": torch.zeros(3)})
    assert "Unused key 1.weight" in refusal.message and "MaxPool2d" in refusal.message


def test_in_order_keys_that_do_not_fit_are_refused() -> None:
    layers = [{"type": "Conv2d", "out_channels": 4, "kernel_size": 3}, {"type": "BatchNorm2d"}]
    conv = nn.Conv2d(3, 4, 3)
    with pytest.raises(ModelImportError, match="Missing key for layer 2") as caught:
        import_network(layers=layers, weights=_pt(conv.state_dict()), max_elements=LIMIT)
    assert "BatchNorm2d(4" in caught.value.message
    extra = {**{f"0.{k}": v for k, v in conv.state_dict().items()}, "5.weight": torch.ones(4)}
    with pytest.raises(ModelImportError, match="Unused key 5.weight") as caught:
        import_network(layers=layers[:1], weights=_pt(extra), max_elements=LIMIT)


def test_a_custom_module_that_hides_a_functional_call_is_refused_with_the_reason() -> None:
    class Hidden(nn.Module):  # forward calls torch.flatten, which print(model) does not show
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.fc = nn.Linear(4 * 30 * 30, 2)

    with pytest.raises(ModelImportError) as caught:
        import_network(architecture=str(Hidden()), max_elements=LIMIT)
    assert caught.value.field == "architecture" and "Module fc" in caught.value.message and "torch.flatten" in caught.value.message
    assert caught.value.context["layer"] == 2


def test_json_layers_torch_refuses_are_the_engines_layer_error() -> None:
    with pytest.raises(LayerError) as caught:
        import_network(layers=[{"type": "Conv2d", "out_channels": 4, "kernel_size": 64}], max_elements=LIMIT)
    assert caught.value.position == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "architecture"),
        ({"architecture": "Sequential(\n  (0): ReLU()\n)", "layers": [{"type": "ReLU"}]}, "architecture"),
        ({"layers": [{"type": "LSTM"}]}, "layers"),
        ({"layers": [{"type": "Conv2d", "kernel_size": 3}]}, "layers"),
        ({"layers": [{"type": "ReLU"}], "input_shape": [1, 0, 3]}, "input_shape"),
        ({"layers": [{"type": "ReLU"}], "input_shape": [10_000, 10_000]}, "input_shape"),
    ],
)
def test_requests_that_cannot_be_imported_name_their_field(kwargs: dict, field: str) -> None:
    with pytest.raises(ModelImportError) as caught:
        import_network(**kwargs, max_elements=LIMIT)
    assert caught.value.field == field
