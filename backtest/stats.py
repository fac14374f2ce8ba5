"""
Performance statistics from a run's tables (pure functions, so each formula is testable alone).

Conventions:
- returns are taken from the sampled equity curve every ``[stats] return_interval_secs`` (hourly by
  default; ``backtest.statistics.sample``); Sharpe and Sortino annualise them with
  ``sqrt(periods per year)`` over a 365-day year, crypto trading every day; ``stats.json``'s
  ``sample`` block states the frequency, the number of returns, the days covered and the
  annualisation;
- below ``[stats] min_returns`` returns or ``min_days`` days, Sharpe, Sortino, CAGR and Calmar are
  ``"insufficient"`` (not a number): an annualised ratio from a few days says nothing;
- Sortino's downside deviation is ``sqrt(mean(min(r, 0)^2))`` over all returns (target 0);
- max drawdown is the largest fall of sampled equity (every ``[output] equity_interval_secs``)
  from its running peak, as a positive fraction;
- Calmar is the compound annual growth rate over the period divided by max drawdown;
- ``intervals``: 95% (``[stats] confidence``) stationary block bootstrap intervals of total return,
  Sharpe and max drawdown of the returns (``backtest.statistics.bootstrap``); each gives its
  ``estimate`` on the returns themselves, so the max drawdown there is that of the curve at the
  return frequency, which can be smaller than ``max_drawdown`` (finer samples);
- a round trip is one position lifecycle (open to flat); win rate counts closed ones with a positive
  realized PnL after commissions;
- turnover is traded notional divided by the starting balance;
- exposure time is the fraction of the period with any position open;
- ``realized_pnl`` is gross of commissions: balance change = realized_pnl + funding_net - fees_paid;
- strategy counts: a strategy publishes running totals as ``count.<name>`` signals (entries per
  alpha, exits per reason, ...); the run keeps the last value of each as the statistic
  ``count.<name>`` (``series_counts``).

A figure that cannot be computed (fewer than two returns, no variation, no drawdown, no closed
trade) is ``None`` and shows as ``null`` in ``stats.json``.

"""

import math

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from backtest.config import StatsSection
from backtest.statistics.bootstrap import BLOCK_RULE
from backtest.statistics.bootstrap import METHOD
from backtest.statistics.bootstrap import run_intervals
from backtest.statistics.sample import INSUFFICIENT
from backtest.statistics.sample import ReturnSample
from backtest.statistics.sample import interval_returns
from backtest.statistics.sample import is_sufficient
from data_types.series import COUNT_PREFIX

DAY_NS = 86_400_000_000_000
ANNUAL_DAYS = 365


def sharpe_ratio(returns: np.ndarray, periods: float = ANNUAL_DAYS) -> float | None:
    """Return the annualised Sharpe ratio (sample standard deviation), or ``None`` if undefined."""
    if len(returns) < 2:
        return None
    std = float(np.std(returns, ddof=1))
    return float(np.mean(returns)) / std * math.sqrt(periods) if std > 0 else None


def sortino_ratio(returns: np.ndarray, periods: float = ANNUAL_DAYS) -> float | None:
    """Return the annualised Sortino ratio (target 0), or ``None`` if undefined."""
    if len(returns) < 2:
        return None
    downside = math.sqrt(float(np.mean(np.minimum(returns, 0.0) ** 2)))
    return float(np.mean(returns)) / downside * math.sqrt(periods) if downside > 0 else None


def max_drawdown(equity: np.ndarray) -> float:
    """Return the largest fall from a running peak as a positive fraction (0 when none)."""
    if len(equity) == 0:
        return 0.0
    equity = np.asarray(equity, dtype=float)
    peaks = np.maximum.accumulate(equity)
    return float(np.max(1.0 - equity / peaks))


def drawdown_series(equity: np.ndarray) -> np.ndarray:
    """Return the drawdown at each sample (0 at a peak, negative below it)."""
    equity = np.asarray(equity, dtype=float)
    return equity / np.maximum.accumulate(equity) - 1.0 if len(equity) else np.empty(0)


def cagr(total_return: float, period_ns: int) -> float | None:
    """Return the compound annual growth rate of ``total_return`` earned over ``period_ns``."""
    years = period_ns / DAY_NS / ANNUAL_DAYS
    if years <= 0 or total_return <= -1.0:
        return None
    return (1.0 + total_return) ** (1.0 / years) - 1.0


def exposure_fraction(positions: pd.DataFrame, start_ns: int, end_ns: int) -> float:
    """
    Return the fraction of ``[start_ns, end_ns]`` with at least one position open.

    Parameters
    ----------
    positions : pd.DataFrame
        With ``ts_opened`` and ``ts_closed`` (-1 while open).
    start_ns, end_ns : int
        The period.

    Returns
    -------
    float

    """
    if positions.empty or end_ns <= start_ns:
        return 0.0
    opened = positions["ts_opened"].to_numpy(dtype=np.int64)
    closed = positions["ts_closed"].to_numpy(dtype=np.int64)
    closed = np.where(closed < 0, end_ns, closed)
    covered = 0
    current_start, current_end = None, None
    for lo, hi in sorted(
        zip(np.clip(opened, start_ns, end_ns), np.clip(closed, start_ns, end_ns), strict=True)
    ):
        if current_end is None or lo > current_end:
            if current_end is not None:
                covered += current_end - current_start
            current_start, current_end = lo, hi
        else:
            current_end = max(current_end, hi)
    if current_end is not None:
        covered += current_end - current_start
    return covered / (end_ns - start_ns)


def series_counts(series: pd.DataFrame) -> dict[str, int]:
    """
    Return the last value of every ``count.*`` series, by series name (``count.alpha_a``).

    Parameters
    ----------
    series : pd.DataFrame
        The published series: ``ts``, ``name``, ``value``, in publication order.

    Returns
    -------
    dict[str, int]
        Sorted by name; empty when the strategy published no counts.

    """
    counts = series[series["name"].str.startswith(COUNT_PREFIX)] if not series.empty else series
    if counts.empty:
        return {}
    last = counts.groupby("name", sort=True)["value"].last()
    return {str(name): int(value) for name, value in last.items()}


def _none_if_nan(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def equity_returns(
    equity: pd.DataFrame,
    starting_balance: float,
    start_ns: int,
    end_ns: int,
    settings: StatsSection,
) -> ReturnSample:
    """
    Return the run's returns at the frequency of ``settings`` (``[stats] return_interval_secs``).

    Parameters
    ----------
    equity : pd.DataFrame
        The sampled curve: ``ts`` and ``equity``.
    starting_balance : float
        The equity at the start.
    start_ns, end_ns : int
        The simulated period (inclusive).
    settings : StatsSection
        The run's ``[stats]`` settings.

    Returns
    -------
    ReturnSample

    """
    return interval_returns(
        equity["ts"].to_numpy(),
        equity["equity"].to_numpy(dtype=float),
        starting_balance,
        start_ns,
        end_ns,
        settings.return_interval_secs,
    )


def sample_block(sample: ReturnSample, settings: StatsSection) -> dict[str, object]:
    """
    Return ``stats.json``'s ``sample`` block: what the return statistics stand on.

    Parameters
    ----------
    sample : ReturnSample
        The run's returns.
    settings : StatsSection
        The run's ``[stats]`` settings.

    Returns
    -------
    dict[str, object]
        ``frequency``, ``interval_secs``, ``returns`` (how many), ``days`` (covered),
        ``periods_per_year``, ``annualisation`` (in words), ``min_returns``, ``min_days``,
        ``sufficient``, and the returns' ``skew`` and ``kurtosis`` (non-excess; ``None`` without
        variation).

    """
    varied = sample.count > 2 and float(np.std(sample.returns)) > 0
    return {
        "frequency": sample.frequency,
        "interval_secs": sample.interval_secs,
        "returns": sample.count,
        "days": sample.days,
        "periods_per_year": sample.periods_per_year,
        "annualisation": (
            f"mean and deviation of {sample.frequency} returns scaled by "
            f"sqrt({sample.periods_per_year:g}) (a 365-day year)"
        ),
        "min_returns": settings.min_returns,
        "min_days": settings.min_days,
        "sufficient": is_sufficient(sample, settings.min_returns, settings.min_days),
        # Population moments, as the PSR/DSR formulas take them.
        "skew": float(scipy_stats.skew(sample.returns)) if varied else None,
        "kurtosis": float(scipy_stats.kurtosis(sample.returns, fisher=False)) if varied else None,
    }


def intervals_block(sample: ReturnSample, settings: StatsSection) -> dict[str, object]:
    """
    Return ``stats.json``'s ``intervals`` block: bootstrap intervals of the return statistics.

    Parameters
    ----------
    sample : ReturnSample
        The run's returns.
    settings : StatsSection
        The run's ``[stats]`` settings.

    Returns
    -------
    dict[str, object]
        ``method``, ``block_rule``, ``block_length``, ``confidence``, ``resamples``, ``seed``, and
        for ``total_return``, ``sharpe`` and ``max_drawdown`` either ``{estimate, low, high,
        excludes_zero}``, ``"insufficient"`` (fewer than ``min_returns`` returns; for Sharpe also
        fewer than ``min_days`` days) or ``None`` (undefined, e.g. a flat curve's Sharpe).

    """
    block: dict[str, object] = {
        "method": METHOD,
        "block_rule": BLOCK_RULE,
        "block_length": None,
        "confidence": settings.confidence,
        "resamples": settings.bootstrap_resamples,
        "seed": settings.seed,
    }
    names = ("total_return", "sharpe", "max_drawdown")
    if sample.count < settings.min_returns:
        return {**block, **dict.fromkeys(names, INSUFFICIENT)}
    length, found = run_intervals(
        sample.returns,
        sample.periods_per_year,
        settings.bootstrap_resamples,
        settings.confidence,
        settings.seed,
    )
    block["block_length"] = length
    for name in names:
        block[name] = found[name].as_dict() if found[name] is not None else None
    if not is_sufficient(sample, settings.min_returns, settings.min_days):
        block["sharpe"] = INSUFFICIENT
    return block


def return_stats(
    equity: pd.DataFrame,
    starting_balance: float,
    start_ns: int,
    end_ns: int,
    settings: StatsSection,
) -> dict[str, object]:
    """
    Return the statistics of the equity curve's path: ratios, drawdown, sample and intervals.

    Parameters
    ----------
    equity : pd.DataFrame
        The sampled curve: ``ts`` and ``equity``.
    starting_balance : float
        The equity at the start.
    start_ns, end_ns : int
        The simulated period (inclusive).
    settings : StatsSection
        The run's ``[stats]`` settings.

    Returns
    -------
    dict[str, object]
        ``cagr``, ``sharpe``, ``sortino``, ``max_drawdown``, ``calmar``, ``sample`` and
        ``intervals``, as in ``stats.json``.

    """
    curve = equity["equity"].to_numpy(dtype=float)
    final_equity = float(curve[-1]) if len(curve) else starting_balance
    sample = equity_returns(equity, starting_balance, start_ns, end_ns, settings)
    returns, periods = sample.returns, sample.periods_per_year
    enough = is_sufficient(sample, settings.min_returns, settings.min_days)
    mdd = max_drawdown(np.r_[starting_balance, curve])
    growth = cagr(final_equity / starting_balance - 1.0, end_ns + 1 - start_ns)
    calmar = _none_if_nan(growth / mdd) if growth is not None and mdd > 0 else None
    return {
        "cagr": _none_if_nan(growth) if enough else INSUFFICIENT,
        "sharpe": _none_if_nan(sharpe_ratio(returns, periods)) if enough else INSUFFICIENT,
        "sortino": _none_if_nan(sortino_ratio(returns, periods)) if enough else INSUFFICIENT,
        "max_drawdown": mdd,
        "calmar": calmar if enough else INSUFFICIENT,
        "sample": sample_block(sample, settings),
        "intervals": intervals_block(sample, settings),
    }


def computed_with(stats: dict[str, object], settings: StatsSection) -> bool:
    """
    Return whether ``stats`` were computed with ``settings`` (as their blocks record them).

    Parameters
    ----------
    stats : dict[str, object]
        ``stats.json``'s content.
    settings : StatsSection
        The settings expected.

    Returns
    -------
    bool
        False when the blocks are missing or record other settings.

    """
    sample = stats.get("sample") or {}
    intervals = stats.get("intervals") or {}
    recorded = (
        sample.get("interval_secs"),
        sample.get("min_returns"),
        sample.get("min_days"),
        intervals.get("confidence"),
        intervals.get("resamples"),
        intervals.get("seed"),
    )
    wanted = (
        settings.return_interval_secs,
        settings.min_returns,
        settings.min_days,
        settings.confidence,
        settings.bootstrap_resamples,
        settings.seed,
    )
    return recorded == wanted


def flat_stats(stats: dict[str, object]) -> dict[str, object]:
    """
    Return the statistics as flat columns (a sweep's table): nested blocks become dotted keys.

    ``{"sample": {"returns": 72}}`` becomes ``{"sample.returns": 72}``; an ``"insufficient"``
    marker becomes ``None`` (missing), so the column stays numeric: ``sample.sufficient`` says why.

    Parameters
    ----------
    stats : dict[str, object]
        ``stats.json``'s content.

    Returns
    -------
    dict[str, object]

    """
    flat: dict[str, object] = {}
    for key, value in stats.items():
        if isinstance(value, dict):
            for inner, item in flat_stats(value).items():
                flat[f"{key}.{inner}"] = item
        else:
            flat[key] = None if value == INSUFFICIENT else value
    return flat


def compute_stats(
    equity: pd.DataFrame,
    fills: pd.DataFrame,
    positions: pd.DataFrame,
    funding: pd.DataFrame,
    starting_balance: float,
    start_ns: int,
    end_ns: int,
    events: int,
    wall_secs: float,
    settings: StatsSection | None = None,
) -> dict[str, object]:
    """
    Return the run's statistics (see the module docstring for every convention).

    Parameters
    ----------
    equity : pd.DataFrame
        The sampled curve: ``ts``, ``balance``, ``unrealized_pnl``, ``equity``.
    fills : pd.DataFrame
        ``backtest.frames.fills_frame``.
    positions : pd.DataFrame
        ``backtest.frames.positions_frame``.
    funding : pd.DataFrame
        The funding ledger (``payment`` column).
    starting_balance : float
        The account's starting balance.
    start_ns, end_ns : int
        The simulated period (inclusive).
    events : int
        Data events the engine processed.
    wall_secs : float
        Wall-clock seconds the run took.
    settings : StatsSection, optional
        The run's ``[stats]`` settings (default: the defaults of ``StatsSection``).

    Returns
    -------
    dict[str, object]
        Numbers, ``None`` (undefined), ``"insufficient"`` (annualised ratios below the minimum
        sample) and the ``sample`` and ``intervals`` blocks.

    """
    curve = equity["equity"].to_numpy(dtype=float)
    final_equity = float(curve[-1]) if len(curve) else starting_balance
    ratios = return_stats(equity, starting_balance, start_ns, end_ns, settings or StatsSection())
    closed = positions[~positions["is_open"]] if not positions.empty else positions
    payments = funding["payment"].to_numpy(dtype=float) if not funding.empty else np.empty(0)
    traded = float(fills["notional"].sum()) if not fills.empty else 0.0
    fees = float(fills["commission"].sum()) if not fills.empty else 0.0
    realized_net = float(positions["realized_pnl"].sum()) if not positions.empty else 0.0
    return {
        "starting_balance": starting_balance,
        "final_balance": float(equity["balance"].iloc[-1]) if len(curve) else starting_balance,
        "final_equity": final_equity,
        "pnl_total": final_equity - starting_balance,
        "total_return": final_equity / starting_balance - 1.0,
        **{key: ratios[key] for key in ("cagr", "sharpe", "sortino", "max_drawdown", "calmar")},
        "trades": len(closed),
        "win_rate": float((closed["realized_pnl"] > 0).mean()) if len(closed) else None,
        "fills": len(fills),
        # Nautilus nets commissions into a position's realized PnL; report it gross, so that
        # final balance - starting balance = realized_pnl + funding_net - fees_paid.
        "realized_pnl": realized_net + fees,
        "unrealized_pnl_end": float(equity["unrealized_pnl"].iloc[-1]) if len(curve) else 0.0,
        "fees_paid": fees,
        "funding_paid": float(-payments[payments < 0].sum()) + 0.0,  # + 0.0: no "-0.0"
        "funding_received": float(payments[payments > 0].sum()),
        "funding_net": float(payments.sum()),
        "funding_settlements": int(funding["ts"].nunique()) if not funding.empty else 0,
        "exposure_time": exposure_fraction(positions, start_ns, end_ns),
        "traded_notional": traded,
        "turnover": traded / starting_balance,
        "events": events,
        "events_per_sec": events / wall_secs if wall_secs > 0 else None,
        "wall_secs": wall_secs,
        "sample": ratios["sample"],
        "intervals": ratios["intervals"],
    }
