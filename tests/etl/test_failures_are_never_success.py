"""Issue 15: an ingest or report that did not fully succeed never reads or exits like success."""

import json
from pathlib import Path

from etl.__main__ import main as etl_main
from etl.ingest import ingest
from etl.manifest import catalog_lock
from tests.etl.rawfiles import DAY_MS
from tests.etl.rawfiles import trade_rows
from tests.etl.rawfiles import write_raw

DAY = 86_400_000


def _manifest(catalog: Path) -> dict:
    return json.loads((catalog / "_etl" / "manifest.json").read_text())["files"]


def _day(n: int) -> str:
    return f"2024-01-{n:02d}"


def test_headline_counts_ingested_skipped_rejected_and_failed_files_apart(tmp_path, capsys):
    # Arrange: one file already current, one good, one empty, one failing, one of an unknown symbol.
    raw = tmp_path / "raw"
    catalog = tmp_path / "catalog"
    write_raw(raw, "aggTrades", _day(1), trade_rows(5))
    etl_main(["ingest", "--raw", str(raw), "--catalog", str(catalog), "--quiet"])
    write_raw(raw, "aggTrades", _day(2), trade_rows(5, start_ms=DAY_MS + DAY))
    write_raw(raw, "aggTrades", _day(3), [])
    bad = write_raw(raw, "aggTrades", _day(4), trade_rows(5, start_ms=DAY_MS + 3 * DAY), zipped=True)
    bad.write_bytes(b"not a zip")
    write_raw(raw, "aggTrades", _day(1), trade_rows(5), symbol="NOPEUSDT")
    capsys.readouterr()

    # Act
    code = etl_main(["ingest", "--raw", str(raw), "--catalog", str(catalog), "--no-progress"])

    # Assert
    out = capsys.readouterr().out
    assert code == 1
    assert "1 ingested, 1 skipped (already current), 1 rejected (not ingested), 1 failed, 1 empty" in out


def test_quiet_hides_the_summary_but_never_the_errors(tmp_path, capsys):
    # Arrange
    raw = tmp_path / "raw"
    write_raw(raw, "aggTrades", _day(1), trade_rows(5))
    bad = write_raw(raw, "aggTrades", _day(2), trade_rows(5, start_ms=DAY_MS + DAY), zipped=True)
    Path(f"{bad}.CHECKSUM").write_text("0" * 64 + f"  {bad.name}")

    # Act
    code = etl_main(["ingest", "--raw", str(raw), "--catalog", str(tmp_path / "c"), "--quiet"])

    # Assert
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    assert f"failed (checksum_mismatch): {bad}" in captured.err


def test_folder_with_nothing_ingestible_exits_3_listing_what_was_ignored_and_why(tmp_path, capsys):
    # Arrange
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "notes.txt").write_text("hello")
    (raw / "BTCUSDT_trades_20240101.csv").write_text("1,2,3\n")
    write_raw(raw, "aggTrades", _day(1), trade_rows(5), symbol="ETHUSDT")

    # Act
    code = etl_main(["ingest", "--raw", str(raw), "--catalog", str(tmp_path / "c"), "--symbols", "BTCUSDT", "--quiet"])

    # Assert
    err = capsys.readouterr().err
    assert code == 3
    assert "nothing to ingest" in err
    assert "2 file(s) ignored, not an archive file name" in err and "notes.txt" in err
    assert "1 file(s) ignored, symbol ETHUSDT not in --symbols" in err


def test_empty_folder_exits_3(tmp_path, capsys):
    # Arrange
    (tmp_path / "raw").mkdir()

    # Act
    code = etl_main(["ingest", "--raw", str(tmp_path / "raw"), "--catalog", str(tmp_path / "c"), "--quiet"])

    # Assert
    assert code == 3
    assert "(the folder holds no files)" in capsys.readouterr().err


def test_a_folder_already_ingested_is_not_nothing_to_ingest(tmp_path, capsys):
    # Arrange
    raw = tmp_path / "raw"
    write_raw(raw, "aggTrades", _day(1), trade_rows(5))
    etl_main(["ingest", "--raw", str(raw), "--catalog", str(tmp_path / "c"), "--quiet"])

    # Act
    code = etl_main(["ingest", "--raw", str(raw), "--catalog", str(tmp_path / "c"), "--quiet"])

    # Assert
    assert code == 0
    assert capsys.readouterr().err == ""


def test_zip_without_checksum_is_refused_unless_allow_unverified(tmp_path, capsys):
    # Arrange
    raw = tmp_path / "raw"
    path = write_raw(raw, "aggTrades", _day(1), trade_rows(5), zipped=True, checksum=False)
    refused_catalog, allowed_catalog = tmp_path / "refused", tmp_path / "allowed"

    # Act
    refused = etl_main(["ingest", "--raw", str(raw), "--catalog", str(refused_catalog), "--quiet"])
    err = capsys.readouterr().err
    allowed = etl_main(["ingest", "--raw", str(raw), "--catalog", str(allowed_catalog), "--quiet", "--allow-unverified"])

    # Assert
    assert refused == 1
    assert f"failed (unverified_zip): {path}: no {path.name}.CHECKSUM beside it" in err
    assert "--allow-unverified" in err
    assert not list(refused_catalog.rglob("trade_tick/**/*.parquet"))
    assert allowed == 0
    (entry,) = _manifest(allowed_catalog).values()
    assert (entry["status"], entry["checksum_verified"], entry["rows_written"]) == ("ok", None, 5)


def test_report_says_incomplete_and_exits_1_when_a_source_failed(tmp_path, capsys):
    # Arrange
    raw = tmp_path / "raw"
    catalog = tmp_path / "catalog"
    write_raw(raw, "aggTrades", _day(1), trade_rows(5))
    write_raw(raw, "aggTrades", _day(2), trade_rows(5, start_ms=DAY_MS + DAY), zipped=True, checksum=False)
    ingest(raw, catalog)

    # Act
    code = etl_main(["report", "--catalog", str(catalog), "--json", str(tmp_path / "r.json")])

    # Assert
    out = capsys.readouterr().out
    assert code == 1
    assert "incomplete: 1 source file(s) failed to ingest" in out
    assert "every day complete" not in out
    assert "unverified_zip" in out


def test_end_is_half_open_like_backtests_and_research(tmp_path):
    # Arrange
    raw = tmp_path / "raw"
    for n in (1, 2, 3):
        write_raw(raw, "aggTrades", _day(n), trade_rows(5, start_ms=DAY_MS + (n - 1) * DAY))

    # Act
    code = etl_main(["ingest", "--raw", str(raw), "--catalog", str(tmp_path / "c"), "--start", _day(1), "--end", _day(3), "--quiet"])

    # Assert
    assert code == 0
    assert sorted(e["key"][-10:] for e in _manifest(tmp_path / "c").values()) == [_day(1), _day(2)]


def test_start_not_before_end_is_a_usage_error(tmp_path, capsys):
    # Act
    code = etl_main(["ingest", "--raw", str(tmp_path), "--start", _day(2), "--end", _day(2)])

    # Assert
    assert code == 2
    assert "is not before --end" in capsys.readouterr().err


def test_a_catalog_held_by_another_ingest_exits_4_busy(tmp_path, capsys):
    # Arrange
    raw = tmp_path / "raw"
    write_raw(raw, "aggTrades", _day(1), trade_rows(5))
    catalog = tmp_path / "catalog"

    # Act
    with catalog_lock(catalog):
        code = etl_main(["ingest", "--raw", str(raw), "--catalog", str(catalog), "--quiet"])

    # Assert
    assert code == 4
    assert "another ingest is writing to" in capsys.readouterr().err
