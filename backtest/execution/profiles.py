"""
Depth beyond the touch: how much size the book holds 1, 2, ... ticks behind the displayed touch.

Two profiles, both returning the cumulative size beyond the touch through level ``k`` (in lots):

- ``band_capacity``: from the archive's ``bookDepth`` snapshot (cumulative depth within 1..5 %
  of the mid on each side). The cumulative depth is interpolated linearly in the distance from
  the mid between the touch (its displayed size) and the bands, and extended past the last band
  with the last band's density. Linear between bands means uniform density inside a band: the
  snapshot says nothing finer.
- ``square_root_capacity``: the square-root impact law, ``Δ(Q) = Y·σ·P·√(Q/V)`` for the quantity
  ``Q`` taken beyond the touch (σ the daily volatility as a fraction, V the daily volume, P the
  price, Y the coefficient). Read as a book, it is a latent book whose density grows linearly
  with the distance from the touch (Tóth et al. 2011; Donier et al. 2015), so the cumulative size
  through ``k`` ticks is ``V·(k·tick / (Y·σ·P))²``. σ and V come from the trailing one-minute
  bars of the catalog (``TrailingBars``): no look-ahead, calibrated on the data being replayed.

"""

from collections import deque
from collections.abc import Sequence

import numpy as np

from backtest.execution.walk import Capacity

MINUTES_PER_DAY = 1_440


def square_root_capacity(
    coefficient: float,
    sigma_daily: float,
    volume_daily: float,
    price: float,
    tick: float,
    lot: float,
) -> Capacity:
    """
    Return the square-root law's cumulative size beyond the touch (lots) through level k.

    Parameters
    ----------
    coefficient : float
        Y, the law's prefactor (of order 1).
    sigma_daily : float
        Daily volatility of log returns (a fraction).
    volume_daily : float
        Daily traded volume (base units).
    price : float
        The price the impact is a fraction of (the touch).
    tick, lot : float
        Price and size increments.

    Returns
    -------
    Capacity

    """
    scale = coefficient * sigma_daily * price  # Δ for a quantity equal to one day's volume
    per_tick_sq = volume_daily / lot * (tick / scale) ** 2

    def capacity(k: np.ndarray) -> np.ndarray:
        return per_tick_sq * np.square(k.astype(float))

    return capacity


def band_capacity(
    mid: float,
    touch_price: float,
    touch_size: float,
    bands: Sequence[tuple[float, float]],
    tick: float,
    lot: float,
) -> Capacity:
    """
    Return a ``bookDepth`` snapshot's cumulative size beyond the touch (lots) through level k.

    Parameters
    ----------
    mid : float
        The mid price the bands are measured from.
    touch_price, touch_size : float
        The touch on this side and its displayed size (base units).
    bands : Sequence[tuple[float, float]]
        ``(percentage, cumulative depth)`` of this side (percentages positive, in any order).
    tick, lot : float
        Price and size increments.

    Returns
    -------
    Capacity

    """
    ordered = sorted((abs(p) / 100.0 * mid, d) for p, d in bands)
    touch_distance = abs(touch_price - mid)
    distances = [touch_distance]
    depths = [touch_size]
    for distance, depth in ordered:
        if distance > distances[-1]:
            distances.append(distance)
            depths.append(max(depth, depths[-1]))  # cumulative depth cannot fall
    x, y = np.asarray(distances), np.asarray(depths)
    if len(x) > 1:
        tail = (y[-1] - y[-2]) / (x[-1] - x[-2])
    else:
        tail = 0.0
    if tail <= 0:
        # Past the last band the snapshot says nothing: keep the mean density of the snapshot.
        tail = max((y[-1] - y[0]) / max(x[-1] - x[0], tick), touch_size / tick, lot / tick)

    def capacity(k: np.ndarray) -> np.ndarray:
        at = touch_distance + k.astype(float) * tick
        inside = np.interp(at, x, y)
        cumulative = np.where(at > x[-1], y[-1] + (at - x[-1]) * tail, inside)
        return (cumulative - touch_size) / lot

    return capacity


class TrailingBars:
    """
    Trailing daily volatility and volume from one-minute bars, O(1) per bar.

    Parameters
    ----------
    window : int
        How many bars the estimates span.

    """

    def __init__(self, window: int) -> None:
        self.window = window
        self._returns: deque[float] = deque()
        self._volumes: deque[float] = deque()
        self._sum_r = 0.0
        self._sum_r2 = 0.0
        self._sum_v = 0.0
        self._last_close: float | None = None

    def update(self, close: float, volume: float) -> None:
        """Add one bar's close and volume."""
        self._volumes.append(volume)
        self._sum_v += volume
        if len(self._volumes) > self.window:
            self._sum_v -= self._volumes.popleft()
        if self._last_close is not None and close > 0 and self._last_close > 0:
            r = float(np.log(close / self._last_close))
            self._returns.append(r)
            self._sum_r += r
            self._sum_r2 += r * r
            if len(self._returns) > self.window:
                old = self._returns.popleft()
                self._sum_r -= old
                self._sum_r2 -= old * old
        self._last_close = close

    @property
    def ready(self) -> bool:
        """Return whether two returns and some volume have been seen (enough for an estimate)."""
        return len(self._returns) >= 2 and self._sum_v > 0 and self.sigma_daily > 0

    @property
    def sigma_daily(self) -> float:
        """Return the daily volatility: the one-minute sample standard deviation × √1440."""
        n = len(self._returns)
        if n < 2:
            return 0.0
        variance = max(0.0, (self._sum_r2 - self._sum_r * self._sum_r / n) / (n - 1))
        return float(np.sqrt(variance * MINUTES_PER_DAY))

    @property
    def volume_daily(self) -> float:
        """Return the daily volume: the mean one-minute volume × 1440."""
        return self._sum_v / len(self._volumes) * MINUTES_PER_DAY if self._volumes else 0.0
