"""app/models/weight_files.py: state_dict files read without running code, in the documented order."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import safetensors.torch
import torch
from torch import nn

from app.models.errors import ModelImportError
from app.models.weight_files import path_order, read_weights


def _pt(obj: object) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


class WritesAFile:
    """Unpickling this would create ``path``: the proof that a refused pickle never ran."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.path}",))


def test_pt_keeps_registration_order_and_safetensors_is_sorted_numerically() -> None:
    state = {"b.weight": torch.ones(2), "a.12.weight": torch.zeros(1), "a.3.weight": torch.zeros(3), "a.3.bias": torch.zeros(3)}
    assert list(read_weights(_pt(state), "w.pt")) == list(state)
    tensors = read_weights(safetensors.torch.save(state), "w.safetensors")
    assert list(tensors) == ["a.3.bias", "a.3.weight", "a.12.weight", "b.weight"]
    assert torch.equal(tensors["b.weight"], state["b.weight"])
    assert sorted(["x.10", "x.9", "x.1.a"], key=path_order) == ["x.1.a", "x.9", "x.10"]


def test_a_malicious_pickle_is_refused_and_never_runs(tmp_path: Path) -> None:
    witness = tmp_path / "pwned"
    data = _pt({"weight": torch.ones(2), "payload": WritesAFile(witness)})
    with pytest.raises(ModelImportError) as caught:
        read_weights(data, "evil.pt")
    assert not witness.exists()
    assert "system" in caught.value.message and "weights_only=True" in caught.value.message
    assert caught.value.field == "weights"


def test_a_whole_module_pickle_is_refused_asking_for_the_state_dict() -> None:
    with pytest.raises(ModelImportError, match=r"whole nn\.Module.*model\.state_dict\(\)"):
        read_weights(_pt(nn.Sequential(nn.Linear(2, 2))), "model.pt")


@pytest.mark.parametrize("cut", [1, 20, 200])
def test_a_truncated_safetensors_file_is_refused(cut: int) -> None:
    data = safetensors.torch.save({"w": torch.ones(64)})
    with pytest.raises(ModelImportError, match="truncated"):
        read_weights(data[:-cut], "w.safetensors")


def test_a_truncated_pt_file_and_other_bytes_are_refused() -> None:
    with pytest.raises(ModelImportError, match="truncated or corrupt"):
        read_weights(_pt({"w": torch.ones(64)})[:-40], "w.pt")
    with pytest.raises(ModelImportError, match="neither a .safetensors"):
        read_weights(b"hello, world", "w.txt")


def test_a_checkpoint_that_nests_the_state_dict_says_what_to_save() -> None:
    with pytest.raises(ModelImportError, match=r"checkpoint\['model'\]") as caught:
        read_weights(_pt({"model": {"w": torch.ones(1)}, "epoch": 3}), "ckpt.pt")
    assert caught.value.context["key"] == "model"
