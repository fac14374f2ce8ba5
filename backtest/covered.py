"""
Statistics over the covered time only, for runs allowed to have gaps (``[period] allow_gaps``).

A run over a catalog with missing days sees no market in them: its equity stands still there, and
returns over those intervals are zeros that would shrink volatility and stretch the annualisation.
So the return statistics are taken again over the return intervals that lie wholly inside the
covered time, annualised over the covered days; ``stats.json`` gets a ``coverage`` block.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from backtest.config import StatsSection
from backtest.statistics.sample import DAY_NS
from backtest.statistics.sample import INSUFFICIENT
from backtest.statistics.sample import ReturnSample
from backtest.statistics.sample import is_sufficient
from backtest.stats import cagr
from backtest.stats import equity_returns
from backtest.stats import intervals_block
from backtest.stats import max_drawdown
from backtest.stats import sample_block
from backtest.stats import sharpe_ratio
from backtest.stats import sortino_ratio
from catalog.coverage import PeriodCoverage
from catalog.coverage import covered_ns


@dataclass(frozen=True)
class CoveredSample(ReturnSample):
    """A return sample restricted to covered intervals: ``days`` counts the covered days only."""

    covered_days: float = 0.0

    @property
    def days(self) -> float:
        """Return the covered days the returns stand on."""
        return self.covered_days


def inside(lo: np.ndarray, hi: np.ndarray, covered: list[tuple[int, int]]) -> np.ndarray:
    """
    Return which half-open intervals ``[lo, hi)`` lie wholly inside one covered interval.

    Parameters
    ----------
    lo, hi : np.ndarray
        Interval bounds (ns).
    covered : list[tuple[int, int]]
        Sorted, merged half-open intervals.

    Returns
    -------
    np.ndarray
        A boolean mask.

    """
    if not covered:
        return np.zeros(len(lo), dtype=bool)
    starts = np.array([c[0] for c in covered], dtype=np.int64)
    stops = np.array([c[1] for c in covered], dtype=np.int64)
    which = np.searchsorted(starts, lo, side="right") - 1
    ok = which >= 0
    which = np.maximum(which, 0)
    return ok & (hi <= stops[which])


def coverage_block(coverage: PeriodCoverage) -> dict[str, object]:
    """Return ``stats.json``'s ``coverage`` block: the covered share and the missing days per source."""
    return {
        "complete": coverage.complete,
        "share": coverage.share,
        "covered_days": covered_ns(coverage.covered) / DAY_NS,
        "period_days": (coverage.end_ns + 1 - coverage.start_ns) / DAY_NS,
        "missing": coverage.missing(),
        "statistics": "full period" if coverage.share >= 1.0 else "covered time only",
    }


def covered_stats(
    stats: dict[str, object],
    equity: pd.DataFrame,
    starting_balance: float,
    coverage: PeriodCoverage,
    settings: StatsSection,
) -> dict[str, object]:
    """
    Return ``stats`` with the return statistics taken over the covered time only.

    Parameters
    ----------
    stats : dict[str, object]
        ``backtest.stats.compute_stats`` of the run.
    equity : pd.DataFrame
        The sampled curve: ``ts`` and ``equity``.
    starting_balance : float
        The equity at the start.
    coverage : PeriodCoverage
        What the catalog covers of the period.
    settings : StatsSection
        The run's ``[stats]`` settings.

    Returns
    -------
    dict[str, object]
        ``cagr``, ``sharpe``, ``sortino``, ``max_drawdown``, ``calmar``, ``sample`` and
        ``intervals`` replaced (the rest as given), and the ``coverage`` block.

    """
    out = {**stats, "coverage": coverage_block(coverage)}
    if coverage.share >= 1.0:
        return out  # the period itself is covered (a gap in the warm-up changes no statistic)
    full = equity_returns(equity, starting_balance, coverage.start_ns, coverage.end_ns, settings)
    lo = np.r_[coverage.start_ns, full.ends[:-1]].astype(np.int64)
    keep = inside(lo, full.ends.astype(np.int64), coverage.covered)
    covered_time = covered_ns(coverage.covered)
    sample = CoveredSample(
        full.ends[keep], full.returns[keep], coverage.start_ns, full.interval_secs, covered_time / DAY_NS
    )
    returns, periods = sample.returns, sample.periods_per_year
    enough = is_sufficient(sample, settings.min_returns, settings.min_days)
    ts = equity["ts"].to_numpy(dtype=np.int64)
    curve = equity["equity"].to_numpy(dtype=float)[inside(ts, ts + 1, coverage.covered)]
    mdd = max_drawdown(np.r_[starting_balance, curve])
    growth = cagr(float(np.prod(1.0 + returns)) - 1.0, covered_time) if covered_time else None
    calmar = growth / mdd if growth is not None and mdd > 0 else None
    out.update(
        {
            "cagr": growth if enough else INSUFFICIENT,
            "sharpe": sharpe_ratio(returns, periods) if enough else INSUFFICIENT,
            "sortino": sortino_ratio(returns, periods) if enough else INSUFFICIENT,
            "max_drawdown": mdd,
            "calmar": calmar if enough else INSUFFICIENT,
            "sample": {**sample_block(sample, settings), "covered_only": True},
            "intervals": intervals_block(sample, settings),
        }
    )
    return out
