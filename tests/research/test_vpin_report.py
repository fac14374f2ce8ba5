"""The ``vpin`` report's bucket table and toxic flags, worked by hand and checked against the twin."""

import math

import numpy as np
import pandas as pd
import pytest

from bench.bench_indicators_flow import random_trades
from indicators.flow import VPIN
from research.compute.vpin import BUCKET_COLUMNS
from research.compute.vpin import VpinConfig
from research.compute.vpin import add_flags
from research.compute.vpin import trailing_threshold
from research.compute.vpin import vpin_buckets

SECOND = 1_000_000_000


def test_vpin_buckets_of_a_tiny_trade_list_as_worked_by_hand():
    # Arrange: buckets of 5, VPIN over 2 buckets. Buy 3; sell 4 closes bucket 0 (B 3, S 2) and
    # opens bucket 1 with S 2; buy 2 (B 2, S 2); sell 25 fills its last unit (B 2, S 3) and four
    # all-sell buckets; buy 1 closes B 1 / S 4 (4 sells left over); buy 5 closes an all-buy one.
    trades = {
        "ts": np.arange(6, dtype=np.int64) * SECOND,
        "price": np.array([100.0, 100.1, 100.2, 100.3, 100.4, 100.5]),
        "size": np.array([3.0, 4.0, 2.0, 25.0, 1.0, 5.0]),
        "side": np.array([1, 2, 1, 2, 1, 1]),
    }
    config = VpinConfig(bucket_volume=5.0, window=2, toxic_window=3)
    # Act
    table = vpin_buckets(trades, config)
    # Assert
    assert list(table.columns) == BUCKET_COLUMNS
    assert table["buy"].tolist() == [3, 2, 0, 0, 0, 0, 1, 5]
    assert table["sell"].tolist() == [2, 3, 5, 5, 5, 5, 4, 0]
    assert table["volume"].tolist() == [5.0] * 8
    assert table["signed_imbalance"].tolist() == pytest.approx([0.2, -0.2, -1, -1, -1, -1, -0.6, 1])
    assert table["imbalance"].tolist() == pytest.approx([0.2, 0.2, 1, 1, 1, 1, 0.6, 1])
    closed_at = [1, 3, 3, 3, 3, 3, 4, 5]  # index of the completing trade
    assert (table["close_time"].astype("int64") // SECOND).tolist() == closed_at
    assert table["close_price"].tolist() == [100.1, 100.3, 100.3, 100.3, 100.3, 100.3, 100.4, 100.5]
    # VPIN as known at each close: NaN before two buckets, then (|S-B| of the last 2) / 10
    assert math.isnan(table["vpin"][0])
    assert table["vpin"][1:].tolist() == pytest.approx([1.0] * 5 + [0.8, 0.8])


def test_bar_sign_buckets_from_klines_as_worked_by_hand():
    # Arrange: buckets of 10. Up bar of 6 (all buy); down bar of 8 closes bucket 0 (B 6, S 4);
    # flat bar of 6 (half each way) closes bucket 1 (S 4 + 3, B 3).
    bars = {
        "ts": np.array([60, 120, 180], dtype=np.int64) * SECOND,
        "open": np.array([100.0, 101.0, 99.0]),
        "close": np.array([101.0, 99.0, 99.0]),
        "volume": np.array([6.0, 8.0, 6.0]),
    }
    config = VpinConfig(classifier="bar-sign", bucket_volume=10.0, window=1)
    # Act
    table = vpin_buckets(bars, config)
    # Assert
    assert table["buy"].tolist() == [6.0, 3.0]
    assert table["sell"].tolist() == [4.0, 7.0]
    assert table["vpin"].tolist() == pytest.approx([0.2, 0.4])
    assert (table["close_time"].astype("int64") // SECOND).tolist() == [120, 180]


def test_trailing_threshold_is_the_quantile_of_the_previous_buckets_only():
    # Arrange: warm-up NaN, then VPINs; window 3, median
    vpin = np.array([np.nan, 0.5, 0.2, 0.3, 0.25, 0.9])
    # Act
    threshold = trailing_threshold(vpin, 0.5, 3)
    # Assert: bucket 4 is judged against (.5, .2, .3), bucket 5 against (.2, .3, .25)
    assert np.isnan(threshold[:4]).all()
    assert threshold[4:].tolist() == pytest.approx([0.3, 0.25])


def test_toxic_flags_trailing_against_full_sample_look_ahead():
    # Arrange
    frame = pd.DataFrame({"vpin": [np.nan, 0.5, 0.2, 0.3, 0.25, 0.9]})
    # Act
    add_flags(frame, 0.5, 3)
    # Assert: the trailing flag never judges a bucket before 3 earlier VPINs exist; the look-ahead
    # flag uses the median of all five VPINs (0.3), future ones included
    assert frame["toxic"].tolist() == [False, False, False, False, False, True]
    assert frame["threshold_lookahead"].tolist() == pytest.approx([0.3] * 6)
    assert frame["toxic_lookahead"].tolist() == [False, True, False, False, False, True]


def test_bucket_vpin_is_the_twins_vpin_and_the_ratio_over_the_last_window_buckets():
    # Arrange: random trades at distinct times (a close time names one trade), dynamic bucket
    # size (a fifth of the median 1-minute volume, after 5 minutes)
    trades = random_trades(60_000, seed=4)
    trades["ts"] = trades["ts"][0] + np.arange(60_000) * 40_000_000
    config = VpinConfig(
        window=10, bucket_multiple=0.2, size_lookback_minutes=30, size_min_minutes=5
    )
    twin = VPIN(window=10, lookback_periods=30, min_periods=5, fraction=0.2)
    expected = twin.batch(trades["ts"], trades["price"], trades["size"], trades["side"])
    # Act
    table = vpin_buckets(trades, config)
    # Assert: at each close, the twin's VPIN after the completing trade...
    closing = (
        np.searchsorted(trades["ts"], table["close_time"].astype("int64").to_numpy(), side="right")
        - 1
    )
    np.testing.assert_allclose(table["vpin"], expected[closing], rtol=1e-12, equal_nan=True)
    # ...which is sum|S - B| / sum V over the last 10 buckets (the last one of each event)
    imbalance = (table["imbalance"] * table["volume"]).rolling(10).sum() / table["volume"].rolling(
        10
    ).sum()
    last_of_event = ~table["close_time"].duplicated(keep="last")
    np.testing.assert_allclose(
        table["vpin"][last_of_event], imbalance[last_of_event], rtol=1e-9, equal_nan=True
    )
    assert len(table) > 100
    np.testing.assert_allclose(table["buy"] + table["sell"], table["volume"], rtol=1e-12)
