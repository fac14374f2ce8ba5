"""
Stationary block bootstrap intervals (Politis & Romano 1994) for return statistics.

A resample joins blocks of consecutive returns that start at uniformly drawn positions (wrapping
around the end) and have geometric lengths with mean ``block``, so that it keeps the returns' serial
dependence (volatility clustering, a position held over several intervals). The mean block length
follows Politis & White (2004) with the correction of Patton, Politis & White (2009), as computed
by ``arch.bootstrap.optimal_block_length`` (the ``stationary`` column); for a pair of series it is
the longer of the two lengths, which keeps the dependence of both. Below ``MIN_AUTOMATIC``
returns, too few to estimate autocorrelations from, it is ``n^(1/3)``. Intervals are percentile
intervals of the statistic over the resamples.

A paired interval (a variant against its baseline over the same time grid) applies the same
resampled positions to both series, so the difference keeps their common market path and only
what differs between them is resampled. Pairs over different periods are resampled
independently, each period's pairs with one draw; a difference averaged over several pairs is
averaged within each resample.

"""

from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from arch.bootstrap import StationaryBootstrap
from arch.bootstrap import optimal_block_length

CHUNK_CELLS = 2_000_000  # resampled returns held at once (rows x returns)
MIN_AUTOMATIC = 20  # fewer returns: the n^(1/3) rule instead of Politis-White
METHOD = "stationary block bootstrap (Politis & Romano 1994), percentile interval"
BLOCK_RULE = (
    "Politis & White (2004) with Patton, Politis & White (2009): "
    "arch.bootstrap.optimal_block_length, stationary; n^(1/3) below 20 returns"
)


def total_return_rows(returns: np.ndarray) -> np.ndarray:
    """Return the compounded return of each row of ``returns``."""
    return np.prod(1.0 + returns, axis=-1) - 1.0


def sharpe_rows(returns: np.ndarray, periods_per_year: float) -> np.ndarray:
    """Return the annualised Sharpe ratio of each row (sample std; NaN where the std is 0)."""
    std = np.std(returns, axis=-1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.mean(returns, axis=-1) / std * np.sqrt(periods_per_year)
    return np.where(std > 0, ratio, np.nan)


def max_drawdown_rows(returns: np.ndarray) -> np.ndarray:
    """Return the largest fall from a running peak of each row's compounded curve (from 1)."""
    shape = returns.shape[:-1] + (1,)
    curve = np.concatenate([np.ones(shape), np.cumprod(1.0 + returns, axis=-1)], axis=-1)
    return np.max(1.0 - curve / np.maximum.accumulate(curve, axis=-1), axis=-1)


def statistics(periods_per_year: float) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    """Return the bootstrapped statistics by name, each mapping rows of returns to one value per row."""
    return {
        "total_return": total_return_rows,
        "sharpe": lambda r: sharpe_rows(r, periods_per_year),
        "max_drawdown": max_drawdown_rows,
    }


def block_length(*series: np.ndarray) -> float:
    """
    Return the mean block length for resampling ``series`` together.

    Parameters
    ----------
    *series : np.ndarray
        Series over one time grid.

    Returns
    -------
    float
        The largest Politis–White stationary length over the series, at least 1 and at most the
        series' length; 1 for a series without variation (no dependence to keep); ``n^(1/3)``
        for fewer than ``MIN_AUTOMATIC`` returns, too few to estimate autocorrelations from.

    """
    n = min(len(s) for s in series)
    if n < MIN_AUTOMATIC:
        return float(max(1.0, n ** (1.0 / 3.0)))
    lengths = [1.0]
    for values in series:
        if np.std(values) > 0:
            length = float(optimal_block_length(np.asarray(values, float))["stationary"].iloc[0])
            if np.isfinite(length):
                lengths.append(length)
    return float(min(max(lengths), n))


def stationary_indices(n: int, block: float, reps: int, rng: np.random.Generator) -> np.ndarray:
    """
    Return ``reps`` stationary bootstrap resamples of positions ``0 .. n-1``.

    Parameters
    ----------
    n : int
        The series' length.
    block : float
        The mean block length.
    reps : int
        How many resamples.
    rng : np.random.Generator
        The random source (seeded by the caller).

    Returns
    -------
    np.ndarray
        Shape ``(reps, n)``, integer positions.

    """
    sampler = StationaryBootstrap(block, np.arange(n), seed=rng)
    return np.array([data[0][0] for data in sampler.bootstrap(reps)], dtype=np.int64)


def _index_chunks(n: int, block: float, reps: int, rng: np.random.Generator):
    # Resampled positions a chunk of resamples at a time: memory stays bounded for long series,
    # and drawing the chunks in order from one generator keeps the result seed-determined.
    step = max(1, CHUNK_CELLS // max(n, 1))
    for lo in range(0, reps, step):
        yield stationary_indices(n, block, min(step, reps - lo), rng)


@dataclass(frozen=True)
class Interval:
    """
    A point estimate with its bootstrap interval.

    Parameters
    ----------
    estimate : float
        The statistic on the original series.
    low, high : float
        The interval's bounds.

    """

    estimate: float
    low: float
    high: float

    @property
    def excludes_zero(self) -> bool:
        """Return whether zero lies outside the interval."""
        return self.low > 0 or self.high < 0

    def as_dict(self) -> dict[str, float | bool]:
        """Return the interval as JSON-ready data."""
        return {
            "estimate": self.estimate,
            "low": self.low,
            "high": self.high,
            "excludes_zero": self.excludes_zero,
        }


def percentile_interval(estimate: float, draws: np.ndarray, confidence: float) -> Interval | None:
    """
    Return the percentile interval of the finite ``draws``, or ``None`` if fewer than half are.

    Parameters
    ----------
    estimate : float
        The statistic on the original data.
    draws : np.ndarray
        The statistic on each resample.
    confidence : float
        The interval's coverage, e.g. 0.95.

    Returns
    -------
    Interval | None

    """
    finite = draws[np.isfinite(draws)]
    if not np.isfinite(estimate) or len(finite) < max(len(draws) / 2, 2):
        return None
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(finite, [tail, 1.0 - tail])
    return Interval(float(estimate), float(low), float(high))


def _paired_draws(
    groups: Sequence[Sequence[tuple[np.ndarray, np.ndarray]]],
    table: dict[str, Callable[[np.ndarray], np.ndarray]],
    reps: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Return, per statistic and resample, the mean over the pairs of variant − base."""
    total = {name: np.zeros(reps) for name in table}
    counted = {name: np.zeros(reps) for name in table}
    for pairs in groups:
        block = block_length(*(s for p in pairs for s in p))
        lo = 0
        for rows in _index_chunks(len(pairs[0][0]), block, reps, rng):
            step = len(rows)
            for base, variant in pairs:
                resampled_base, resampled_variant = base[rows], variant[rows]
                for name, statistic in table.items():
                    delta = statistic(resampled_variant) - statistic(resampled_base)
                    finite = np.isfinite(delta)
                    total[name][lo : lo + step] += np.where(finite, delta, 0.0)
                    counted[name][lo : lo + step] += finite
            lo += step
    with np.errstate(invalid="ignore"):
        return {
            name: np.where(counted[name] > 0, total[name] / np.maximum(counted[name], 1), np.nan)
            for name in table
        }


def run_intervals(
    returns: np.ndarray,
    periods_per_year: float,
    reps: int,
    confidence: float,
    seed: int,
) -> tuple[float, dict[str, Interval | None]]:
    """
    Return the block length and the interval of each statistic of one run's returns.

    Parameters
    ----------
    returns : np.ndarray
        The run's returns at the sample frequency.
    periods_per_year : float
        The annualisation of the Sharpe ratio.
    reps : int
        Resamples.
    confidence : float
        The intervals' coverage.
    seed : int
        Seeds the resampling: equal inputs give equal intervals.

    Returns
    -------
    tuple[float, dict[str, Interval | None]]
        The mean block length; by statistic (``total_return``, ``sharpe``, ``max_drawdown``) its
        interval, ``None`` where the statistic is undefined on the returns or on most resamples.

    """
    returns = np.asarray(returns, dtype=float)
    block = block_length(returns)
    table = statistics(periods_per_year)
    draws: dict[str, list[np.ndarray]] = {name: [] for name in table}
    for rows in _index_chunks(len(returns), block, reps, np.random.default_rng(seed)):
        resampled = returns[rows]
        for name, statistic in table.items():
            draws[name].append(statistic(resampled))
    out = {
        name: percentile_interval(
            float(statistic(returns)), np.concatenate(draws[name]), confidence
        )
        for name, statistic in table.items()
    }
    return block, out


def paired_intervals(
    groups: Sequence[Sequence[tuple[np.ndarray, np.ndarray]]],
    periods_per_year: float,
    reps: int,
    confidence: float,
    seed: int,
    names: Sequence[str] = ("total_return", "sharpe", "max_drawdown"),
) -> dict[str, Interval | None]:
    """
    Return the interval of the mean difference variant − base of each statistic.

    Parameters
    ----------
    groups : Sequence[Sequence[tuple[np.ndarray, np.ndarray]]]
        Pairs ``(base, variant)`` of return series, grouped by time grid: the series of one group
        have equal lengths and are aligned (the same interval ends); groups are resampled
        independently.
    periods_per_year : float
        The annualisation of the Sharpe ratio.
    reps : int
        Resamples.
    confidence : float
        The intervals' coverage.
    seed : int
        Seeds the resampling.
    names : Sequence[str]
        The statistics (keys of ``statistics``).

    Returns
    -------
    dict[str, Interval | None]
        ``estimate`` is the mean difference over the pairs on the original series.

    """
    groups = [[(np.asarray(b, float), np.asarray(v, float)) for b, v in g] for g in groups if g]
    table = {name: statistics(periods_per_year)[name] for name in names}
    if not groups:
        return dict.fromkeys(names)
    draws = _paired_draws(groups, table, reps, np.random.default_rng(seed))
    out: dict[str, Interval | None] = {}
    for name, statistic in table.items():
        deltas = np.array(
            [statistic(v) - statistic(b) for pairs in groups for b, v in pairs], dtype=float
        )
        finite = deltas[np.isfinite(deltas)]
        estimate = float(finite.mean()) if len(finite) else float("nan")
        out[name] = percentile_interval(estimate, draws[name], confidence)
    return out
