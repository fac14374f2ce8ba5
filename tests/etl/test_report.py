"""``etl report``: per family, instrument and day, the rows, gaps and rejects of a catalog with known holes."""

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from catalog.schemas import data_dir
from catalog.schemas import day_file_name
from etl.__main__ import main as etl_main
from etl.ingest import ingest
from etl.report_compute import Gap
from etl.report_compute import Run
from etl.report_compute import build_report
from tests.etl.rawfiles import DAY_MS
from tests.etl.rawfiles import kline_rows
from tests.etl.rawfiles import quote_rows
from tests.etl.rawfiles import write_raw

PERP = "BTCUSDT-PERP.BINANCE"
ETH_PERP = "ETHUSDT-PERP.BINANCE"
S_MS = 1_000
MINUTE_MS = 60 * S_MS
HOUR_MS = 60 * MINUTE_MS
DAY = 24 * HOUR_MS
NS_PER_MS = 1_000_000
QUOTE_STEP_MS = 10 * S_MS


def _funding_rows(calc_ms: list[int], hours: list[int]) -> list[str]:
    # calc_time lands a few ms after the scheduled instant, as in the real archive.
    return [f"{ms + 1 + i % 5},{h},0.00010000" for i, (ms, h) in enumerate(zip(calc_ms, hours, strict=True))]


def _quotes_between(first_ms: int, last_ms: int, start_id: int) -> list[str]:
    return quote_rows((last_ms - first_ms) // QUOTE_STEP_MS + 1, start_id=start_id, start_ms=first_ms, step_ms=QUOTE_STEP_MS)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> Path:
    """
    Ingest a small dataset with known holes and return its catalog.

    - klines: 2024-01-01 complete, 2024-01-02 without 10:00-10:02, 2024-01-03 absent, 2024-01-04 complete;
    - quotes every 10 s: 2024-01-01 silent from 12:00:00 to 12:02:00; 2024-01-02 starts at 00:01:30
      (a 100 s silence across midnight) and has 3 crossed and 2 non-numeric rows;
    - funding BTCUSDT 2024-01 every 8 h without 2024-01-10 08:00; ETHUSDT 2024-02 starting at
      08:00 on the 1st and switching from 8 h to 4 h on 2024-02-10 at 20:00;
    - a corrupt aggTrades zip.
    """
    root = tmp_path_factory.mktemp("report")
    raw = root / "raw"
    d1, d2, d4 = DAY_MS, DAY_MS + DAY, DAY_MS + 3 * DAY
    write_raw(raw, "klines", "2024-01-01", kline_rows(1440, start_ms=d1))
    write_raw(raw, "klines", "2024-01-02", kline_rows(600, start_ms=d2) + kline_rows(837, start_ms=d2 + 603 * MINUTE_MS))
    write_raw(raw, "klines", "2024-01-04", kline_rows(1440, start_ms=d4))

    noon = d1 + 12 * HOUR_MS
    day1 = _quotes_between(d1, noon, 1) + _quotes_between(noon + 2 * MINUTE_MS, d2 - QUOTE_STEP_MS, 100_000)
    write_raw(raw, "bookTicker", "2024-01-01", day1)
    day2 = _quotes_between(d2 + 90 * S_MS, d2 + DAY - QUOTE_STEP_MS, 200_000)
    for i in (10, 11, 12):
        fields = day2[i].split(",")
        fields[1], fields[3] = fields[3], fields[1]  # bid above ask
        day2[i] = ",".join(fields)
    for i in (20, 30):
        day2[i] = day2[i].replace("42000", "42x00", 1)
    write_raw(raw, "bookTicker", "2024-01-02", day2)

    settlements = [d1 + k * 8 * HOUR_MS for k in range(31 * 3)]
    settlements.remove(d1 + 9 * DAY + 8 * HOUR_MS)  # 2024-01-10 08:00
    write_raw(raw, "fundingRate", "2024-01", _funding_rows(settlements, [8] * len(settlements)))
    feb = d1 + 31 * DAY
    eight = [feb + 8 * HOUR_MS + k * 8 * HOUR_MS for k in range(29)]  # 2024-02-01 08:00 .. 2024-02-10 16:00
    four = list(range(eight[-1] + 4 * HOUR_MS, feb + 29 * DAY, 4 * HOUR_MS))  # 2024-02-10 20:00 .. 2024-02-29 20:00
    write_raw(raw, "fundingRate", "2024-02", _funding_rows(eight + four, [8] * len(eight) + [4] * len(four)), symbol="ETHUSDT")

    corrupt = write_raw(raw, "aggTrades", "2024-01-05", [], zipped=True, checksum=False)
    corrupt.write_bytes(b"this is not a zip archive")

    catalog = root / "catalog"
    ingest(raw, catalog, allow_unverified=True)
    return catalog


@pytest.fixture(scope="module")
def report(catalog):
    return build_report(catalog)


def _day(report, family: str, day: str, instrument_id: str = PERP):
    (found,) = [d for d in report.get(family, instrument_id).days if d.day == day]
    return found


def test_complete_kline_days_have_1440_bars_and_no_missing_minutes(report):
    # Act
    days = [_day(report, "klines", day) for day in ("2024-01-01", "2024-01-04")]

    # Assert
    assert [(d.rows, d.missing_minutes, d.missing_minute_runs) for d in days] == [(1440, 0, []), (1440, 0, [])]


def test_kline_day_reports_its_three_missing_minutes_as_one_run(report):
    # Act
    day = _day(report, "klines", "2024-01-02")

    # Assert
    assert day.rows == 1437
    assert day.missing_minutes == 3
    assert day.missing_minute_runs == [Run("10:00", "10:02", 3)]
    assert day.ts_first == (DAY_MS + DAY + MINUTE_MS) * NS_PER_MS - 1


def test_day_without_a_file_is_a_missing_day_not_missing_minutes(report):
    # Act
    klines = report.get("klines", PERP)

    # Assert
    assert klines.missing_days == [Run("2024-01-03", "2024-01-03", 1)]
    assert [d.day for d in klines.days] == ["2024-01-01", "2024-01-02", "2024-01-04"]
    assert klines.totals()["missing_minutes"] == 3


def test_two_minute_quote_silence_is_counted_with_its_position(report):
    # Arrange
    noon_ns = (DAY_MS + 12 * HOUR_MS) * NS_PER_MS

    # Act
    day = _day(report, "bookTicker", "2024-01-01")

    # Assert
    assert day.silences == 1
    assert day.longest_gap_s == 120.0
    assert day.largest_gaps[0] == Gap(noon_ns, noon_ns + 120 * 1_000_000_000, 120.0)
    assert day.largest_gaps[1].seconds == 10.0


def test_quote_silence_across_midnight_counts_on_the_day_it_ends(report):
    # Arrange
    midnight_ns = (DAY_MS + DAY) * NS_PER_MS

    # Act
    day = _day(report, "bookTicker", "2024-01-02")

    # Assert
    assert day.silences == 1
    assert day.largest_gaps[0] == Gap(midnight_ns - 10 * 1_000_000_000, midnight_ns + 90 * 1_000_000_000, 100.0)


def test_silence_threshold_is_configurable(catalog):
    # Act
    report = build_report(catalog, quote_silence_s=110.0, families=["bookTicker"])

    # Assert
    assert [(d.day, d.silences) for d in report.get("bookTicker", PERP).days] == [("2024-01-01", 1), ("2024-01-02", 0)]


def test_rejected_rows_are_reported_by_reason_on_their_day_and_source(report):
    # Act
    quotes = report.get("bookTicker", PERP)
    day = _day(report, "bookTicker", "2024-01-02")

    # Assert
    assert day.rejects == {"crossed_book": 3, "not_numeric:best_bid_price": 2}
    (source,) = quotes.source_rejects
    assert (source.key, source.rows_rejected) == ("futures/um/bookTicker/BTCUSDT/2024-01-02", 5)
    assert day.rows == source.rows_read - 5
    assert quotes.totals()["rejects"] == {"crossed_book": 3, "not_numeric:best_bid_price": 2}
    assert _day(report, "bookTicker", "2024-01-01").rejects == {}


def test_funding_month_missing_one_settlement_names_it_despite_late_calc_times(report):
    # Act
    funding = report.get("fundingRate", PERP)

    # Assert
    assert funding.missing_settlements == ["2024-01-10T08:00Z"]
    assert _day(report, "fundingRate", "2024-01-10").missing_settlements == ["2024-01-10T08:00Z"]
    assert _day(report, "fundingRate", "2024-01-10").rows == 2
    assert [d.day for d in funding.days if d.missing_settlements] == ["2024-01-10"]
    assert (len(funding.days), funding.missing_days) == (31, [])


def test_funding_schedule_follows_interval_changes_and_checks_the_first_day_from_midnight(report):
    # Act
    funding = report.get("fundingRate", ETH_PERP)

    # Assert
    assert funding.missing_settlements == ["2024-02-01T00:00Z"]
    assert _day(report, "fundingRate", "2024-02-10", ETH_PERP).rows == 4  # 00:00, 08:00, 16:00, 20:00


def test_failed_source_is_listed_with_its_status(report):
    # Act
    failed = report.failed_sources

    # Assert
    assert [(f.key, f.status) for f in failed] == [("futures/um/aggTrades/BTCUSDT/2024-01-05", "corrupt_zip")]


def test_catalog_rows_match_the_manifest_after_ingest(report):
    # Act
    mismatches = [m for s in report.series for m in s.row_mismatches]

    # Assert
    assert mismatches == []


def test_deleted_catalog_day_shows_as_missing_day_and_manifest_row_mismatch(catalog, tmp_path):
    # Arrange
    copy = tmp_path / "catalog"
    shutil.copytree(catalog, copy)
    (data_dir(copy, "klines", PERP) / day_file_name(dt.date(2024, 1, 2))).unlink()

    # Act
    klines = build_report(copy, families=["klines"]).get("klines", PERP)

    # Assert
    assert klines.missing_days == [Run("2024-01-02", "2024-01-03", 2)]
    assert [(m.key, m.manifest_rows, m.catalog_rows) for m in klines.row_mismatches] == [("futures/um/klines/BTCUSDT/2024-01-02", 1437, 0)]


def test_family_and_instrument_filters_restrict_the_report(catalog):
    # Act
    report = build_report(catalog, families=["fundingRate"], instruments=[ETH_PERP])

    # Assert
    assert [(s.family, s.instrument_id) for s in report.series] == [("fundingRate", ETH_PERP)]
    assert report.failed_sources == []


def test_cli_prints_the_tables_and_saves_the_json(catalog, tmp_path, capsys):
    # Arrange
    out = tmp_path / "report.json"

    # Act
    code = etl_main(["report", "--catalog", str(catalog), "--json", str(out)])

    # Assert
    printed = capsys.readouterr().out
    assert code == 1  # a source failed: the report is incomplete
    assert "10:00-10:02" in printed and "corrupt_zip" in printed
    assert "incomplete: 1 source file(s) failed to ingest" in printed
    assert "every day complete" not in printed
    saved = json.loads(out.read_text())
    klines = next(s for s in saved["series"] if s["family"] == "klines")
    assert klines["totals"]["missing_minutes"] == 3
    assert klines["missing_days"] == [{"first": "2024-01-03", "last": "2024-01-03", "count": 1}]
    assert saved["failed_sources"][0]["status"] == "corrupt_zip"


def test_cli_saves_the_json_in_the_catalog_by_default(catalog, capsys):
    # Act
    code = etl_main(["report", "--catalog", str(catalog), "--families", "klines"])

    # Assert
    capsys.readouterr()
    assert code == 0
    assert json.loads((catalog / "_etl" / "report.json").read_text())["series"][0]["family"] == "klines"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--catalog", "{missing}"], "does not exist"),
        (["--catalog", "{catalog}", "--instruments", "NOPE.BINANCE"], "no data for instrument(s) NOPE.BINANCE"),
        (["--catalog", "{catalog}", "--quote-silence-s", "0"], "--quote-silence-s must be positive"),
    ],
)
def test_cli_bad_argument_exits_2_with_a_message_and_no_traceback(catalog, tmp_path, capsys, args, message):
    # Arrange
    argv = ["report", *(a.format(missing=tmp_path / "nowhere", catalog=catalog) for a in args)]

    # Act
    code = etl_main(argv)

    # Assert
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert "Traceback" not in err
