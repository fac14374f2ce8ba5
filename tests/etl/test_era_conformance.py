"""
Era conformance (issue 12): files of every era of the archive ingest completely, nothing rejected.

Real samples come from ``../shared/data/binance``; the era fixtures below reproduce what older or
newer files look like: 6-decimal spot quantities of 2020, µs timestamps of 2025 spot files, files
without a header, unsorted metrics, a funding interval change, a tick size change mid-history.
"""

import csv
import datetime as dt
import zipfile
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from etl.archive import SPOT
from etl.ingest import ingest
from etl.report import build_report
from tests.etl.instrument_files import PERP_BTC_WITH_TICK_CHANGE
from tests.etl.instrument_files import SPOT_BTC_WITH_2020_ERA
from tests.etl.instrument_files import write_instruments
from tests.etl.rawfiles import DAY_MS
from tests.etl.rawfiles import write_raw

DAY = 86_400_000
JAN_2020_MS = 1_577_836_800_000
SEP_2025_US = 1_757_030_400_000_000  # 2025-09-05T00:00:00Z in µs


def test_every_real_sample_ingests_with_no_reject(shared_data, tmp_path):
    # Act
    summary = ingest(shared_data, tmp_path / "catalog")

    # Assert: every file lands whole; left out are only coarser klines and the CSV twin of a zip
    assert summary.results
    assert [(r.source, r.status, r.rejects) for r in summary.results if r.status != "ok" or r.rows_rejected] == []
    assert all(r.rows_written == r.rows_read > 0 for r in summary.results)
    left_out = [r for r in summary.refused if "only 1m klines are ingested" not in r.reason]
    assert [(Path(r.path).name, "zip preferred" in r.reason) for r in left_out] == [("BTCUSDT-fundingRate-2026-04.csv", True)]


def spot_trades_2020(tmp_path: Path) -> tuple[Path, Path]:
    """Spot aggTrades of 2020: no header, ms, True/False, is_best_match, 6-decimal quantities."""
    rows = [f"{100 + i},{7200 + i % 50 / 100:.8f},{0.000123 + i * 0.000001:.8f},{200 + i},{200 + i},{JAN_2020_MS + 1000 * i},{'True' if i % 2 else 'False'},True" for i in range(500)]
    write_raw(tmp_path / "raw", "aggTrades", "2020-01-01", rows, market=SPOT, header=False)
    return tmp_path / "raw", write_instruments(tmp_path / "instruments.toml", SPOT_BTC_WITH_2020_ERA)


def spot_microseconds_2025(tmp_path: Path) -> tuple[Path, None]:
    """Spot aggTrades and 1m klines of 2025: no header, µs timestamps."""
    trades = [f"{900 + i},{110000 + i % 7 / 100:.8f},{0.00012 + i % 3 / 100000:.8f},{900 + i},{900 + i},{SEP_2025_US + 250_000 * i + 17},{'True' if i % 3 else 'False'},True" for i in range(400)]
    klines = []
    for m in range(1440):
        t = SEP_2025_US + m * 60_000_000
        klines.append(f"{t},110000.00000000,110010.50000000,109990.01000000,110001.00000000,3.48107000,{t + 59_999_999},382000.1,1076,1.44229000,158000.69532040,0")
    write_raw(tmp_path / "raw", "aggTrades", "2025-09-05", trades, market=SPOT, header=False)
    write_raw(tmp_path / "raw", "klines", "2025-09-05", klines, market=SPOT, header=False)
    return tmp_path / "raw", None


def futures_without_header_2021(tmp_path: Path) -> tuple[Path, None]:
    """USD-M klines and aggTrades of 2021: no header row (headers came in about 2022)."""
    start = 1_612_137_600_000  # 2021-02-01
    klines = [f"{start + m * 60_000},33000.10,33010.00,32990.00,33005.50,12.345,{start + m * 60_000 + 59_999},407000.5,120,6.2,204000.1,0" for m in range(1440)]
    trades = [f"{1 + i},{33000 + i % 9 / 10:.1f},{0.001 * (1 + i % 4):.3f},{10 * i},{10 * i + 2},{start + 150 * i},{'true' if i % 2 else 'false'}" for i in range(600)]
    write_raw(tmp_path / "raw", "klines", "2021-02-01", klines, header=False)
    write_raw(tmp_path / "raw", "aggTrades", "2021-02-01", trades, header=False)
    return tmp_path / "raw", None


def unsorted_metrics(tmp_path: Path) -> tuple[Path, None]:
    """Real-style metrics: text times, 16-decimal values, rows out of time order."""
    times = [dt.datetime(2024, 1, 1) + dt.timedelta(minutes=5 * k) for k in range(288)]
    order = list(range(0, 288, 2)) + list(range(287, 0, -2))  # evens up, then odds down
    rows = [f"{times[k]:%Y-%m-%d %H:%M:%S},BTCUSDT,{80000 + k:.16f},{(80000 + k) * 42000:.16f},1.2345678901234567,2.0,1.1,0.9" for k in order]
    write_raw(tmp_path / "raw", "metrics", "2024-01-01", rows)
    return tmp_path / "raw", None


def funding_interval_change(tmp_path: Path) -> tuple[Path, None]:
    """
    A funding month whose interval goes from 8 h to 4 h on the 16th, calc_time a few ms late.

    A row's interval is the period its settlement covers: the 16th's 00:00 row still says 8.
    """
    first = 1_704_067_200_000  # 2024-01-01
    times = [first]
    while times[-1] < first + 31 * DAY - 4 * 3_600_000:
        times.append(times[-1] + (8 if times[-1] < first + 15 * DAY else 4) * 3_600_000)
    rows = []
    for i, t in enumerate(times):
        hours = 8 if i == 0 else (t - times[i - 1]) // 3_600_000
        rows.append(f"{t + (t // 3_600_000) % 9},{hours},{0.0001 if (t // 3_600_000) % 3 else -0.00005:.8f}")
    write_raw(tmp_path / "raw", "fundingRate", "2024-01", rows, zipped=True)
    return tmp_path / "raw", None


def tick_change_mid_history(tmp_path: Path) -> tuple[Path, Path]:
    """USD-M trades before (0.01 tick) and after (0.1 tick) a tick size change dated 2024-01-02."""
    for day in range(3):
        decimals = 2 if day == 0 else 1  # the change day holds both eras: prices on the 0.1 grid are on both
        rows = [f"{1 + 1000 * day + i},{42000 + (i % 9 + 1) / 10**decimals:.{decimals}f},0.00{1 + i % 5},{i},{i},{DAY_MS + day * DAY + 100 * i},{'true' if i % 2 else 'false'}" for i in range(300)]
        write_raw(tmp_path / "raw", "aggTrades", f"2024-01-0{day + 1}", rows)
    return tmp_path / "raw", write_instruments(tmp_path / "instruments.toml", PERP_BTC_WITH_TICK_CHANGE)


ERAS: dict[str, Callable[[Path], tuple[Path, Path | None]]] = {
    "spot_6_decimal_quantities_2020": spot_trades_2020,
    "spot_microseconds_2025": spot_microseconds_2025,
    "futures_without_header_2021": futures_without_header_2021,
    "unsorted_metrics": unsorted_metrics,
    "funding_interval_change": funding_interval_change,
    "tick_change_mid_history": tick_change_mid_history,
}


def _data_rows(path: Path) -> int:
    """Count a source file's data rows (a header, when present, is not one)."""
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            text = archive.read(archive.namelist()[0]).decode()
    else:
        text = path.read_text()
    rows = list(csv.reader(text.splitlines()))
    return len(rows) - (0 if rows[0][0][0].isdigit() else 1)


@pytest.mark.parametrize("era", sorted(ERAS))
def test_era_fixture_ingests_completely(era, tmp_path):
    # Arrange
    raw, instruments = ERAS[era](tmp_path)
    sources = sorted(p for p in raw.rglob("*") if p.suffix in (".csv", ".zip"))

    # Act
    summary = ingest(raw, tmp_path / "catalog", instruments_file=instruments)

    # Assert
    assert summary.exit_code == 0 and not summary.refused
    assert len(summary.results) == len(sources)
    for result in summary.results:
        catalog_rows = sum(pq.read_metadata(tmp_path / "catalog" / out).num_rows for out in result.outputs)
        assert (result.status, result.rows_rejected) == ("ok", 0), (result.source, result.error, result.rejects)
        assert result.rows_written == catalog_rows == _data_rows(Path(result.source))


def test_funding_interval_change_keeps_each_rows_interval_and_leaves_no_settlement_missing(tmp_path):
    # Arrange
    raw, _ = funding_interval_change(tmp_path)

    # Act
    ingest(raw, tmp_path / "catalog")
    report = build_report(tmp_path / "catalog")

    # Assert
    table = pq.read_table(tmp_path / "catalog" / "data" / "custom_funding_rate")
    hours = table.column("funding_interval_hours").to_pylist()
    assert hours.count(8) == 15 * 3 + 1 and hours.count(4) == 16 * 6 - 1
    assert report.get("fundingRate", "BTCUSDT-PERP.BINANCE").missing_settlements == []


def test_unsorted_metrics_are_written_in_time_order(tmp_path):
    # Arrange
    raw, _ = unsorted_metrics(tmp_path)

    # Act
    ingest(raw, tmp_path / "catalog")

    # Assert
    ts = pq.read_table(tmp_path / "catalog" / "data" / "custom_futures_metrics").column("ts_init").to_pylist()
    assert ts == sorted(ts) and len(ts) == 288
    assert ts[1] - ts[0] == 300 * 10**9
