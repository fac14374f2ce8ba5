"""
Where a ParquetDataCatalog keeps each family's files, and which files cover a period.

Folder and file names come from Nautilus's own naming functions (the ones ``write_data`` and
``query`` use), so what is found here is what Nautilus reads. The ETL writes one file per
(family, instrument, UTC day) with bounds ``[day_start, next_day_start - 1]``.
"""

from dataclasses import dataclass
from pathlib import Path

from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick
from nautilus_trader.persistence.catalog.parquet import _parse_filename_timestamps
from nautilus_trader.persistence.catalog.parquet import _timestamps_to_filename
from nautilus_trader.persistence.funcs import class_to_filename
from nautilus_trader.persistence.funcs import urisafe_identifier

DAY_NS = 86_400_000_000_000
BAR_SPEC_1M = "1-MINUTE-LAST-EXTERNAL"
DERIVED_DIR = "_derived"
ETL_DIR = "_etl"
MANIFEST = f"{ETL_DIR}/manifest.json"

# The streamed market families and their Nautilus classes.
MARKET_CLASSES: dict[str, type] = {"trades": TradeTick, "quotes": QuoteTick, "bars": Bar}


@dataclass(frozen=True, slots=True)
class DayFile:
    """One catalog file and the inclusive ``ts_init`` bounds in its name."""

    path: Path
    start_ns: int
    end_ns: int

    @property
    def day(self) -> int:
        """Return the UTC day number (days since the epoch) of the file's first nanosecond."""
        return self.start_ns // DAY_NS


def bar_type_1m(instrument_id: str, bar_spec: str = BAR_SPEC_1M) -> str:
    """Return the 1-minute EXTERNAL bar type of an instrument (trade klines by default)."""
    return f"{instrument_id}-{bar_spec}"


def family_identifier(family: str, instrument_id: str) -> str:
    """Return the catalog identifier of one family of an instrument (bars: the bar type)."""
    return bar_type_1m(instrument_id) if family == "bars" else instrument_id


def family_dir(root: Path, cls: type, identifier: str) -> Path:
    """Return the folder holding one data class of one identifier."""
    return data_root(root) / class_to_filename(cls) / urisafe_identifier(identifier)


def market_dir(root: Path, family: str, instrument_id: str) -> Path:
    """Return the folder of one market family (``trades``, ``quotes``, ``bars``) of an instrument."""
    return family_dir(root, MARKET_CLASSES[family], family_identifier(family, instrument_id))


def relative_family_dir(cls: type, identifier: str) -> str:
    """Return ``family_dir`` relative to the catalog root, with forward slashes (for URLs)."""
    return f"data/{class_to_filename(cls)}/{urisafe_identifier(identifier)}"


def safe_identifier(identifier: str) -> str:
    """Return an identifier as it is spelled in catalog folder names."""
    return urisafe_identifier(identifier)


def file_bounds(name: str) -> tuple[int, int] | None:
    """Return the inclusive ``ts_init`` bounds in a catalog file name (None: not a data file)."""
    return _parse_filename_timestamps(name)


def file_name(start_ns: int, end_ns: int) -> str:
    """Return the catalog file name of the bounds ``[start_ns, end_ns]``."""
    return _timestamps_to_filename(start_ns, end_ns)


def day_bounds(day: int) -> tuple[int, int]:
    """Return the inclusive nanosecond bounds of a UTC day number."""
    return day * DAY_NS, (day + 1) * DAY_NS - 1


def files_overlapping(folder: Path, start_ns: int, end_ns: int) -> list[DayFile]:
    """
    Return the catalog files in ``folder`` whose bounds overlap ``[start_ns, end_ns]``, in time order.

    Parameters
    ----------
    folder : Path
        A family folder (``family_dir``); a missing folder holds nothing.
    start_ns, end_ns : int
        Inclusive bounds.

    Returns
    -------
    list[DayFile]

    """
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob("*.parquet"):
        bounds = file_bounds(path.name)
        if bounds is None:
            continue
        lo, hi = bounds
        if lo <= end_ns and hi >= start_ns:
            found.append(DayFile(path, lo, hi))
    return sorted(found, key=lambda f: (f.start_ns, f.end_ns))


def period_days(start_ns: int, end_ns: int) -> list[int]:
    """Return the UTC day numbers touched by ``[start_ns, end_ns]`` (inclusive bounds)."""
    return list(range(start_ns // DAY_NS, end_ns // DAY_NS + 1))


def derived_dir(root: Path) -> Path:
    """Return the folder of data derived from the catalog (features, conflated quotes)."""
    return Path(root) / DERIVED_DIR


def manifest_path(root: Path) -> Path:
    """Return the ingest manifest of a catalog (written by the ETL)."""
    return Path(root) / MANIFEST


def data_root(root: Path) -> Path:
    """Return the folder holding a catalog's data classes (its presence marks a catalog)."""
    return Path(root) / "data"
