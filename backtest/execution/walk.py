"""
Walk a book: how much of an order each price level takes, and the order's fills on the tick grid.

A book side is the touch (level 0, its displayed size) followed by levels one tick apart whose
cumulative size beyond the touch is given by a depth profile (``backtest.execution.profiles``).
Quantities are counted in lots (the instrument's size increment) and prices in ticks from the
touch, so every fill is on the instrument's grids and the fills add up to the order exactly.

"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# A profile's cumulative size beyond the touch (lots) through each level k >= 1 (ticks).
Capacity = Callable[[np.ndarray], np.ndarray]
# The deepest level a walk may search; far beyond any real book (a sanity bound, not a model).
MAX_LEVELS = 1 << 22


@dataclass(frozen=True, slots=True)
class LevelFill:
    """One fill of a walk: ``lots`` at ``ticks`` ticks beyond the touch (0: at the touch)."""

    ticks: int
    lots: int


def levels_reached(
    start: float, qty: float, touch: float, capacity: Capacity
) -> tuple[np.ndarray, np.ndarray]:
    """
    Return how much of the book's cumulative range ``[start, start + qty)`` lies in each level.

    Parameters
    ----------
    start : float
        The quantity (lots) already taken from this side since the book last refreshed.
    qty : float
        The quantity (lots) to take now.
    touch : float
        The displayed size at the touch (lots).
    capacity : Capacity
        Cumulative size beyond the touch through level k (lots), non-decreasing in k.

    Returns
    -------
    tuple[np.ndarray, np.ndarray]
        Level indices (ticks from the touch, 0 = the touch) and the quantity taken at each.

    """
    end = start + qty
    ticks = [0]
    sizes = [max(0.0, min(end, touch) - min(start, touch))]
    if end > touch:
        need = end - touch
        deepest = 1
        while float(capacity(np.array([deepest]))[0]) < need:
            if deepest >= MAX_LEVELS:
                raise ValueError(
                    f"the depth profile holds less than {need} lots within {MAX_LEVELS} ticks"
                )
            deepest *= 2
        k = np.arange(1, deepest + 1)
        cumulative = touch + capacity(k)
        last = int(np.searchsorted(cumulative, end, side="left"))  # first level reaching `end`
        k, cumulative = k[: last + 1], cumulative[: last + 1]
        lower = np.concatenate(([touch], cumulative[:-1]))
        taken = np.clip(np.minimum(cumulative, end) - np.maximum(lower, start), 0.0, None)
        ticks += k.tolist()
        sizes += taken.tolist()
    ticks_array, sizes_array = np.asarray(ticks, dtype=np.int64), np.asarray(sizes)
    keep = sizes_array > 0
    return ticks_array[keep], sizes_array[keep]


def average_ticks(ticks: np.ndarray, sizes: np.ndarray) -> float:
    """Return the size-weighted average distance from the touch, in ticks."""
    return float(np.dot(ticks, sizes) / sizes.sum()) if sizes.sum() > 0 else 0.0


def walk(start_lots: int, lots: int, touch_lots: float, capacity: Capacity) -> list[LevelFill]:
    """
    Return an order's fills when it walks the book: at most three, at the exact average price.

    The part taken at the touch is one fill at the touch. The part beyond it, spread over many
    levels by the profile, becomes at most two fills on the two ticks around its average
    distance, sized so that their average is the walk's average (to within one lot's rounding):
    a walk over hundreds of one-tick levels would otherwise produce hundreds of fill events.

    Parameters
    ----------
    start_lots : int
        Lots already taken from this side since the book last refreshed (they are not there).
    lots : int
        The order's quantity in lots (> 0).
    touch_lots : float
        The displayed size at the touch, in lots.
    capacity : Capacity
        The profile beyond the touch (lots through level k).

    Returns
    -------
    list[LevelFill]
        In order of distance from the touch; the lots add up to ``lots``.

    """
    if lots <= 0:
        return []
    ticks, sizes = levels_reached(float(start_lots), float(lots), touch_lots, capacity)
    at_touch = ticks == 0
    touch_lots_taken = min(lots, int(round(sizes[at_touch].sum())))
    fills = [LevelFill(0, touch_lots_taken)] if touch_lots_taken else []
    beyond = lots - touch_lots_taken
    if beyond <= 0:
        return fills
    mean = average_ticks(ticks[~at_touch], sizes[~at_touch])
    low = max(1, math.floor(mean))
    high_lots = int(round(beyond * (mean - low)))
    if high_lots:
        high_lots = min(high_lots, beyond)
    for ticks_away, size in ((low, beyond - high_lots), (low + 1, high_lots)):
        if size:
            fills.append(LevelFill(ticks_away, size))
    return fills
