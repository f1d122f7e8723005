"""A token bucket per client IP for the compute endpoints (``LAYERLAB_RATE_LIMIT``, e.g. ``120/minute``).

Each client may burst up to the count, then gets tokens back at count/period. Behind a proxy the
client is the proxy unless uvicorn is told to trust it (``--forwarded-allow-ips``), which makes
``X-Forwarded-For`` the client.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

_PERIODS = {"s": 1.0, "second": 1.0, "min": 60.0, "minute": 60.0, "h": 3600.0, "hour": 3600.0}
# Idle clients are forgotten once their bucket would be full again, so memory follows active clients.
_SWEEP_EVERY = 1024


@dataclass
class _Bucket:
    tokens: float
    at: float


class TokenBuckets:
    def __init__(self, count: int, period_s: float, clock=time.monotonic) -> None:
        self.spec = f"{count} per {period_s:g} s"
        self.capacity = float(count)
        self.rate = count / period_s  # tokens per second
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._calls = 0

    @classmethod
    def parse(cls, spec: str) -> TokenBuckets:
        count, period = spec.split("/")
        return cls(int(count), _PERIODS[period])

    def take(self, client: str) -> float:
        """0 when ``client`` may go ahead (a token is spent), else the seconds until it may."""
        now = self._clock()
        self._calls += 1
        if self._calls % _SWEEP_EVERY == 0:
            self._forget_idle(now)
        bucket = self._buckets.setdefault(client, _Bucket(self.capacity, now))
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate

    def _forget_idle(self, now: float) -> None:
        full_after = self.capacity / self.rate
        self._buckets = {c: b for c, b in self._buckets.items() if now - b.at < full_after}
