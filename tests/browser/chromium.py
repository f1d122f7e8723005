"""Headless Chromium for the browser tests, scripts/screenshots.py and bench/dashboard_latency.py.

Playwright drives the system Chromium (/usr/bin/chromium, Debian's package): ``playwright install``
is not used. The server they look at is tests/live_server.py's.
"""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
