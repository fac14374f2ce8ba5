"""Kyle's lambda (recovery of a known slope, brute-force OLS) and Hawkes intensity (explicit sum)."""

import math

import numpy as np
import pandas as pd
import pytest

from bench.bench_indicators_flow import random_trades
from indicators.flow import HawkesIntensity
from indicators.flow import KyleLambda

BUY, SELL = 1, 2
SECOND = 1_000_000_000


def simulated_impact(n: int, slope: float, seed: int) -> dict[str, np.ndarray]:
    """Trades whose price moves by slope × signed size plus noise (Kyle's linear impact)."""
    rng = np.random.default_rng(seed)
    size = rng.lognormal(0.0, 0.7, n)
    side = rng.choice([BUY, SELL], n)
    signed = np.where(side == BUY, size, -size)
    price = 1000.0 + np.cumsum(slope * signed + rng.normal(0.0, 0.05, n))
    ts = np.arange(n, dtype=np.int64) * 100_000_000  # 10 trades a second
    return {"ts": ts, "price": price, "size": size, "side": side.astype(float), "signed": signed}


def test_kyle_lambda_per_trade_recovers_the_true_slope():
    # Arrange
    data = simulated_impact(20_000, slope=0.25, seed=1)
    kyle = KyleLambda(window=2000)
    # Act
    series = kyle.batch(data["ts"], data["price"], data["size"], data["side"])
    # Assert
    assert series[-1] == pytest.approx(0.25, rel=0.02)
    assert np.nanmean(series[5000:]) == pytest.approx(0.25, rel=0.01)


def test_kyle_lambda_per_bar_recovers_the_true_slope():
    # Arrange: bars of 1 s (10 trades): ΔP over a bar = slope × net signed volume + noise.
    data = simulated_impact(50_000, slope=0.1, seed=2)
    kyle = KyleLambda(window=500, bar_ns=SECOND)
    # Act
    series = kyle.batch(data["ts"], data["price"], data["size"], data["side"])
    # Assert
    assert series[-1] == pytest.approx(0.1, rel=0.03)


def test_kyle_lambda_matches_ols_slope_over_each_window():
    # Arrange
    trades = random_trades(3000, seed=6)
    kyle = KyleLambda(window=50)
    # Act
    series = kyle.batch(trades["ts"], trades["price"], trades["size"], trades["side"])
    # Assert: observation k (k >= 1) = (signed size of trade k, price_k - price_{k-1})
    x = np.where(
        trades["side"] == BUY,
        trades["size"],
        np.where(trades["side"] == SELL, -trades["size"], 0.0),
    )
    y = np.diff(trades["price"])
    x = x[1:]
    frame = pd.DataFrame({"x": x, "y": y})
    expected = frame["x"].rolling(50).cov(frame["y"]) / frame["x"].rolling(50).var()
    np.testing.assert_allclose(series[1:], expected.to_numpy(), rtol=1e-7, atol=1e-12)
    assert np.isnan(series[:50]).all() and not np.isnan(series[50])


def test_kyle_lambda_per_bar_uses_bar_net_flow_and_close_to_close_change():
    # Arrange: bars of 10 ns.
    kyle = KyleLambda(window=3, bar_ns=10)
    bars = [  # (close, net signed volume), each bar two trades
        (101.0, 2.0),
        (103.0, 3.0),
        (102.0, -1.0),
        (106.0, 5.0),
        (105.0, -2.0),
    ]
    # Act
    for k, (close, net) in enumerate(bars):
        kyle.update_raw(10 * k, close - 0.5, 10.0, BUY)  # buy 10, then sell 10 - net: net flow
        kyle.update_raw(10 * k + 5, close, 10.0 - net, SELL)
    kyle.update_raw(10 * len(bars), 100.0, 1.0, BUY)  # opens a new bar: closes the last one
    # Assert: observations from bar 1 on: x = net flow, y = close change
    x = np.array([net for _, net in bars[1:]])
    y = np.diff([close for close, _ in bars])
    expected = np.cov(x[-3:], y[-3:])[0, 1] / np.var(x[-3:], ddof=1)
    assert kyle.value == pytest.approx(expected, rel=1e-12)


def test_kyle_lambda_is_nan_without_variance_in_signed_volume():
    # Arrange
    kyle = KyleLambda(window=3)
    # Act
    for i in range(6):
        kyle.update_raw(i, 100.0 + i, 1.0, BUY)
    # Assert
    assert kyle.initialized and math.isnan(kyle.value)


def test_kyle_lambda_ignores_zero_size_trades_and_refuses_bad_input():
    # Arrange
    kyle = KyleLambda(window=3)
    reference = KyleLambda(window=3)
    trades = [
        (100.0, 1.0, BUY),
        (101.0, 2.0, BUY),
        (100.5, 1.0, SELL),
        (101.5, 3.0, BUY),
        (101.0, 1.0, SELL),
    ]
    # Act
    for i, (p, q, s) in enumerate(trades):
        kyle.update_raw(i, p, q, s)
        kyle.update_raw(i, 999.0, 0.0, SELL)
        reference.update_raw(i, p, q, s)
    # Assert
    assert kyle.value == reference.value
    with pytest.raises(ValueError):
        kyle.update_raw(10, math.nan, 1.0, BUY)
    with pytest.raises(ValueError):
        KyleLambda(window=2)


# -------------------------------------------------------------------------------------------------
# Hawkes
# -------------------------------------------------------------------------------------------------


def explicit_intensity(ts: np.ndarray, events: np.ndarray, mu: float, alpha: float, beta: float):
    """λ just after each trade: μ + Σ α e^{-β (t - t_i)} over events up to it, in O(n²)."""
    seconds = (ts - ts[0]) * 1e-9
    out = np.empty(ts.size)
    for i in range(ts.size):
        past = events[: i + 1]
        out[i] = mu + alpha * np.exp(-beta * (seconds[i] - seconds[: i + 1][past])).sum()
    return out


@pytest.mark.parametrize("side", [0, BUY, SELL])
def test_hawkes_intensity_matches_the_explicit_sum(side):
    # Arrange
    trades = random_trades(2000, seed=9, zero_size_share=0.05)
    hawkes = HawkesIntensity(mu=0.5, alpha=4.0, beta=8.0, side=side)
    # Act
    series = hawkes.batch(trades["ts"], trades["size"], trades["side"])
    # Assert
    events = trades["size"] > 0
    if side:
        events &= trades["side"] == side
    expected = explicit_intensity(trades["ts"], events, 0.5, 4.0, 8.0)
    np.testing.assert_allclose(series, expected, rtol=1e-9)


def test_hawkes_intensity_at_a_later_time_decays_without_an_event():
    # Arrange
    hawkes = HawkesIntensity(mu=1.0, alpha=2.0, beta=math.log(2.0))  # half-life of 1 s
    # Act
    before = hawkes.intensity_at(0)
    hawkes.update_raw(0, 1.0, BUY)
    hawkes.update_raw(0, 1.0, SELL)  # simultaneous events add up
    # Assert
    assert before == 1.0
    assert hawkes.value == pytest.approx(5.0)
    assert hawkes.intensity_at(SECOND) == pytest.approx(1.0 + 2.0)
    assert hawkes.intensity_at(3 * SECOND) == pytest.approx(1.0 + 0.5)
    assert hawkes.value == pytest.approx(5.0)  # intensity_at records nothing
    assert hawkes.branching_ratio == pytest.approx(2.0 / math.log(2.0))


def test_hawkes_warm_up_reset_and_invalid_input():
    # Arrange
    hawkes = HawkesIntensity(mu=1.0, alpha=1.0, beta=1.0)
    # Act / Assert
    assert math.isnan(hawkes.value) and not hawkes.initialized
    hawkes.update_raw(5, 0.0, BUY)  # a zero-size trade is not an event, but it starts the clock
    assert hawkes.initialized and hawkes.value == 1.0
    with pytest.raises(ValueError, match="decrease"):
        hawkes.update_raw(4, 1.0, BUY)
    with pytest.raises(ValueError, match="decrease"):
        hawkes.intensity_at(4)
    with pytest.raises(ValueError):
        hawkes.update_raw(6, math.inf, BUY)
    hawkes.reset()
    assert math.isnan(hawkes.value) and not hawkes.initialized
    for kwargs in (
        {"mu": 0.0, "alpha": 1.0, "beta": 1.0},
        {"mu": 1.0, "alpha": -1.0, "beta": 1.0},
        {"mu": 1.0, "alpha": 1.0, "beta": 0.0},
        {"mu": 1.0, "alpha": 1.0, "beta": 1.0, "side": 3},
    ):
        with pytest.raises(ValueError):
            HawkesIntensity(**kwargs)
