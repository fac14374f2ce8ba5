"""
Which part of a period the catalog covers, per data class and identifier, from file metadata only.

The ETL writes one file per (family, instrument, UTC day), named by the day's bounds. A day is
*present* when its file holds rows; the file's Parquet footer gives the row count and the first
and last ``ts_init`` (column statistics), so nothing but footers is read. A stretch of consecutive
present days covers the time from its first row to its last, widened to the stretch's (or the
period's) ends when the rows come within ``edge_tolerance_ns`` of them (a day of klines starts at
00:00:59.999…, a day of funding rows at its first settlement); otherwise the gap at that end is
reported (a *partial* day). Gaps inside a day of a stretch are not looked for.
"""

from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq

from catalog.layout import DAY_NS
from catalog.layout import family_dir
from catalog.layout import files_overlapping
from catalog.layout import period_days

TS_COLUMN = "ts_init"


@dataclass(frozen=True, slots=True)
class DayRows:
    """
    The rows one catalog file holds: how many, and the first and last ``ts_init``.

    Parameters
    ----------
    day : int
        The UTC day number (days since the epoch).
    rows : int
        The file's row count.
    first_ns, last_ns : int
        The smallest and largest ``ts_init`` (0 when the file is empty).

    """

    day: int
    rows: int
    first_ns: int
    last_ns: int


def _ts_bounds(metadata: pq.FileMetaData) -> tuple[int, int]:
    names = metadata.schema.names
    if TS_COLUMN not in names or metadata.num_rows == 0:
        return 0, 0
    column = names.index(TS_COLUMN)
    lows, highs = [], []
    for group in range(metadata.num_row_groups):
        stats = metadata.row_group(group).column(column).statistics
        if stats is None or not stats.has_min_max:
            return 0, 0
        lows.append(int(stats.min))
        highs.append(int(stats.max))
    return min(lows), max(highs)


def day_rows(folder: Path, start_ns: int, end_ns: int) -> dict[int, DayRows]:
    """
    Return the rows per UTC day of the files in ``folder`` that overlap ``[start_ns, end_ns]``.

    Parameters
    ----------
    folder : Path
        A family folder (``catalog.layout.family_dir``); a missing folder holds nothing.
    start_ns, end_ns : int
        Inclusive bounds.

    Returns
    -------
    dict[int, DayRows]
        Per day number; several files of one day add up.

    """
    found: dict[int, DayRows] = {}
    for file in files_overlapping(folder, start_ns, end_ns):
        metadata = pq.read_metadata(file.path)
        first, last = _ts_bounds(metadata)
        if not metadata.num_rows:
            continue
        if not first and not last:
            # No statistics in the footer: the file's name bounds are all that is known.
            first, last = file.start_ns, file.end_ns
        known = found.get(file.day)
        if known is not None:
            first, last = min(first, known.first_ns), max(last, known.last_ns)
        rows = metadata.num_rows + (known.rows if known else 0)
        found[file.day] = DayRows(file.day, rows, first, last)
    return found


@dataclass(frozen=True)
class Coverage:
    """
    The coverage of ``[start_ns, end_ns]`` by one data class of one identifier.

    Parameters
    ----------
    label : str
        What is covered, for messages (``quotes BTCUSDT-PERP.BINANCE``).
    start_ns, end_ns : int
        The inclusive period.
    missing_days : list[int]
        Days of the period without any row.
    partial : list[tuple[int, int, int]]
        ``(day, from_ns, to_ns)``: present days whose rows leave a gap at either end (the covered
        part is ``[from_ns, to_ns]``).
    covered : list[tuple[int, int]]
        The covered intervals ``[lo, hi)`` inside the period, in order, merged.

    """

    label: str
    start_ns: int
    end_ns: int
    missing_days: list[int] = field(default_factory=list)
    partial: list[tuple[int, int, int]] = field(default_factory=list)
    covered: list[tuple[int, int]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Return whether every nanosecond of the period is covered."""
        return not self.missing_days and not self.partial

    def problems(self) -> list[str]:
        """Return the missing days and the partial days, one text each (``2024-01-03``)."""
        texts = [day_text(day) for day in self.missing_days]
        texts += [
            f"{day_text(day)} (rows only {_clock(lo)}..{_clock(hi)})" for day, lo, hi in self.partial
        ]
        return sorted(texts)


def day_text(day: int) -> str:
    """Return a UTC day number as ``YYYY-MM-DD``."""
    return datetime.fromtimestamp(day * 86_400, tz=UTC).date().isoformat()


def _clock(ts_ns: int) -> str:
    return datetime.fromtimestamp(ts_ns / 1e9, tz=UTC).strftime("%H:%M")


def merge(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Return half-open intervals sorted and merged where they touch or overlap."""
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(i for i in intervals if i[1] > i[0]):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def intersect(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Return the intersection of two sorted, merged lists of half-open intervals."""
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo < hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def covered_ns(intervals: list[tuple[int, int]]) -> int:
    """Return the nanoseconds a merged list of half-open intervals covers."""
    return sum(hi - lo for lo, hi in intervals)


def coverage(
    root: Path,
    cls: type,
    identifier: str,
    start_ns: int,
    end_ns: int,
    edge_tolerance_ns: int,
    label: str | None = None,
) -> Coverage:
    """
    Return how the catalog covers ``[start_ns, end_ns]`` with one data class of one identifier.

    Parameters
    ----------
    root : Path
        The catalog root.
    cls : type
        The Nautilus data class (``QuoteTick``, ``Bar``, ``FundingRate`` ...).
    identifier : str
        The instrument id, or the bar type for bars.
    start_ns, end_ns : int
        The inclusive period.
    edge_tolerance_ns : int
        The largest stretch without rows at either end of a day (or of the period, if it starts or
        ends inside a day) that still counts as covered; use the data's own cadence and more (an
        hour for ticks and 1-minute klines, a day for 8-hourly funding rows).
    label : str, optional
        What is covered, for messages (default: the class name and identifier).

    Returns
    -------
    Coverage

    """
    days = day_rows(family_dir(root, cls, identifier), start_ns, end_ns)
    result = Coverage(label or f"{cls.__name__} {identifier}", start_ns, end_ns)
    pieces = []
    for run in _present_runs(period_days(start_ns, end_ns), days, result.missing_days):
        # Only the ends of a stretch of present days can fall short: inside it the next day's
        # file starts where the previous one ends.
        lo = max(run[0] * DAY_NS, start_ns)
        hi = min((run[-1] + 1) * DAY_NS - 1, end_ns)
        first, last = days[run[0]].first_ns, days[run[-1]].last_ns
        first = lo if first - lo <= edge_tolerance_ns else min(first, hi)
        last = hi if hi - last <= edge_tolerance_ns else max(last, lo)
        if last < first:  # the rows all lie outside the period's part of these days
            result.missing_days.extend(run)
            continue
        if first > lo:
            result.partial.append((run[0], first, min((run[0] + 1) * DAY_NS - 1, hi)))
        if last < hi:
            result.partial.append((run[-1], max(run[-1] * DAY_NS, first), last))
        pieces.append((first, last + 1))
    result.missing_days.sort()
    result.covered.extend(merge(pieces))
    return result


def _present_runs(wanted: list[int], days: dict[int, DayRows], missing: list[int]) -> list[list[int]]:
    """Return the stretches of consecutive present days among `wanted`; add the absent to `missing`."""
    runs: list[list[int]] = []
    for day in wanted:
        if day not in days:
            missing.append(day)
        elif runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


@dataclass(frozen=True)
class PeriodCoverage:
    """
    The coverage of one period by every data source a run needs.

    Parameters
    ----------
    start_ns, end_ns : int
        The inclusive period.
    sources : list[Coverage]
        One per (data class, identifier).

    """

    start_ns: int
    end_ns: int
    sources: list[Coverage]

    @property
    def complete(self) -> bool:
        """Return whether every source covers the whole period."""
        return all(source.complete for source in self.sources)

    @property
    def covered(self) -> list[tuple[int, int]]:
        """Return the half-open intervals every source covers."""
        together = [(self.start_ns, self.end_ns + 1)]
        for source in self.sources:
            together = intersect(together, source.covered)
        return together

    @property
    def share(self) -> float:
        """Return the fraction of the period every source covers."""
        return covered_ns(self.covered) / (self.end_ns + 1 - self.start_ns)

    def missing(self) -> dict[str, list[str]]:
        """Return, per incomplete source, its missing and partial days (``YYYY-MM-DD``)."""
        return {s.label: s.problems() for s in self.sources if not s.complete}

    def describe(self) -> str:
        """Return the missing days per source as lines, e.g. ``quotes BTCUSDT-PERP.BINANCE: 2024-01-02``."""
        return "\n".join(f"{label}: {', '.join(days)}" for label, days in self.missing().items())
