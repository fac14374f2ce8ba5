"""Every real Binance sample ingests (or is refused with a reason), with nothing lost."""

import csv
import zipfile
from pathlib import Path

import pyarrow.parquet as pq

from etl.archive import parse_name
from etl.ingest import ingest


def _source_rows(path: Path) -> int:
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            text = archive.read(archive.namelist()[0]).decode()
    else:
        text = path.read_text()
    rows = list(csv.reader(text.splitlines()))
    return len(rows) - (1 if rows and not rows[0][0].lstrip("-")[0].isdigit() else 0)


def test_every_real_sample_is_ingested_or_refused_with_a_reason(shared_data, tmp_path):
    # Arrange
    catalog = tmp_path / "catalog"
    recognised = {str(p) for p in shared_data.rglob("*") if p.is_file() and parse_name(str(p))}

    # Act
    summary = ingest(shared_data, catalog)

    # Assert
    ingested = {r.source for r in summary.results}
    refused = {r.path for r in summary.refused}
    assert ingested | refused == recognised
    assert not ingested & refused
    assert all(r.status == "ok" for r in summary.results), [(r.source, r.status, r.error) for r in summary.results]
    assert all(r.reason for r in summary.refused)
    assert summary.exit_code == 0


def test_real_sample_row_counts_match_source_minus_rejects(shared_data, tmp_path):
    # Arrange
    catalog = tmp_path / "catalog"

    # Act
    summary = ingest(shared_data, catalog)

    # Assert
    for result in summary.results:
        source_rows = _source_rows(Path(result.source))
        catalog_rows = sum(pq.read_metadata(catalog / out).num_rows for out in result.outputs)
        assert result.rows_read == source_rows, result.source
        assert catalog_rows == source_rows - result.rows_rejected == result.rows_written, result.source
        assert result.rows_rejected == 0, (result.source, result.rejects)


def test_real_zip_is_verified_against_its_checksum(shared_data, tmp_path):
    # Arrange
    catalog = tmp_path / "catalog"

    # Act
    summary = ingest(shared_data, catalog, families=["fundingRate"])

    # Assert
    (result,) = summary.results
    assert result.source.endswith(".zip")
    assert result.checksum_verified is True
    assert result.rows_written == 90


def test_spot_microsecond_and_millisecond_files_land_on_the_same_nanosecond_clock(shared_data, tmp_path):
    # Arrange
    catalog = tmp_path / "catalog"

    # Act
    ingest(shared_data, catalog, symbols=["BTCUSDT"], families=["aggTrades"])

    # Assert
    table = pq.read_table(catalog / "data" / "trade_tick" / "BTCUSDT.BINANCE")
    ts = sorted(table.column("ts_event").to_pylist())
    us_file = shared_data / "spot" / "daily" / "aggTrades" / "BTCUSDT-aggTrades-2026-09-15.csv"
    last_us = int(us_file.read_text().split()[-1].split(",")[5])
    assert len(str(last_us)) == 16
    assert ts[0] == 1_700_179_200_000 * 1_000_000  # 2023-11-17 file, ms
    assert ts[-1] == last_us * 1_000
