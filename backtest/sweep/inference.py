"""
Inference over a sweep's runs from their stored return series (``backtest.sweep.store``).

- ``paired_deltas``: the mean difference variant − base of total return, Sharpe and max drawdown
  over matched pairs of runs, with a paired stationary block bootstrap interval
  (``backtest.statistics.bootstrap.paired_intervals``): the two series of a pair are aligned on
  their interval ends and resampled with the same blocks;
- ``trial_returns``: a trial is one configuration apart from its period (base, ablation, grid point,
  seed); its returns are those of its runs joined in time order;
- ``selection``: the deflated Sharpe ratio of the best trial (number of trials, the trials' Sharpe
  variance, the best one's skew and kurtosis) and, with at least ``MIN_WINDOWS`` disjoint windows,
  the probability of backtest overfitting by CSCV with one block per window.

"""

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from backtest.config import StatsSection
from backtest.statistics.bootstrap import Interval
from backtest.statistics.bootstrap import paired_intervals
from backtest.statistics.sample import INSUFFICIENT
from backtest.statistics.sample import YEAR_SECS
from backtest.statistics.selection import DeflatedSharpe
from backtest.statistics.selection import Overfitting
from backtest.statistics.selection import deflated_sharpe
from backtest.statistics.selection import overfitting_probability

BOOTSTRAPPED = ("total_return", "sharpe", "max_drawdown")
MIN_WINDOWS = 8
MAX_BLOCKS = 16
SUFFICIENT = "sample.sufficient"


def periods_per_year(table: pd.DataFrame) -> float | None:
    """Return the annualisation of the runs' returns (``None`` if the runs disagree or say none)."""
    if "sample.interval_secs" not in table.columns:
        return None
    intervals = pd.to_numeric(table["sample.interval_secs"], errors="coerce").dropna().unique()
    return YEAR_SECS / float(intervals[0]) if len(intervals) == 1 else None


def _aligned(base: pd.DataFrame, variant: pd.DataFrame) -> tuple[bytes, np.ndarray, np.ndarray]:
    merged = base.merge(variant, on="ts", suffixes=("_b", "_v"))
    ts = merged["ts"].to_numpy(dtype=np.int64)
    return ts.tobytes(), merged["ret_b"].to_numpy(float), merged["ret_v"].to_numpy(float)


def paired_deltas(
    pairs: list[tuple[str, str]],
    returns: dict[str, pd.DataFrame],
    sufficient: dict[str, bool],
    settings: StatsSection,
    ppy: float,
) -> dict[str, Interval | str | None]:
    """
    Return the paired bootstrap interval of the mean difference variant − base of each statistic.

    Parameters
    ----------
    pairs : list[tuple[str, str]]
        ``(base run id, variant run id)`` of each matched context.
    returns : dict[str, pd.DataFrame]
        Return series by run id (``ts``, ``ret``).
    sufficient : dict[str, bool]
        Whether each run's sample is long enough for an annualised ratio.
    settings : StatsSection
        Resamples, confidence, seed and the minimum number of returns.
    ppy : float
        Periods per year (the Sharpe ratio's annualisation).

    Returns
    -------
    dict[str, Interval | str | None]
        By statistic: its interval; ``"insufficient"`` when the pairs' periods hold fewer than
        ``min_returns`` common returns together (for Sharpe, also when a run's sample is too short
        to annualise); ``None`` when no pair has both series or the statistic is undefined.

    """
    groups: dict[bytes, list[tuple[np.ndarray, np.ndarray]]] = {}
    sharpe_short = False
    for base, variant in pairs:
        if base not in returns or variant not in returns:
            continue
        key, b, v = _aligned(returns[base], returns[variant])
        if len(b) < 2:
            continue
        groups.setdefault(key, []).append((b, v))
        sharpe_short |= not (sufficient.get(base, False) and sufficient.get(variant, False))
    if not groups:
        return dict.fromkeys(BOOTSTRAPPED)
    # Periods resample independently, so the sample is every period's returns together.
    if sum(len(g[0][0]) for g in groups.values()) < settings.min_returns:
        return dict.fromkeys(BOOTSTRAPPED, INSUFFICIENT)
    found: dict[str, Any] = paired_intervals(
        list(groups.values()),
        ppy,
        settings.bootstrap_resamples,
        settings.confidence,
        settings.seed,
    )
    if sharpe_short:
        found["sharpe"] = INSUFFICIENT
    return found


def trial_key_columns(grid_keys: list[str]) -> list[str]:
    """Return the columns that make a trial: everything that names a run but its period."""
    return ["base", "ablation", *grid_keys, "seed"]


@dataclass(frozen=True)
class Trial:
    """
    One configuration of a sweep over all its periods.

    Parameters
    ----------
    label : str
        The run label of its first run, without the period.
    run_ids : dict[str, str]
        Its run id per period label.
    returns : np.ndarray
        Its runs' returns joined in time order (a repeated interval end kept once).

    """

    label: str
    run_ids: dict[str, str]
    returns: np.ndarray


def trials(
    table: pd.DataFrame, grid_keys: list[str], returns: dict[str, pd.DataFrame]
) -> list[Trial]:
    """
    Return the sweep's trials that have return series, in table order.

    Parameters
    ----------
    table : pd.DataFrame
        The sweep's completed rows.
    grid_keys : list[str]
        The grid's dotted keys.
    returns : dict[str, pd.DataFrame]
        Return series by run id.

    Returns
    -------
    list[Trial]

    """
    columns = trial_key_columns(grid_keys)
    keys = table[columns].astype(str).agg("|".join, axis=1)
    found = []
    for _, group in table.groupby(keys, sort=False):
        runs = {p: r for p, r in zip(group["period"], group["run_id"], strict=True) if r in returns}
        if not runs:
            continue
        joined = pd.concat([returns[r] for r in runs.values()]).drop_duplicates("ts")
        label = str(group["label"].iloc[0])
        period = str(group["period"].iloc[0])
        found.append(
            Trial(
                label.replace(f"/{period}", "") if period else label,
                runs,
                joined.sort_values("ts")["ret"].to_numpy(float),
            )
        )
    return found


@dataclass(frozen=True)
class Selection:
    """
    Selection-bias statistics of a sweep.

    Parameters
    ----------
    deflated : DeflatedSharpe | None
        The deflated Sharpe ratio of the best trial (``None`` without two trials with returns).
    best : str | None
        The best trial's label.
    sufficient : bool
        Whether the best trial has at least ``min_returns`` returns.
    overfitting : Overfitting | None
        PBO by CSCV, when computed.
    pbo_note : str
        Why PBO was not computed, or which windows it used.
    ppy : float
        Periods per year of the returns.

    """

    deflated: DeflatedSharpe | None
    best: str | None
    sufficient: bool
    overfitting: Overfitting | None
    pbo_note: str
    ppy: float


def _windows_disjoint(windows: list[Any]) -> bool:
    ordered = sorted(windows, key=lambda w: w.start)
    return all(a.end <= b.start for a, b in zip(ordered, ordered[1:], strict=False))


def overfitting_matrix(
    found: list[Trial], windows: list[Any], returns: dict[str, pd.DataFrame]
) -> tuple[np.ndarray, np.ndarray, list[int], str]:
    """
    Return the CSCV matrix: returns by (time, trial), each row's window, the trials used, a note.

    Windows are taken in time order; with an odd number the earliest is left out (CSCV splits the
    blocks in halves); beyond ``MAX_BLOCKS`` windows, consecutive windows are grouped into that
    many blocks. A trial enters only with a series on every window's common time grid.

    Parameters
    ----------
    found : list[Trial]
        The trials.
    windows : list[Any]
        The spec's windows (``label()``, ``start``, ``end``).
    returns : dict[str, pd.DataFrame]
        Return series by run id.

    Returns
    -------
    tuple[np.ndarray, np.ndarray, list[int], str]
        ``(T, N)`` returns, ``(T,)`` window numbers, positions in ``found``, and a note.

    """
    ordered = sorted(windows, key=lambda w: w.start)
    note = f"{len(ordered)} windows"
    if len(ordered) % 2:
        ordered = ordered[1:]
        note += f" (the earliest left out: CSCV needs an even number), {len(ordered)} blocks"
    columns: list[np.ndarray] = []
    used: list[int] = []
    grids = {}
    for position, trial in enumerate(found):
        parts = []
        for window in ordered:
            run = trial.run_ids.get(window.label())
            if run is None:
                break
            series = returns[run]
            ts = series["ts"].to_numpy(dtype=np.int64)
            grid = grids.setdefault(window.label(), ts)
            if len(ts) != len(grid) or (ts != grid).any():
                break
            parts.append(series["ret"].to_numpy(float))
        if len(parts) == len(ordered):
            columns.append(np.concatenate(parts))
            used.append(position)
    # Beyond MAX_BLOCKS windows, consecutive windows share a block: C(16, 8) = 12,870 splits,
    # while C(S, S/2) grows past millions from S = 24.
    count = min(len(ordered), MAX_BLOCKS)
    if len(ordered) > MAX_BLOCKS:
        note += f", grouped into {count} blocks of consecutive windows"
    blocks = (
        np.concatenate(
            [
                np.full(len(grids.get(w.label(), [])), i * count // len(ordered))
                for i, w in enumerate(ordered)
            ]
        )
        if used
        else np.empty(0)
    )
    matrix = np.column_stack(columns) if columns else np.empty((0, 0))
    return matrix, blocks, used, note


def selection(
    table: pd.DataFrame,
    grid_keys: list[str],
    windows: list[Any],
    returns: dict[str, pd.DataFrame],
    settings: StatsSection,
) -> Selection | None:
    """
    Return the deflated Sharpe ratio of the sweep's best trial and, with enough windows, PBO.

    Parameters
    ----------
    table : pd.DataFrame
        The sweep's completed rows.
    grid_keys : list[str]
        The grid's dotted keys.
    windows : list[Any]
        The spec's windows (empty: each base's own period).
    returns : dict[str, pd.DataFrame]
        Return series by run id.
    settings : StatsSection
        ``min_returns``.

    Returns
    -------
    Selection | None
        ``None`` when the runs have no common return frequency or fewer than two trials have
        returns.

    """
    ppy = periods_per_year(table)
    found = trials(table, grid_keys, returns)
    if ppy is None or len(found) < 2:
        return None
    deflated = deflated_sharpe([t.returns for t in found])
    best = found[deflated.best].label if deflated is not None else None
    enough = deflated is not None and deflated.n_returns >= settings.min_returns
    overfitting, note = None, ""
    if len(windows) < MIN_WINDOWS:
        note = f"needs at least {MIN_WINDOWS} windows ([[periods]] or [walk_forward]); the sweep has {len(windows)}"
    elif not _windows_disjoint(windows):
        note = "the windows overlap: in- and out-of-sample blocks would share data"
    else:
        matrix, blocks, used, note = overfitting_matrix(found, windows, returns)
        if len(used) < 2:
            note += "; fewer than 2 trials have returns on every window"
        else:
            overfitting = overfitting_probability(matrix, blocks)
            note += f"; {len(used)} trials"
    return Selection(deflated, best, enough, overfitting, note, ppy)
