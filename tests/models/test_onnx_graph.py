"""app/models/onnx_graph.py (and onnx_ops.py): a dynamo export imported as the chain torch runs, its
initializers as the weights, bit for bit; graphs that are not a chain refused naming the node."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import onnx
import pytest
import safetensors.torch
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper
from torch import nn

from app.engine.registry import REGISTRY
from app.models.errors import ModelImportError
from app.models.importer import import_network
from app.models.onnx_ops import OPS, Facts
from tests.models.nets import LIMIT, lab_output


class Functional(nn.Module):
    """Example 14's shape with what print(model) cannot show: F.relu, torch.flatten, F.softmax in forward."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(18)
        self.conv1 = nn.Conv2d(3, 8, 5, padding=2)
        self.bn1 = nn.BatchNorm2d(8)  # after the ReLU: the exporter cannot fold it into conv1
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.avg = nn.AvgPool2d(2, ceil_mode=True)
        self.drop = nn.Dropout(0.5)
        self.fc1 = nn.Linear(16 * 4 * 4, 32)
        self.fc2 = nn.Linear(32, 10)
        with torch.no_grad():
            self.bn1.running_mean.uniform_(-0.5, 0.5)
            self.bn1.running_var.uniform_(0.5, 2.0)
        self.eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.bn1(F.relu(self.conv1(x)))
        x = self.avg(self.pool(F.leaky_relu(self.conv2(x), 0.2)))
        x = torch.flatten(x, 1)
        x = self.drop(torch.tanh(self.fc1(x)))
        return F.softmax(self.fc2(x), dim=1)


X = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(1))


@pytest.fixture(scope="module")
def exported() -> tuple[Functional, bytes]:
    model = Functional()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's own deprecation chatter
        program = torch.onnx.export(model, (X,), dynamo=True, external_data=False, verbose=False)
    return model, program.model_proto.SerializeToString()


def test_an_export_imports_as_the_chain_forward_runs_bit_for_bit(exported: tuple[Functional, bytes]) -> None:
    model, data = exported
    net = import_network(onnx=data, max_elements=LIMIT)
    assert [layer["type"] for layer in net.layers] == [
        "Conv2d", "ReLU", "BatchNorm2d", "Conv2d", "LeakyReLU", "MaxPool2d", "AvgPool2d", "Flatten", "Linear", "Tanh", "Linear", "Softmax",
    ]  # fmt: skip
    with torch.no_grad():
        assert torch.equal(lab_output(net, X), model(X))
    assert net.source == "onnx" and net.input_shape == [1, 3, 32, 32]
    assert net.layers[4] == {"type": "LeakyReLU", "negative_slope": 0.2}  # float32 attributes read back as written
    assert net.layers[6]["count_include_pad"] is True and net.layers[6]["ceil_mode"] is True
    rows = {row.key: row for row in net.mapping}
    assert set(rows) == {k for k in model.state_dict() if not k.endswith("num_batches_tracked")}
    assert (rows["bn1.running_var"].layer, rows["bn1.running_var"].param) == (3, "running_var")
    assert rows["fc1.weight"].module == "Linear(in_features=256, out_features=32, bias=True)" and rows["fc1.weight"].shape == [32, 256]
    assert net.state_dict["2.num_batches_tracked"].item() == 0 and any("num_batches_tracked" in note for note in net.notes)


def test_a_weights_file_next_to_the_graph_is_mapped_by_the_initializers_paths(exported: tuple[Functional, bytes]) -> None:
    model, data = exported
    other = Functional()
    with torch.no_grad():
        for p in other.parameters():
            p.mul_(2)
    net = import_network(onnx=data, weights=safetensors.torch.save(other.state_dict()), weights_filename="w.safetensors", max_elements=LIMIT)
    with torch.no_grad():
        assert torch.equal(lab_output(net, X), other(X))
    assert net.state_dict["2.num_batches_tracked"].item() == 0 and "bn1.num_batches_tracked" in {row.key for row in net.mapping}


def test_external_data_is_refused_with_the_way_to_re_export(exported: tuple[Functional, bytes], tmp_path: Path) -> None:
    proto = onnx.load_model_from_string(exported[1])
    onnx.save_model(proto, tmp_path / "m.onnx", save_as_external_data=True, location="m.onnx.data", size_threshold=0)
    assert (tmp_path / "m.onnx.data").exists()
    with pytest.raises(ModelImportError, match=r"external data.*external_data=False") as caught:
        import_network(onnx=(tmp_path / "m.onnx").read_bytes(), max_elements=LIMIT)
    assert caught.value.field == "onnx"


def _graph(nodes: list[onnx.NodeProto], output: str, initializers: dict[str, np.ndarray] | None = None) -> bytes:
    inits = [numpy_helper.from_array(v, name=k) for k, v in (initializers or {}).items()]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 8, 8])], [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)], inits
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]).SerializeToString()


CONV = {"w": np.ones((3, 3, 3, 3), np.float32)}


@pytest.mark.parametrize(
    ("nodes", "output", "initializers", "node", "words"),
    [
        (  # a residual: conv(x) + x
            [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]), helper.make_node("Add", ["c", "x"], ["y"], name="residual")],
            "y", CONV, "residual", "residual connection",
        ),
        (  # a branch: relu(x) and sigmoid(x), multiplied
            [helper.make_node("Relu", ["x"], ["a"], name="relu"), helper.make_node("Sigmoid", ["x"], ["b"], name="gate")],
            "b", None, "gate", "branches",
        ),
        ([helper.make_node("Cos", ["x"], ["y"], name="cosine")], "y", None, "cosine", "no lab layer"),
        ([helper.make_node("Conv", ["x", "w"], ["y"], name="padded", pads=[0, 0, 1, 1])], "y", CONV, "padded", "both ends alike"),
        (
            [helper.make_node("Reshape", ["x", "s"], ["y"], name="merge_batch")],
            "y", {"s": np.array([1, 3, 64], np.int64)}, "merge_batch", "flatten to (batch, features)",
        ),
        ([helper.make_node("Add", ["x", "c"], ["y"], name="shift")], "y", {"c": np.ones(8, np.float32)}, "shift", "does not follow a MatMul"),
    ],
    ids=["residual", "branch", "unknown-op", "asymmetric-pads", "reshape", "lone-add"],
)
def test_a_graph_that_is_not_a_chain_of_lab_layers_is_refused_naming_the_node(nodes, output, initializers, node, words) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ModelImportError) as caught:
        import_network(onnx=_graph(nodes, output, initializers), max_elements=LIMIT)
    assert caught.value.context["node"] == node and f"Node {node} ({nodes[-1].op_type if node != 'gate' else 'Sigmoid'})" in caught.value.message
    assert words in caught.value.message and caught.value.field == "onnx"


def test_matmul_then_add_is_one_linear_and_constants_feeding_a_reshape_are_skipped() -> None:
    weight = np.arange(192 * 4, dtype=np.float32).reshape(192, 4) / 100
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"], name="shape"),  # shapes only: not a step of the chain
        helper.make_node("Gather", ["shape", "zero"], ["batch"], name="batch", axis=0),
        helper.make_node("Constant", [], ["target"], name="target", value=numpy_helper.from_array(np.array([-1, 192], np.int64))),
        helper.make_node("Reshape", ["x", "target"], ["flat"], name="flatten"),
        helper.make_node("MatMul", ["flat", "w"], ["mm"], name="matmul"),
        helper.make_node("Add", ["mm", "b"], ["y"], name="bias"),
    ]
    inits = {"w": weight, "b": np.array([1, 2, 3, 4], np.float32), "zero": np.array(0, np.int64)}
    net = import_network(onnx=_graph(nodes, "y", inits), max_elements=LIMIT)
    assert net.layers == [{"type": "Flatten", "start_dim": 1, "end_dim": -1}, {"type": "Linear", "in_features": 192, "out_features": 4, "bias": True}]
    x = torch.randn(1, 3, 8, 8)
    expected = x.flatten(1) @ torch.from_numpy(weight) + torch.tensor([1.0, 2, 3, 4])
    torch.testing.assert_close(lab_output(net, x), expected)
    assert [(row.key, row.param, row.shape) for row in net.mapping] == [("w", "weight", [4, 192]), ("b", "bias", [4])]
    assert net.input_shape == [1, 3, 8, 8]  # the exported input's shape, for one image


def test_a_reshape_whose_target_is_computed_in_the_graph_says_how_to_export() -> None:
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"], name="shape"),
        helper.make_node("Slice", ["shape", "zero", "one"], ["batch"], name="batch"),
        helper.make_node("Concat", ["batch", "minus_one"], ["target"], name="target", axis=0),
        helper.make_node("Reshape", ["x", "target"], ["y"], name="flatten"),
    ]
    inits = {"zero": np.array([0], np.int64), "one": np.array([1], np.int64), "minus_one": np.array([-1], np.int64)}
    with pytest.raises(ModelImportError, match=r"Node flatten \(Reshape\): its target shape is computed in the graph.*dynamo=True"):
        import_network(onnx=_graph(nodes, "y", inits), max_elements=LIMIT)


def test_bytes_that_are_not_onnx_are_refused() -> None:
    with pytest.raises(ModelImportError, match="not an ONNX file"):
        import_network(onnx=b"\x00\x01 definitely not protobuf \xff", max_elements=LIMIT)


def test_every_op_maps_to_a_registry_layer() -> None:
    facts = Facts({"w": np.ones((2, 2, 1, 1), np.float32), "m": np.ones((2, 2), np.float32), "b": np.ones(2, np.float32)}, {})
    types = set()
    for op_type, op in OPS.items():
        weight = "m" if op_type in ("Gemm", "MatMul") else "w"
        node = helper.make_node(op_type, ["x", weight, "b", "b", "b"], ["y"])
        if op_type != "Reshape":
            types.add(op(node, {"kernel_shape": [1, 1]}, facts).type)
    assert types <= set(REGISTRY) and len(types) == len(OPS) - 2  # Reshape left out; Gemm and MatMul are both Linear


def test_an_initializer_whose_bytes_do_not_fill_its_shape_is_refused() -> None:
    short = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[3, 3, 3, 3], raw_data=b"\x00" * 8)  # 324 bytes declared
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="conv")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])], [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [short],
    )  # fmt: skip
    with pytest.raises(ModelImportError, match="Initializer w cannot be read"):
        import_network(onnx=helper.make_model(graph).SerializeToString(), max_elements=LIMIT)


def _conv_bn_relu_export(**options: object) -> tuple[nn.Sequential, bytes]:
    torch.manual_seed(3)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU()).eval()
    with torch.no_grad():
        model[1].running_mean.uniform_(-0.5, 0.5)
        model[1].running_var.uniform_(0.5, 2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(model, (X,), dynamo=True, external_data=False, verbose=False, **options)
    return model, program.model_proto.SerializeToString()


def test_a_batchnorm_the_exporter_folded_into_the_conv_is_said_in_the_notes() -> None:
    """In eval mode the dynamo exporter's optimiser folds BatchNorm2d into the Conv2d: the network is what the
    file computes (torch's output, to float rounding), and the notes say print(model) would show one more layer."""
    model, data = _conv_bn_relu_export()
    net = import_network(onnx=data, max_elements=LIMIT)
    assert [layer["type"] for layer in net.layers] == ["Conv2d", "ReLU"]
    with torch.no_grad():
        assert torch.allclose(lab_output(net, X), model(X), atol=1e-5)
    folded = [note for note in net.notes if "folded" in note]
    assert len(folded) == 1
    assert "Layer 1 (Conv2d" in folded[0] and "BatchNorm2d at 1" in folded[0] and "optimize=False" in folded[0]


def test_an_export_without_the_optimiser_keeps_the_batchnorm_and_needs_no_such_note() -> None:
    model, data = _conv_bn_relu_export(optimize=False)
    net = import_network(onnx=data, max_elements=LIMIT)
    assert [layer["type"] for layer in net.layers] == ["Conv2d", "BatchNorm2d", "ReLU"]
    with torch.no_grad():
        assert torch.equal(lab_output(net, X), model(X))
    assert not any("folded" in note for note in net.notes)
