"""
The archive's ``bookDepth`` snapshots, replayed forward in time one catalog file at a time.

A snapshot is every ``BookDepth`` row sharing one timestamp: cumulative depth within ±1..5 % of
the mid (negative percentages: bids). Only the latest snapshot at or before the current time is
used, and only while it is younger than ``max_age_ns`` (the archive has gaps); older, it is as if
there were none and the square-root profile takes over. Memory holds one file (one day).

"""

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from catalog.layout import family_dir
from catalog.layout import files_overlapping
from data_types import BookDepth

Bands = list[tuple[float, float]]


class BookDepthSnapshots:
    """
    The ``bookDepth`` snapshots of one instrument over a period.

    Parameters
    ----------
    catalog_path : str
        The catalog root.
    instrument_id : str
        The instrument.
    start_ns, end_ns : int
        The period (inclusive); a snapshot from up to ``max_age_ns`` before the start is used.
    max_age_ns : int
        The oldest a snapshot may be and still describe the book.

    """

    def __init__(
        self, catalog_path: str, instrument_id: str, start_ns: int, end_ns: int, max_age_ns: int
    ) -> None:
        folder = family_dir(Path(catalog_path), BookDepth, instrument_id)
        self._files = files_overlapping(folder, start_ns - max_age_ns, end_ns)
        self._max_age_ns = max_age_ns
        self._next_file = 0
        self._ts = np.empty(0, dtype=np.int64)
        self._pct = np.empty(0)
        self._depth = np.empty(0)
        self._current: tuple[int, Bands, Bands] | None = None

    @property
    def available(self) -> bool:
        """Return whether the catalog holds any snapshot for the period."""
        return bool(self._files)

    def _load_next_file(self) -> bool:
        if self._next_file >= len(self._files):
            return False
        table = pq.read_table(
            self._files[self._next_file].path, columns=["ts_init", "percentage", "depth"]
        )
        self._next_file += 1
        order = np.argsort(table.column("ts_init").to_numpy(), kind="stable")
        self._ts = table.column("ts_init").to_numpy()[order].astype(np.int64)
        self._pct = table.column("percentage").to_numpy()[order]
        self._depth = table.column("depth").to_numpy()[order]
        return True

    def _snapshot(self, index: int) -> tuple[int, Bands, Bands]:
        ts = int(self._ts[index])
        lo = int(np.searchsorted(self._ts, ts, side="left"))
        pct, depth = self._pct[lo : index + 1], self._depth[lo : index + 1]
        bids = sorted((-float(p), float(d)) for p, d in zip(pct, depth, strict=True) if p < 0)
        asks = sorted((float(p), float(d)) for p, d in zip(pct, depth, strict=True) if p > 0)
        return ts, bids, asks

    def at(self, ts_ns: int) -> tuple[Bands, Bands] | None:
        """
        Return the bid and ask bands of the latest snapshot at or before ``ts_ns`` (calls move forward).

        Returns
        -------
        tuple[Bands, Bands] | None
            ``(bids, asks)`` as ``(percentage, cumulative depth)`` with positive percentages in
            increasing order, or None when no snapshot younger than ``max_age_ns`` exists.

        """
        while (
            self._next_file < len(self._files)
            and self._files[self._next_file].start_ns <= ts_ns
            and (len(self._ts) == 0 or self._ts[-1] <= ts_ns)
        ):
            if len(self._ts):
                self._current = self._snapshot(
                    len(self._ts) - 1
                )  # the day's last, for the next day
            self._load_next_file()
        index = int(np.searchsorted(self._ts, ts_ns, side="right")) - 1
        if index >= 0:
            self._current = self._snapshot(index)
        if self._current is None or ts_ns - self._current[0] > self._max_age_ns:
            return None
        _, bids, asks = self._current
        return bids, asks
