"""Mark, index and premium klines: named like trade klines, told apart by folder, never mixed up."""

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from nautilus_trader.model.data import Bar
from nautilus_trader.persistence.catalog.parquet import ParquetDataCatalog

from data_types.price_klines import IndexPriceKline
from data_types.price_klines import PremiumIndexKline
from etl.__main__ import main as etl_main
from etl.ingest import ingest
from etl.report import build_report
from tests.etl.rawfiles import DAY_MS
from tests.etl.rawfiles import kline_rows
from tests.etl.rawfiles import write_raw

LAST = "BTCUSDT-PERP.BINANCE-1-MINUTE-LAST-EXTERNAL"
MARK = "BTCUSDT-PERP.BINANCE-1-MINUTE-MARK-EXTERNAL"


def price_rows(minutes: int, open_fmt, start_ms: int = DAY_MS) -> list[str]:
    """1m rows in the kline layout with no volume, as the archive publishes mark/index/premium klines."""
    rows = []
    for i in range(minutes):
        t = start_ms + i * 60_000
        o, h, lo, c = open_fmt(i)
        rows.append(f"{t},{o},{h},{lo},{c},0,{t + 59_999},0,60,0,0,0")
    return rows


def mark(i: int) -> tuple[str, str, str, str]:
    # Mark prices are averages, published finer than the 0.1 tick.
    base = 42000 + i * 0.37
    return f"{base:.8f}", f"{base + 1.23456789:.8f}", f"{base - 0.5:.8f}", f"{base + 0.12345678:.8f}"


def index(i: int) -> tuple[str, str, str, str]:
    base = 41990 + i * 0.37
    return f"{base:.8f}", f"{base + 1:.8f}", f"{base - 1:.8f}", f"{base + 0.25:.8f}"


def premium(i: int) -> tuple[str, str, str, str]:
    base = -0.0002 + i * 1e-6
    return f"{base:.8f}", f"{base + 5e-5:.8f}", f"{base - 5e-5:.8f}", f"{base + 1e-5:.8f}"


@pytest.fixture
def raw(tmp_path) -> Path:
    raw = tmp_path / "raw"
    write_raw(raw, "klines", "2024-01-01", kline_rows(1440), zipped=True)
    write_raw(raw, "markPriceKlines", "2024-01-01", price_rows(1440, mark), zipped=True)
    write_raw(raw, "indexPriceKlines", "2024-01-01", price_rows(1440, index), zipped=True)
    write_raw(raw, "premiumIndexKlines", "2024-01-01", price_rows(1440, premium), zipped=True)
    return raw


def test_the_four_kline_families_of_one_day_share_a_file_name_and_each_lands_in_its_own_place(raw, tmp_path):
    # Arrange
    names = {p.name for p in raw.rglob("*.zip")}

    # Act
    summary = ingest(raw, tmp_path / "catalog")

    # Assert
    assert names == {"BTCUSDT-1m-2024-01-01.zip"}
    assert not summary.refused  # not one of them set aside as a "same source" duplicate
    assert sorted((r.family, r.status, r.rows_written) for r in summary.results) == [
        ("indexPriceKlines", "ok", 1440),
        ("klines", "ok", 1440),
        ("markPriceKlines", "ok", 1440),
        ("premiumIndexKlines", "ok", 1440),
    ]
    catalog = ParquetDataCatalog(str(tmp_path / "catalog"))
    trade_bars = catalog.query(Bar, identifiers=[LAST])
    mark_bars = catalog.query(Bar, identifiers=[MARK])
    assert [b.close.as_decimal() for b in trade_bars] == [Decimal(r.split(",")[4]) for r in kline_rows(1440)]
    assert [b.close.as_decimal() for b in mark_bars] == [Decimal(mark(i)[3]) for i in range(1440)]
    assert [b.high.as_decimal() for b in mark_bars] == [Decimal(mark(i)[1]) for i in range(1440)]
    assert mark_bars[0].ts_event == DAY_MS * 1_000_000 + 60_000_000_000 - 1  # stamped like the trade klines


def test_index_and_premium_klines_read_back_as_their_custom_types(raw, tmp_path):
    # Arrange
    ingest(raw, tmp_path / "catalog")
    catalog = ParquetDataCatalog(str(tmp_path / "catalog"))

    # Act
    index_rows = [r.data for r in catalog.query(IndexPriceKline, identifiers=["BTCUSDT-PERP.BINANCE"])]
    premium_rows = [r.data for r in catalog.query(PremiumIndexKline, identifiers=["BTCUSDT-PERP.BINANCE"])]

    # Assert: negative premiums are kept, values exact to the source text's float
    assert len(index_rows) == len(premium_rows) == 1440
    assert [(p.open, p.high, p.low, p.close) for p in premium_rows] == [tuple(float(v) for v in premium(i)) for i in range(1440)]
    assert premium_rows[0].close < 0
    assert [x.close for x in index_rows] == [float(index(i)[3]) for i in range(1440)]
    assert premium_rows[5].ts_init == DAY_MS * 1_000_000 + 6 * 60_000_000_000 - 1


def test_report_checks_minutes_of_every_kline_family(raw, tmp_path):
    # Arrange
    (raw / "futures/um/daily/markPriceKlines/BTCUSDT/1m/BTCUSDT-1m-2024-01-01.zip").unlink()
    (raw / "futures/um/daily/markPriceKlines/BTCUSDT/1m/BTCUSDT-1m-2024-01-01.zip.CHECKSUM").unlink()
    write_raw(raw, "markPriceKlines", "2024-01-01", price_rows(1000, mark))
    ingest(raw, tmp_path / "catalog")

    # Act
    report = build_report(tmp_path / "catalog")

    # Assert
    assert report.get("markPriceKlines", "BTCUSDT-PERP.BINANCE").totals()["missing_minutes"] == 440
    assert report.get("klines", "BTCUSDT-PERP.BINANCE").totals()["missing_minutes"] == 0
    assert report.get("premiumIndexKlines", "BTCUSDT-PERP.BINANCE").totals()["rows"] == 1440


def test_loose_kline_file_is_refused_with_a_message_not_guessed(raw, tmp_path, capsys):
    # Arrange: a mark file copied out of its folder
    loose = tmp_path / "raw" / "loose"
    loose.mkdir()
    mark_file = raw / "futures/um/daily/markPriceKlines/BTCUSDT/1m/BTCUSDT-1m-2024-01-01.zip"
    shutil.copy(mark_file, loose / "BTCUSDT-1m-2024-01-02.zip")

    # Act
    summary = ingest(raw, tmp_path / "catalog")
    code = etl_main(["ingest", "--raw", str(raw), "--catalog", str(tmp_path / "c2")])

    # Assert
    (refused,) = summary.refused
    assert refused.path.endswith("loose/BTCUSDT-1m-2024-01-02.zip")
    assert "its family cannot be told" in refused.reason and "klines, markPriceKlines" in refused.reason
    assert all(not r.source.endswith("2024-01-02.zip") for r in summary.results)
    assert code == 1  # a file found and not ingested is never a clean success
    assert "its family cannot be told" in " ".join(capsys.readouterr().err.split())


def test_mark_price_klines_of_spot_are_not_a_family(tmp_path):
    # Arrange
    raw = tmp_path / "raw"
    path = raw / "spot/daily/markPriceKlines/BTCUSDT/1m/BTCUSDT-1m-2024-01-01.csv"
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(price_rows(3, mark)) + "\n")

    # Act
    summary = ingest(raw, tmp_path / "catalog")

    # Assert
    (refused,) = summary.refused
    assert "markPriceKlines is not a supported spot family" in refused.reason
