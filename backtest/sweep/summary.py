"""
What a sweep found: the ablation table, the top runs by a metric, and the failed runs.

The ablation table compares each variant with the baseline run of the same context (base config,
grid point, period and seed): Δ = variant − baseline for total return, Sharpe, max drawdown and
round trips, averaged over the contexts where both completed. Tables are built once as display
rows (``Display``) and printed with rich here, or rendered as HTML by ``backtest.sweep.html``.

"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from backtest.report import STATS_SHOWN
from backtest.report import format_stat
from backtest.sweep.expand import SweepRun
from backtest.sweep.spec import SweepSpec
from backtest.sweep.task import FAILED
from backtest.sweep.task import OK

COMPARED = ("total_return", "sharpe", "max_drawdown", "trades")
# Short headers: the ablation table has two columns per compared statistic.
SHORT = {"total_return": "return", "sharpe": "Sharpe", "max_drawdown": "max DD", "trades": "trades"}
# Metrics where a smaller value ranks higher.
LOWER_IS_BETTER = frozenset({"max_drawdown", "fees_paid", "funding_paid", "turnover"})
_SHOWN = {key: (label, spec) for key, label, spec in STATS_SHOWN}


@dataclass
class Display:
    """
    A table ready to show: a title, column headers and rows of text.

    Parameters
    ----------
    title : str
        The table's title.
    headers : list[str]
        Column headers.
    rows : list[list[str]]
        The cells.
    left : int, default 2
        How many leading columns hold text (left-aligned); the others hold numbers.

    """

    title: str
    headers: list[str]
    rows: list[list[str]]
    left: int = 2


def _label(stat: str) -> str:
    return SHORT.get(stat, stat)


def _format(stat: str, value: object, delta: bool = False) -> str:
    spec = _SHOWN.get(stat, ("", "{:.4g}"))[1]
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not np.isfinite(number):
        return format_stat(None, spec)
    if spec == "{:,}":  # counts: means of counts may be fractional
        spec = "{:,.0f}" if number.is_integer() else "{:,.1f}"
    if delta and "+" not in spec:
        spec = spec.replace("{:", "{:+", 1)
    return format_stat(number, spec)


def context_columns(grid_keys: list[str]) -> list[str]:
    """Return the columns that make a baseline and its variants comparable."""
    return ["base", *grid_keys, "period", "seed"]


def _numeric(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    return frame[columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)


def ablation_table(table: pd.DataFrame, baseline: str, grid_keys: list[str]) -> pd.DataFrame:
    """
    Return each (base, ablation) against its baseline.

    Parameters
    ----------
    table : pd.DataFrame
        The sweep's rows (``runs.parquet`` restricted to the current spec).
    baseline : str
        The baseline ablation's name.
    grid_keys : list[str]
        The grid's dotted keys.

    Returns
    -------
    pd.DataFrame
        ``base``, ``ablation``, ``runs`` (completed), ``failed``, the mean of each compared
        statistic, and ``delta_<stat>``: the mean of variant − baseline over the contexts where
        both completed (NaN where none did, or the statistic is undefined, e.g. a one-day Sharpe).

    """
    if table.empty:
        return pd.DataFrame()
    context = table[context_columns(grid_keys)].astype(str).agg("|".join, axis=1)
    keyed = table.assign(_context=context)
    done = keyed[keyed["status"] == OK]
    reference = done[done["ablation"] == baseline].set_index("_context")
    rows = []
    for (base, ablation), group in keyed.groupby(["base", "ablation"], sort=False):
        completed = group[group["status"] == OK]
        matched = completed[completed["_context"].isin(reference.index)]
        diff = _numeric(matched, list(COMPARED)) - _numeric(
            reference.loc[matched["_context"]], list(COMPARED)
        )
        row = {
            "base": base,
            "ablation": ablation,
            "runs": len(completed),
            "failed": int((group["status"] == FAILED).sum()),
        }
        means = _numeric(completed, list(COMPARED))
        for i, stat in enumerate(COMPARED):
            row[stat] = _nanmean(means[:, i])
            row[f"delta_{stat}"] = _nanmean(diff[:, i])
        rows.append(row)
    return pd.DataFrame(rows)


def _nanmean(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if len(finite) else float("nan")


def top_runs(table: pd.DataFrame, metric: str, n: int) -> pd.DataFrame:
    """
    Return the ``n`` best completed runs by ``metric`` (undefined values last).

    Raises
    ------
    ValueError
        If no column is called ``metric``.

    """
    if metric not in table.columns:
        raise ValueError(f"sweep.metric = {metric!r}: not a column of the results")
    done = table[table["status"] == OK].assign(
        _m=lambda f: pd.to_numeric(f[metric], errors="coerce")
    )
    ranked = done.sort_values("_m", ascending=metric in LOWER_IS_BETTER, na_position="last")
    return ranked.drop(columns="_m").head(n)


def ablation_display(frame: pd.DataFrame, baseline: str) -> Display:
    """Return the ablation table for display."""
    headers = ["base", "ablation", "runs", "failed"]
    for stat in COMPARED:
        headers += [_label(stat), f"Δ {_label(stat)}"]
    rows = []
    for record in frame.to_dict("records"):
        cells = [record["base"], record["ablation"], str(record["runs"]), str(record["failed"])]
        for stat in COMPARED:
            cells.append(_format(stat, record[stat]))
            cells.append(
                ""
                if record["ablation"] == baseline
                else _format(stat, record[f"delta_{stat}"], True)
            )
        rows.append(cells)
    return Display(f"Ablations against {baseline!r} (means over matched runs)", headers, rows)


def top_display(frame: pd.DataFrame, metric: str) -> Display:
    """Return the top runs for display: label, the metric, then the compared statistics."""
    stats = [metric, *(s for s in COMPARED if s != metric)]
    order = "lowest" if metric in LOWER_IS_BETTER else "highest"
    rows = [
        [str(i), record["label"], record["run_id"], *(_format(s, record.get(s)) for s in stats)]
        for i, record in enumerate(frame.to_dict("records"), start=1)
    ]
    headers = ["#", "run", "run id", *(_label(s) for s in stats)]
    return Display(f"Top {len(rows)} by {metric} ({order} first)", headers, rows, left=3)


def failures_display(table: pd.DataFrame) -> Display:
    """Return the failed runs with their errors (first line) for display."""
    failed = table[table["status"] == FAILED]
    rows = [
        [record["label"], record["run_id"], str(record["error"]).splitlines()[0][:200]]
        for record in failed.to_dict("records")
    ]
    return Display(f"{len(rows)} failed run(s)", ["run", "run id", "error"], rows, left=3)


def print_display(display: Display, console: Console) -> None:
    """Print a ``Display`` as a rich table."""
    table = Table(title=display.title, title_justify="left")
    for i, header in enumerate(display.headers):
        table.add_column(header, justify="left" if i < display.left else "right", overflow="fold")
    for row in display.rows:
        table.add_row(*row)
    console.print(table)


def overview(table: pd.DataFrame) -> str:
    """Return one line: how many runs, completed and failed."""
    done = int((table["status"] == OK).sum()) if not table.empty else 0
    failed = int((table["status"] == FAILED).sum()) if not table.empty else 0
    return f"{len(table)} runs: {done} completed, {failed} failed"


def summary_displays(spec: SweepSpec, table: pd.DataFrame, runs: list[SweepRun]) -> list[Display]:
    """
    Return the summary tables of a sweep: ablations (if any), top runs, failures (if any).

    Parameters
    ----------
    spec : SweepSpec
        The spec.
    table : pd.DataFrame
        The sweep's rows.
    runs : list[SweepRun]
        The spec's runs.

    Returns
    -------
    list[Display]

    """
    if table.empty:
        return []
    displays = []
    if len(spec.ablation_sets()) > 1:
        frame = ablation_table(table, spec.sweep.baseline, list(runs[0].grid))
        displays.append(ablation_display(frame, spec.sweep.baseline))
    metric = spec.sweep.metric
    try:
        displays.append(top_display(top_runs(table, metric, spec.sweep.top), metric))
    except ValueError as e:
        # A strategy may add statistics, so the metric is checked against the results, not a list.
        displays.append(Display(f"{e} (none completed, or a misspelt name)", [], []))
    if (table["status"] == FAILED).any():
        displays.append(failures_display(table))
    return displays
