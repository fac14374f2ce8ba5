"""Rolling primitives (kernels.rolling) and the RollingZScore / RollingPercentileRank indicators."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from indicators.kernels.rolling import ROLLING_HEADER
from indicators.kernels.rolling import percentile_rank_batch
from indicators.kernels.rolling import percentile_rank_push
from indicators.kernels.rolling import ranked_new
from indicators.kernels.rolling import ranked_quantile
from indicators.kernels.rolling import rolling_count
from indicators.kernels.rolling import rolling_full
from indicators.kernels.rolling import rolling_mean
from indicators.kernels.rolling import rolling_mean_batch
from indicators.kernels.rolling import rolling_new
from indicators.kernels.rolling import rolling_oldest
from indicators.kernels.rolling import rolling_push
from indicators.kernels.rolling import rolling_quantile_batch
from indicators.kernels.rolling import rolling_sum
from indicators.kernels.rolling import rolling_sum_batch
from indicators.kernels.rolling import rolling_var
from indicators.kernels.rolling import rolling_var_batch
from indicators.kernels.rolling import zscore_batch
from indicators.kernels.rolling import zscore_push
from indicators.rolling import RollingPercentileRank
from indicators.rolling import RollingZScore
from tests.indicators import assert_same_series
from tests.indicators import random_ohlc
from tests.indicators import to_bars


def _brute_zscore(x: np.ndarray, w: int) -> np.ndarray:
    out = np.full(x.size, np.nan)
    for t in range(w - 1, x.size):
        win = x[t - w + 1 : t + 1]
        sd = win.std(ddof=1)
        out[t] = 0.0 if sd == 0 else (x[t] - win.mean()) / sd
    return out


def _brute_percentile_rank(x: np.ndarray, w: int) -> np.ndarray:
    out = np.full(x.size, np.nan)
    for t in range(w - 1, x.size):
        win = x[t - w + 1 : t + 1]
        less = np.sum(win < x[t])
        equal = np.sum(win == x[t])
        out[t] = (less + (equal + 1) / 2) / w
    return out


# --- kernels -------------------------------------------------------------------------------------


def test_rolling_push_with_three_values_in_window_two_keeps_last_two():
    # Arrange
    buf = rolling_new(2)

    # Act
    evicted = [rolling_push(buf, x) for x in (1.0, 2.0, 4.0)]

    # Assert
    assert math.isnan(evicted[0]) and math.isnan(evicted[1]) and evicted[2] == 1.0
    assert rolling_count(buf) == 2 and rolling_full(buf)
    assert rolling_sum(buf) == 6.0
    assert rolling_mean(buf) == 3.0
    assert rolling_var(buf, 1) == 2.0
    assert rolling_var(buf, 0) == 1.0
    assert rolling_oldest(buf) == 2.0


def test_rolling_stats_of_empty_window_are_nan_and_sum_zero():
    # Arrange
    buf = rolling_new(3)

    # Act / Assert
    assert rolling_sum(buf) == 0.0
    assert math.isnan(rolling_mean(buf))
    assert math.isnan(rolling_var(buf, 1))
    assert math.isnan(rolling_oldest(buf))


def test_rolling_new_with_zero_window_raises_value_error():
    with pytest.raises(ValueError):
        rolling_new(0)


@pytest.mark.parametrize("window", [1, 2, 7, 50])
def test_rolling_sum_mean_var_batch_match_pandas_rolling_and_two_pass_numpy(window):
    # Arrange
    x = np.random.default_rng(window).normal(3.0, 2.0, 5_000)
    s = pd.Series(x)
    two_pass = np.full(x.size, np.nan)
    for t in range(window - 1, x.size):
        two_pass[t] = np.var(x[t - window + 1 : t + 1], ddof=1) if window > 1 else np.nan

    # Act
    sums = rolling_sum_batch(x, window)
    means = rolling_mean_batch(x, window)
    variances = rolling_var_batch(x, window, 1)

    # Assert
    assert_same_series(sums, s.rolling(window).sum().to_numpy(), rtol=1e-9, atol=1e-9)
    assert_same_series(means, s.rolling(window).mean().to_numpy(), rtol=1e-9, atol=1e-12)
    assert_same_series(variances, two_pass, rtol=1e-8)
    if window >= 7:
        # For window 2, pandas' own sliding update is off by up to ~1e-6 relative on pairs of
        # near-equal values (checked against the two-pass figure above); ours stays within 1e-8.
        assert_same_series(variances, s.rolling(window).var().to_numpy(), rtol=1e-9)


def test_rolling_var_after_million_pushes_with_large_offset_stays_exact():
    # Arrange: a large level with small moves is where a running sum of squares loses digits
    rng = np.random.default_rng(1)
    x = 50_000.0 + rng.normal(0.0, 1e-2, 1_000_000)
    x[::1000] += 1e4  # spikes that enter and leave the window

    # Act
    variances = rolling_var_batch(x, 500, 1)

    # Assert
    expected = np.var(x[-500:], ddof=1)
    assert variances[-1] == pytest.approx(expected, rel=1e-9)


def test_zscore_batch_matches_brute_force_and_pandas():
    # Arrange
    x = np.random.default_rng(2).standard_t(3, 3_000)
    s = pd.Series(x)

    # Act
    z = zscore_batch(x, 30)

    # Assert
    assert_same_series(z, _brute_zscore(x, 30), rtol=1e-9, atol=1e-12)
    pandas_z = ((s - s.rolling(30).mean()) / s.rolling(30).std()).to_numpy()
    assert_same_series(z, pandas_z, rtol=1e-9, atol=1e-12)


def test_zscore_of_constant_window_is_zero():
    # Arrange
    buf = rolling_new(4)

    # Act
    z = [zscore_push(buf, 5.0) for _ in range(6)]

    # Assert
    assert all(math.isnan(v) for v in z[:3])
    assert z[3:] == [0.0, 0.0, 0.0]


def test_percentile_rank_batch_with_ties_matches_brute_force_and_pandas_rank():
    # Arrange: rounded values make many ties
    x = np.round(np.random.default_rng(3).normal(0.0, 3.0, 4_000))

    # Act
    pr = percentile_rank_batch(x, 25)

    # Assert
    assert_same_series(pr, _brute_percentile_rank(x, 25), rtol=1e-12)
    assert_same_series(pr, pd.Series(x).rolling(25).rank(pct=True).to_numpy(), rtol=1e-12)


def test_percentile_rank_of_hand_worked_window():
    # Arrange
    buf = ranked_new(4)

    # Act
    ranks = [percentile_rank_push(buf, x) for x in (9.0, 3.0, 1.0, 3.0, 2.0)]

    # Assert
    assert math.isnan(ranks[2])
    assert ranks[3] == pytest.approx(2.5 / 4)  # 3 in [9, 3, 1, 3]: the two 3s hold ranks 2 and 3
    assert ranks[4] == pytest.approx(2 / 4)  # 2 in [3, 1, 3, 2]: rank 2


def test_rolling_quantile_batch_matches_numpy_quantile_over_each_window():
    # Arrange
    x = np.random.default_rng(4).normal(size=2_000)
    window, q = 40, 0.7

    # Act
    quantiles = rolling_quantile_batch(x, window, q)

    # Assert
    expected = np.full(x.size, np.nan)
    for t in range(window - 1, x.size):
        expected[t] = np.quantile(x[t - window + 1 : t + 1], q)
    assert_same_series(quantiles, expected, rtol=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.integers(-5, 5).map(float), min_size=1, max_size=60),
    window=st.integers(1, 9),
)
def test_ranked_buffer_sorted_copy_always_equals_sorted_window(values, window):
    # Arrange
    buf = ranked_new(window)

    for t, x in enumerate(values):
        # Act
        percentile_rank_push(buf, x)

        # Assert: the quantiles at 0 and 1 read the sorted copy's ends; check the whole copy
        held = np.array(values[max(0, t - window + 1) : t + 1])
        sorted_copy = buf[ROLLING_HEADER + window : ROLLING_HEADER + window + held.size]
        np.testing.assert_array_equal(sorted_copy, np.sort(held))
        assert ranked_quantile(buf, 0.0) == held.min()
        assert ranked_quantile(buf, 1.0) == held.max()


@pytest.mark.parametrize("batch", [rolling_sum_batch, zscore_batch, percentile_rank_batch])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_batch_twins_refuse_non_finite_input(batch, bad):
    # Arrange
    x = np.array([1.0, 2.0, bad, 3.0])

    # Act / Assert
    with pytest.raises(ValueError):
        batch(x, 2)


# --- indicators ----------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [RollingZScore, RollingPercentileRank])
def test_indicator_initializes_only_when_window_fills(cls):
    # Arrange
    indicator = cls(5)

    # Act
    values = [indicator.update_raw(float(x)) for x in range(4)]
    before = (indicator.has_inputs, indicator.initialized)
    indicator.update_raw(4.0)

    # Assert
    assert all(math.isnan(v) for v in values)
    assert before == (True, False)
    assert indicator.initialized and not math.isnan(indicator.value)


@pytest.mark.parametrize("cls", [RollingZScore, RollingPercentileRank])
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_indicator_update_raw_refuses_non_finite_input(cls, bad):
    # Arrange
    indicator = cls(3)

    # Act / Assert
    with pytest.raises(ValueError, match="not finite"):
        indicator.update_raw(bad)
    assert not indicator.has_inputs


@pytest.mark.parametrize("cls", [RollingZScore, RollingPercentileRank])
def test_indicator_reset_restores_fresh_state(cls):
    # Arrange
    fresh = cls(3)
    used = cls(3)
    for x in (5.0, 1.0, 4.0, 2.0):
        used.update_raw(x)

    # Act
    used.reset()

    # Assert
    assert not used.initialized and not used.has_inputs and math.isnan(used.value)
    np.testing.assert_array_equal(used._state, fresh._state)
    again = [used.update_raw(x) for x in (3.0, 1.0, 7.0)]
    np.testing.assert_array_equal(again, [fresh.update_raw(x) for x in (3.0, 1.0, 7.0)])


@pytest.mark.parametrize(
    ("cls", "batch"),
    [(RollingZScore, zscore_batch), (RollingPercentileRank, percentile_rank_batch)],
)
def test_indicator_handle_bar_feeds_close_and_matches_batch(cls, batch):
    # Arrange
    bars, held = to_bars(random_ohlc(3_000, seed=7))
    indicator = cls(60)

    # Act
    incremental = []
    for bar in bars:
        indicator.handle_bar(bar)
        incremental.append(indicator.value)

    # Assert
    assert_same_series(np.array(incremental), batch(held["close"], 60), rtol=1e-9)


def test_rolling_percentile_rank_quantile_reads_trailing_window():
    # Arrange
    indicator = RollingPercentileRank(4)
    for x in (100.0, 1.0, 2.0, 3.0, 4.0):
        indicator.update_raw(x)

    # Act
    median = indicator.quantile(0.5)

    # Assert: 100 has left the window
    assert median == pytest.approx(np.quantile([1.0, 2.0, 3.0, 4.0], 0.5))
    with pytest.raises(ValueError):
        indicator.quantile(1.5)


def test_rolling_zscore_with_window_one_is_refused():
    with pytest.raises(ValueError, match="window"):
        RollingZScore(1)
