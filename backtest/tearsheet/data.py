"""
What the tearsheet shows besides the run's own tables: daily returns and the periods to shade.

Daily returns use the statistics' own sampling (``backtest.statistics.sample.interval_returns``
at one day), so they compound to the run's total return exactly.

"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from backtest.statistics.sample import interval_returns
from data_types.trade_tags import REGIME_SERIES
from data_types.trade_tags import TOXIC_SERIES
from data_types.trade_tags import regime_name

DAY_SECS = 86_400


def daily_returns(
    equity: pd.DataFrame, starting_balance: float, start_ns: int, end_ns: int, trades: pd.DataFrame
) -> pd.DataFrame:
    """
    Return one row per UTC day of the period: its return, PnL and the trades closed that day.

    Parameters
    ----------
    equity : pd.DataFrame
        The sampled curve (``ts``, ``equity``).
    starting_balance : float
        The equity at the start.
    start_ns, end_ns : int
        The simulated period (inclusive).
    trades : pd.DataFrame
        ``backtest.attribution.trade_table``.

    Returns
    -------
    pd.DataFrame
        ``date`` (the day's start, UTC), ``return``, ``pnl`` (equity change), ``equity`` (at the
        day's end), ``trades`` (closed that day) and ``trades_net_pnl`` (their net PnL).

    """
    sample = interval_returns(
        equity["ts"].to_numpy(),
        equity["equity"].to_numpy(dtype=float),
        starting_balance,
        start_ns,
        end_ns,
        DAY_SECS,
    )
    growth = starting_balance * np.cumprod(1.0 + sample.returns)
    starts = np.r_[start_ns, sample.ends[:-1]] if len(sample.ends) else np.empty(0, np.int64)
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(starts.astype(np.int64), utc=True),
            "return": sample.returns,
            "pnl": np.diff(np.r_[starting_balance, growth]),
            "equity": growth,
        }
    )
    closed = trades[~trades["is_open"]] if not trades.empty else trades
    counts, nets = [], []
    for begin, end in zip(starts, sample.ends, strict=True):
        mine = (
            closed[(closed["exit_ts"] >= begin) & (closed["exit_ts"] < end)]
            if len(closed)
            else closed
        )
        counts.append(len(mine))
        nets.append(float(mine["net_pnl"].sum()) if len(mine) else 0.0)
    return frame.assign(trades=counts, trades_net_pnl=nets)


@dataclass(frozen=True)
class Span:
    """A stretch of time ``[start, end)`` (ns) in one state (e.g. ``crowded_long``)."""

    start: int
    end: int
    state: str


def _spans(one: pd.DataFrame, end_ns: int, name_of) -> list[Span]:
    # A published value holds until the next one; equal neighbours merge into one span.
    if one.empty:
        return []
    ts = one["ts"].to_numpy(dtype=np.int64)
    states = [name_of(v) for v in one["value"].to_numpy(dtype=float)]
    spans: list[Span] = []
    for i, state in enumerate(states):
        stop = int(ts[i + 1]) if i + 1 < len(ts) else end_ns
        if spans and spans[-1].state == state and spans[-1].end == int(ts[i]):
            spans[-1] = Span(spans[-1].start, stop, state)
        else:
            spans.append(Span(int(ts[i]), stop, state))
    return [s for s in spans if s.state is not None]


def regime_spans(series: pd.DataFrame, end_ns: int) -> list[Span]:
    """
    Return the crowded stretches of the published ``regime.state`` (neutral is not shaded).

    Parameters
    ----------
    series : pd.DataFrame
        The run's published series (``ts``, ``name``, ``value``).
    end_ns : int
        Where the last value stops holding (the period's end).

    Returns
    -------
    list[Span]
        States ``crowded_long`` and ``crowded_short``.

    """
    one = series[series["name"] == REGIME_SERIES] if not series.empty else series
    return [
        s
        for s in _spans(one, end_ns, lambda v: regime_name(v) if np.isfinite(v) else None)
        if s.state != "neutral"
    ]


def toxic_spans(series: pd.DataFrame, end_ns: int) -> list[Span]:
    """Return the stretches where the published ``toxicity.toxic`` is 1 (state ``toxic``)."""
    one = series[series["name"] == TOXIC_SERIES] if not series.empty else series
    return [
        s
        for s in _spans(one, end_ns, lambda v: "toxic" if v > 0.5 else "calm")
        if s.state == "toxic"
    ]
