"""
Timing helpers of the indicator benchmarks: best-of-N process CPU time per event.

Times are process CPU time (``time.process_time``), best of ``repeat``: on the shared 2-core
machine wall-clock time mostly measures the other engineers' load.
"""

import time
from collections.abc import Callable
from collections.abc import Iterable
from typing import Any


def _loop_seconds(handle: Callable[[Any], object], items: Iterable) -> float:
    t0 = time.process_time()
    for item in items:
        handle(item)
    return time.process_time() - t0


def _call_seconds(run: Callable[[], object]) -> float:
    t0 = time.process_time()
    run()
    return time.process_time() - t0


def per_call_us(make: Callable[[], object], handler: str, items: list, repeat: int = 3) -> float:
    """
    Return the best µs per call of ``make().<handler>(item)`` over ``items``.

    Every repetition builds a fresh object with ``make`` (untimed): indicators restart their
    sessions and timestamps.
    """
    best = min(_loop_seconds(getattr(make(), handler), items) for _ in range(repeat))
    return best / len(items) * 1e6


def loop_us(body: Callable[[Any], object], items: list, repeat: int = 3) -> float:
    """Return the best µs per call of ``body(item)`` over ``items``."""
    best = min(_loop_seconds(body, items) for _ in range(repeat))
    return best / len(items) * 1e6


def batch_us(run: Callable[[], object], n_events: int, repeat: int = 3) -> float:
    """Return the best µs per event of ``run()`` over ``n_events`` events (after one warm-up run)."""
    run()  # compile or load from the cache
    best = min(_call_seconds(run) for _ in range(repeat))
    return best / n_events * 1e6
