"""Lead/lag correlation: forward and past returns read as of each time, and a known lead."""

import numpy as np
import pytest

from research.compute.leadlag import LEADLAG_COLUMNS
from research.compute.leadlag import correlation
from research.compute.leadlag import horizon_returns
from research.compute.leadlag import lead_lag

SECOND = 1_000_000_000


def test_horizon_returns_read_prices_as_of_each_end_and_leave_out_the_unknown():
    # Arrange: prices 100, 110, 121 at 0, 10, 20 s
    price_ts = np.array([0, 10, 20]) * SECOND
    price = np.array([100.0, 110.0, 121.0])
    at = np.array([0, 5, 15, 25]) * SECOND
    # Act
    returns = horizon_returns(price_ts, price, at, [10 * SECOND])
    # Assert: p(5 s) is still 100 (as of 0 s); 25 s is after the last price
    assert list(returns) == [-10 * SECOND, 10 * SECOND]
    np.testing.assert_allclose(returns[10 * SECOND], [np.log(1.1), np.log(1.1), np.nan, np.nan])
    np.testing.assert_allclose(returns[-10 * SECOND], [np.nan, np.nan, np.log(1.1), np.nan])


def test_correlation_is_nan_for_a_flat_series_or_too_few_pairs():
    assert np.isnan(correlation(np.ones(10), np.arange(10.0))[0])
    assert correlation(np.array([1.0, np.nan, 2.0]), np.array([1.0, 2.0, 3.0])) == (
        pytest.approx(float("nan"), nan_ok=True),
        2,
    )
    assert correlation(np.arange(5.0), 2 * np.arange(5.0))[0] == pytest.approx(1.0)


def test_lead_lag_peaks_at_the_lead_built_into_the_signal():
    # Arrange: a random-walk price each second; the signal is the next 3 s return plus as much
    # noise. Theory: corr at +3 s = 1/sqrt(2) ~ 0.71, +1 s = 1/sqrt(6) ~ 0.41, +5 s = 3/sqrt(30)
    # ~ 0.55, and 0 for past returns.
    rng = np.random.default_rng(5)
    n, lead = 40_000, 3
    r = rng.normal(0, 1e-4, n)
    log_price = np.concatenate(([0.0], np.cumsum(r)))
    times = np.arange(n + 1) * SECOND
    signal = np.full(n + 1, np.nan)
    signal[: n + 1 - lead] = (
        log_price[lead:] - log_price[:-lead] + rng.normal(0, np.sqrt(lead) * 1e-4, n + 1 - lead)
    )
    # Act
    returns = horizon_returns(
        times, 100 * np.exp(log_price), times, [SECOND, lead * SECOND, 5 * SECOND]
    )
    table = lead_lag({"x": signal}, returns)
    # Assert
    assert list(table.columns) == LEADLAG_COLUMNS
    corr = dict(zip(table["horizon"], table["corr"], strict=True))
    assert table.loc[table["corr"].idxmax(), "horizon"] == "+3s"
    assert corr["+3s"] == pytest.approx(1 / np.sqrt(2), abs=0.02)
    assert corr["+1s"] == pytest.approx(1 / np.sqrt(6), abs=0.02)
    assert corr["+5s"] == pytest.approx(3 / np.sqrt(30), abs=0.02)
    for past in ("-1s", "-3s", "-5s"):
        assert abs(corr[past]) < 0.03
    assert set(table["relation"]) == {"signal leads", "signal lags"}
