"""
Interpolation of a day-long event path that is only ever held block by block.

``np.interp(x, xp, fp)`` reads two points around each ``x``: the last ``xp <= x`` and the next.
`Lookback` keeps, between blocks, the few recent events a later query can still reach, so that
interpolating over (kept events + the new block) gives exactly what interpolating over the whole
day would. `Sampler` answers a sorted list of query times as blocks go by, holding back the
queries that fall after a block's last event until the next block brackets them.
"""

from dataclasses import dataclass
from dataclasses import field

import numpy as np


@dataclass
class Lookback:
    """
    Recent events of a path: times and values of one or more series, in event order.

    Parameters
    ----------
    reach_ms : int
        How far before a block's start its queries may look.

    """

    reach_ms: int
    ms: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    values: tuple[np.ndarray, ...] = ()

    def window(self, ms: np.ndarray, *values: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        """Return the kept events followed by a block's (times, values)."""
        if not self.values:
            return ms, values
        joined = tuple(np.concatenate([kept, new]) for kept, new in zip(self.values, values, strict=True))
        return np.concatenate([self.ms, ms]), joined

    def keep(self, ms: np.ndarray, values: tuple[np.ndarray, ...], next_start_ms: int) -> None:
        """Keep what a block starting at `next_start_ms` can reach of the window (`ms`, `values`)."""
        # From the last event at or before the earliest reachable time: it brackets every query.
        first = max(0, int(np.searchsorted(ms, next_start_ms - self.reach_ms, side="right")) - 1)
        self.ms = ms[first:].copy()
        self.values = tuple(v[first:].copy() for v in values)


@dataclass
class Sampler:
    """
    Values of a path at sorted query times, filled block by block.

    Parameters
    ----------
    at_ms : np.ndarray
        Sorted query times (ms).

    """

    at_ms: np.ndarray
    out: np.ndarray = field(init=False)
    done: int = 0

    def __post_init__(self) -> None:
        self.out = np.empty(len(self.at_ms))

    def fill(self, ms: np.ndarray, values: np.ndarray) -> None:
        """Answer the pending queries bracketed by a window that holds every event before its end."""
        stop = int(np.searchsorted(self.at_ms, ms[-1], side="right"))
        if stop > self.done:
            self.out[self.done : stop] = np.interp(self.at_ms[self.done : stop], ms, values)
            self.done = stop

    def finish(self, last_value: float) -> np.ndarray:
        """Answer the queries after the day's last event (the path's last value) and return all."""
        self.out[self.done :] = last_value
        self.done = len(self.at_ms)
        return self.out
