"""The downloader fetches mark, index and premium klines into their own folders, beside the trade klines."""

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from etl.archive import FUTURES_UM
from etl.archive import SPOT
from etl.archive import parse_name
from etl.download.plan import PlanError
from etl.download.plan import plan_targets
from tests.download.conftest import DownloadRun
from tests.download.conftest import FakeArchive

PRICE_KLINES = ("markPriceKlines", "indexPriceKlines", "premiumIndexKlines")


@pytest.mark.parametrize("family", PRICE_KLINES)
def test_plan_puts_each_family_in_its_own_archive_folder_under_the_kline_name(family):
    # Arrange / Act
    (target,) = plan_targets(FUTURES_UM, ["BTCUSDT"], [family], dt.date(2024, 1, 1), dt.date(2024, 1, 1))

    # Assert
    assert str(target.path) == f"futures/um/daily/{family}/BTCUSDT/1m/BTCUSDT-1m-2024-01-01.zip"
    assert str(target.checksum_path) == f"futures/um/daily/{family}/BTCUSDT/1m/BTCUSDT-1m-2024-01-01.zip.CHECKSUM"
    assert parse_name(str(target.path)).family == family


def test_spot_has_no_mark_price_klines():
    # Arrange / Act / Assert
    with pytest.raises(PlanError, match="not published for market 'spot'"):
        plan_targets(SPOT, ["BTCUSDT"], ["markPriceKlines"], dt.date(2024, 1, 1), dt.date(2024, 1, 1))


def test_trade_and_mark_klines_of_one_day_are_both_fetched_and_kept_apart(
    archive: FakeArchive, dest: Path, download: Callable[..., DownloadRun]
):
    # Arrange
    targets = [archive.publish(family, "2024-01-01") for family in ("klines", *PRICE_KLINES)]

    # Act
    run = download("--symbols", "BTCUSDT", "--families", "klines", *PRICE_KLINES, "--start", "2024-01-01")

    # Assert: four files of one name, in four folders, each byte-identical to what was served
    assert run.code == 0
    assert {t.path.name for t in targets} == {"BTCUSDT-1m-2024-01-01.zip"}
    for target in targets:
        assert run.status_of(target) == "fetched"
        assert (dest / target.path).read_bytes() == archive.read(target.path)
        assert parse_name(str(dest / target.path)).family == target.family
