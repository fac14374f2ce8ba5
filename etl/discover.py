"""Find raw archive files by name, whatever the folders, and pick one file per source."""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from etl.archive import FAMILIES
from etl.archive import KLINE_FAMILIES
from etl.archive import SPOT
from etl.archive import UNKNOWN_KLINE_FAMILY
from etl.archive import ArchiveFile
from etl.archive import parse_name

# What the catalog has a type for, per market.
SUPPORTED: dict[str, frozenset[str]] = {
    "futures/um": frozenset({"aggTrades", "bookTicker", *KLINE_FAMILIES, "metrics", "fundingRate", "bookDepth"}),
    SPOT: frozenset({"aggTrades", "klines"}),
}


@dataclass(frozen=True)
class Refused:
    """A file that is recognised but not ingested, and why."""

    path: str
    reason: str
    # A choice the ingest makes by design (a duplicate CSV beside its ZIP, a coarser kline
    # interval, a family without a catalog type): listed, but not a failure of the run.
    by_design: bool = False


def _overlaps(source: ArchiveFile, start: dt.date | None, end: dt.date | None) -> bool:
    if source.day is not None:
        first = last = source.day
    else:
        year, month = source.month
        first = dt.date(year, month, 1)
        last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    # Half-open, as in backtests and research: ``end`` is the first day not wanted.
    return (start is None or last >= start) and (end is None or first < end)


def discover(
    raw: Path,
    *,
    symbols: list[str] | None = None,
    families: list[str] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    ignored: list[Refused] | None = None,
) -> tuple[list[ArchiveFile], list[Refused]]:
    """
    Find the raw files to ingest under `raw`.

    Files are recognised by their archive names (``BTCUSDT-aggTrades-2024-01-01.zip``,
    ``BTCUSDT-1m-2024-01-01.csv``, ``BTCUSDT-fundingRate-2024-01.zip`` ...) in any folder layout;
    a ``spot`` folder on the path marks spot files. Kline names are shared by the trade, mark,
    index and premium klines: the nearest family folder (``klines``, ``markPriceKlines`` ...)
    decides, and a kline file under none is refused. When a source exists as both CSV and ZIP, the
    ZIP (which its CHECKSUM can verify) is used.

    Parameters
    ----------
    raw : Path
        The folder searched, recursively.
    symbols, families : list[str] | None
        Only these symbols / families.
    start, end : dt.date | None
        Only files overlapping ``[start, end)``: ``end`` is the first UTC day not wanted.
    ignored : list[Refused] | None
        When given, receives every other file with the reason it was passed over (name not an
        archive name, or outside the filters), so that a run that finds nothing can say why.

    Returns
    -------
    tuple[list[ArchiveFile], list[Refused]]
        The files to ingest (sorted by path) and the recognised files that are not ingested.

    """
    if not raw.exists():
        raise FileNotFoundError(f"raw data folder {raw} does not exist")
    chosen: dict[tuple, ArchiveFile] = {}
    refused: list[Refused] = []
    passed_over: list[Refused] = ignored if ignored is not None else []
    for path in sorted(p for p in raw.rglob("*") if p.is_file()):
        source = parse_name(str(path))
        if source is None:
            if not path.name.endswith(".CHECKSUM"):
                passed_over.append(Refused(str(path), "not an archive file name (SYMBOL-family-YYYY-MM-DD.csv or .zip)"))
            continue
        if symbols and source.symbol not in symbols:
            passed_over.append(Refused(str(path), f"symbol {source.symbol} not in --symbols"))
            continue
        if source.family == UNKNOWN_KLINE_FAMILY:
            # Never guessed: a mark-price file read as trade klines would be silently wrong.
            if (not families or set(families) & set(KLINE_FAMILIES)) and _overlaps(source, start, end):
                refused.append(Refused(str(path), f"{path.name} is named like every kline family ({', '.join(KLINE_FAMILIES)}): its family cannot be told; put it in a folder named after its family (e.g. .../klines/{path.name})"))
            continue
        if families and source.family not in families:
            passed_over.append(Refused(str(path), f"family {source.family} not in --families"))
            continue
        if not _overlaps(source, start, end):
            passed_over.append(Refused(str(path), f"{source.period_label} outside --start/--end"))
            continue
        if source.family not in SUPPORTED[source.market]:
            refused.append(Refused(str(path), f"{source.family} is not a supported {source.market} family (supported: {', '.join(sorted(SUPPORTED[source.market]))})", by_design=True))
            continue
        if source.family in KLINE_FAMILIES and source.interval != "1m":
            refused.append(Refused(str(path), f"{source.family} {source.interval}: only 1m klines are ingested (as 1-minute rows); coarser bars are aggregated from them", by_design=True))
            continue
        key = (source.market, source.family, source.symbol, source.period_label)
        previous = chosen.get(key)
        if previous is None:
            chosen[key] = source
            continue
        keep, drop = (source, previous) if (source.ext == "zip" and previous.ext != "zip") else (previous, source)
        chosen[key] = keep
        refused.append(Refused(drop.path, f"same source as {keep.path} (one file per source; zip preferred)", by_design=True))
    return sorted(chosen.values(), key=lambda s: s.path), refused


def family_names() -> list[str]:
    """Return the archive family names the ingest understands."""
    return sorted(FAMILIES)
