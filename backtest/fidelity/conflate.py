"""
Conflate a catalog's quotes: the last quote of each interval, at its own timestamp.

The features fidelity streams these instead of every quote: the matching engine, the funding
module and the strategy's quote handler see the book at most ``interval_ms`` late, never early (a
kept quote is never moved in time). Intervals are aligned to the epoch and divide the minute, so
the last quote before each 1-minute kline close (stamped one nanosecond before the minute) is
always kept: a decision at a kline close sees the same quote in both fidelities.
"""

from pathlib import Path

import numpy as np
import pyarrow as pa

from catalog.derived import conflated_day_path
from catalog.derived import stored_fingerprint
from catalog.derived import write_conflated_day
from catalog.fingerprint import Fingerprints
from catalog.layout import day_bounds
from catalog.layout import files_overlapping
from catalog.layout import market_dir
from catalog.layout import period_days
from catalog.reader import iter_blocks
from catalog.reader import read_schema

MS = 1_000_000


def conflate_file(path: Path, interval_ms: int) -> pa.Table:
    """
    Return the last row of each ``interval_ms`` interval (by ``ts_init``) of a quote file.

    Parameters
    ----------
    path : Path
        A catalog ``QuoteTick`` file.
    interval_ms : int
        The interval (ms, > 0).

    Returns
    -------
    pa.Table
        The kept rows, with the file's schema and metadata.

    """
    width = interval_ms * MS
    kept: list[pa.Table] = []
    pending: pa.Table | None = None  # the last row of the previous block
    pending_bucket = -1
    for block in iter_blocks(path, "quotes", (), keep_raw_columns=True):
        if len(block) == 0:
            continue
        bucket = block.columns["ts_init"] // width
        if pending is not None and bucket[0] != pending_bucket:
            kept.append(pending)
        last = np.flatnonzero(bucket[1:] != bucket[:-1])
        kept.append(block.raw.take(pa.array(last)))
        pending = block.raw.slice(len(block) - 1, 1)
        pending_bucket = int(bucket[-1])
    if pending is not None:
        kept.append(pending)
    if not kept:
        return read_schema(path).empty_table()
    return pa.concat_tables(kept).combine_chunks()


def build_conflated(
    root: Path,
    instrument_id: str,
    interval_ms: int,
    start_ns: int,
    end_ns: int,
    fingerprints: Fingerprints,
) -> int:
    """
    Make sure every day of ``[start_ns, end_ns]`` has current conflated quotes; return days built.

    Parameters
    ----------
    root : Path
        The catalog.
    instrument_id : str
        The instrument.
    interval_ms : int
        The conflation interval.
    start_ns, end_ns : int
        The run period (inclusive); whole days are conflated (reusable by any period).
    fingerprints : Fingerprints
        Identities of the catalog's files.

    Returns
    -------
    int

    """
    built = 0
    for day in period_days(start_ns, end_ns):
        lo, hi = day_bounds(day)
        sources = files_overlapping(market_dir(root, "quotes", instrument_id), lo, hi)
        if not sources:
            continue
        fingerprint = fingerprints.combine(f"conflate|{interval_ms}", [f.path for f in sources])
        target = conflated_day_path(root, interval_ms, instrument_id, day)
        if stored_fingerprint(target) == fingerprint:
            continue
        table = pa.concat_tables([conflate_file(f.path, interval_ms) for f in sources])
        # A file spanning several days (a consolidated catalog) gives this day's rows only.
        ts = table.column("ts_init").to_numpy().view(np.int64)
        inside = (ts >= lo) & (ts <= hi)
        if not inside.all():
            table = table.filter(pa.array(inside))
        write_conflated_day(target, table, fingerprint)
        built += 1
    return built
