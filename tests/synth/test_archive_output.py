"""Archive layout, ZIP + CHECKSUM form, determinism, and the command line."""

import datetime as dt
import hashlib
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from etl.__main__ import main
from etl.archive import FAMILIES
from etl.archive import parse_checksum
from etl.archive import parse_name
from etl.synth.generate import generate
from etl.synth.ground_truth import COLUMNS
from tests.synth.conftest import Market
from tests.synth.conftest import small_config

EXPECTED_DAILY = [
    "futures/um/daily/aggTrades/{s}/{s}-aggTrades-{d}",
    "futures/um/daily/bookTicker/{s}/{s}-bookTicker-{d}",
    "futures/um/daily/klines/{s}/1m/{s}-1m-{d}",
    "futures/um/daily/metrics/{s}/{s}-metrics-{d}",
    "futures/um/daily/markPriceKlines/{s}/1m/{s}-1m-{d}",
    "futures/um/daily/indexPriceKlines/{s}/1m/{s}-1m-{d}",
    "futures/um/daily/premiumIndexKlines/{s}/1m/{s}-1m-{d}",
    "spot/daily/aggTrades/{s}/{s}-aggTrades-{d}",
    "spot/daily/klines/{s}/1m/{s}-1m-{d}",
]


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_files_follow_the_archive_layout_and_names(zipped_market: Market) -> None:
    # Arrange
    config = zipped_market.config
    expected = {
        pattern.format(s=symbol, d=day.isoformat()) + ext
        for symbol in config.symbols
        for day in config.day_list
        for pattern in EXPECTED_DAILY
        for ext in (".zip", ".zip.CHECKSUM")
    }
    expected |= {
        f"futures/um/monthly/fundingRate/{s}/{s}-fundingRate-{m}{ext}"
        for s in config.symbols
        for m in ("2024-01", "2024-02")
        for ext in (".zip", ".zip.CHECKSUM")
    }
    expected |= {f"ground_truth/{s}/{s}-ground_truth.parquet" for s in config.symbols}

    # Act
    written = set(_files(zipped_market.root))

    # Assert
    assert written == expected


def test_each_zip_holds_one_member_named_like_the_csv_and_its_checksum_verifies(zipped_market: Market) -> None:
    # Arrange
    zips = sorted(zipped_market.root.rglob("*.zip"))

    for path in zips:
        # Act
        text = Path(f"{path}.CHECKSUM").read_text()
        digest, name = parse_checksum(text)
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            bad = zf.testzip()

        # Assert
        assert text == f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}"  # no newline
        assert digest == hashlib.sha256(path.read_bytes()).hexdigest() and name == path.name
        assert [i.filename for i in infos] == [path.with_suffix(".csv").name]
        assert infos[0].compress_type == zipfile.ZIP_DEFLATED and bad is None
        info = parse_name(str(path))
        assert info is not None and info.ext == "zip" and info.family in FAMILIES


def test_zip_members_equal_the_csv_files_of_the_same_run(zipped_market: Market, csv_twin: Market) -> None:
    # Arrange
    csvs = _files(csv_twin.root)

    for path in sorted(zipped_market.root.rglob("*.zip")):
        # Act
        with zipfile.ZipFile(path) as zf:
            member = zf.read(zf.namelist()[0])

        # Assert
        rel = str(path.relative_to(zipped_market.root).with_suffix(".csv"))
        assert member == csvs[rel]


def test_zip_entries_carry_a_fixed_timestamp_after_their_period(zipped_market: Market) -> None:
    # Arrange
    path = next(zipped_market.root.rglob("BTCUSDT-aggTrades-2024-01-31.zip"))
    monthly = next(zipped_market.root.rglob("BTCUSDT-fundingRate-2024-01.zip"))

    # Act
    stamp = zipfile.ZipFile(path).infolist()[0].date_time
    monthly_stamp = zipfile.ZipFile(monthly).infolist()[0].date_time

    # Assert
    assert stamp[:3] == (2024, 2, 1)
    assert monthly_stamp[:3] == (2024, 2, 1)


def test_same_seed_gives_byte_identical_files(tmp_path: Path, zipped_market: Market) -> None:
    # Arrange
    config = small_config(tmp_path / "again", zipped=True)

    # Act
    generate(config)

    # Assert
    assert _files(config.out) == _files(zipped_market.root)


def test_different_seed_gives_different_files(tmp_path: Path, csv_twin: Market) -> None:
    # Arrange
    config = small_config(tmp_path / "other", seed=43)

    # Act
    generate(config)
    ours, theirs = _files(config.out), _files(csv_twin.root)

    # Assert
    assert ours.keys() == theirs.keys()
    differing = [k for k in ours if ours[k] != theirs[k]]
    assert len(differing) == len(ours)


def test_a_symbol_gets_the_same_files_whatever_symbols_come_with_it(tmp_path: Path, csv_twin: Market) -> None:
    # Arrange
    config = small_config(tmp_path / "eth_only", symbols=("ETHUSDT",))

    # Act
    generate(config)
    alone = _files(config.out)
    together = _files(csv_twin.root)

    # Assert
    assert alone and all(together[k] == v for k, v in alone.items())


def test_ground_truth_is_beside_the_data_documented_and_ignored_by_the_archive_parser(market: Market) -> None:
    # Arrange
    path = market.root / "ground_truth" / "BTCUSDT" / "BTCUSDT-ground_truth.parquet"

    # Act
    table = pq.read_table(path)

    # Assert
    assert parse_name(str(path)) is None
    assert table.column_names == list(COLUMNS)
    assert all(f.metadata and f.metadata[b"description"] for f in table.schema)
    assert table.num_rows == market.config.days * 1440
    start = int(dt.datetime(2024, 1, 1, tzinfo=dt.UTC).timestamp() * 1000)
    assert table.column("open_time")[0].as_py() == start
    assert float(table.schema.metadata[b"block_min_notional"]) > 0


def test_command_line_writes_the_market_and_reports_its_speed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Arrange
    argv = ["synth", "--out", str(tmp_path), "--symbols", "BTCUSDT", "--start", "2024-03-01", "--days", "1"]
    argv += ["--seed", "1", "--trades-per-day", "1000", "--quotes-per-day", "2000", "--zip"]

    # Act
    code = main(argv)

    # Assert
    assert code == 0
    assert (tmp_path / "futures/um/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2024-03-01.zip").is_file()
    assert "rows/s" in capsys.readouterr().out


def test_command_line_rejects_a_bad_symbol_with_exit_code_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Arrange
    argv = ["synth", "--out", str(tmp_path), "--symbols", "btc-usdt", "--start", "2024-03-01", "--days", "1"]
    argv += ["--seed", "1"]

    # Act
    code = main(argv)

    # Assert
    assert code == 2
    assert "BTC-USDT" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_command_line_rejects_an_empty_block_with_exit_code_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Arrange
    argv = ["synth", "--out", str(tmp_path), "--symbols", "BTCUSDT", "--start", "2024-03-01", "--days", "1"]
    argv += ["--seed", "1", "--block-events", "0"]

    # Act
    code = main(argv)

    # Assert
    assert code == 2
    assert "block_events" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
