"""Mark, index and premium-index klines: the archive's kline layout, tied to the premium and funding."""

import numpy as np
import pandas as pd
import pytest

from etl.archive import KLINES_1M
from etl.archive import parse_name
from tests.synth.archive_io import family_files
from tests.synth.archive_io import file_bytes
from tests.synth.conftest import Market

REFERENCE_FAMILIES = ("markPriceKlines", "indexPriceKlines", "premiumIndexKlines")
# Samples per minute: one a second for prices (Binance's "number of basic data" 60), one every 5 s
# for the premium index.
COUNTS = {"markPriceKlines": 60, "indexPriceKlines": 60, "premiumIndexKlines": 12}
PRINTED = 1e-8
FUNDING_INTERVAL_MINUTES = 8 * 60


@pytest.mark.parametrize("family", REFERENCE_FAMILIES)
def test_files_have_the_kline_header_and_one_zero_volume_bar_per_minute(market: Market, family: str) -> None:
    # Arrange
    files = family_files(market.root, "futures/um", family, "BTCUSDT")

    # Act
    first_lines = [file_bytes(p).split(b"\n", 2)[:2] for p in files]
    bars = market.read(family)

    # Assert
    assert len(files) == market.config.days
    assert all(parse_name(str(p)).family == family for p in files)
    assert {header for header, _ in first_lines} == {",".join(KLINES_1M.header).encode()}
    # Prices and premiums print 8 decimals; volume-like columns print a bare 0.
    fields = first_lines[0][1].decode().split(",")
    assert all(len(f.split(".")[1]) == 8 for f in fields[1:5])
    assert fields[5] == fields[7] == fields[9] == fields[10] == fields[11] == "0"
    assert len(bars) == market.config.days * 1440
    assert (np.diff(bars["open_time"]) == 60_000).all() and (bars["open_time"] % 60_000 == 0).all()
    assert (bars["close_time"] == bars["open_time"] + 59_999).all()
    assert (bars[["volume", "quote_volume", "taker_buy_volume", "taker_buy_quote_volume"]] == 0).all().all()
    assert (bars["count"] == COUNTS[family]).all()
    assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all()
    assert (bars["high"] >= bars[["open", "close"]].max(axis=1)).all()


def test_mark_is_index_times_one_plus_premium_at_every_price(market: Market) -> None:
    # Arrange
    mark, index, premium = (market.read(f) for f in REFERENCE_FAMILIES)

    for column in ("open", "high", "low", "close"):
        # Act
        implied = mark[column] / index[column] - 1.0

        # Assert: equal up to printing (the premium's 8 decimals; prices' 8 decimals are ~1e-13
        # relative at BTC prices).
        np.testing.assert_allclose(implied, premium[column], rtol=0, atol=PRINTED / 2 + 1e-11, err_msg=column)
    assert (premium["open"] == premium["close"]).all()  # the model's premium is constant within a minute
    assert premium["open"].std() > 1e-5  # ...and moves between minutes


def test_premium_index_is_the_ground_truth_premium(market: Market) -> None:
    # Arrange
    truth = market.ground_truth()
    premium = market.read("premiumIndexKlines")

    # Act
    expected = np.round(truth["premium"].to_numpy() * 1e8) / 1e8

    # Assert
    np.testing.assert_array_equal(premium["open_time"].to_numpy(), truth["open_time"].to_numpy())
    np.testing.assert_allclose(premium["open"].to_numpy(), expected, rtol=0, atol=1e-12)


def test_funding_rate_is_the_mean_premium_index_of_its_interval(market: Market) -> None:
    # Arrange
    premium = market.read("premiumIndexKlines").set_index("open_time")["open"]
    funding = market.read("fundingRate")
    settle_ms = funding["calc_time"] // 60_000 * 60_000
    # Settlements whose whole interval lies inside the files (the first one averages the warm-up).
    inside = settle_ms - FUNDING_INTERVAL_MINUTES * 60_000 >= premium.index[0]

    for settle, rate in zip(settle_ms[inside], funding["last_funding_rate"][inside], strict=True):
        # Act
        window = premium.loc[settle - FUNDING_INTERVAL_MINUTES * 60_000 : settle - 60_000]

        # Assert: the file rate is the rounded mean premium; the bars carry rounded premiums.
        assert len(window) == FUNDING_INTERVAL_MINUTES
        assert abs(window.mean() - rate) <= PRINTED
    assert inside.sum() == 3 * market.config.days - 1


def test_mark_tracks_the_trade_klines_and_index_tracks_spot(market: Market) -> None:
    # Arrange
    mark, index = market.read("markPriceKlines"), market.read("indexPriceKlines")
    perp, spot = market.read("klines"), market.read("klines", market="spot")

    # Act: relative gaps between each reference close and the market it stands for.
    perp_gap = (perp["close"] / mark["close"] - 1.0).abs()
    spot_gap = (spot["close"] / index["close"] - 1.0).abs()
    perp_vs_index = (perp["close"] / index["close"] - 1.0).abs()

    # Assert: the last trade sits a spread and some seconds of drift from the efficient price
    # (a few basis points), while the perp is a premium (several basis points) away from the index.
    assert perp_gap.median() < 3e-4 and spot_gap.median() < 3e-4
    assert perp_gap.quantile(0.99) < 3e-3 and spot_gap.quantile(0.99) < 3e-3
    assert pd.Series(perp_vs_index).median() > perp_gap.median()
