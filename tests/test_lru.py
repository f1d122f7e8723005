"""app/lru.py: a cache bounded by the bytes of what it keeps, least recently used out first."""

from __future__ import annotations

import threading

from app.lru import ByteLRU


def _lru(limit: int) -> ByteLRU[str, bytes]:
    return ByteLRU(limit, len)


def test_keeps_what_fits_and_counts_its_bytes() -> None:
    cache = _lru(10)
    cache.put("a", b"xxx")
    cache.put("b", b"yyyy")
    assert cache.get("a") == b"xxx" and cache.get("b") == b"yyyy"
    assert cache.nbytes == 7 and "a" in cache and "c" not in cache
    assert cache.get("c") is None


def test_never_holds_more_than_its_budget() -> None:
    cache = _lru(10)
    for i in range(20):
        cache.put(str(i), b"x" * (i % 4 + 1))
        assert cache.nbytes <= 10
    assert cache.nbytes == sum(len(cache.get(k) or b"") for k in map(str, range(20)) if k in cache)


def test_least_recently_used_goes_first_and_get_counts_as_use() -> None:
    cache = _lru(9)
    for key in "abc":
        cache.put(key, b"123")
    cache.get("a")  # now b is the least recently used
    cache.put("d", b"123")
    assert "b" not in cache and all(k in cache for k in "acd")
    cache.put("e", b"123456")  # needs two entries' room: c, then a, leave
    assert "c" not in cache and "a" not in cache and "d" in cache and "e" in cache
    assert cache.nbytes == 9


def test_putting_a_kept_key_again_refreshes_it_without_counting_twice() -> None:
    cache = _lru(6)
    cache.put("a", b"12")
    cache.put("b", b"12")
    cache.put("a", b"12")
    assert cache.nbytes == 4
    cache.put("c", b"1234")  # over budget by 2: b, now the oldest, goes
    assert "b" not in cache and "a" in cache and "c" in cache


def test_an_item_over_the_whole_budget_is_not_kept_and_evicts_nothing() -> None:
    cache = _lru(4)
    cache.put("a", b"12")
    cache.put("huge", b"12345")
    assert "huge" not in cache and cache.get("a") == b"12" and cache.nbytes == 2
    cache.put("exact", b"1234")  # exactly the budget fits, after the rest leaves
    assert cache.get("exact") == b"1234" and "a" not in cache


def test_concurrent_puts_keep_the_byte_count_right() -> None:
    cache = _lru(1000)

    def fill(prefix: str) -> None:
        for i in range(2000):
            cache.put(f"{prefix}{i}", b"x" * (i % 7 + 1))
            cache.get(f"{prefix}{i // 2}")

    threads = [threading.Thread(target=fill, args=(p,)) for p in "abcd"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    kept = [k for p in "abcd" for k in (f"{p}{i}" for i in range(2000)) if k in cache]
    assert cache.nbytes == sum(len(cache.get(k) or b"") for k in kept) <= 1000
