"""
Atomic, per-UTC-day Parquet writes into the catalog, and the quarantine of rejected rows.

Everything a source file produces is written to temporary files first and renamed into place only
when the whole source file has been read: a crash or an abort never leaves a half file, and the
catalog's ``*.parquet`` globs never see a temporary file.
"""

import csv
import datetime as dt
import os
from concurrent.futures import Future
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from catalog.atomic import temp_path
from catalog.schemas import NS_PER_DAY
from catalog.schemas import day_file_name
from catalog.schemas import day_of_ns

_EPOCH = dt.date(1970, 1, 1)


def _write_slices(slices: list[tuple[pq.ParquetWriter, pa.Table]]) -> None:
    for writer, table in slices:
        writer.write_table(table)


def distinct_ts_init(ts_init: np.ndarray, previous: int | None = None) -> np.ndarray:
    """
    Return ``ts_init`` made strictly increasing with the smallest delays: ``max(ts, prior + 1 ns)``.

    Binance stamps thousands of consecutive bookTicker rows (and many aggTrades) with one
    millisecond. The file keeps the exchange's order (update id, trade id), but an engine that
    sorts by ``ts_init`` need not keep the order of equal keys: Nautilus 1.221's backend sorts
    each query with ``ORDER BY ts_init`` and swaps equal neighbours at its internal batch
    boundaries, so the book a strategy saw after such a millisecond could be its older quote.
    Distinct keys make the exchange's order the only order. ``ts_event`` keeps the exchange's
    time; a row is delivered at most a few nanoseconds late, never early, and a tie group never
    reaches the next millisecond (nor a kline close, one nanosecond before a minute) unless it
    holds a million rows.

    Parameters
    ----------
    ts_init : np.ndarray
        Non-decreasing delivery times (ns) of one block.
    previous : int, optional
        The last delivery time written before this block.

    Returns
    -------
    np.ndarray
        int64 times, strictly increasing (and above ``previous``).

    """
    ts = np.asarray(ts_init, dtype=np.int64)
    if previous is not None:
        ts = np.concatenate(([previous], ts))
    steps = np.arange(ts.size, dtype=np.int64)
    # t'[i] = max(t[i], t'[i-1] + 1) unrolls to i + max_{j<=i}(t[j] - j).
    out = steps + np.maximum.accumulate(ts - steps)
    return out[1:] if previous is not None else out


def _dictionary_columns(schema: pa.Schema) -> list[str]:
    # Prices, sides and repeated labels compress well as dictionaries; unique sizes and ids
    # only cost encoding time.
    return [f.name for f in schema if f.name.endswith("price") or f.name in ("aggressor_side", "instrument_id", "type", "symbol")]


class DayWriters:
    """
    Stream a source file's rows into one catalog file per UTC day of ``ts_init``.

    Parameters
    ----------
    directory : Path
        The catalog folder of one family and instrument.
    schema : pa.Schema
        The catalog schema of the rows.
    token : str
        Makes temporary names unique to this writer.

    """

    def __init__(self, directory: Path, schema: pa.Schema, token: str) -> None:
        self.directory = directory
        self.schema = schema
        self.token = token
        self._writers: dict[dt.date, tuple[Path, pq.ParquetWriter]] = {}
        self.rows_by_day: dict[dt.date, int] = {}
        # Parquet encoding runs on a second thread (pyarrow releases the GIL) while the next
        # block is parsed; at most one block is in flight, so memory stays bounded.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet-writer")
        self._pending: Future | None = None
        # Ticks get distinct ts_init values (see ``distinct_ts_init``); the last one written.
        self._distinct = {"bid_price", "aggressor_side"} & set(schema.names) != set()
        self._last_ts: int | None = None

    def write(self, table: pa.Table, ts_init: np.ndarray) -> None:
        """Append rows (non-decreasing in `ts_init`) to their days' files."""
        if table.num_rows == 0:
            return
        if self._distinct:
            ts_init = distinct_ts_init(ts_init, self._last_ts)
            self._last_ts = int(ts_init[-1])
            index = table.schema.get_field_index("ts_init")
            table = table.set_column(index, table.schema.field(index), pa.array(ts_init, pa.uint64()))
        day_numbers = ts_init // NS_PER_DAY
        cuts = np.flatnonzero(np.diff(day_numbers)) + 1
        starts = np.concatenate(([0], cuts))
        stops = np.concatenate((cuts, [len(day_numbers)]))
        slices = []
        for start, stop in zip(starts, stops, strict=True):
            day = day_of_ns(int(ts_init[start]))
            slices.append((self._writer(day), table.slice(start, stop - start)))
            self.rows_by_day[day] = self.rows_by_day.get(day, 0) + int(stop - start)
        self._wait()
        self._pending = self._pool.submit(_write_slices, slices)

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def _writer(self, day: dt.date) -> pq.ParquetWriter:
        if day not in self._writers:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp = temp_path(self.directory / day_file_name(day), self.token)
            self._writers[day] = (tmp, pq.ParquetWriter(tmp, self.schema, compression="snappy", use_dictionary=_dictionary_columns(self.schema)))
        return self._writers[day][1]

    def commit(self, owned_days: list[dt.date]) -> list[Path]:
        """
        Close every day file and rename it into place.

        Parameters
        ----------
        owned_days : list[dt.date]
            Days this source file is the only source of: an existing catalog file for such a
            day that received no rows now is removed (the source now says the day is empty).

        Returns
        -------
        list[Path]
            The catalog files written, sorted.

        """
        self._wait()
        self._pool.shutdown()
        written = []
        for day, (tmp, writer) in sorted(self._writers.items()):
            writer.close()
            final = self.directory / day_file_name(day)
            os.replace(tmp, final)
            written.append(final)
        for day in owned_days:
            if day not in self._writers:
                (self.directory / day_file_name(day)).unlink(missing_ok=True)
        self._writers.clear()
        return written

    def abort(self) -> None:
        """Close and delete every temporary file; the catalog is left as it was."""
        try:
            self._wait()
        except Exception:  # noqa: S110 - the write being aborted may be the one that failed
            pass
        self._pool.shutdown()
        for tmp, writer in self._writers.values():
            try:
                writer.close()
            finally:
                tmp.unlink(missing_ok=True)
        self._writers.clear()


class Quarantine:
    """
    Rejected rows of one source file, as CSV ``line,reason,row``, written atomically.

    Parameters
    ----------
    final : Path
        Where the quarantine file lands when the source file is committed.
    token : str
        Makes the temporary name unique to this writer.

    """

    HEADER = ("line", "reason", "row")

    def __init__(self, final: Path, token: str) -> None:
        self.final = final
        self.token = token
        self._file = None
        self._writer = None
        self.count = 0

    def add(self, lines: np.ndarray, reason: str, texts: list[str]) -> None:
        """Record rejected rows with one reason."""
        if len(lines) == 0:
            return
        if self._writer is None:
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(temp_path(self.final, self.token), "w", newline="")
            self._writer = csv.writer(self._file)
            self._writer.writerow(self.HEADER)
        self._writer.writerows(zip(lines.tolist(), [reason] * len(lines), texts, strict=True))
        self.count += len(lines)

    def commit(self) -> Path | None:
        """Move the quarantine into place (or remove a stale one when nothing was rejected)."""
        if self._file is None:
            self.final.unlink(missing_ok=True)
            return None
        self._file.close()
        os.replace(temp_path(self.final, self.token), self.final)
        self._file = self._writer = None
        return self.final

    def abort(self) -> None:
        """Delete the temporary quarantine file."""
        if self._file is not None:
            self._file.close()
            temp_path(self.final, self.token).unlink(missing_ok=True)
            self._file = self._writer = None
