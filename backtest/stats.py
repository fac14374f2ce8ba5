"""
Performance statistics from a run's tables (pure functions, so each formula is testable alone).

Conventions:
- returns are daily: the equity at each UTC day's last sample against the previous day's (the first
  day against the starting balance); Sharpe and Sortino annualise them with sqrt(365), crypto
  trading every day;
- Sortino's downside deviation is ``sqrt(mean(min(r, 0)^2))`` over all days (target 0);
- max drawdown is the largest fall of sampled equity from its running peak, as a positive fraction;
- Calmar is the compound annual growth rate over the period divided by max drawdown;
- a round trip is one position lifecycle (open to flat); win rate counts closed ones with a positive
  realized PnL after commissions;
- turnover is traded notional divided by the starting balance;
- exposure time is the fraction of the period with any position open;
- ``realized_pnl`` is gross of commissions: balance change = realized_pnl + funding_net - fees_paid;
- strategy counts: a strategy publishes running totals as ``count.<name>`` signals (entries per
  alpha, exits per reason, ...); the run keeps the last value of each as the statistic
  ``count.<name>`` (``series_counts``).

A figure that cannot be computed (fewer than two daily returns, no drawdown, no closed trade) is
``None`` and shows as ``null`` in ``stats.json``.

"""

import math

import numpy as np
import pandas as pd

DAY_NS = 86_400_000_000_000
ANNUAL_DAYS = 365
COUNT_PREFIX = "count."


def daily_returns(ts: np.ndarray, equity: np.ndarray, starting_equity: float) -> np.ndarray:
    """
    Return the daily returns of a sampled equity curve.

    Parameters
    ----------
    ts : np.ndarray
        Sample times (ns), non-decreasing.
    equity : np.ndarray
        Equity at each sample.
    starting_equity : float
        The equity before the first sample's day closes (the starting balance).

    Returns
    -------
    np.ndarray
        One return per UTC day that has a sample.

    """
    if len(ts) == 0:
        return np.empty(0)
    days = np.asarray(ts, dtype=np.int64) // DAY_NS
    last_of_day = np.flatnonzero(np.r_[days[1:] != days[:-1], True])
    closes = np.r_[starting_equity, np.asarray(equity, dtype=float)[last_of_day]]
    return closes[1:] / closes[:-1] - 1.0


def sharpe_ratio(returns: np.ndarray, periods: int = ANNUAL_DAYS) -> float | None:
    """Return the annualised Sharpe ratio (sample standard deviation), or ``None`` if undefined."""
    if len(returns) < 2:
        return None
    std = float(np.std(returns, ddof=1))
    return float(np.mean(returns)) / std * math.sqrt(periods) if std > 0 else None


def sortino_ratio(returns: np.ndarray, periods: int = ANNUAL_DAYS) -> float | None:
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
) -> dict[str, float | int | None]:
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

    Returns
    -------
    dict[str, float | int | None]

    """
    curve = equity["equity"].to_numpy(dtype=float)
    final_equity = float(curve[-1]) if len(curve) else starting_balance
    total_return = final_equity / starting_balance - 1.0
    returns = daily_returns(equity["ts"].to_numpy(), curve, starting_balance)
    mdd = max_drawdown(np.r_[starting_balance, curve])
    growth = cagr(total_return, end_ns + 1 - start_ns)
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
        "total_return": total_return,
        "cagr": _none_if_nan(growth),
        "sharpe": _none_if_nan(sharpe_ratio(returns)),
        "sortino": _none_if_nan(sortino_ratio(returns)),
        "max_drawdown": mdd,
        "calmar": _none_if_nan(growth / mdd) if growth is not None and mdd > 0 else None,
        "days": len(returns),
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
    }
