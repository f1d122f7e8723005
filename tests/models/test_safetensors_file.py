"""The store writes .safetensors files itself, in parts (app/models/safetensors_file.py): they must be
the safetensors library's own bytes, for every dtype a state_dict holds, and read back by it."""

from __future__ import annotations

import hashlib
import io

import pytest
import safetensors.torch
import torch

from app.models.safetensors_file import SafetensorsFile, state_dict_bytes

DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.int32, torch.int16,
          torch.int8, torch.uint8, torch.bool, torch.uint16, torch.uint32, torch.uint64, torch.complex64,
          torch.float8_e4m3fn, torch.float8_e5m2]  # fmt: skip


def _tensor(dtype: torch.dtype, shape: tuple[int, ...], g: torch.Generator) -> torch.Tensor:
    values = torch.randn(shape, generator=g, dtype=torch.float64) * 50
    return values.to(dtype) if not dtype.is_complex else torch.complex(values, -values).to(dtype)


def test_a_state_dict_of_every_dtype_and_shape_is_the_librarys_own_bytes() -> None:
    g = torch.Generator().manual_seed(0)
    shapes = [(3,), (2, 3, 5, 5), (), (0,), (4, 0, 2), (7, 1)]
    state = {f"{i}.{name}": _tensor(dtype, shapes[(i + j) % len(shapes)], g)
             for i, dtype in enumerate(DTYPES) for j, name in enumerate(("weight", "bias", "running_mean"))}  # fmt: skip
    assert bytes(SafetensorsFile(state)) == safetensors.torch.save(state)


@pytest.mark.parametrize("seed", range(5))
def test_shuffled_keys_of_example_14_with_a_batchnorm_counter_give_the_same_file(seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    keys = [f"{i}.{p}" for i in (0, 2, 4, 12, 7) for p in ("weight", "bias")] + ["1.num_batches_tracked"]
    order = torch.randperm(len(keys), generator=g).tolist()
    state = {keys[k]: (torch.tensor(17) if "num_batches" in keys[k] else torch.randn(32, 3, 5, 5, generator=g)) for k in order}
    assert state_dict_bytes(state) == safetensors.torch.save(dict(sorted(state.items())))


def test_views_transposes_and_tied_weights_are_written_as_their_own_values() -> None:
    base = torch.arange(60, dtype=torch.float32).reshape(6, 10)
    state = {"a.weight": base[1:3], "b.weight": base.t(), "c.weight": base, "d.weight": base}  # d is tied to c
    loaded = safetensors.torch.load(state_dict_bytes(state))
    assert set(loaded) == set(state)
    for key, tensor in state.items():
        assert torch.equal(loaded[key], tensor)


def test_parts_hash_and_write_as_the_whole_file() -> None:
    state = {"0.weight": torch.randn(64, 1024), "0.bias": torch.randn(64)}
    file = SafetensorsFile(state)
    whole = safetensors.torch.save(state)
    digest = hashlib.sha256()
    file.feed(digest)
    out = io.BytesIO()
    file.write_to(out)
    assert digest.hexdigest() == hashlib.sha256(whole).hexdigest()
    assert out.getvalue() == whole
    assert file.size == len(whole)
