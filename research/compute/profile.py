"""
Session volume profile: volume per price bin, point of control, value area, high-volume nodes.

Rules (each pinned by a hand-worked test):

- bins are ``[k·b, (k+1)·b)`` for a bin size b; a profile covers every bin from the lowest to the
  highest traded one, empty bins included (the value area grows through them);
- the point of control (POC) is the bin with the most volume; among equal bins, the one nearest
  the session's VWAP, then the lower one;
- the value area starts at the POC and grows one bin at a time toward the neighbour (above or
  below) with more volume, both when they are equal, until it holds ``share`` of the volume; value
  area low / high (VAL / VAH) are its lower and upper edges;
- a high-volume node (HVN) is a local peak (more volume than the bin below, at least as much as
  the bin above; the edges count as 0) holding at least ``hvn_factor`` × the mean volume of the
  non-empty bins.
"""

import math
from dataclasses import dataclass

import numpy as np

# Prices sit on a decimal grid that floats represent a hair off: 42000.3 / 0.1 is 420002.99999...
_BIN_EPS = 1e-9


@dataclass(frozen=True)
class Profile:
    """
    The volume profile of one session.

    Parameters
    ----------
    low : np.ndarray
        Lower edge of each bin, ascending and contiguous.
    bin_size : float
        Bin width.
    volume, buy_volume : np.ndarray
        Volume and buyer-initiated volume per bin.
    poc : int
        Index of the point of control.
    value_area : tuple[int, int]
        First and last bin index of the value area (inclusive).
    hvns : np.ndarray
        Indices of the high-volume nodes, ascending.

    """

    low: np.ndarray
    bin_size: float
    volume: np.ndarray
    buy_volume: np.ndarray
    poc: int
    value_area: tuple[int, int]
    hvns: np.ndarray

    @property
    def poc_price(self) -> float:
        """Return the middle of the POC bin."""
        return float(self.low[self.poc] + 0.5 * self.bin_size)

    @property
    def val(self) -> float:
        """Return the value area low (lower edge of its lowest bin)."""
        return float(self.low[self.value_area[0]])

    @property
    def vah(self) -> float:
        """Return the value area high (upper edge of its highest bin)."""
        return float(self.low[self.value_area[1]] + self.bin_size)

    @property
    def hvn_prices(self) -> list[float]:
        """Return the middles of the HVN bins."""
        return [float(x) for x in self.low[self.hvns] + 0.5 * self.bin_size]


def nice_step(x: float) -> float:
    """Return the smallest 1, 2 or 5 × 10^k at or above ``x`` (> 0)."""
    exponent = math.floor(math.log10(x))
    for mantissa in (1.0, 2.0, 5.0, 10.0):
        step = mantissa * 10.0**exponent
        if step >= x * (1 - 1e-12):
            return step
    raise AssertionError("unreachable: 10 × 10^k >= x")


def histogram(
    price: np.ndarray, volume: np.ndarray, bin_size: float, buy: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Return (lower edges, volume, buy volume) of the contiguous bins from the lowest to the highest price.

    Parameters
    ----------
    price, volume : np.ndarray
        Trade prices and volumes.
    bin_size : float
        Bin width (> 0).
    buy : np.ndarray, optional
        Buyer-initiated volume per trade (default 0).

    """
    k = np.floor(price / bin_size + _BIN_EPS).astype(np.int64)
    first = int(k.min())
    n = int(k.max()) - first + 1
    vol = np.bincount(k - first, weights=volume, minlength=n)
    buys = np.bincount(k - first, weights=buy, minlength=n) if buy is not None else np.zeros(n)
    return (first + np.arange(n)) * bin_size, vol, buys


def point_of_control(volume: np.ndarray, middles: np.ndarray, vwap: float) -> int:
    """Return the bin with the most volume; ties go to the one nearest ``vwap``, then the lower."""
    tied = np.flatnonzero(volume == volume.max())
    return int(tied[np.argmin(np.abs(middles[tied] - vwap))])  # argmin keeps the first (lower) tie


def value_area(volume: np.ndarray, poc: int, share: float = 0.7) -> tuple[int, int]:
    """
    Return the first and last bin of the value area grown from ``poc`` to ``share`` of the volume.

    Each step adds the neighbour with more volume (both when equal; the only one at an edge).
    """
    target = share * volume.sum()
    lo = hi = poc
    held = volume[poc]
    n = volume.size
    while held < target and (lo > 0 or hi < n - 1):
        below = volume[lo - 1] if lo > 0 else -1.0
        above = volume[hi + 1] if hi < n - 1 else -1.0
        if above >= below:
            hi += 1
            held += volume[hi]
        if below >= above:
            lo -= 1
            held += volume[lo]
    return lo, hi


def high_volume_nodes(volume: np.ndarray, factor: float = 1.5) -> np.ndarray:
    """Return the indices of the local peaks holding at least ``factor`` × the mean non-empty bin."""
    padded = np.concatenate(([0.0], volume, [0.0]))
    peak = (volume > padded[:-2]) & (volume >= padded[2:])
    nonempty = volume[volume > 0]
    floor = factor * nonempty.mean() if nonempty.size else np.inf
    return np.flatnonzero(peak & (volume >= floor))


def session_profile(
    price: np.ndarray,
    volume: np.ndarray,
    bin_size: float,
    buy: np.ndarray | None = None,
    share: float = 0.7,
    hvn_factor: float = 1.5,
) -> Profile:
    """
    Return the volume profile of one session's trades.

    Parameters
    ----------
    price, volume : np.ndarray
        The session's trade prices and volumes (at least one trade).
    bin_size : float
        Bin width.
    buy : np.ndarray, optional
        Buyer-initiated volume per trade.
    share : float
        Value-area share of the volume.
    hvn_factor : float
        HVN threshold, in mean non-empty bin volumes.

    Returns
    -------
    Profile

    """
    low, vol, buys = histogram(price, volume, bin_size, buy)
    total = volume.sum()
    vwap = float((price * volume).sum() / total) if total > 0 else float(price.mean())
    poc = point_of_control(vol, low + 0.5 * bin_size, vwap)
    return Profile(
        low,
        bin_size,
        vol,
        buys,
        poc,
        value_area(vol, poc, share),
        high_volume_nodes(vol, hvn_factor),
    )
