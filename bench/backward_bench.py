"""What a run with backward costs: the server against bare torch forward + backward of the same modules.

    .venv/bin/python bench/backward_bench.py [rounds]

Example 14 of EXAMPLES.md (the classic CIFAR-10 network) on one CIFAR-10 test image, CrossEntropyLoss
against its label, round by round, alternating so both see the same machine load:

(i)  bare torch: ``torch.manual_seed(seed)``, the nine modules built, ``x.requires_grad_()``, forward,
     ``loss.backward()`` — what a PyTorch user would time (the modules' building included, as the
     server builds them too);
(ii) the server, as the lab asks: POST /api/pipeline/run?draw_maps=true&<map query> with ``backward``
     (static/js/api.js), then GET every stage's gradient map (``/grads/{k}.png?<map query>``, k = 0…9);
     the app's own time summed from its Server-Timing headers (in-process client);
(iii) the same without ``draw_maps`` (each map drawn when asked for).
Each round uses a new seed, so nothing comes from a cache.

Prints the medians, the ratios to (i) (target ≤ 3) and the machine's load average. The Server-Timing sum
leaves out what the drawing threads do between two requests, so the client's wall clock from the POST
to the last map is printed too (it includes the in-process client's own few ms per request).
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from fastapi.testclient import TestClient  # noqa: E402

from app.jobs.config import EXAMPLE_14  # noqa: E402
from app.main import create_app  # noqa: E402
from app.settings import Settings  # noqa: E402

IMAGE = {"source": "cifar10", "split": "test", "index": 0}
BACKWARD = {"loss": {"type": "CrossEntropyLoss"}, "target": "label"}
MAP_QUERY = "colormap=auto&normalize=per_channel"  # the lab's default view (static/js/api.js mapQuery)


def server_ms(response) -> float:
    return float(response.headers["server-timing"].split("dur=")[1])


def through_server(client: TestClient, seed: int, lab_way: bool) -> tuple[float, float]:
    """(server time summed from Server-Timing, client wall clock) of the run and its 10 gradient maps, in ms."""
    start = time.perf_counter()
    r = client.post(f"/api/pipeline/run?draw_maps=true&{MAP_QUERY}" if lab_way else "/api/pipeline/run",
                    json={"input": IMAGE, "layers": EXAMPLE_14, "seed": seed, "backward": BACKWARD})
    assert r.status_code == 200, r.text
    body, spent = orjson.loads(r.content), server_ms(r)
    for url in [body["input"]["grad"]["image_url"], *(layer["grad"]["image_url"] for layer in body["layers"])]:
        m = client.get(f"{url}?{MAP_QUERY}")
        assert m.status_code == 200 and m.headers["content-type"] == "image/png"
        spent += server_ms(m)
    return spent, (time.perf_counter() - start) * 1000


def bare_torch(x: torch.Tensor, label: int, seed: int) -> float:
    start = time.perf_counter()
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(2), nn.Conv2d(32, 32, 5, padding=2), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1024, 64), nn.Linear(64, 10),
    ).eval()
    x = x.clone().requires_grad_(True)
    nn.CrossEntropyLoss()(model(x), torch.tensor([label])).backward()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), cifar10_dir=os.environ.get("LAYERLAB_DEV_CIFAR10_DIR") or None)
        with TestClient(create_app(settings)) as client:
            cifar = client.app.state.services.cifar10
            x = cifar.images("test", 0, 1).float() / 255
            label = cifar.label("test", 0)
            through_server(client, 10_000, True), through_server(client, 10_001, False), bare_torch(x, label, 10_000)  # warm-up
            theirs, lab, plain = [], [], []
            for i in range(rounds):
                theirs.append(bare_torch(x, label, i))
                lab.append(through_server(client, 2 * i, True))
                plain.append(through_server(client, 2 * i + 1, False))
    t_torch = statistics.median(theirs)
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"Example 14, one CIFAR-10 image, CrossEntropyLoss on its label; median of {rounds} alternating rounds, "
          f"{torch.get_num_threads()} torch threads, load average {load}")
    print(f"  (i)   bare torch build + forward + backward              {t_torch:8.2f} ms")
    for name, rows in (("(ii)  server, the lab's way (draw_maps) + 10 grad maps", lab), ("(iii) server, plain + 10 grad maps", plain)):
        server, wall = statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows)
        print(f"  {name:<54}{server:8.2f} ms   ratio {server / t_torch:.2f} (target <= 3);  client wall clock {wall:8.2f} ms")


if __name__ == "__main__":
    main()
