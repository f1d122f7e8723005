"""``python -m app [--host H] [--port P]``: serve layerlab with uvicorn.

Host and port default to ``LAYERLAB_HOST`` / ``LAYERLAB_PORT`` (the Docker image sets 0.0.0.0).
"""

from __future__ import annotations

import argparse
import logging


def main(argv: list[str] | None = None) -> None:
    from .settings import Settings

    settings = Settings()
    parser = argparse.ArgumentParser(prog="python -m app", description="Serve layerlab.")
    parser.add_argument("--host", default=settings.host, help=f"interface to bind (default {settings.host})")
    parser.add_argument("--port", type=int, default=settings.port, help=f"port (default {settings.port})")
    parser.add_argument("--workers", type=int, default=settings.web_workers,
                        help=f"server processes (default {settings.web_workers}, LAYERLAB_WEB_WORKERS)")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    import os

    import uvicorn

    # The app reads its settings itself (in each of uvicorn's worker processes): it must know the
    # interface it listens on, which decides whether job routes need a token (app/api/deps.py).
    os.environ["LAYERLAB_HOST"] = args.host

    uvicorn.run("app.main:app", host=args.host, port=args.port, log_level=args.log_level, workers=args.workers)


if __name__ == "__main__":
    main()
