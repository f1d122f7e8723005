"""How much the pictures cost: torch alone vs. the API with every map vs. matplotlib.

    scripts/run bench/render_bench.py [--sizes 512,1024,2048] [--rounds 20] [--quick]

(i)   pure torch: Conv2d(3,16,3,padding=1) → ReLU → MaxPool2d(2) on a photo-like image, 512×512,
      1024×1024 and 2048×2048, on the very tensor the server computes on (the run's ``code``:
      ``TF.to_tensor``, contiguous; a channels-last view of the same pixels, what this bench used
      before, runs other kernels with other rounding, and is printed beside it);
(ii)  the same through the API, server time summed from the app's Server-Timing headers (in-process
      client; each round a new seed so the run is never a cache hit; the input's map, the same
      picture every round, is drawn once), in the lab's way (``POST /api/pipeline/run?draw_maps=true``,
      then GET of every stage's map: maps drawn alongside the run) and plainly (no ``draw_maps``: each
      map drawn when asked for). (i) and (ii) alternate round by round, so both see the same load;
      the last stage's statistics are checked to be torch's own;
(iii) matplotlib: each stage's 16 (or 3) channels as 4×4 imshow subplots saved as PNG — what a
      notebook would do. Skipped with a message when matplotlib is not installed.
Also: p50 server time of one CIFAR-10 image through a 3-layer pipeline (run + maps), PNG
compress levels, and the server's RSS with the dataset loaded and the run cache full.
``--quick`` prints only (i) and (ii) (the test that the bench runs uses it, with small sizes).
"""

from __future__ import annotations

import argparse
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
from torchvision.transforms import functional as TF  # noqa: E402

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


def through_api(client: TestClient, upload_id: str, maps: bool = True, times: list[float] | None = None, lab: bool = False):
    """Run (new seed: never a cache hit) and fetch every map; appends the summed server time to ``times``.

    ``lab``: as the lab asks, ``?draw_maps=true`` (maps drawn alongside the run). Returns the answer.
    """

    def go(seed: int) -> dict:
        body = {"input": {"source": "upload", "upload_id": upload_id}, "layers": LAYERS, "seed": 1000 + seed}
        r = client.post("/api/pipeline/run", params={"draw_maps": "true"} if lab else None, json=body)
        answer, spent = r.json(), server_s(r)
        if maps:
            for url in [answer["input"]["image_url"]] + [layer["image_url"] for layer in answer["layers"]]:
                m = client.get(url)
                assert m.status_code == 200
                spent += server_s(m)
        if times is not None:
            times.append(spent)
        return answer

    return go


def torch_against_api(client: TestClient, size: int, rounds: int) -> float:
    """(i) and (ii) at one size, alternating; prints them and returns (ii, lab) / (i)."""
    image = photo_like(size)
    x = TF.to_tensor(image).unsqueeze(0)  # (1, 3, size, size): what the server computes on, as the run's code does
    x_cl = torch.from_numpy(np.asarray(image).copy()).permute(2, 0, 1).unsqueeze(0).float() / 255  # a channels-last view
    buf = io.BytesIO()
    image.save(buf, "PNG")
    upload_id = client.post("/api/uploads", files={"file": ("p.png", buf.getvalue(), "image/png")}).json()["upload_id"]
    times: dict[str, list[float]] = {"torch": [], "channels_last": [], "lab": [], "plain": [], "run": []}
    go_lab = through_api(client, upload_id, times=times["lab"], lab=True)
    go_plain = through_api(client, upload_id, times=times["plain"])
    go_run = through_api(client, upload_id, maps=False, times=times["run"])
    for i in range(rounds + 1):  # round 0 warms up
        for name, inp in (("torch", x), ("channels_last", x_cl)):
            t = time.perf_counter()
            pure_torch(inp)(i)
            times[name].append(time.perf_counter() - t)
        answer = go_lab(i)
        go_plain(10_000 + i)  # seeds not run before: no cache hit
        go_run(20_000 + i)
        if i == 0:
            torch.manual_seed(1000)
            out = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)).eval()(x).detach()
            stats = answer["layers"][-1]["stats"]
            assert (stats["min"], stats["max"], stats["mean"], stats["std"]) == tuple(float(v) for v in (out.min(), out.max(), out.mean(), out.std()))
            for v in times.values():
                v.clear()
    med = {name: statistics.median(v) * 1000 for name, v in times.items()}
    print(f"{size}x{size}, median of {rounds}, {torch.get_num_threads()} threads, load {os.getloadavg()[0]:.1f}:")
    print(f"  (i)   pure torch                         {med['torch']:8.1f} ms   (on a channels-last view: {med['channels_last']:.1f} ms)")
    print(f"  (ii)  API run + all 4 maps, the lab's way  {med['lab']:8.1f} ms   (ii)/(i) = {med['lab'] / med['torch']:.2f}  (target <= 2)")
    print(f"        the same, each map drawn when asked {med['plain']:8.1f} ms   = {med['plain'] / med['torch']:.2f}; "
          f"of which POST /api/pipeline/run {med['run']:.1f} ms", flush=True)
    return med["lab"] / med["torch"]


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
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="512,1024,2048", help="image sides for (i) and (ii), comma-separated")
    parser.add_argument("--rounds", type=int, default=4 * ROUNDS, help="rounds of (i) and (ii) at 512 (fewer at larger sizes)")
    parser.add_argument("--quick", action="store_true", help="only (i) and (ii)")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    torch.set_num_threads(os.cpu_count() or 1)
    sizes = [int(side) for side in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        # A 16-channel stage of a 2048x2048 image holds 16 x 2048 x 2048 values, above the default LAYERLAB_MAX_ELEMENTS.
        settings = Settings(data_dir=Path(tmp), cifar10_dir=os.environ.get("LAYERLAB_DEV_CIFAR10_DIR") or None,
                            max_elements=max(Settings().max_elements, 16 * max(sizes) ** 2))
        t = time.perf_counter()
        with TestClient(create_app(settings)) as client:
            start_s = time.perf_counter() - t
            ratios = [torch_against_api(client, size, max(3, min(args.rounds, args.rounds * 512**2 // size**2))) for size in sizes]
            print("(ii)/(i) at " + ", ".join(f"{size}x{size}: {r:.2f}" for size, r in zip(sizes, ratios)))
            if args.quick:
                return
            image = photo_like()
            x = TF.to_tensor(image).unsqueeze(0)
            info = client.get("/api/datasets/cifar10").json()
            buf = io.BytesIO()
            image.save(buf, "PNG")
            upload_id = client.post("/api/uploads", files={"file": ("p.png", buf.getvalue(), "image/png")}).json()["upload_id"]
            t_api = best(through_api(client, upload_id, lab=True))
            print(f"512x512 run + all maps, the lab's way, timed at the in-process client: {t_api * 1000:.1f} ms")

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
