"""
Compare a features-fidelity run with its tick-fidelity twin: which round trips both made.

A round trip is identified by its entry decision: the instant the strategy decided to enter (the
last ``count.alpha_*`` increment at or before the position opened; ToxVol counts an entry when it
submits the order) and its side. Fill instants differ between fidelities whenever orders have a
latency (the order reaches the book at the first event after it, and the conflated stream has
fewer events), so fills are not the key; decisions are.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

ENTRY_COUNTS = ("count.alpha_a", "count.alpha_b")


def entry_decisions(series: pd.DataFrame, positions: pd.DataFrame) -> dict[tuple[int, bool], float]:
    """
    Return each round trip's entry decision ``(instant, is_long)`` and its average entry price.

    Parameters
    ----------
    series : pd.DataFrame
        The run's published series (``ts``, ``name``, ``value``).
    positions : pd.DataFrame
        The run's positions (``ts_opened``, ``signed_qty``, ``avg_px_open``).

    Returns
    -------
    dict[tuple[int, bool], float]

    """
    counts = series[series["name"].isin(ENTRY_COUNTS)].sort_values("ts", kind="stable")
    increments = counts.groupby("name")["value"].diff().fillna(counts["value"]) > 0
    decided = np.sort(counts.loc[increments, "ts"].to_numpy(dtype=np.int64))
    entries = {}
    for opened, qty, price in zip(
        positions["ts_opened"], positions["signed_qty"], positions["avg_px_open"], strict=True
    ):
        i = int(np.searchsorted(decided, opened, side="right")) - 1
        entries[(int(decided[i]) if i >= 0 else int(opened), bool(qty > 0))] = float(price)
    return entries


@dataclass(frozen=True)
class Agreement:
    """How far a features-fidelity run agrees with tick fidelity."""

    tick_round_trips: int
    matched: int
    d_return: float
    mean_entry_ticks: float
    max_entry_ticks: float

    @property
    def share(self) -> float:
        """Return the matched share of tick fidelity's round trips."""
        return self.matched / self.tick_round_trips if self.tick_round_trips else float("nan")


def agreement(tick, features, tick_size: float) -> Agreement:
    """
    Return the agreement of two runs' outcomes (``RunOutcome``-like: series, positions, stats).

    Parameters
    ----------
    tick, features
        The tick-fidelity and the features-fidelity outcome of one config.
    tick_size : float
        The instrument's price increment (entry price differences are in ticks).

    Returns
    -------
    Agreement

    """
    a = entry_decisions(tick.series, tick.positions)
    b = entry_decisions(features.series, features.positions)
    common = sorted(set(a) & set(b))
    ticks = [abs(b[k] - a[k]) / tick_size for k in common]
    return Agreement(
        tick_round_trips=len(a),
        matched=len(common),
        d_return=features.stats["total_return"] - tick.stats["total_return"],
        mean_entry_ticks=float(np.mean(ticks)) if ticks else float("nan"),
        max_entry_ticks=float(np.max(ticks)) if ticks else float("nan"),
    )
