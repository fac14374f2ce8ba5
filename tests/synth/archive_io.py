"""
Read archive files back the way real ones must be read: header detection (spot files have none),
ZIP or CSV, all days of a family concatenated.
"""

import io
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from etl.archive import FAMILIES
from etl.archive import KLINE_FAMILIES
from etl.archive import SPOT
from etl.archive import parse_name


def file_bytes(path: Path) -> bytes:
    """Return a CSV's bytes, or the single member of a ZIP."""
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            (member,) = zf.namelist()
            return zf.read(member)
    return path.read_bytes()


def has_header(data: bytes) -> bool:
    """Return whether the first line is a header (real files: futures yes, spot no)."""
    return not data[:1].isdigit()


def read_table(path: Path) -> pa.Table:
    """Parse one archive file with pyarrow, naming columns from the archive's family spec."""
    data = file_bytes(path)
    info = parse_name(str(path))
    assert info is not None, path
    names = list(FAMILIES[info.family].columns(info.market))
    options = pacsv.ReadOptions(column_names=names, skip_rows=1 if has_header(data) else 0)
    return pacsv.read_csv(io.BytesIO(data), read_options=options)


def family_files(root: Path, market: str, family: str, symbol: str) -> list[Path]:
    """Return one symbol's files of a family (CSV or ZIP), in period order."""
    base = root / market / ("monthly" if family == "fundingRate" else "daily") / family / symbol
    if family in KLINE_FAMILIES:
        base = base / "1m"
    return sorted(p for p in base.iterdir() if p.suffix in (".csv", ".zip"))


def read_family(root: Path, market: str, family: str, symbol: str) -> pd.DataFrame:
    """Return all files of a family as one DataFrame (floats for decimals, as a reader would)."""
    files = family_files(root, market, family, symbol)
    frames = [read_table(p).to_pandas() for p in files]
    out = pd.concat(frames, ignore_index=True)
    if market == SPOT and family == "aggTrades":
        out["is_best_match"] = out["is_best_match"].astype(bool)
    return out
