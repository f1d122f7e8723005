"""How much the pictures cost: torch alone vs. the API with every map vs. matplotlib.

    scripts/run bench/render_bench.py

(i)   pure torch: Conv2d(3,16,3,padding=1) → ReLU → MaxPool2d(2) on a 512×512 photo-like image;
(ii)  the same through POST /api/pipeline/run plus GET of every stage's map: server time, summed
      from the app's Server-Timing headers (in-process client; each round uses a new seed so the run
      is never a cache hit; the input's map, the same picture every round, is drawn once);
(iii) matplotlib: each stage's 16 (or 3) channels as 4×4 imshow subplots saved as PNG — what a
      notebook would do. Skipped with a message when matplotlib is not installed.
Also: p50 server time of one CIFAR-10 image through a 3-layer pipeline (run + maps), PNG
compress levels, and the server's RSS with the dataset loaded and the run cache full.
"""

from __future__ import annotations

import io
import logging
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from fastapi.testclient import TestClient  # noqa: E402
from PIL import Image  # noqa: E402

from app.main import create_app  # noqa: E402
from app.render import draw_stage, encode_png  # noqa: E402
from app.settings import Settings  # noqa: E402

ROUNDS = 5
LAYERS = [{"type": "Conv2d", "out_channels": 16, "kernel_size": 3, "padding": 1}, {"type": "ReLU"}, {"type": "MaxPool2d", "kernel_size": 2}]


def photo_like(size: int = 512) -> Image.Image:
    """Smooth gradients plus texture and noise: compresses like a photo, not like flat colour."""
    y, x = np.mgrid[0:size, 0:size] / size
    rng = np.random.default_rng(0)
    r = 0.5 + 0.4 * np.sin(6 * x + 3 * y)
    g = 0.5 + 0.4 * np.cos(5 * y - 2 * x * y)
    b = 0.5 + 0.3 * np.sin(20 * x * y)
    rgb = np.stack([r, g, b], -1) + rng.normal(0, 0.05, (size, size, 3))
    return Image.fromarray((np.clip(rgb, 0, 1) * 255).astype(np.uint8))


def best(fn, rounds: int = ROUNDS) -> float:
    """Median wall time in seconds (the first call warms up and is not counted)."""
    fn(0)
    times = []
    for i in range(1, rounds + 1):
        t = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def pure_torch(x: torch.Tensor):
    def go(seed: int) -> None:
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)).eval()
        with torch.no_grad():
            model(x)

    return go


def server_s(response) -> float:
    """The app's own time for a request, from its Server-Timing header (no HTTP client in it)."""
    return float(response.headers["server-timing"].split("dur=")[1]) / 1000


def through_api(client: TestClient, upload_id: str, maps: bool = True, times: list[float] | None = None):
    """Run (new seed: never a cache hit) and fetch every map; appends the summed server time to ``times``."""

    def go(seed: int) -> None:
        r = client.post("/api/pipeline/run", json={"input": {"source": "upload", "upload_id": upload_id}, "layers": LAYERS, "seed": 1000 + seed})
        body, spent = r.json(), server_s(r)
        if maps:
            for url in [body["input"]["image_url"]] + [layer["image_url"] for layer in body["layers"]]:
                m = client.get(url)
                assert m.status_code == 200
                spent += server_s(m)
        if times is not None:
            times.append(spent)

    return go


def with_matplotlib(x: torch.Tensor):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def go(seed: int) -> None:
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)).eval()
        with torch.no_grad():
            outs = [x]
            for m in model:
                outs.append(m(outs[-1]))
        for out in outs:
            maps = out[0]
            fig, axes = plt.subplots(4, 4, figsize=(8, 8))
            for c, ax in enumerate(axes.flat):
                ax.axis("off")
                if c < maps.shape[0]:
                    ax.imshow(maps[c].numpy(), cmap="viridis")
            fig.savefig(io.BytesIO(), format="png")
            plt.close(fig)

    return go


def pillow_png(rgb: np.ndarray, level: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG", compress_level=level)
    return buf.getvalue()


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fill_run_cache(client: TestClient, settings: Settings, count: int) -> int:
    """Runs on a batch of CIFAR-10 images, new seeds, until the run cache is 90% full; its bytes."""
    runs, seed = client.app.state.runs, 0
    while runs.cached_bytes < settings.run_cache_bytes * 0.9 and seed < 2000:
        r = client.post("/api/pipeline/run", json={"input": {"source": "cifar10_batch", "split": "test", "start": 0, "count": count}, "layers": LAYERS, "seed": seed})
        assert r.status_code == 200, r.text
        seed += 1
    return runs.cached_bytes


def _server_rss(settings: Settings, count: int, answer) -> None:
    with TestClient(create_app(settings)) as client:
        fill_run_cache(client, settings, count)
        answer.put(rss_mb())


def server_rss(settings: Settings, count: int) -> float:
    """RSS of a fresh process that only serves: starts the app (dataset loaded), fills the run cache."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    answer = ctx.Queue()
    child = ctx.Process(target=_server_rss, args=(settings, count, answer))
    child.start()
    rss = answer.get()
    child.join()
    return rss


def main() -> None:
    logging.disable(logging.INFO)
    torch.set_num_threads(os.cpu_count() or 1)
    image = photo_like()
    x = torch.from_numpy(np.asarray(image).copy()).permute(2, 0, 1).unsqueeze(0).float() / 255  # (1, 3, 512, 512)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), cifar10_dir=os.environ.get("LAYERLAB_DEV_CIFAR10_DIR") or None)
        t = time.perf_counter()
        with TestClient(create_app(settings)) as client:
            start_s = time.perf_counter() - t
            info = client.get("/api/datasets/cifar10").json()
            buf = io.BytesIO()
            image.save(buf, "PNG")
            upload_id = client.post("/api/uploads", files={"file": ("p.png", buf.getvalue(), "image/png")}).json()["upload_id"]

            # (i) and (ii) interleaved round by round, so both see the same machine load.
            api_times: list[float] = []
            run_times: list[float] = []
            torch_times: list[float] = []
            go_torch, go_api = pure_torch(x), through_api(client, upload_id, times=api_times)
            go_run = through_api(client, upload_id, maps=False, times=run_times)
            go_torch(0), go_api(0)
            api_times.clear()
            for i in range(1, 4 * ROUNDS + 1):
                t = time.perf_counter()
                go_torch(i)
                torch_times.append(time.perf_counter() - t)
                go_api(i)
                go_run(100 + i)  # seeds not run before: no cache hit
            t_torch, t_api, t_run = (statistics.median(v) for v in (torch_times, api_times, run_times))
            print(f"512x512, Conv2d(3,16,3,padding=1) -> ReLU -> MaxPool2d(2), median of {4 * ROUNDS}, {torch.get_num_threads()} threads")
            print(f"  (i)   pure torch                      {t_torch * 1000:8.1f} ms")
            print(f"  (ii)  API run + all 4 maps (server)   {t_api * 1000:8.1f} ms   (ii)/(i) = {t_api / t_torch:.1f}  (target <= 3)")
            print(f"        of which POST /api/pipeline/run {t_run * 1000:8.1f} ms, the 4 maps {(t_api - t_run) * 1000:.1f} ms")
            wall = best(through_api(client, upload_id))
            print(f"        the same timed at the in-process client: {wall * 1000:.1f} ms")

            conv = nn.Conv2d(3, 16, 3, padding=1)(x).detach()
            for name, picture in (("input photo (RGB)", draw_stage(x, from_image=True)), ("conv maps (palette)", draw_stage(conv, from_image=True))):
                rgb = picture.rgb().permute(1, 2, 0).contiguous().numpy()
                ours = best(lambda _: encode_png(picture))
                print(f"  PNG of the {name} {picture.size[0]}x{picture.size[1]}: encode_png {ours * 1000:.1f} ms, {len(encode_png(picture)) / 1e3:.0f} kB", end="")
                for level in (1, 6):
                    theirs = best(lambda _: pillow_png(rgb, level))
                    print(f"; Pillow RGB level {level} {theirs * 1000:.1f} ms ({theirs / ours:.1f}x), {len(pillow_png(rgb, level)) / 1e3:.0f} kB", end="")
                print()

            one = [{"type": "Conv2d", "out_channels": 6, "kernel_size": 3, "padding": 1}, {"type": "ReLU"}, {"type": "MaxPool2d", "kernel_size": 2}]
            times = []
            for i in range(50):
                t = time.perf_counter()
                body = client.post("/api/pipeline/run", json={"input": {"source": "cifar10", "split": "test", "index": i}, "layers": one}).json()
                t_run = time.perf_counter() - t
                for url in [body["input"]["image_url"]] + [layer["image_url"] for layer in body["layers"]]:
                    client.get(url)
                times.append((t_run, time.perf_counter() - t))
            print(f"CIFAR-10 image through Conv2d -> ReLU -> MaxPool2d: p50 run {statistics.median(t for t, _ in times) * 1000:.1f} ms, "
                  f"run + 4 maps {statistics.median(t for _, t in times) * 1000:.1f} ms")

            count = min(256, info["splits"]["test"])
            runs = fill_run_cache(client, settings, count)
            print(f"CIFAR-10 source {info['source']} ({info['splits']}), app start {start_s:.1f} s; "
                  f"RSS with dataset loaded and run cache full ({runs / 2**20:.0f} MiB of {settings.run_cache_bytes / 2**20:.0f} MiB): "
                  f"this process {rss_mb():.0f} MB; a server process alone {server_rss(settings, count):.0f} MB")
            # Last, so matplotlib's own memory is not in the RSS above.
            try:
                t_mpl = best(with_matplotlib(x), rounds=3)
                print(f"  (iii) matplotlib 4x4 subplots -> PNG  {t_mpl * 1000:8.1f} ms   (iii)/(ii) = {t_mpl / t_api:.1f}  (target >= 10)")
            except ImportError:
                print("  (iii) skipped: matplotlib is not installed (pip install matplotlib into the environment scripts/run uses)")


if __name__ == "__main__":
    main()
