"""End-to-end: ``python -m etl download`` against a local stand-in for the archive."""

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from etl.__main__ import main
from etl.archive import SPOT
from etl.download.plan import Target
from tests.download.archive_server import ArchiveServer
from tests.download.archive_server import Fault
from tests.download.conftest import DownloadRun
from tests.download.conftest import FakeArchive

Download = Callable[..., DownloadRun]
DAY = ("--symbols", "BTCUSDT", "--families", "aggTrades", "--start", "2024-01-01")


def leftovers(root: Path) -> list[str]:
    """Return every file under `root`, relative, sorted."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_good_file_is_saved_byte_identical_with_its_checksum_beside_it(
    archive: FakeArchive, dest: Path, download: Download
) -> None:
    # Arrange
    target = archive.publish("aggTrades", "2024-01-01")

    # Act
    run = download(*DAY)

    # Assert
    assert run.code == 0
    assert run.status_of(target) == "fetched"
    assert (dest / target.path).read_bytes() == archive.read(target.path)
    assert (dest / target.checksum_path).read_bytes() == archive.read(target.checksum_path)
    assert leftovers(dest) == sorted([str(target.path), str(target.checksum_path)])


def test_checksum_mismatch_rejects_the_file_reports_it_and_leaves_nothing(
    archive: FakeArchive, dest: Path, download: Download
) -> None:
    # Arrange
    target = archive.publish("aggTrades", "2024-01-01", checksum="wrong")

    # Act
    run = download(*DAY)

    # Assert
    assert run.code == 1
    assert run.status_of(target) == "corrupt"
    assert run.summary["counts"]["corrupt"] == 1
    assert str(target.path) in run.out
    assert leftovers(dest) == []  # neither the zip, its .part, nor the .CHECKSUM


def _stale_local_copy(archive: FakeArchive, dest: Path) -> Target:
    target = archive.publish("aggTrades", "2024-01-01", checksum="wrong")
    stale = dest / target.path
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"not the archive's bytes")
    return target


def _checksum_of_another_day(archive: FakeArchive, dest: Path) -> Target:
    target = archive.publish("aggTrades", "2024-01-01")
    other = archive.publish("aggTrades", "2024-01-02")
    archive.write(target.checksum_path, archive.read(other.checksum_path))
    return target


def _checksum_not_a_checksum(archive: FakeArchive, dest: Path) -> Target:
    target = archive.publish("aggTrades", "2024-01-01")
    archive.write(target.checksum_path, b"<html>Access denied</html>")
    return target


@pytest.mark.parametrize(
    "arrange",
    [_stale_local_copy, _checksum_of_another_day, _checksum_not_a_checksum],
    ids=["mismatch-removes-stale-local-copy", "checksum-names-another-file", "checksum-malformed"],
)
def test_file_that_cannot_be_verified_is_rejected_as_corrupt_and_nothing_is_left(
    archive: FakeArchive,
    dest: Path,
    download: Download,
    arrange: Callable[[FakeArchive, Path], Target],
) -> None:
    # Arrange
    target = arrange(archive, dest)

    # Act
    run = download(*DAY)

    # Assert
    assert run.code == 1
    assert run.status_of(target) == "corrupt"
    assert leftovers(dest) == []


def test_missing_day_is_listed_as_missing_and_exit_code_stays_zero(
    archive: FakeArchive, dest: Path, server: ArchiveServer, download: Download
) -> None:
    # Arrange: the archive has Jan 1 and Jan 3 but not Jan 2
    first = archive.publish("aggTrades", "2024-01-01")
    archive.publish("aggTrades", "2024-01-03")
    absent = Target(first.market, first.family, first.symbol, "2024-01-02")

    # Act
    run = download(
        "--symbols",
        "BTCUSDT",
        "--families",
        "aggTrades",
        "--start",
        "2024-01-01",
        "--end",
        "2024-01-04",
    )

    # Assert
    assert run.code == 0
    assert run.summary["counts"] == {
        "fetched": 2,
        "skipped": 0,
        "missing": 1,
        "unverified": 0,
        "corrupt": 0,
        "failed": 0,
    }
    assert run.status_of(absent) == "missing"
    assert "missing (404" in run.out and str(absent.path) in run.out
    assert not (dest / absent.path).exists()
    assert server.count(absent.checksum_path) == 1, "a 404 is an answer, not a fault: no retry"


def test_second_run_skips_verified_files_without_downloading_them_again(
    archive: FakeArchive, server: ArchiveServer, download: Download
) -> None:
    # Arrange
    target = archive.publish("aggTrades", "2024-01-01")
    first = download(*DAY)

    # Act
    second = download(*DAY)

    # Assert
    assert first.status_of(target) == "fetched"
    assert second.code == 0
    assert second.status_of(target) == "skipped"
    assert server.count(target.path) == 1
    assert server.count(target.checksum_path) == 1, "a verified local pair needs no request at all"


def _lose_local_checksum(dest: Path, target: Target) -> None:
    # As if a run died between renaming the zip and writing its .CHECKSUM.
    (dest / target.checksum_path).unlink()


def _rot_local_zip(dest: Path, target: Target) -> None:
    (dest / target.path).write_bytes(b"bit rot")


@pytest.mark.parametrize(
    ("damage", "status", "zip_gets"),
    [(_lose_local_checksum, "skipped", 1), (_rot_local_zip, "fetched", 2)],
    ids=[
        "checksum-lost: verified against the archive, not downloaded",
        "zip-rotted: downloaded again",
    ],
)
def test_rerun_repairs_a_damaged_local_copy_downloading_only_what_is_needed(
    archive: FakeArchive,
    dest: Path,
    server: ArchiveServer,
    download: Download,
    damage: Callable[[Path, Target], None],
    status: str,
    zip_gets: int,
) -> None:
    # Arrange
    target = archive.publish("aggTrades", "2024-01-01")
    download(*DAY)
    damage(dest, target)

    # Act
    run = download(*DAY)

    # Assert
    assert run.code == 0
    assert run.status_of(target) == status
    assert server.count(target.path) == zip_gets
    assert (dest / target.path).read_bytes() == archive.read(target.path)
    assert (dest / target.checksum_path).read_bytes() == archive.read(target.checksum_path)


def test_transient_500_is_retried_until_the_file_arrives(
    archive: FakeArchive, dest: Path, server: ArchiveServer, download: Download
) -> None:
    # Arrange
    target = archive.publish("aggTrades", "2024-01-01")
    server.inject(target.checksum_path, Fault(status=502))
    server.inject(target.path, Fault(status=500), Fault(status=503), Fault(status=429))

    # Act
    run = download(*DAY)

    # Assert
    assert run.code == 0
    assert run.status_of(target) == "fetched"
    assert server.count(target.path) == 4
    assert server.count(target.checksum_path) == 2
    assert run.summary["requests_retried"] == 4
    assert (dest / target.path).read_bytes() == archive.read(target.path)


def test_truncated_body_is_retried_instead_of_reported_corrupt(
    archive: FakeArchive, dest: Path, server: ArchiveServer, download: Download
) -> None:
    # Arrange
    target = archive.publish("aggTrades", "2024-01-01")
    server.inject(target.path, Fault(truncate=True))

    # Act
    run = download(*DAY)

    # Assert
    assert run.status_of(target) == "fetched"
    assert server.count(target.path) == 2
    assert (dest / target.path).read_bytes() == archive.read(target.path)


def test_persistent_5xx_fails_after_the_allowed_retries_and_exits_nonzero(
    archive: FakeArchive, dest: Path, server: ArchiveServer, download: Download
) -> None:
    # Arrange
    target = archive.publish("aggTrades", "2024-01-01")
    server.inject(target.path, *[Fault(status=503)] * 10)

    # Act
    run = download(*DAY, "--retries", "2")

    # Assert
    assert run.code == 1
    assert run.status_of(target) == "failed"
    assert server.count(target.path) == 3
    assert "gave up after 3 attempts" in run.out
    assert leftovers(dest) == []


def test_client_error_other_than_404_fails_at_once_without_retry(
    archive: FakeArchive, server: ArchiveServer, download: Download
) -> None:
    # Arrange
    target = archive.publish("aggTrades", "2024-01-01")
    server.inject(target.path, Fault(status=403))

    # Act
    run = download(*DAY)

    # Assert
    assert run.code == 1
    assert run.status_of(target) == "failed"
    assert server.count(target.path) == 1


def test_zip_published_without_checksum_is_refused_by_default(
    archive: FakeArchive, dest: Path, server: ArchiveServer, download: Download
) -> None:
    # Arrange
    target = archive.publish("aggTrades", "2024-01-01", checksum="absent")

    # Act
    run = download(*DAY)

    # Assert
    assert run.code == 1
    assert run.status_of(target) == "failed"
    assert "without a .CHECKSUM" in run.out
    assert server.count(target.path) == 0, "a HEAD tells it apart from a missing day"
    assert leftovers(dest) == []


def test_zip_published_without_checksum_is_kept_as_unverified_when_allowed(
    archive: FakeArchive, dest: Path, download: Download
) -> None:
    # Arrange
    target = archive.publish("aggTrades", "2024-01-01", checksum="absent")

    # Act
    run = download(*DAY, "--allow-unverified")

    # Assert
    assert run.code == 0
    assert run.status_of(target) == "unverified"
    assert (dest / target.path).read_bytes() == archive.read(target.path)
    assert not (dest / target.checksum_path).exists()


def test_monthly_funding_rate_fetches_each_month_overlapping_the_range(
    archive: FakeArchive, dest: Path, download: Download
) -> None:
    # Arrange
    months = [archive.publish("fundingRate", label) for label in ("2023-12", "2024-01", "2024-02")]
    archive.publish("fundingRate", "2024-03")

    # Act
    run = download(
        "--symbols",
        "BTCUSDT",
        "--families",
        "fundingRate",
        "--start",
        "2023-12-31",
        "--end",
        "2024-02-02",
    )

    # Assert
    assert run.code == 0
    assert [f["path"] for f in run.summary["files"]] == [str(m.path) for m in months]
    assert [f["status"] for f in run.summary["files"]] == ["fetched"] * 3
    assert (
        str(months[1].path)
        == "futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2024-01.zip"
    )


def test_klines_and_spot_files_land_in_the_archive_layout(
    archive: FakeArchive, dest: Path, download: Download
) -> None:
    # Arrange
    klines = archive.publish("klines", "2024-01-01", market=SPOT)
    trades = archive.publish("aggTrades", "2024-01-01", market=SPOT)

    # Act
    run = download(
        "--market",
        "spot",
        "--symbols",
        "BTCUSDT",
        "--families",
        "klines",
        "aggTrades",
        "--start",
        "2024-01-01",
    )

    # Assert
    assert run.code == 0
    assert (
        dest / "spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-01.zip"
    ).read_bytes() == archive.read(klines.path)
    assert (
        dest / "spot/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2024-01-01.zip"
    ).read_bytes() == archive.read(trades.path)


def test_several_symbols_and_families_download_in_parallel(
    archive: FakeArchive, server: ArchiveServer, download: Download
) -> None:
    # Arrange: a slow server, so that overlapping requests are visible
    server.delay = 0.2
    targets = [
        archive.publish(family, f"2024-01-0{day}", symbol=symbol)
        for symbol in ("BTCUSDT", "ETHUSDT")
        for family in ("aggTrades", "metrics")
        for day in (1, 2)
    ]

    # Act
    run = download(
        "--symbols", "BTCUSDT", "ETHUSDT", "--families", "aggTrades", "metrics",
        "--start", "2024-01-01", "--end", "2024-01-03", "--workers", "4",
    )  # fmt: skip

    # Assert
    assert run.code == 0
    assert run.summary["counts"]["fetched"] == len(targets) == 8
    assert server.max_in_flight > 1


def test_report_table_counts_every_status_and_names_the_files_that_are_not_ok(
    archive: FakeArchive, download: Download
) -> None:
    # Arrange
    archive.publish("metrics", "2024-01-01")
    bad = archive.publish("metrics", "2024-01-02", checksum="wrong")

    # Act
    run = download(
        "--symbols",
        "BTCUSDT",
        "--families",
        "metrics",
        "--start",
        "2024-01-01",
        "--end",
        "2024-01-04",
    )

    # Assert
    rows = {line.split()[0]: line.split()[1] for line in run.out.splitlines()[2:8]}
    assert rows == {
        "fetched": "1",
        "skipped": "0",
        "missing": "1",
        "unverified": "0",
        "corrupt": "1",
        "failed": "0",
    }
    assert f"  {bad.path}  [sha256 " in run.out
    assert "BTCUSDT-metrics-2024-01-03.zip" in run.out
    assert "BTCUSDT-metrics-2024-01-01.zip" not in run.out
    assert run.code == 1


def test_real_archive_zip_and_checksum_verify_and_are_kept_byte_for_byte(
    shared_data: Path, archive: FakeArchive, dest: Path, download: Download
) -> None:
    # Arrange: Binance's own fundingRate zip and .CHECKSUM (which ends with a newline here)
    sample = shared_data / "futures/um/monthly/fundingRate/BTCUSDT-fundingRate-2026-04.zip"
    served = "futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2026-04.zip"
    archive.write(served, sample.read_bytes())
    archive.write(served + ".CHECKSUM", Path(str(sample) + ".CHECKSUM").read_bytes())

    # Act
    run = download("--symbols", "BTCUSDT", "--families", "fundingRate", "--start", "2026-04-10")

    # Assert
    assert run.code == 0
    assert run.summary["files"][0]["status"] == "fetched"
    assert (
        hashlib.sha256((dest / served).read_bytes()).digest()
        == hashlib.sha256(sample.read_bytes()).digest()
    )


def test_json_summary_on_stdout_keeps_stdout_pure_json_and_records_the_request(
    archive: FakeArchive, dest: Path, server: ArchiveServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # Arrange
    target = archive.publish("aggTrades", "2024-01-01")
    argv = [
        "download",
        "--base-url",
        server.base_url,
        "--dest",
        str(dest),
        "--json",
        "-",
        "--no-progress",
    ]

    # Act
    code = main([*argv, *DAY])
    captured = capsys.readouterr()

    # Assert
    summary = json.loads(captured.out)
    assert code == summary["exit_code"] == 0
    assert summary["files"][0]["path"] == str(target.path)
    assert summary["files"][0]["status"] == "fetched"
    assert (summary["request"]["start"], summary["request"]["end"]) == ("2024-01-01", "2024-01-02")
    assert summary["request"]["base_url"] == server.base_url
    assert "Download report" in captured.err


def test_end_is_the_first_day_not_fetched_as_in_backtests(
    archive: FakeArchive, download: Download
) -> None:
    # Arrange
    for day in ("2024-01-01", "2024-01-02", "2024-01-03"):
        archive.publish("metrics", day)

    # Act
    run = download(
        "--symbols", "BTCUSDT", "--families", "metrics", "--start", "2024-01-01", "--end", "2024-01-03"
    )  # fmt: skip

    # Assert
    assert run.code == 0
    assert [Path(f["path"]).name for f in run.summary["files"]] == [
        "BTCUSDT-metrics-2024-01-01.zip",
        "BTCUSDT-metrics-2024-01-02.zip",
    ]
