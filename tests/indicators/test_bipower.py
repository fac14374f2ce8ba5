"""Bipower variation (the README's worked example) against hand-worked and pandas computations."""

import math

import numpy as np
import pandas as pd
import pytest

from indicators.volatility import BipowerVariation
from indicators.volatility import RealizedVariance
from tests.indicators import assert_same_series
from tests.indicators import random_ohlc


def test_bipower_variation_of_known_closes_by_hand():
    # Arrange: window 3, so each value sums the two adjacent products of the last three returns.
    closes = (100.0, 101.0, 99.0, 99.5, 102.0)
    r1, r2, r3, r4 = (math.log(b / a) for a, b in zip(closes, closes[1:], strict=False))
    indicator = BipowerVariation(3)

    # Act
    returned = [indicator.update_raw(c) for c in closes]

    # Assert: NaN (not initialized) until three returns, i.e. four closes.
    assert all(math.isnan(v) for v in returned[:3])
    assert returned[3] == pytest.approx(math.pi / 2 * (abs(r2 * r1) + abs(r3 * r2)), rel=1e-14)
    assert returned[4] == pytest.approx(math.pi / 2 * (abs(r3 * r2) + abs(r4 * r3)), rel=1e-14)
    assert indicator.initialized and indicator.value == returned[4]


def test_bipower_variation_ignores_a_jump_that_realized_variance_counts():
    # Arrange: returns of +-0.1 % and one 5 % jump in a 20-return window.
    returns = np.full(20, 0.001) * np.resize([1.0, -1.0], 20)
    returns[10] = 0.05
    closes = 100.0 * np.exp(np.cumsum(np.r_[0.0, returns]))

    # Act
    bv = BipowerVariation(20).batch(closes)[-1]
    rv = RealizedVariance(20).batch(closes)[-1]

    # Assert: the jump enters BV only through its two products with 0.1 % neighbours.
    assert rv == pytest.approx(19 * 0.001**2 + 0.05**2, rel=1e-9)
    assert bv == pytest.approx(math.pi / 2 * (17 * 0.001**2 + 2 * 0.05 * 0.001), rel=1e-9)
    assert bv < rv / 10


def test_bipower_variation_matches_pandas_rolling_sum_of_adjacent_products():
    # Arrange
    close = random_ohlc(5_000, seed=17)["close"]
    size = np.log(pd.Series(close)).diff().abs()

    # Act
    series = BipowerVariation(60).batch(close)

    # Assert: 59 products per window of 60 returns.
    expected = math.pi / 2 * (size * size.shift()).rolling(59).sum()
    assert_same_series(series, expected.to_numpy(), rtol=1e-9)


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf])
def test_bipower_variation_refuses_bad_closes_and_keeps_its_state(bad):
    # Arrange
    indicator = BipowerVariation(2)
    for close in (100.0, 101.0, 102.0):
        indicator.update_raw(close)
    before = indicator.checkpoint()["state"]

    # Act, Assert
    with pytest.raises(ValueError):
        indicator.update_raw(bad)
    np.testing.assert_array_equal(indicator.checkpoint()["state"], before)


def test_bipower_variation_needs_two_returns():
    with pytest.raises(ValueError, match="window"):
        BipowerVariation(1)
