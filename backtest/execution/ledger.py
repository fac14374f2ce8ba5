"""
What each taker order met: the touch it was filled against, kept in the engine's cache.

The matching engine's fill events carry price and quantity only, so the module writes, for every
taker order, the touch in force when Nautilus filled it and the depth source that priced the part
beyond it. ``backtest.frames.fills_frame`` reads it back to give each fill its level (ticks beyond
the touch) and its impact cost.

"""

import json

from nautilus_trader.cache.cache import Cache

KEY_PREFIX = "execution.touch:"
COUNTERS_KEY = "execution.counters"
# Where the depth beyond the touch came from.
SOURCE_L1 = "l1"  # Nautilus's own rule: beyond the displayed size, one tick behind the touch
SOURCE_BOOK_DEPTH = "book_depth"
SOURCE_SQUARE_ROOT = "square_root"


def record_touch(
    cache: Cache, client_order_id: str, touch: float, tick: float, source: str
) -> None:
    """Record the touch and depth source of a taker order (the first fill question wins)."""
    key = KEY_PREFIX + client_order_id
    if cache.get(key) is None:
        cache.add(key, json.dumps({"touch": touch, "tick": tick, "source": source}).encode())


def touch_of(cache: Cache, client_order_id: str) -> dict | None:
    """Return the recorded ``{"touch", "tick", "source"}`` of a taker order, or None."""
    raw = cache.get(KEY_PREFIX + client_order_id)
    return json.loads(raw) if raw is not None else None


def write_counters(cache: Cache, counters: dict[str, int]) -> None:
    """Store the module's counters (walks by source, queue fills) for the run's stats."""
    cache.add(COUNTERS_KEY, json.dumps(counters, sort_keys=True).encode())


def counters_of(cache: Cache) -> dict[str, int]:
    """Return the module's counters (empty when no module ran)."""
    raw = cache.get(COUNTERS_KEY)
    return json.loads(raw) if raw is not None else {}
