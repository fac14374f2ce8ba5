"""
Mark, index and premium-index 1m klines: the reference prices Binance publishes beside the trade klines.

In the model the **index** is the spot market's efficient price (the perpetual's efficient price
divided by ``1 + premium``, the same price the spot trades print around), the **mark** is the
perpetual's efficient price, i.e. ``index × (1 + premium)``, and the **premium index** is the latent
premium, whose mean over a funding interval is that interval's funding rate (``funding``). Binance
builds its mark from the index plus a smoothed basis and its premium index from the impact bid/ask
against the index; the model's efficient prices play those parts without the book's noise.

Mark and index klines aggregate one sample a second (``count`` 60, Binance's "number of basic
data"); premium-index klines one sample every 5 s (``count`` 12). The model's premium is constant
within a minute, so a premium bar is flat at the minute's premium. Values print with 8 decimals and
every volume-like column is ``0``, as in the archive.
"""

from dataclasses import dataclass

import numpy as np

from etl.synth.klines import Klines
from etl.synth.latent import DAY_MINUTES
from etl.synth.latent import MINUTE_MS

PRINT_DECIMALS = 8
SECOND_MS = 1000
SECONDS_PER_MINUTE = MINUTE_MS // SECOND_MS
PRICE_SAMPLES_PER_MINUTE = SECONDS_PER_MINUTE
PREMIUM_SAMPLES_PER_MINUTE = 12


@dataclass(frozen=True)
class ReferenceBars:
    """One day of mark, index and premium-index klines, values in units of ``1e-8``."""

    mark: Klines
    index: Klines
    premium: Klines


def second_marks(day_ms: int) -> np.ndarray:
    """Return the ms timestamps of every second of the day starting at `day_ms` (the sample times)."""
    return day_ms + np.arange(DAY_MINUTES * SECONDS_PER_MINUTE, dtype=np.int64) * SECOND_MS


def _units(values: np.ndarray) -> np.ndarray:
    return np.round(values * 10.0**PRINT_DECIMALS).astype(np.int64)


def _bars(samples: np.ndarray, per_minute: int) -> Klines:
    """Return OHLC klines of per-minute sample rows (first, max, min, last), volumes zero."""
    rows = samples.reshape(DAY_MINUTES, -1)
    zero = np.zeros(DAY_MINUTES, dtype=np.int64)
    return Klines(
        open=rows[:, 0].copy(),
        high=rows.max(axis=1),
        low=rows.min(axis=1),
        close=rows[:, -1].copy(),
        volume=zero,
        quote_volume=zero,
        count=np.full(DAY_MINUTES, per_minute, dtype=np.int64),
        taker_buy_volume=zero,
        taker_buy_quote_volume=zero,
    )


def reference_klines(log_price: np.ndarray, premium: np.ndarray) -> ReferenceBars:
    """
    Return one day's mark, index and premium-index klines.

    Parameters
    ----------
    log_price : np.ndarray
        The perpetual's efficient log price at every second of the day (see `second_marks`).
    premium : np.ndarray
        The latent premium of every minute of the day.

    """
    per_second = np.repeat(premium, SECONDS_PER_MINUTE)
    mark = _units(np.exp(log_price))
    # The spot efficient price, computed exactly as the spot market computes it.
    index = _units(np.exp(log_price - np.log1p(per_second)))
    premium_samples = np.repeat(_units(premium), PREMIUM_SAMPLES_PER_MINUTE)
    return ReferenceBars(
        mark=_bars(mark, PRICE_SAMPLES_PER_MINUTE),
        index=_bars(index, PRICE_SAMPLES_PER_MINUTE),
        premium=_bars(premium_samples, PREMIUM_SAMPLES_PER_MINUTE),
    )
