"""Signed volume imbalance over time and volume windows: by hand, brute force and edge cases."""

import math

import numpy as np
import pytest

from bench.bench_indicators_flow import random_trades
from indicators.flow import SignedVolumeImbalance

BUY, SELL, NONE = 1, 2, 0
SIGN = {BUY: 1.0, SELL: -1.0, NONE: 0.0}


def brute_force_time(ts, size, side, window_ns) -> np.ndarray:
    """Σ s v / Σ v over trades with ts > t - window, recomputed from scratch for every trade."""
    sign = np.vectorize(SIGN.get)(side.astype(int))
    out = np.full(ts.size, np.nan)
    for i in range(ts.size):
        if ts[i] - ts[0] < window_ns:
            continue
        inside = (ts > ts[i] - window_ns) & (np.arange(ts.size) <= i)
        volume = size[inside].sum()
        out[i] = (sign[inside] * size[inside]).sum() / volume if volume > 0 else 0.0
    return out


def brute_force_volume(size, side, window) -> np.ndarray:
    """Imbalance of the latest `window` units of volume (the oldest trade clipped), from scratch."""
    sign = np.vectorize(SIGN.get)(side.astype(int))
    out = np.full(size.size, np.nan)
    for i in range(size.size):
        if size[: i + 1].sum() < window:
            continue
        need, signed = window, 0.0
        for j in range(i, -1, -1):
            take = min(size[j], need)
            signed += sign[j] * take
            need -= take
            if need <= 0:
                break
        out[i] = signed / window
    return out


def test_svi_time_window_by_hand():
    # Arrange: window 10 ns.
    svi = SignedVolumeImbalance(window_ns=10)
    # Act / Assert
    svi.update_raw(0, 3.0, BUY)
    assert math.isnan(svi.value) and not svi.initialized
    svi.update_raw(5, 1.0, SELL)
    svi.update_raw(10, 2.0, SELL)  # window (0, 10]: the trade at 0 left: (-1 - 2) / 3
    assert svi.initialized
    assert svi.value == pytest.approx(-1.0)
    svi.update_raw(12, 3.0, BUY)  # (5, 12]: -1 - 2 + 3 over 6
    assert svi.value == pytest.approx(0.0)
    svi.update_raw(30, 0.0, BUY)  # (20, 30]: nothing traded: 0
    assert svi.value == 0.0


def test_svi_volume_window_clips_the_oldest_trade():
    # Arrange: the latest 4 units of volume.
    svi = SignedVolumeImbalance(window_volume=4.0)
    # Act / Assert
    svi.update_raw(0, 3.0, BUY)
    assert math.isnan(svi.value)
    svi.update_raw(1, 2.0, SELL)  # 2 sells + 2 of the 3 buys: (2 - 2) / 4
    assert svi.value == pytest.approx(0.0)
    svi.update_raw(2, 1.0, SELL)  # 1 sell, 2 sells, 1 of the 3 buys: (1 - 3) / 4
    assert svi.value == pytest.approx(-0.5)
    svi.update_raw(3, 10.0, SELL)  # one trade bigger than the window
    assert svi.value == pytest.approx(-1.0)


@pytest.mark.parametrize("window_ns", [1, 200_000_000, 5_000_000_000])
def test_svi_time_window_matches_brute_force(window_ns):
    # Arrange
    trades = random_trades(4000, seed=3, zero_size_share=0.05)
    # Act
    ours = SignedVolumeImbalance(window_ns=window_ns).batch(
        trades["ts"], trades["size"], trades["side"]
    )
    # Assert
    expected = brute_force_time(trades["ts"], trades["size"], trades["side"], window_ns)
    np.testing.assert_allclose(ours, expected, rtol=1e-9, atol=1e-9)  # SVI lies in [-1, 1]


@pytest.mark.parametrize("window", [0.001, 0.5, 20.0])
def test_svi_volume_window_matches_brute_force(window):
    # Arrange
    trades = random_trades(3000, seed=4, zero_size_share=0.05)
    # Act
    ours = SignedVolumeImbalance(window_volume=window).batch(
        trades["ts"], trades["size"], trades["side"]
    )
    # Assert
    expected = brute_force_volume(trades["size"], trades["side"], window)
    np.testing.assert_allclose(ours, expected, rtol=1e-9, atol=1e-9)  # SVI lies in [-1, 1]


def test_svi_time_window_holds_more_trades_than_its_initial_ring():
    # Arrange: 5000 trades in one window: the event ring must grow several times.
    n = 5000
    svi = SignedVolumeImbalance(window_ns=10 * n)
    side = np.where(np.arange(n) % 4 == 0, SELL, BUY)
    # Act
    for i in range(n):
        svi.update_raw(i, 1.0, int(side[i]))
    # Assert
    svi.update_raw(10 * n, 1.0, BUY)  # window (0, 10n]: trades 1..n-1 and this one
    buys = (side[1:] == BUY).sum() + 1
    assert svi.value == pytest.approx((2 * buys - n) / n)


def test_svi_trade_without_aggressor_counts_volume_but_no_sign():
    # Arrange
    svi = SignedVolumeImbalance(window_volume=2.0)
    # Act
    svi.update_raw(0, 1.0, BUY)
    svi.update_raw(1, 1.0, NONE)
    # Assert
    assert svi.value == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("ts", "size", "side"), [(0, math.nan, BUY), (0, -1.0, BUY), (math.inf, 1.0, BUY), (0, 1.0, 5)]
)
def test_svi_refuses_invalid_input(ts, size, side):
    # Arrange
    svi = SignedVolumeImbalance(window_ns=10)
    # Act / Assert
    with pytest.raises(ValueError):
        svi.update_raw(ts, size, side)


def test_svi_refuses_a_decreasing_timestamp_and_bad_windows():
    # Arrange
    svi = SignedVolumeImbalance(window_ns=10)
    svi.update_raw(5, 1.0, BUY)
    # Act / Assert
    with pytest.raises(ValueError, match="decrease"):
        svi.update_raw(4, 1.0, BUY)
    for kwargs in (
        {},
        {"window_ns": 10, "window_volume": 1.0},
        {"window_ns": 0},
        {"window_volume": 0.0},
    ):
        with pytest.raises(ValueError):
            SignedVolumeImbalance(**kwargs)
