"""Regenerate ``app/datasets/cifar10_sample.npz``, the CIFAR-10 sample bundled with the package.

Takes the first 50 train and 20 test images of each class (by file name) from the ImageFolder copy of
CIFAR-10 in ``../shared/data/cifar10-jpeg.tar.gz`` and stores their JPEG bytes unchanged (about
0.6 MB instead of 1.4 MB of pixels), interleaved by class so any run of 10 shows every class.
Decoding them gives exactly the pixels the folder source gives for the same files.

    scripts/run bench/make_cifar10_sample.py [path/to/cifar10-jpeg.tar.gz]
"""

from __future__ import annotations

import sys
import tarfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from app.datasets.bundled import CLASSES, SAMPLE_PATH  # noqa: E402

PER_CLASS = {"train": 50, "test": 20}


def main(archive: Path) -> None:
    with tarfile.open(archive) as tar:
        members = {m.name: m for m in tar.getmembers() if m.isfile() and m.name.endswith(".jpg")}
        arrays: dict[str, np.ndarray] = {"classes": np.array(CLASSES)}
        for split, n in PER_CLASS.items():
            per_class = []
            for name in CLASSES:
                files = sorted(p for p in members if p.startswith(f"cifar10-jpeg/{split}/{name}/"))[:n]
                per_class.append([tar.extractfile(members[p]).read() for p in files])  # type: ignore[union-attr]
            ordered = [(label, per_class[label][i]) for i in range(n) for label in range(len(CLASSES))]
            blobs = [blob for _, blob in ordered]
            arrays[f"{split}_labels"] = np.array([label for label, _ in ordered], dtype=np.uint8)
            arrays[f"{split}_offsets"] = np.cumsum([0] + [len(b) for b in blobs]).astype(np.int64)
            arrays[f"{split}_jpeg"] = np.frombuffer(b"".join(blobs), dtype=np.uint8)
    np.savez(SAMPLE_PATH, **arrays)
    print(f"wrote {SAMPLE_PATH} ({SAMPLE_PATH.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data" / "cifar10-jpeg.tar.gz")
