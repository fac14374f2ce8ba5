"""Write small raw archive files (CSV or ZIP + CHECKSUM) for ETL tests."""

import hashlib
import zipfile
from pathlib import Path

from etl.archive import FAMILIES
from etl.archive import FUTURES_UM
from etl.archive import checksum_line


def write_raw(
    root: Path,
    family: str,
    period: str,
    rows: list[str],
    *,
    symbol: str = "BTCUSDT",
    market: str = FUTURES_UM,
    header: bool = True,
    zipped: bool = False,
    checksum: bool = True,
) -> Path:
    """
    Write one raw file in the archive layout and return its path.

    Parameters
    ----------
    rows : list[str]
        Data lines (without newline); the family header is prepended when `header`.

    """
    spec = FAMILIES[family]
    directory = root / spec.archive_dir(market, symbol)
    directory.mkdir(parents=True, exist_ok=True)
    stem = spec.file_stem(symbol, period)
    lines = ([",".join(spec.columns(market))] if header else []) + rows
    text = ("\n".join(lines) + "\n").encode()
    if not zipped:
        path = directory / f"{stem}.csv"
        path.write_bytes(text)
        return path
    path = directory / f"{stem}.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo(f"{stem}.csv", date_time=(2024, 1, 1, 0, 0, 0)), text)
    if checksum:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        Path(f"{path}.CHECKSUM").write_text(checksum_line(digest, path.name))
    return path


DAY_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z


def trade_rows(n: int, *, start_id: int = 1, start_ms: int = DAY_MS, step_ms: int = 100, price: float = 42000.0) -> list[str]:
    """Return `n` valid aggTrades rows alternating buyer/seller aggressors."""
    rows = []
    for i in range(n):
        p = price + 0.1 * (i % 7)
        rows.append(f"{start_id + i},{p:.1f},{0.001 * (1 + i % 5):.3f},{10 * i},{10 * i + 1},{start_ms + i * step_ms},{'true' if i % 2 else 'false'}")
    return rows


def quote_rows(n: int, *, start_id: int = 1, start_ms: int = DAY_MS, step_ms: int = 100) -> list[str]:
    """Return `n` valid bookTicker rows."""
    rows = []
    for i in range(n):
        bid = 42000.0 + 0.1 * (i % 5)
        rows.append(f"{start_id + i},{bid:.8f},{0.5 + i % 3:.8f},{bid + 0.1:.8f},{1.5:.8f},{start_ms + i * step_ms},{start_ms + i * step_ms + 5}")
    return rows


def kline_rows(minutes: int, *, start_ms: int = DAY_MS) -> list[str]:
    """Return valid 1m kline rows for consecutive minutes."""
    rows = []
    for i in range(minutes):
        o = 42000.0 + i * 0.5
        open_ms = start_ms + i * 60_000
        rows.append(f"{open_ms},{o:.2f},{o + 3:.2f},{o - 2:.2f},{o + 1:.2f},12.345,{open_ms + 59_999},518000.5,120,6.2,260000.1,0")
    return rows
