"""Statistics formulas against independent, brute-force calculations."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from backtest.statistics.sample import interval_returns
from backtest.stats import DAY_NS
from backtest.stats import cagr
from backtest.stats import exposure_fraction
from backtest.stats import max_drawdown
from backtest.stats import sharpe_ratio
from backtest.stats import sortino_ratio

T0 = pd.Timestamp("2024-01-01", tz="UTC").value


def brute_force_max_drawdown(equity: list[float]) -> float:
    worst = 0.0
    for i in range(len(equity)):
        for j in range(i, len(equity)):
            worst = max(worst, 1.0 - equity[j] / equity[i])
    return worst


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=1.0, max_value=1e6), min_size=1, max_size=40))
def test_max_drawdown_equals_the_worst_fall_over_every_pair_of_samples(equity):
    # Arrange, Act
    fast = max_drawdown(np.array(equity))

    # Assert
    assert fast == pytest.approx(brute_force_max_drawdown(equity), abs=1e-12)


def test_daily_returns_take_each_days_last_sample_against_the_previous_day():
    # Arrange
    ts = np.array(
        [T0 + 10, T0 + DAY_NS // 2, T0 + DAY_NS + 5, T0 + 3 * DAY_NS + 1, T0 + 3 * DAY_NS + 2]
    )
    equity = np.array([100.0, 110.0, 99.0, 120.0, 108.9])

    # Act
    sample = interval_returns(ts, equity, 100.0, T0, T0 + 4 * DAY_NS - 1, 86_400)

    # Assert: day 3 has no sample, so its close is day 2's and its return 0
    assert sample.returns == pytest.approx([0.10, 99.0 / 110.0 - 1.0, 0.0, 108.9 / 99.0 - 1.0])
    assert (sample.count, sample.days, sample.frequency) == (4, 4.0, "1d")


def test_sharpe_and_sortino_match_numpy_with_a_365_day_year():
    # Arrange
    returns = np.array([0.01, -0.02, 0.015, 0.003, -0.004, 0.02])
    mean, std = returns.mean(), returns.std(ddof=1)
    downside = math.sqrt((np.minimum(returns, 0) ** 2).mean())

    # Act
    sharpe, sortino = sharpe_ratio(returns), sortino_ratio(returns)

    # Assert
    assert sharpe == pytest.approx(mean / std * math.sqrt(365))
    assert sortino == pytest.approx(mean / downside * math.sqrt(365))


@pytest.mark.parametrize("returns", [np.array([0.01]), np.array([0.01, 0.01]), np.empty(0)])
def test_ratios_are_undefined_without_two_varying_days(returns):
    # Arrange, Act, Assert
    assert sharpe_ratio(returns) is None
    assert sortino_ratio(np.abs(returns)) is None


def test_cagr_compounds_over_a_365_day_year():
    # Arrange, Act
    half_year = cagr(0.10, 365 * DAY_NS // 2)

    # Assert
    assert half_year == pytest.approx(1.10**2 - 1.0)


def test_exposure_counts_overlapping_and_open_positions_once():
    # Arrange
    positions = pd.DataFrame(
        {
            "ts_opened": [T0 + 10, T0 + 20, T0 + 70],
            "ts_closed": [
                T0 + 40,
                T0 + 30,
                -1,
            ],  # the second lies inside the first; the third is open
        },
    )

    # Act
    fraction = exposure_fraction(positions, T0, T0 + 100)

    # Assert
    assert fraction == pytest.approx((30 + 30) / 100)
