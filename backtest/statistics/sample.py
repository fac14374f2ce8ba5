"""
Returns at a stated frequency from a sampled equity curve, and whether they are enough to annualise.

The equity curve is sampled every ``[output] equity_interval_secs``; a return is taken every
``[stats] return_interval_secs`` from the period's start: the equity at the last sample at or
before each boundary against the previous boundary's (the first against the starting equity). The
last interval ends at the period's end and is shorter when the period is not a whole number of
intervals, so that the returns compound to the run's total return exactly.

"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

DAY_NS = 86_400_000_000_000
SECOND_NS = 1_000_000_000
YEAR_DAYS = 365
YEAR_SECS = YEAR_DAYS * 86_400
INSUFFICIENT = "insufficient"


def frequency_label(interval_secs: int) -> str:
    """
    Return a return interval as text: ``1d``, ``1h``, ``15min`` or ``30s``.

    Parameters
    ----------
    interval_secs : int
        The interval in seconds.

    Returns
    -------
    str

    """
    for unit, secs in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if interval_secs % secs == 0:
            return f"{interval_secs // secs}{unit}"
    return f"{interval_secs}s"


@dataclass(frozen=True)
class ReturnSample:
    """
    Simple returns over consecutive intervals of one run.

    Parameters
    ----------
    ends : np.ndarray
        The end of each interval (ns since the epoch).
    returns : np.ndarray
        The return over each interval.
    start_ns : int
        The start of the first interval (the period's start).
    interval_secs : int
        The interval's length (the last one may be shorter).

    """

    ends: np.ndarray
    returns: np.ndarray
    start_ns: int
    interval_secs: int

    @property
    def count(self) -> int:
        """Return how many returns there are."""
        return len(self.returns)

    @property
    def days(self) -> float:
        """Return the days the returns cover."""
        return (int(self.ends[-1]) - self.start_ns) / DAY_NS if self.count else 0.0

    @property
    def periods_per_year(self) -> float:
        """Return how many intervals make a 365-day year (crypto trades every day)."""
        return YEAR_SECS / self.interval_secs

    @property
    def frequency(self) -> str:
        """Return the interval as text (``1h``)."""
        return frequency_label(self.interval_secs)

    def frame(self) -> pd.DataFrame:
        """Return the returns as a table: ``ts`` (each interval's end, ns) and ``ret``."""
        return pd.DataFrame(
            {"ts": np.asarray(self.ends, dtype=np.int64), "ret": np.asarray(self.returns, float)}
        )


def interval_returns(
    ts: np.ndarray,
    equity: np.ndarray,
    starting_equity: float,
    start_ns: int,
    end_ns: int,
    interval_secs: int,
) -> ReturnSample:
    """
    Return the equity curve's returns over consecutive intervals from ``start_ns``.

    Parameters
    ----------
    ts : np.ndarray
        Sample times (ns), non-decreasing.
    equity : np.ndarray
        Equity at each sample.
    starting_equity : float
        The equity at ``start_ns`` (the starting balance).
    start_ns, end_ns : int
        The period (inclusive), as in ``RunConfig.period``.
    interval_secs : int
        The return interval.

    Returns
    -------
    ReturnSample
        No returns when there is no sample.

    """
    interval_ns = interval_secs * SECOND_NS
    stop = end_ns + 1  # the period is [start, stop)
    ts = np.asarray(ts, dtype=np.int64)
    if len(ts) == 0 or stop <= start_ns:
        return ReturnSample(np.empty(0, np.int64), np.empty(0), start_ns, interval_secs)
    ends = np.arange(start_ns + interval_ns, stop, interval_ns, dtype=np.int64)
    if len(ends) == 0 or ends[-1] < stop:
        ends = np.r_[ends, stop]
    last = np.searchsorted(ts, ends, side="right") - 1
    values = np.asarray(equity, dtype=float)
    # Before the first sample the equity is the starting equity.
    closes = np.where(last >= 0, values[np.maximum(last, 0)], starting_equity)
    closes = np.r_[starting_equity, closes]
    return ReturnSample(ends, closes[1:] / closes[:-1] - 1.0, start_ns, interval_secs)


def is_sufficient(sample: ReturnSample, min_returns: int, min_days: float) -> bool:
    """
    Return whether a sample is long enough for annualised ratios.

    Parameters
    ----------
    sample : ReturnSample
        The returns.
    min_returns : int
        The fewest returns.
    min_days : float
        The fewest days covered.

    Returns
    -------
    bool

    """
    return sample.count >= min_returns and sample.days >= min_days
