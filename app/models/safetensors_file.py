"""A state_dict as the bytes of a ``.safetensors`` file, in parts: hashed and written without first
being joined into one ``bytes`` object.

``safetensors.torch.save`` builds the whole file in memory (a 583 kB copy for example 14) through a
Python walk over every tensor: 0.36 ms a file, ~1.1 ms inside the server (a fresh block each import).
These parts are the header and each tensor's own memory: 0.10 ms, and nothing copied until written
(``bench/models_bench.py``). The bytes are the library's own, byte for byte (tests/models/
test_safetensors_file.py compares them for every dtype a state_dict holds): tensors laid out by dtype,
widest first, then by key; the JSON header in that order, padded with spaces to 8 bytes. Reading
stays with the safetensors package.
"""

from __future__ import annotations

import json
import struct
from typing import Any, BinaryIO

import torch

# safetensors' dtype names, widest first: the order the library lays tensors out (then by key).
_DTYPES = {
    torch.uint64: "U64", torch.int64: "I64", torch.float64: "F64", torch.complex64: "C64",
    torch.float32: "F32", torch.uint32: "U32", torch.int32: "I32",
    torch.bfloat16: "BF16", torch.float16: "F16", torch.uint16: "U16", torch.int16: "I16",
    torch.float8_e4m3fn: "F8_E4M3", torch.float8_e5m2: "F8_E5M2", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL",
}  # fmt: skip
_RANK = {dtype: rank for rank, dtype in enumerate(_DTYPES)}


class SafetensorsFile:
    """``parts``: the header, then each tensor's bytes (memoryviews over the tensors themselves)."""

    def __init__(self, state_dict: dict[str, torch.Tensor]) -> None:
        tensors = {key: _dense(t) for key, t in state_dict.items()}
        entries, offset, parts = {}, 0, []
        for key in sorted(tensors, key=lambda k: (_RANK[tensors[k].dtype], k)):
            t = tensors[key]
            data = t.reshape(-1).view(torch.uint8).numpy().data  # 0-d and empty tensors too; bfloat16 has no numpy dtype
            entries[key] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + data.nbytes]}
            parts.append(data)
            offset += data.nbytes
        header = json.dumps(entries, separators=(",", ":")).encode()
        header += b" " * (-len(header) % 8)
        self.parts: list[bytes | memoryview] = [struct.pack("<Q", len(header)) + header, *parts]
        self.size = sum(len(p) if isinstance(p, bytes) else p.nbytes for p in self.parts)

    def write_to(self, f: BinaryIO) -> None:
        for part in self.parts:
            f.write(part)

    def feed(self, digest: Any) -> None:
        """``digest.update`` with every part (a hashlib object)."""
        for part in self.parts:
            digest.update(part)

    def __bytes__(self) -> bytes:
        return b"".join(self.parts)


def _dense(tensor: torch.Tensor) -> torch.Tensor:
    t = tensor.detach()
    if t.dtype not in _RANK:
        raise TypeError(f"safetensors has no dtype for {t.dtype}")
    return t.contiguous() if t.layout is torch.strided and t.device.type == "cpu" else t.to_dense().cpu().contiguous()


def state_dict_bytes(state_dict: dict[str, torch.Tensor]) -> bytes:
    """The ``.safetensors`` file of a state_dict, as one ``bytes`` (e.g. an HTTP answer)."""
    return bytes(SafetensorsFile(state_dict))
