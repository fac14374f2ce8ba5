"""DESIGN §9: every kind of bad input has a defined outcome; nothing is lost silently."""

import csv
import json
import math
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from etl.__main__ import main as etl_main
from etl.ingest import ingest
from tests.etl.rawfiles import DAY_MS
from tests.etl.rawfiles import kline_rows
from tests.etl.rawfiles import quote_rows
from tests.etl.rawfiles import trade_rows
from tests.etl.rawfiles import write_raw


def _quarantine(catalog: Path) -> list[dict]:
    rows = []
    for path in sorted((catalog / "_etl" / "quarantine").rglob("*.csv")):
        with open(path) as f:
            rows.extend(csv.DictReader(f))
    return rows


def _catalog_rows(catalog: Path, folder: str) -> int:
    files = list((catalog / "data" / folder).rglob("*.parquet"))
    return sum(pq.read_metadata(f).num_rows for f in files)


def _ingest_one(tmp_path, family: str, rows: list[str], period: str = "2024-01-01", **kwargs):
    raw = tmp_path / "raw"
    write_raw(raw, family, period, rows, **kwargs)
    catalog = tmp_path / "catalog"
    summary = ingest(raw, catalog)
    (result,) = summary.results
    return summary, result, catalog


def test_wrong_column_count_rows_are_quarantined_with_their_line(tmp_path):
    # Arrange
    rows = trade_rows(10)
    rows[3] = "4,42000.0,0.001,30,31"  # line 5 of the file (header is line 1)

    # Act
    _, result, catalog = _ingest_one(tmp_path, "aggTrades", rows)

    # Assert
    assert result.rows_read == 10
    assert result.rows_written == 9
    assert result.rejects == {"column_count": 1}
    assert _quarantine(catalog) == [{"line": "5", "reason": "column_count", "row": "4,42000.0,0.001,30,31"}]


def test_non_numeric_field_rejects_only_its_row_with_the_right_line(tmp_path):
    # Arrange
    rows = trade_rows(10)
    rows[6] = rows[6].replace("42000", "4x000", 1)  # line 8

    # Act
    _, result, catalog = _ingest_one(tmp_path, "aggTrades", rows)

    # Assert
    assert result.rows_written == 9
    assert result.rejects == {"not_numeric:price": 1}
    (reject,) = _quarantine(catalog)
    assert reject["line"] == "8"
    assert "4x000" in reject["row"]
    assert result.mode.startswith("validated")


def test_lines_stay_right_when_column_count_and_value_errors_mix(tmp_path):
    # Arrange
    rows = trade_rows(12)
    rows[2] = "bad,row"  # line 4
    rows[8] = rows[8].replace("0.00", "zz.00", 1)  # line 10

    # Act
    _, result, catalog = _ingest_one(tmp_path, "aggTrades", rows)

    # Assert
    assert sorted((r["line"], r["reason"]) for r in _quarantine(catalog)) == [("10", "not_numeric:quantity"), ("4", "column_count")]
    assert result.rows_written == 10


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda r: r.replace(",42000.", ",-42000.", 1), "non_positive_price"),
        (lambda r: r.replace(",0.00", ",0.000", 1).replace(",0.0001,", ",0.000,", 1), "off_step_size"),
        (lambda r: r.replace(",42000.", ",42000.05", 1), "off_tick_price"),
    ],
)
def test_invalid_trade_values_are_rejected_with_their_reason(tmp_path, edit, reason):
    # Arrange
    rows = trade_rows(5)
    fields = rows[1].split(",")
    if reason == "off_step_size":
        fields[2] = "0.0005"
    else:
        fields = edit(rows[1]).split(",")
    rows[1] = ",".join(fields)

    # Act
    _, result, catalog = _ingest_one(tmp_path, "aggTrades", rows)

    # Assert
    assert result.rejects == {reason: 1}
    assert [r["line"] for r in _quarantine(catalog)] == ["3"]


def test_zero_size_trade_is_rejected(tmp_path):
    # Arrange
    rows = trade_rows(5)
    fields = rows[2].split(",")
    fields[2] = "0.000"
    rows[2] = ",".join(fields)

    # Act
    _, result, _ = _ingest_one(tmp_path, "aggTrades", rows)

    # Assert
    assert result.rejects == {"non_positive_size": 1}


def test_crossed_and_non_positive_quotes_are_rejected(tmp_path):
    # Arrange
    rows = quote_rows(6)
    crossed = rows[1].split(",")
    crossed[1], crossed[3] = crossed[3], crossed[1]
    rows[1] = ",".join(crossed)
    zero_size = rows[4].split(",")
    zero_size[4] = "0.00000000"
    rows[4] = ",".join(zero_size)

    # Act
    _, result, catalog = _ingest_one(tmp_path, "bookTicker", rows)

    # Assert
    assert result.rejects == {"crossed_book": 1, "non_positive_size": 1}
    assert result.rows_written == 4
    assert _catalog_rows(catalog, "quote_tick") == 4


def test_duplicate_trade_ids_keep_the_first_and_quarantine_the_rest(tmp_path):
    # Arrange
    rows = trade_rows(6)
    rows.insert(3, rows[2])
    rows.insert(3, rows[2])

    # Act
    _, result, catalog = _ingest_one(tmp_path, "aggTrades", rows)

    # Assert
    assert result.rows_read == 8
    assert result.rows_written == 6
    assert result.rejects == {"duplicate_key": 2}
    assert [r["line"] for r in _quarantine(catalog)] == ["5", "6"]


def test_unsorted_trades_are_sorted_before_writing(tmp_path):
    # Arrange
    rows = trade_rows(50)
    rows[10], rows[30] = rows[30], rows[10]

    # Act
    _, result, catalog = _ingest_one(tmp_path, "aggTrades", rows)

    # Assert
    table = pq.read_table(next((catalog / "data" / "trade_tick").rglob("*.parquet")))
    ts = table.column("ts_init").to_pylist()
    assert ts == sorted(ts)
    assert table.column("trade_id").to_pylist() == [str(i) for i in range(1, 51)]
    assert result.rows_written == 50
    assert result.mode.endswith("in-memory")


def test_unsorted_real_style_metrics_are_sorted_and_deduplicated(tmp_path):
    # Arrange
    def row(t: str, oi: float) -> str:
        return f"2024-01-01 {t},BTCUSDT,{oi:.16f},{oi * 42000:.16f},1.2,2.0,1.1,0.9"

    rows = [row("00:00:00", 100.0), row("00:25:00", 105.0), row("00:05:00", 101.0), row("00:05:00", 101.0), row("00:10:00", 102.0)]

    # Act
    _, result, catalog = _ingest_one(tmp_path, "metrics", rows)

    # Assert
    table = pq.read_table(next((catalog / "data" / "custom_futures_metrics").rglob("*.parquet")))
    assert table.column("sum_open_interest").to_pylist() == [100.0, 101.0, 102.0, 105.0]
    assert result.rejects == {"duplicate_key": 1}
    assert [r["line"] for r in _quarantine(catalog)] == ["5"]


def test_metrics_with_empty_ratio_cells_keep_the_row_with_nan(tmp_path):
    # Arrange
    rows = ["2024-01-01 00:00:00,BTCUSDT,100.0,4200000.0,,,,"]

    # Act
    _, result, catalog = _ingest_one(tmp_path, "metrics", rows)

    # Assert
    table = pq.read_table(next((catalog / "data" / "custom_futures_metrics").rglob("*.parquet")))
    assert result.rows_written == 1
    assert math.isnan(table.column("count_long_short_ratio").to_pylist()[0])
    assert table.column("sum_open_interest").to_pylist() == [100.0]


def test_mixed_ms_and_us_timestamps_are_normalised_and_counted(tmp_path):
    # Arrange
    rows = trade_rows(4)
    fields = rows[2].split(",")
    fields[5] = str(int(fields[5]) * 1000)  # the same instant in µs
    rows[2] = ",".join(fields)

    # Act
    _, result, catalog = _ingest_one(tmp_path, "aggTrades", rows)

    # Assert
    ts = pq.read_table(next((catalog / "data" / "trade_tick").rglob("*.parquet"))).column("ts_init").to_pylist()
    assert ts == [(DAY_MS + 100 * i) * 1_000_000 for i in range(4)]
    assert result.unit_mixed == 1
    assert result.rows_rejected == 0


def test_timestamp_of_neither_unit_is_rejected(tmp_path):
    # Arrange
    rows = trade_rows(3)
    fields = rows[1].split(",")
    fields[5] = "1704067200"  # seconds: not an archive unit
    rows[1] = ",".join(fields)

    # Act
    _, result, _ = _ingest_one(tmp_path, "aggTrades", rows)

    # Assert
    assert result.rejects == {"bad_timestamp": 1}


def test_rows_outside_the_files_day_are_quarantined(tmp_path):
    # Arrange
    rows = trade_rows(3, start_ms=DAY_MS + 86_400_000 - 150)  # the last one is past midnight

    # Act
    _, result, _ = _ingest_one(tmp_path, "aggTrades", rows)

    # Assert
    assert result.rejects == {"outside_file_period": 1}
    assert result.rows_written == 2


def test_inconsistent_kline_is_rejected(tmp_path):
    # Arrange
    rows = kline_rows(3)
    fields = rows[1].split(",")
    fields[2] = "1.00"  # high below open
    rows[1] = ",".join(fields)

    # Act
    _, result, _ = _ingest_one(tmp_path, "klines", rows)

    # Assert
    assert result.rejects == {"inconsistent_ohlc": 1}


@pytest.mark.parametrize("header", [True, False])
def test_empty_file_is_reported_empty_and_writes_nothing(tmp_path, header):
    # Arrange / Act
    summary, result, catalog = _ingest_one(tmp_path, "aggTrades", [], header=header)

    # Assert
    assert result.status == "empty"
    assert result.rows_read == 0
    assert not (catalog / "data" / "trade_tick").exists() or not list((catalog / "data" / "trade_tick").rglob("*.parquet"))
    assert summary.exit_code == 0


def test_checksum_mismatch_fails_the_file_and_writes_nothing(tmp_path):
    # Arrange
    raw = tmp_path / "raw"
    path = write_raw(raw, "aggTrades", "2024-01-01", trade_rows(5), zipped=True)
    Path(f"{path}.CHECKSUM").write_text("0" * 64 + f"  {path.name}")

    # Act
    summary = ingest(raw, tmp_path / "catalog")

    # Assert
    (result,) = summary.results
    assert result.status == "checksum_mismatch"
    assert path.name in result.error
    assert summary.exit_code == 1
    assert not (tmp_path / "catalog" / "data" / "trade_tick").exists()


def test_corrupt_zip_fails_the_file_and_other_files_still_ingest(tmp_path):
    # Arrange
    raw = tmp_path / "raw"
    good = write_raw(raw, "aggTrades", "2024-01-01", trade_rows(5), zipped=True)
    bad = write_raw(raw, "aggTrades", "2024-01-02", trade_rows(5, start_ms=DAY_MS + 86_400_000), zipped=True, checksum=False)
    bad.write_bytes(bad.read_bytes()[:40])

    # Act
    summary = ingest(raw, tmp_path / "catalog", allow_unverified=True)

    # Assert
    status = {Path(r.source).name: r.status for r in summary.results}
    assert status == {good.name: "ok", bad.name: "corrupt_zip"}
    assert summary.exit_code == 1


def test_zip_member_with_path_parts_is_refused(tmp_path):
    # Arrange
    raw = tmp_path / "raw"
    path = raw / "BTCUSDT-aggTrades-2024-01-01.zip"
    raw.mkdir()
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("../evil/BTCUSDT-aggTrades-2024-01-01.csv", "\n".join(trade_rows(2)))

    # Act
    summary = ingest(raw, tmp_path / "catalog", allow_unverified=True)

    # Assert
    (result,) = summary.results
    assert result.status == "zip_member_path"
    assert "path parts" in result.error


def test_unknown_header_names_the_file_and_line(tmp_path):
    # Arrange
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "BTCUSDT-aggTrades-2024-01-01.csv").write_text("id,px,qty,a,b,c,d\n1,2,3,4,5,6,true\n")

    # Act
    summary = ingest(raw, tmp_path / "catalog")

    # Assert
    (result,) = summary.results
    assert result.status == "unknown_header"
    assert "BTCUSDT-aggTrades-2024-01-01.csv" in result.error and "line 1" in result.error


def test_strict_fails_with_file_and_line_and_writes_nothing_of_that_file(tmp_path, capsys):
    # Arrange
    rows = trade_rows(10)
    rows[4] = rows[4].replace("42000", "4x000", 1)  # line 6
    raw = tmp_path / "raw"
    path = write_raw(raw, "aggTrades", "2024-01-01", rows)
    catalog = tmp_path / "catalog"

    # Act
    code = etl_main(["ingest", "--raw", str(raw), "--catalog", str(catalog), "--strict", "--quiet"])

    # Assert
    err = capsys.readouterr().err
    assert code == 2
    assert f"{path}: line 6: rejected (not_numeric:price)" in err
    assert not list((catalog / "data").rglob("trade_tick/**/*.parquet"))
    assert not list(catalog.rglob("*.tmp"))


def test_unknown_symbol_skips_its_files_with_one_message_and_the_others_ingest(tmp_path, capsys):
    # Arrange
    raw = tmp_path / "raw"
    for day in ("2024-01-01", "2024-01-02"):
        write_raw(raw, "aggTrades", day, trade_rows(2, start_ms=DAY_MS + (day == "2024-01-02") * 86_400_000), symbol="NOPEUSDT")
    good = write_raw(raw, "aggTrades", "2024-01-01", trade_rows(2))
    catalog = tmp_path / "c"

    # Act
    code = etl_main(["ingest", "--raw", str(raw), "--catalog", str(catalog), "--quiet"])

    # Assert
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("no instrument spec for NOPEUSDT") == 1
    assert "its 2 file(s) were skipped" in err
    entries = json.loads((catalog / "_etl" / "manifest.json").read_text())["files"]
    assert [e["source"] for e in entries.values()] == [str(good)]
