"""All of layerlab's configuration in one object, read from the environment once.

Every variable carries the ``LAYERLAB_`` prefix (``LAYERLAB_DATA_DIR``, ``LAYERLAB_MAX_ELEMENTS`` …).
The app factory reads a :class:`Settings` once and hands it to whatever needs it; nothing else
reads the environment.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


class JobBackendKind(StrEnum):
    LOCAL = "local"  # child processes of the server
    RAY = "ray"  # a Ray cluster, through Ray Jobs (app/jobs/ray_backend.py)


def _checkout_root() -> Path:
    # templates/, static/ and node_modules/ sit beside the app package in a checkout.
    return Path(__file__).resolve().parent.parent


def _default_data_dir() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "layerlab" / "data"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LAYERLAB_", extra="ignore")

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Where uploads, runs, jobs and checkpoints are kept.",
    )
    web_dir: Path = Field(
        default_factory=_checkout_root,
        description="Where templates/, static/ and node_modules/ are: the checkout by default; "
        "an installed package (the Docker image) points here at the copy it ships.",
    )
    host: str = Field(default="127.0.0.1", description="Interface `python -m app` binds (0.0.0.0 in the image).")
    port: int = Field(default=8000, gt=0, lt=65536, description="Port `python -m app` listens on.")
    web_workers: int = Field(
        default=1,
        gt=0,
        description="Server processes `python -m app` starts (uvicorn's --workers). Each has its own GIL, so concurrent "
        "users' runs compute in parallel (measured on 2 cores: two clients 1.39x one client with 1 process, 1.76x with 2); "
        "one of them starts the training jobs. Caches, the compute gate and the per-IP rate limit are per process.",
    )
    cifar10_dir: Path | None = Field(
        default=None,
        description="A CIFAR-10 root: torchvision's official files, or an ImageFolder tree with "
        "train/ and test/. Unset: official files under the data dir if present, else the bundled sample.",
    )
    cifar10_download: bool = Field(
        default=False,
        description="Download the official CIFAR-10 archive when its files are not there: in the background, the "
        "bundled sample served meanwhile, progress in GET /api/datasets/cifar10.",
    )
    cifar10_url: str = Field(
        default="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
        description="Where the CIFAR-10 archive is downloaded from (torchvision's URL; a mirror of the same file).",
    )
    cifar10_md5: str = Field(
        default="c58f30108f718f92721af3b95e74349a",
        pattern=r"^([0-9a-f]{32})?$",
        description="The archive's MD5, checked before it is unpacked (torchvision's; empty: not checked).",
    )
    api_token: str | None = Field(
        default=None, description="When set, starting and cancelling jobs need this bearer token (never passed to workers)."
    )
    open_jobs: bool = Field(
        default=False,
        description="Let anyone who reaches the server start and cancel jobs without a token although it listens "
        "beyond loopback (host other than 127.0.0.1, ::1, localhost). Unset there, those requests are refused "
        "(403) until LAYERLAB_API_TOKEN is set.",
    )
    max_upload_bytes: int = Field(
        default=20 * 1024 * 1024, gt=0, description="Largest accepted upload, in bytes (413 above)."
    )
    max_image_pixels: int = Field(
        default=40_000_000,
        gt=0,
        description="Largest decoded image, in pixels (Pillow's decompression-bomb guard).",
    )
    decode_memory_bytes: int = Field(
        default=512 * 1024 * 1024,
        gt=0,
        description="Memory all uploads being decoded may hold at once, reserved from each image's header before "
        "decoding; more wait their turn (up to LAYERLAB_REQUEST_TIMEOUT, then 503). One image needing more is 413.",
    )
    max_elements: int = Field(
        default=50_000_000,
        gt=0,
        description="Most elements any one stage of a pipeline may hold; larger pipelines are refused "
        "from their inferred shapes, before anything is allocated.",
    )
    max_layers: int = Field(default=64, gt=0, description="Most layers in one pipeline.")
    max_batch: int = Field(default=256, gt=0, description="Most images in one cifar10_batch input.")
    max_jobs: int = Field(default=2, gt=0, description="Training jobs that may run at once.")
    max_processes: int = Field(
        default=1,
        gt=0,
        description="Most processes one training job may ask for (its 'processes'): more than one runs the "
        "worker under torchrun, data-parallel (DDP), one process per GPU or per CPU core.",
    )
    job_backend: JobBackendKind = Field(
        default=JobBackendKind.LOCAL,
        description="Where training workers run: 'local' (child processes of the server) or 'ray' (a Ray "
        "cluster through Ray Jobs; needs the 'ray' extra and the data dir on storage every node shares).",
    )
    ray_address: str = Field(
        default="http://127.0.0.1:8265",
        description="The Ray head's dashboard address that Ray Jobs are submitted to (job_backend 'ray').",
    )
    torch_threads: int | None = Field(
        default=None,
        gt=0,
        description="Threads one torch operation may use (torch.set_num_threads, at start-up). Unset: torch's "
        "default, one per core. 1 lets concurrent runs use a core each instead of contending for all of them.",
    )
    max_model_bytes: int = Field(
        default=100 * 1024 * 1024,
        gt=0,
        description="Largest file of POST /api/models (an ONNX file, a state_dict), in bytes (413 above).",
    )
    weights_cache_bytes: int = Field(
        default=128 * 1024 * 1024,
        gt=0,
        description="Memory kept for loaded model and checkpoint weights, so runs with weights_from do not read them again.",
    )
    max_body_bytes: int = Field(
        default=24 * 1024 * 1024,
        gt=0,
        description="Largest request body, in bytes (413 above); leave room above max_upload_bytes for multipart.",
    )
    max_curve_points: int = Field(
        default=10_001, gt=1, le=10_001, description="Most points in one activation curve."
    )
    compute_workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        gt=0,
        description="Compute requests (runs, maps, curves, losses) served at once; others wait their turn.",
    )
    compute_queue: int = Field(
        default=64,
        ge=0,
        description="Compute requests allowed to wait for a worker; beyond that the answer is 503 with Retry-After.",
    )
    request_timeout: float = Field(
        default=60.0, gt=0, description="Seconds a compute request may wait and run before it is answered 503."
    )
    rate_limit: str | None = Field(
        default=None,
        pattern=r"^\d+/(s|second|min|minute|h|hour)$",
        description="Compute requests per client IP, e.g. 120/minute (a token bucket: bursts up to the count); "
        "unset: no limit. Answered 429 with Retry-After.",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description='Origins other sites may call the API from (JSON list, e.g. ["https://course.example"]); empty: none.',
    )
    max_data_bytes: int = Field(
        default=5 * 1024**3,
        gt=0,
        description="Disk for stored run requests, uploads and finished jobs; the oldest are pruned above it.",
    )
    max_data_age_days: float = Field(
        default=30.0, gt=0, description="Stored run requests, uploads and finished jobs older than this are pruned."
    )
    run_cache_bytes: int = Field(
        default=256 * 1024 * 1024,
        gt=0,
        description="Memory kept for the outputs of recent runs (their maps are drawn from it).",
    )
    attribution_cache_bytes: int = Field(
        default=64 * 1024 * 1024,
        gt=0,
        description="Memory kept for recent attributions (their maps and .npy are drawn from it).",
    )
    map_cache_bytes: int = Field(
        default=32 * 1024 * 1024,
        gt=0,
        description="Memory kept for encoded map PNGs, so a map asked for again is not drawn again.",
    )

    @field_validator("cifar10_dir", "rate_limit", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value in ("", None) else value

    @field_validator("data_dir", "cifar10_dir", "web_dir")
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        # Absolute: a worker (another process, maybe another working directory or node) gets the same folder.
        return value.expanduser().absolute() if value is not None else None

    @property
    def listens_beyond_loopback(self) -> bool:
        return self.host not in LOOPBACK_HOSTS
