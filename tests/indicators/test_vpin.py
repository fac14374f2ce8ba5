"""VPIN: hand-worked bucket cases, the three classifiers, bucket sizing, warm-up and edge cases."""

import math

import numpy as np
import pandas as pd
import pytest
from nautilus_trader.model.data import Bar
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity
from scipy.stats import norm

from bench.bench_indicators_flow import BAR_TYPE
from indicators.flow import VPIN
from indicators.kernels.flow import bvc_buy_fraction
from indicators.kernels.flow import normal_cdf

BUY, SELL, NONE = 1, 2, 0
SECOND = 1_000_000_000


def feed(vpin: VPIN, trades: list[tuple[float, int]], price: float = 100.0) -> list[float]:
    """Feed (size, side) trades one nanosecond apart; return VPIN after each."""
    values = []
    for i, (size, side) in enumerate(trades):
        vpin.update_raw(i, price, size, side)
        values.append(vpin.value)
    return values


def test_vpin_with_all_buys_returns_one():
    # Arrange
    vpin = VPIN(window=5, bucket_volume=1.0)
    # Act
    values = feed(vpin, [(0.25, BUY)] * 40)
    # Assert
    assert vpin.initialized
    assert values[-1] == pytest.approx(1.0, abs=1e-12)


def test_vpin_with_perfectly_alternating_trades_returns_zero():
    # Arrange
    vpin = VPIN(window=5, bucket_volume=1.0)
    # Act
    values = feed(vpin, [(0.25, BUY), (0.25, SELL)] * 20)
    # Assert
    assert vpin.initialized
    assert values[-1] == pytest.approx(0.0, abs=1e-12)


def test_vpin_splits_a_trade_across_bucket_edges_as_worked_by_hand():
    # Arrange: buckets of 1.0, window of 3 buckets.
    #   buy 0.25, sell 1.5  -> bucket 1 = B 0.25 + S 0.75, |S-B| = 0.5; S 0.75 carried over
    #   buy 2.5             -> bucket 2 = S 0.75 + B 0.25, |S-B| = 0.5
    #                          bucket 3 = B 1.0 (1.0), bucket 4 = B 1.0 (1.0); B 0.25 carried
    #   VPIN over buckets 2..4 = (0.5 + 1.0 + 1.0) / 3
    vpin = VPIN(window=3, bucket_volume=1.0)
    # Act
    values = feed(vpin, [(0.25, BUY), (1.5, SELL), (2.5, BUY)])
    # Assert
    assert math.isnan(values[0]) and math.isnan(values[1])
    assert values[2] == pytest.approx(2.5 / 3.0, rel=1e-12)
    assert vpin.bucket_count == 4
    assert vpin.buckets_completed == 3
    assert vpin.last_bucket_imbalance == pytest.approx(1.0)


def test_vpin_single_trade_bigger_than_the_whole_window_fills_every_bucket():
    # Arrange
    vpin = VPIN(window=3, bucket_volume=1.0)
    feed(vpin, [(0.5, SELL)])
    # Act: completes the open bucket (S 0.5 + B 0.5) and 9 more all-buy buckets, 0.5 left over.
    vpin.update_raw(1, 100.0, 10.0, BUY)
    # Assert
    assert vpin.bucket_count == 10
    assert vpin.buckets_completed == 10
    assert vpin.value == pytest.approx(1.0)
    vpin.update_raw(2, 100.0, 0.5, SELL)  # the carried 0.5 buy + 0.5 sell: a balanced bucket
    assert vpin.bucket_count == 11
    assert vpin.value == pytest.approx(2.0 / 3.0)


def test_vpin_decimal_sizes_close_buckets_exactly_at_the_edge():
    # Arrange: 0.1 + 0.1 + 0.1 is not 0.3 in binary; the bucket still closes at the third trade.
    vpin = VPIN(window=1, bucket_volume=0.3)
    # Act
    feed(vpin, [(0.1, BUY)] * 3)
    # Assert
    assert vpin.bucket_count == 1
    assert vpin.value == pytest.approx(1.0)


def test_vpin_zero_size_trade_changes_nothing():
    # Arrange
    vpin = VPIN(window=2, bucket_volume=1.0)
    reference = VPIN(window=2, bucket_volume=1.0)
    trades = [(0.75, BUY), (0.75, SELL), (0.75, BUY)]
    # Act
    feed(vpin, trades[:2])
    vpin.update_raw(1, 100.0, 0.0, BUY)
    vpin.update_raw(1, 100.0, 0.75, BUY)
    feed(reference, trades)
    # Assert
    assert vpin.value == reference.value
    assert vpin.bucket_count == reference.bucket_count == 2


def test_vpin_trade_without_aggressor_splits_half_and_half():
    # Arrange
    vpin = VPIN(window=1, bucket_volume=1.0)
    # Act
    feed(vpin, [(1.0, NONE)])
    # Assert
    assert vpin.value == pytest.approx(0.0)


def test_vpin_is_nan_and_not_initialized_until_window_buckets_are_complete():
    # Arrange
    vpin = VPIN(window=4, bucket_volume=1.0)
    # Act
    values = feed(vpin, [(1.0, BUY)] * 3)
    # Assert
    assert all(math.isnan(v) for v in values)
    assert vpin.has_inputs and not vpin.initialized
    vpin.update_raw(3, 100.0, 1.0, SELL)
    assert vpin.initialized
    assert vpin.value == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("ts", "price", "size", "side"),
    [
        (0, math.nan, 1.0, BUY),
        (0, 100.0, math.inf, BUY),
        (0, 100.0, -1.0, BUY),
        (math.nan, 100.0, 1.0, BUY),
        (0, 100.0, 1.0, 3),
        (0, 100.0, 1.0, math.nan),
    ],
)
def test_vpin_refuses_invalid_trade_input(ts, price, size, side):
    # Arrange
    vpin = VPIN(window=2, bucket_volume=1.0)
    # Act / Assert
    with pytest.raises(ValueError):
        vpin.update_raw(ts, price, size, side)


def test_vpin_refuses_a_decreasing_timestamp():
    # Arrange
    vpin = VPIN(window=2, bucket_volume=1.0)
    vpin.update_raw(10, 100.0, 1.0, BUY)
    # Act / Assert
    with pytest.raises(ValueError, match="decrease"):
        vpin.update_raw(9, 100.0, 1.0, BUY)


def test_vpin_batch_refuses_nan_input():
    # Arrange
    vpin = VPIN(window=2, bucket_volume=1.0)
    # Act / Assert
    with pytest.raises(ValueError):
        vpin.batch([0, 1], [100.0, math.nan], [1.0, 1.0], [BUY, SELL])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"window": 0, "bucket_volume": 1.0},
        {"bucket_volume": -1.0},
        {"bucket_volume": math.nan},
        {"classifier": "tick"},
        {"statistic": "mode"},
        {"lookback_periods": 5, "min_periods": 6},
        {"classifier": "bvc", "bucket_volume": 1.0, "sigma_window": 1},
    ],
)
def test_vpin_refuses_invalid_parameters(kwargs):
    # Act / Assert
    with pytest.raises(ValueError):
        VPIN(**kwargs)


def test_vpin_quote_volume_buckets_by_notional():
    # Arrange: buckets of 1000 quote units; 5 units at 100 fill half a bucket.
    vpin = VPIN(window=1, bucket_volume=1000.0, quote_volume=True)
    # Act
    vpin.update_raw(0, 100.0, 5.0, BUY)
    vpin.update_raw(1, 200.0, 2.5, SELL)
    # Assert
    assert vpin.bucket_count == 1
    assert vpin.value == pytest.approx(0.0)


# -------------------------------------------------------------------------------------------------
# Bucket size from a trailing volume statistic
# -------------------------------------------------------------------------------------------------


def test_vpin_dynamic_bucket_size_is_the_trailing_median_of_complete_periods():
    # Arrange: 1-second periods with volumes 1, 5, 3 (then a trade opening period 3).
    vpin = VPIN(window=1, period_ns=SECOND, lookback_periods=3)
    # Act / Assert
    vpin.update_raw(0, 100.0, 1.0, BUY)
    vpin.update_raw(SECOND, 100.0, 5.0, BUY)
    vpin.update_raw(2 * SECOND, 100.0, 3.0, BUY)
    assert math.isnan(vpin.bucket_volume)  # two complete periods: not enough yet
    vpin.update_raw(3 * SECOND, 100.0, 1.0, SELL)
    assert vpin.bucket_volume == 3.0  # median(1, 5, 3); the open period's volume is not used
    assert vpin.bucket_count == 0  # everything before the size was known was discarded


def test_vpin_dynamic_bucket_size_counts_periods_without_trades_as_zero():
    # Arrange: volumes 4 in period 0, nothing in periods 1 and 2, then period 3 opens.
    vpin = VPIN(window=1, period_ns=SECOND, lookback_periods=3, statistic="mean")
    # Act
    vpin.update_raw(0, 100.0, 4.0, BUY)
    vpin.update_raw(3 * SECOND, 100.0, 1.0, BUY)
    # Assert
    assert vpin.bucket_volume == pytest.approx(4.0 / 3.0)


def test_vpin_new_bucket_size_applies_from_the_next_bucket():
    # Arrange: a one-period lookback. Period 0 trades 2.0, so buckets of 2 from t = 1 s; the
    # trade at 1 s opens a bucket of 2 with a buy of 1.
    vpin = VPIN(window=1, period_ns=SECOND, lookback_periods=1)
    vpin.update_raw(0, 100.0, 2.0, BUY)
    vpin.update_raw(SECOND, 100.0, 1.0, BUY)
    # Act: period 1 closes with volume 1 (next size 1), but the open bucket still closes at 2.
    vpin.update_raw(2 * SECOND, 100.0, 1.0, SELL)
    # Assert
    assert vpin.bucket_count == 1
    assert vpin.value == pytest.approx(0.0)  # B 1 + S 1
    assert vpin.bucket_volume == 1.0


# -------------------------------------------------------------------------------------------------
# Bulk volume classification
# -------------------------------------------------------------------------------------------------


def test_bvc_buy_fraction_matches_scipy_normal_cdf():
    # Arrange
    rng = np.random.default_rng(3)
    dp = rng.normal(0.0, 3.0, 500)
    sigma = rng.uniform(0.1, 5.0, 500)
    # Act
    ours = np.array([bvc_buy_fraction(d, s) for d, s in zip(dp, sigma, strict=True)])
    # Assert
    np.testing.assert_allclose(ours, norm.cdf(dp / sigma), rtol=1e-12, atol=1e-15)
    assert normal_cdf(0.0) == 0.5


def test_bvc_buy_fraction_with_zero_sigma_takes_the_side_of_the_move():
    # Act / Assert
    assert bvc_buy_fraction(0.5, 0.0) == 1.0
    assert bvc_buy_fraction(-0.5, 0.0) == 0.0
    assert bvc_buy_fraction(0.0, 0.0) == 0.5


def test_vpin_bvc_on_time_bars_matches_pandas_and_scipy():
    # Arrange: 1-second bars, one unit of volume each (2 trades of 0.5); a bucket of 1 per bar,
    # window of 1 bucket, so VPIN = |2 Φ(ΔP/σ) - 1| of the last classified bar.
    rng = np.random.default_rng(5)
    n_bars = 300
    closes = 100.0 + np.cumsum(rng.normal(0, 1, n_bars))
    ts = np.repeat(np.arange(n_bars) * SECOND, 2) + np.tile([0, SECOND // 2], n_bars)
    price = np.repeat(closes, 2) + np.tile([0.3, 0.0], n_bars)  # the bar's last trade = close
    size = np.full(2 * n_bars, 0.5)
    side = np.full(2 * n_bars, BUY)
    vpin = VPIN(window=1, classifier="bvc", bucket_volume=1.0, bar_ns=SECOND, sigma_window=20)
    # Act
    series = vpin.batch(ts, price, size, side)
    # Assert: bar k is classified at the first trade of bar k+1.
    dp = pd.Series(closes).diff()
    sigma = dp.rolling(20).std().shift(1)  # the 20 changes before this bar's
    expected = np.abs(2.0 * norm.cdf(dp / sigma) - 1.0)
    at_next_bar_open = series[2::2]  # first trade of bars 1..n-1: classifies bars 0..n-2
    np.testing.assert_allclose(at_next_bar_open, expected[:-1], rtol=1e-9)
    assert np.isfinite(at_next_bar_open[21:]).all() and np.isnan(at_next_bar_open[:21]).all()


def test_vpin_bvc_on_trade_groups_classifies_each_group_when_complete():
    # Arrange: groups of 3 trades of 1.0 (one bucket per group), random prices.
    vpin = VPIN(window=1, classifier="bvc", bucket_volume=3.0, group_trades=3, sigma_window=2)
    prices = 100.0 + np.cumsum(np.random.default_rng(8).normal(0.0, 1.0, 30))
    # Act
    series = vpin.batch(np.arange(30), prices, np.ones(30), np.full(30, SELL))
    # Assert: groups close on trades 2, 5, 8, ...; the first two changes only feed σ.
    closes = prices[2::3]
    dp = np.diff(closes)
    sigma = pd.Series(dp).rolling(2).std().shift(1).to_numpy()
    expected = np.abs(2.0 * norm.cdf(dp / sigma) - 1.0)
    np.testing.assert_allclose(series[5::3][2:], expected[2:], rtol=1e-9)
    assert np.isnan(series[:11]).all()  # group 3 (trade 11) is the first with two earlier changes


# -------------------------------------------------------------------------------------------------
# Bar classifiers
# -------------------------------------------------------------------------------------------------


def test_vpin_bar_sign_puts_the_whole_bar_on_the_side_of_close_minus_open():
    # Arrange: bars of volume 1 = one bucket each; window 4.
    vpin = VPIN(window=4, classifier="bar_sign", bucket_volume=1.0)
    bars = [(100.0, 101.0), (101.0, 100.0), (100.0, 100.0), (100.0, 102.0)]  # up, down, flat, up
    # Act
    for i, (o, c) in enumerate(bars):
        vpin.update_bar_raw(i, o, c, 1.0)
    # Assert: imbalances 1, 1, 0, 1
    assert vpin.value == pytest.approx(3.0 / 4.0)


def test_vpin_bar_taker_splits_by_taker_buy_volume():
    # Arrange
    vpin = VPIN(window=2, classifier="bar_taker", bucket_volume=10.0)
    # Act
    vpin.update_bar_raw(0, 100.0, 99.0, 10.0, taker_buy_volume=7.0)  # |3 - 7| = 4
    vpin.update_bar_raw(1, 99.0, 101.0, 10.0, taker_buy_volume=5.0)  # 0
    # Assert
    assert vpin.value == pytest.approx(4.0 / 20.0)


def test_vpin_bar_taker_refuses_a_bar_without_taker_volume():
    # Arrange
    vpin = VPIN(window=2, classifier="bar_taker", bucket_volume=10.0)
    bar = Bar(
        BAR_TYPE, Price(1.0, 1), Price(2.0, 1), Price(1.0, 1), Price(2.0, 1), Quantity(5, 0), 0, 0
    )
    # Act / Assert
    with pytest.raises(ValueError, match="taker"):
        vpin.handle_bar(bar)
    with pytest.raises(ValueError, match="taker"):
        vpin.update_bar_raw(0, 1.0, 2.0, 5.0, taker_buy_volume=6.0)
    with pytest.raises(ValueError, match="taker"):
        vpin.batch_bars([0], [1.0], [2.0], [5.0])


def test_vpin_handle_bar_uses_bar_sign():
    # Arrange
    vpin = VPIN(window=1, classifier="bar_sign", bucket_volume=5.0)
    bar = Bar(
        BAR_TYPE, Price(1.0, 1), Price(2.0, 1), Price(1.0, 1), Price(2.0, 1), Quantity(5, 0), 0, 0
    )
    # Act
    vpin.handle_bar(bar)
    # Assert
    assert vpin.initialized and vpin.value == pytest.approx(1.0)


def test_vpin_classifier_and_input_kind_must_match():
    # Act / Assert
    with pytest.raises(ValueError, match="bars"):
        VPIN(window=1, classifier="bar_sign", bucket_volume=1.0).update_raw(0, 1.0, 1.0, BUY)
    with pytest.raises(ValueError, match="trades"):
        VPIN(window=1, bucket_volume=1.0).update_bar_raw(0, 1.0, 2.0, 1.0)
