"""
What the catalog holds per family, instrument and UTC day, and its holes (``etl report``'s scan).

Reads only the timestamp columns (and, for funding, the interval column) straight from the
catalog's Parquet files with pyarrow, batch by batch, plus the ingest manifest. For each family,
instrument and day it reports rows, first and last ``ts_init``, and the family's gaps:

- klines, markPriceKlines, indexPriceKlines, premiumIndexKlines: 1-minute rows missing from the
  day's 1440 (each stamped open + 60 s - 1 ns);
- bookTicker: quote silences, gaps between consecutive quotes longer than a threshold (a gap
  across midnight counts on the day it ends; the time before the first and after the last quote
  of the catalog is not a silence);
- fundingRate: settlements missing from the ``funding_interval_hours`` schedule (settlements are
  aligned on 00:00 UTC; ``calc_time`` may land a few ms late);
- every family: days without data between its first and last day (reported once as missing days,
  not again as silences or missing minutes), and rows out of ``ts_init`` order;

plus the rejected rows by reason (from the manifest, per source file and day), manifest row counts
that the catalog no longer matches, and the source files that failed to ingest.
"""

import datetime as dt
from collections import Counter
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from catalog.layout import file_bounds
from catalog.schemas import BAR_SPECS
from catalog.schemas import FAMILY_DATA_CLASS
from catalog.schemas import NS_PER_DAY
from catalog.schemas import data_dir
from etl.archive import KLINE_FAMILIES
from etl.archive import parse_name
from etl.families import KLINE_NS
from etl.families import NS_PER_S
from etl.ingest_file import owned_days
from etl.manifest import SKIPPABLE_STATUSES
from etl.manifest import Manifest
from etl.manifest import manifest_path

DEFAULT_QUOTE_SILENCE_S = 60.0
FAMILIES = tuple(FAMILY_DATA_CLASS)
MINUTES_PER_DAY = NS_PER_DAY // KLINE_NS
LARGEST_GAPS = 5
NS_PER_HOUR = 3600 * NS_PER_S
# Funding calc_time lands a few ms after the scheduled instant: snap to the minute, and accept a
# settlement up to this late before calling the scheduled one missing.
FUNDING_TOLERANCE_NS = 60 * NS_PER_S
_BATCH_ROWS = 1 << 20
_EPOCH = dt.date(1970, 1, 1)


@dataclass
class Gap:
    """The interval between two consecutive rows: ``ts_init`` of the earlier and the later."""

    start_ns: int
    end_ns: int
    seconds: float


@dataclass
class Run:
    """A run of consecutive missing items (minutes ``HH:MM`` or days ``YYYY-MM-DD``), inclusive."""

    first: str
    last: str
    count: int


@dataclass
class DayReport:
    """
    Coverage and gaps of one family and instrument on one UTC day.

    Fields a family does not check are None: ``missing_minutes`` (klines), ``silences``,
    ``longest_gap_s`` and ``largest_gaps`` (bookTicker), ``missing_settlements`` (fundingRate).
    ``rejects`` come from the day's own source file (daily families only).
    """

    day: str
    rows: int = 0
    ts_first: int | None = None
    ts_last: int | None = None
    out_of_order: int = 0
    missing_minutes: int | None = None
    missing_minute_runs: list[Run] | None = None
    silences: int | None = None
    longest_gap_s: float | None = None
    largest_gaps: list[Gap] | None = None
    missing_settlements: list[str] | None = None
    rejects: dict[str, int] = field(default_factory=dict)

    @property
    def has_issues(self) -> bool:
        """Return whether the day has a gap, a reject or rows out of order."""
        return bool(self.out_of_order or self.missing_minutes or self.silences or self.missing_settlements or self.rejects)


@dataclass
class SourceRejects:
    """The rejected rows of one source file (monthly sources cannot be split by day)."""

    key: str
    source: str
    rows_read: int
    rows_rejected: int
    rejects: dict[str, int]
    quarantine: str | None


@dataclass
class RowMismatch:
    """A source whose manifest ``rows_written`` differs from the rows now in its catalog days."""

    key: str
    source: str
    manifest_rows: int
    catalog_rows: int


@dataclass
class FailedSource:
    """A source file the ingest could not read (corrupt zip, checksum mismatch, ...)."""

    key: str
    source: str
    family: str
    instrument_id: str
    status: str
    error: str | None


@dataclass
class SeriesReport:
    """One family of one instrument: its days, missing days, rejects and consistency checks."""

    family: str
    instrument_id: str
    days: list[DayReport] = field(default_factory=list)
    missing_days: list[Run] = field(default_factory=list)
    missing_settlements: list[str] | None = None
    source_rejects: list[SourceRejects] = field(default_factory=list)
    row_mismatches: list[RowMismatch] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Return the rows in the catalog."""
        return sum(d.rows for d in self.days)

    @property
    def missing_day_count(self) -> int:
        """Return the days without data between the first and the last day."""
        return sum(r.count for r in self.missing_days)

    @property
    def rejects(self) -> dict[str, int]:
        """Return the rejected rows by reason over all sources."""
        total: Counter[str] = Counter()
        for s in self.source_rejects:
            total.update(s.rejects)
        return dict(sorted(total.items()))

    def totals(self) -> dict:
        """Return the series' figures summed over its days (None: not checked for the family)."""

        def days_with(attr: str) -> int:
            return sum(1 for d in self.days if getattr(d, attr))

        klines, quotes = self.family in KLINE_FAMILIES, self.family == "bookTicker"
        return {
            "days": len(self.days),
            "first_day": self.days[0].day if self.days else None,
            "last_day": self.days[-1].day if self.days else None,
            "missing_days": self.missing_day_count,
            "rows": self.rows,
            "rows_rejected": sum(self.rejects.values()),
            "rejects": self.rejects,
            "out_of_order": sum(d.out_of_order for d in self.days),
            "missing_minutes": sum(d.missing_minutes or 0 for d in self.days) if klines else None,
            "days_missing_minutes": days_with("missing_minutes") if klines else None,
            "silences": sum(d.silences or 0 for d in self.days) if quotes else None,
            "days_with_silences": days_with("silences") if quotes else None,
            "longest_gap_s": max((d.longest_gap_s or 0.0 for d in self.days), default=None) if quotes else None,
            "missing_settlements": len(self.missing_settlements) if self.missing_settlements is not None else None,
        }

    def to_dict(self) -> dict:
        """Return the series as plain JSON-able data, totals included."""
        return {"family": self.family, "instrument_id": self.instrument_id, "totals": self.totals()} | {
            k: v for k, v in asdict(self).items() if k not in ("family", "instrument_id")
        }


@dataclass
class CatalogReport:
    """The whole report: one entry per family and instrument, and the failed sources."""

    catalog: str
    quote_silence_s: float
    series: list[SeriesReport] = field(default_factory=list)
    failed_sources: list[FailedSource] = field(default_factory=list)

    def get(self, family: str, instrument_id: str) -> SeriesReport:
        """Return the series of one family and instrument."""
        for s in self.series:
            if s.family == family and s.instrument_id == instrument_id:
                return s
        raise KeyError(f"no {family} series for {instrument_id} in the report")

    def to_dict(self) -> dict:
        """Return the report as plain JSON-able data."""
        return {
            "catalog": self.catalog,
            "quote_silence_s": self.quote_silence_s,
            "series": [s.to_dict() for s in self.series],
            "failed_sources": [asdict(f) for f in self.failed_sources],
        }


def build_report(
    catalog: Path,
    *,
    quote_silence_s: float = DEFAULT_QUOTE_SILENCE_S,
    families: list[str] | None = None,
    instruments: list[str] | None = None,
) -> CatalogReport:
    """
    Scan a catalog and its manifest into a report.

    Parameters
    ----------
    catalog : Path
        The ParquetDataCatalog folder.
    quote_silence_s : float
        A gap between consecutive quotes longer than this is a silence.
    families, instruments : list[str] | None
        Restrict to these archive families (``aggTrades`` ...) / instrument ids.

    Returns
    -------
    CatalogReport

    Raises
    ------
    FileNotFoundError
        If `catalog` is not a folder.
    ValueError
        If the manifest has an unsupported version.

    """
    catalog = Path(catalog)
    if not catalog.is_dir():
        raise FileNotFoundError(f"catalog folder {catalog} does not exist")
    entries = list(Manifest(catalog).entries.values()) if manifest_path(catalog).exists() else []

    def wanted(family: str, instrument_id: str) -> bool:
        return (not families or family in families) and (not instruments or instrument_id in instruments)

    keys = {k for k in _catalog_series(catalog) if wanted(*k)}
    keys |= {(e["family"], e["instrument_id"]) for e in entries if e["status"] in SKIPPABLE_STATUSES and wanted(e["family"], e["instrument_id"])}
    report = CatalogReport(catalog=str(catalog), quote_silence_s=quote_silence_s)
    for family, instrument_id in sorted(keys, key=lambda k: (FAMILIES.index(k[0]), k[1])):
        series_entries = [e for e in entries if e["family"] == family and e["instrument_id"] == instrument_id]
        report.series.append(_series_report(catalog, family, instrument_id, series_entries, int(quote_silence_s * NS_PER_S)))
    report.failed_sources = [
        FailedSource(e["key"], e["source"], e["family"], e["instrument_id"], e["status"], e.get("error"))
        for e in entries
        if e["status"] not in SKIPPABLE_STATUSES and wanted(e["family"], e["instrument_id"])
    ]
    return report


def _catalog_series(catalog: Path) -> list[tuple[str, str]]:
    """Return the (family, instrument id) pairs that have a data folder in the catalog."""
    found = []
    for family in FAMILIES:
        # The family's folder, e.g. data/quote_tick, holds one folder per instrument (bar type).
        base = data_dir(catalog, family, "X").parent
        if not base.is_dir():
            continue
        for folder in sorted(p.name for p in base.iterdir() if p.is_dir()):
            if family in BAR_SPECS:
                suffix = f"-{BAR_SPECS[family]}"
                if not folder.endswith(suffix):
                    continue  # other bar types are another family's, or not the ETL's
                folder = folder.removesuffix(suffix)
            found.append((family, folder))
    return found


def _series_report(catalog: Path, family: str, instrument_id: str, entries: list[dict], silence_ns: int) -> SeriesReport:
    scan = _SeriesScan(family, silence_ns)
    folder = data_dir(catalog, family, instrument_id)
    files = sorted(folder.glob("*.parquet"), key=_file_start) if folder.is_dir() else []
    columns = ["ts_init", "funding_interval_hours"] if family == "fundingRate" else ["ts_init"]
    for path in files:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=_BATCH_ROWS, columns=columns):
            ts = batch.column(0).to_numpy().view(np.int64)  # uint64 in Nautilus schemas, int64 in custom ones
            scan.add(ts, batch.column(1).to_numpy() if family == "fundingRate" else None)
    series = SeriesReport(family=family, instrument_id=instrument_id)
    series.days, series.missing_settlements = scan.finish()
    if scan.days:
        numbers = np.fromiter(scan.days, dtype=np.int64)
        missing = np.setdiff1d(np.arange(numbers.min(), numbers.max() + 1), numbers)
        series.missing_days = _runs(missing, _iso_day)
    by_day = {d.day: d for d in series.days}
    for entry in sorted(entries, key=lambda e: e["key"]):
        _attach_source(series, by_day, entry)
    return series


def _attach_source(series: SeriesReport, by_day: dict[str, DayReport], entry: dict) -> None:
    """Attach one manifest entry: its rejects (to its day when daily) and its row-count check."""
    source = parse_name(entry["source"])
    if entry["rows_rejected"]:
        series.source_rejects.append(SourceRejects(entry["key"], entry["source"], entry["rows_read"], entry["rows_rejected"], dict(entry["rejects"]), entry.get("quarantine")))
    if source is None or entry["status"] not in SKIPPABLE_STATUSES:
        return
    if source.day is not None and entry["rejects"] and source.day.isoformat() in by_day:
        by_day[source.day.isoformat()].rejects = dict(entry["rejects"])
    catalog_rows = sum(by_day[d.isoformat()].rows for d in owned_days(source) if d.isoformat() in by_day)
    if catalog_rows != entry["rows_written"]:
        series.row_mismatches.append(RowMismatch(entry["key"], entry["source"], entry["rows_written"], catalog_rows))


def _file_start(path: Path) -> tuple[int, str]:
    bounds = file_bounds(path.name)
    return (bounds[0] if bounds else 0, path.name)


class _SeriesScan:
    """Accumulate one series' per-day figures from its ``ts_init`` values, batch by batch."""

    def __init__(self, family: str, silence_ns: int) -> None:
        self.family = family
        self.silence_ns = silence_ns
        self.days: dict[int, DayReport] = {}
        self.minutes: dict[int, np.ndarray] = {}
        self.funding: list[tuple[np.ndarray, np.ndarray]] = []
        self.prev_ts: int | None = None

    def add(self, ts: np.ndarray, interval_hours: np.ndarray | None) -> None:
        """Add the next batch of ``ts_init`` values (in catalog order)."""
        if ts.size == 0:
            return
        day_numbers = ts // NS_PER_DAY
        prev = int(ts[0]) if self.prev_ts is None else self.prev_ts
        gaps = np.diff(ts, prepend=prev)
        # A gap over a day without data is that missing day, reported once as such.
        gaps[day_numbers - np.concatenate(([prev // NS_PER_DAY], day_numbers[:-1])) > 1] = 0
        self.prev_ts = int(ts[-1])
        if interval_hours is not None:
            self.funding.append((ts, interval_hours.astype(np.int64)))
        edges = np.concatenate(([0], np.flatnonzero(np.diff(day_numbers)) + 1, [ts.size]))
        for start, stop in zip(edges[:-1], edges[1:], strict=True):
            self._add_day(int(day_numbers[start]), ts[start:stop], gaps[start:stop])

    def _add_day(self, day_number: int, ts: np.ndarray, gaps: np.ndarray) -> None:
        day = self.days.get(day_number)
        if day is None:
            day = self.days[day_number] = DayReport(day=_iso_day(day_number))
        day.rows += ts.size
        first, last = int(ts.min()), int(ts.max())
        day.ts_first = first if day.ts_first is None else min(day.ts_first, first)
        day.ts_last = last if day.ts_last is None else max(day.ts_last, last)
        day.out_of_order += int(np.count_nonzero(gaps < 0))
        if self.family in KLINE_FAMILIES:
            # Bars sit at day_start + (k + 1) min - 1 ns for the k-th minute of the day.
            offset = ts - day_number * NS_PER_DAY + 1
            on_grid = offset % KLINE_NS == 0
            present = self.minutes.setdefault(day_number, np.zeros(MINUTES_PER_DAY, dtype=bool))
            present[offset[on_grid] // KLINE_NS - 1] = True
        elif self.family == "bookTicker":
            day.silences = (day.silences or 0) + int(np.count_nonzero(gaps > self.silence_ns))
            top = np.argpartition(gaps, -LARGEST_GAPS)[-LARGEST_GAPS:] if gaps.size > LARGEST_GAPS else np.arange(gaps.size)
            candidates = (day.largest_gaps or []) + [Gap(int(ts[i] - gaps[i]), int(ts[i]), gaps[i] / NS_PER_S) for i in top if gaps[i] > 0]
            day.largest_gaps = sorted(candidates, key=lambda g: (-g.seconds, g.start_ns))[:LARGEST_GAPS]
            day.longest_gap_s = day.largest_gaps[0].seconds if day.largest_gaps else 0.0

    def finish(self) -> tuple[list[DayReport], list[str] | None]:
        """Return the day reports in order and, for funding, every missing settlement (ISO)."""
        for day_number, present in self.minutes.items():
            missing = np.flatnonzero(~present)
            day = self.days[day_number]
            day.missing_minutes = int(missing.size)
            day.missing_minute_runs = _runs(missing, lambda m: f"{m // 60:02d}:{m % 60:02d}")
        missing_settlements = None
        if self.family == "fundingRate":
            missing_settlements = []
            for day in self.days.values():
                day.missing_settlements = []
            for ts in _missing_settlements(self.funding):
                iso = np.datetime_as_string(np.datetime64(int(ts), "ns"), unit="m") + "Z"
                missing_settlements.append(iso)
                day = self.days.get(int(ts) // NS_PER_DAY)
                if day is not None:
                    day.missing_settlements.append(iso)
        return [self.days[k] for k in sorted(self.days)], missing_settlements


def _missing_settlements(batches: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """
    Return the scheduled funding instants (ns) that have no settlement row.

    Between two settlements, the later one's interval is the schedule (it is the period that
    settlement covers); before the first and after the last, the schedule runs from 00:00 UTC of
    their days to the day's end.
    """
    if not batches:
        return np.empty(0, dtype=np.int64)
    ts = np.concatenate([b[0] for b in batches])
    hours = np.concatenate([b[1] for b in batches])
    order = np.argsort(ts, kind="stable")
    minute = 60 * NS_PER_S
    nominal = (ts[order] + minute // 2) // minute * minute
    step = hours[order] * NS_PER_HOUR
    first_day = nominal[0] // NS_PER_DAY * NS_PER_DAY
    # Virtual settlements frame the series so that its first and last days are checked to their
    # edges like the others: one a full interval before the first day's 00:00, and one placed so
    # that only instants before the last day's end can be missing after the last settlement.
    next_day = (nominal[-1] // NS_PER_DAY + 1) * NS_PER_DAY
    prev = np.concatenate(([first_day - step[0]], nominal))
    nxt = np.concatenate((nominal, [next_day + step[-1] - FUNDING_TOLERANCE_NS - 1]))
    steps = np.concatenate((step, [step[-1]]))
    missing = []
    for p, c, h in zip(prev, nxt, steps, strict=True):
        if c - p > h + FUNDING_TOLERANCE_NS:
            # Scheduled instants p + k*h that leave a full interval before the next settlement.
            missing.append(np.arange(p + h, c - h + FUNDING_TOLERANCE_NS + 1, h))
    return np.concatenate(missing) if missing else np.empty(0, dtype=np.int64)


def _runs(values: np.ndarray, label) -> list[Run]:
    """Group sorted integers into runs of consecutive values, labelled by `label`."""
    if len(values) == 0:
        return []
    values = np.asarray(values, dtype=np.int64)
    breaks = np.flatnonzero(np.diff(values) != 1)
    starts = np.concatenate(([0], breaks + 1))
    stops = np.concatenate((breaks, [len(values) - 1]))
    return [Run(label(int(values[a])), label(int(values[b])), int(b - a + 1)) for a, b in zip(starts, stops, strict=True)]


def _iso_day(day_number: int) -> str:
    return (_EPOCH + dt.timedelta(days=int(day_number))).isoformat()
