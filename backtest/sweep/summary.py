"""
What a sweep found: the ablation table, the grid against its best point, the top runs, selection
bias (deflated Sharpe ratio, PBO) and the failed runs.

The ablation table compares each variant with the baseline run of the same context (base config,
grid point, period and seed): Δ = variant − baseline for total return, Sharpe, max drawdown and
round trips, averaged over the contexts where both completed. With the runs' return series (kept
by the store) each Δ of total return, Sharpe and max drawdown gets a paired stationary block
bootstrap interval (``backtest.sweep.inference``); a ``*`` marks an interval that excludes zero.
The grid table compares the best grid points (by the sweep's metric) with the best one the same
way. Tables are built once as display rows (``Display``) and printed with rich here, or rendered
as HTML by ``backtest.sweep.html``.

"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from backtest.config import StatsSection
from backtest.report import STATS_SHOWN
from backtest.report import format_stat
from backtest.statistics.bootstrap import Interval
from backtest.statistics.sample import INSUFFICIENT
from backtest.statistics.sample import YEAR_SECS
from backtest.statistics.sample import frequency_label
from backtest.sweep.expand import SweepRun
from backtest.sweep.expand import results_root
from backtest.sweep.inference import BOOTSTRAPPED
from backtest.sweep.inference import SUFFICIENT
from backtest.sweep.inference import Selection
from backtest.sweep.inference import paired_deltas
from backtest.sweep.inference import periods_per_year
from backtest.sweep.inference import selection
from backtest.sweep.spec import SweepSpec
from backtest.sweep.store import load_returns
from backtest.sweep.task import FAILED
from backtest.sweep.task import OK

COMPARED = ("total_return", "sharpe", "max_drawdown", "trades")
# Short headers: the ablation table has two columns per compared statistic.
SHORT = {"total_return": "return", "sharpe": "Sharpe", "max_drawdown": "max DD", "trades": "trades"}
# Metrics where a smaller value ranks higher.
LOWER_IS_BETTER = frozenset({"max_drawdown", "fees_paid", "funding_paid", "turnover"})
_SHOWN = {key: (label, spec) for key, label, spec in STATS_SHOWN}
SIGNIFICANT = " *"  # ends a difference whose interval excludes zero
# Statistics a run reports as "insufficient" when its sample is too short to annualise.
ANNUALISED = frozenset({"sharpe", "sortino", "calmar", "cagr"})


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


def _shown(stat: str, value: object, short: bool) -> str:
    # A missing annualised ratio of a run too short to annualise says why it is missing.
    text = _format(stat, value)
    return INSUFFICIENT if short and stat in ANNUALISED and text == "–" else text


def _is_short(flag: object) -> bool:
    return isinstance(flag, bool | np.bool_) and not flag


def _label(stat: str) -> str:
    return SHORT.get(stat, stat)


_NOT_COMPUTED_TEXT = frozenset({"None", "null", "nan", "NaN", "<NA>"})


def _format(stat: str, value: object, delta: bool = False) -> str:
    spec = _SHOWN.get(stat, ("", "{:.4g}"))[1]
    # One symbol for "not computed" in every table: runs.parquet hands back a missing value as
    # None, NaN, pd.NA (nullable counts) or the text "None" (a column of mixed kinds is JSON text).
    if isinstance(value, str) and len(value) > 1 and value[0] == value[-1] == '"':
        value = value[1:-1]  # a JSON text cell: "insufficient" reads as written
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, str) and value in _NOT_COMPUTED_TEXT):
        return format_stat(None, spec)
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


def _sufficient(table: pd.DataFrame) -> dict[str, bool]:
    if SUFFICIENT not in table.columns:
        return {}
    return {
        r: bool(v) if isinstance(v, bool | np.bool_) else False
        for r, v in zip(table["run_id"], table[SUFFICIENT], strict=True)
    }


def ablation_table(
    table: pd.DataFrame,
    baseline: str,
    grid_keys: list[str],
    returns: dict[str, pd.DataFrame] | None = None,
    settings: StatsSection | None = None,
) -> pd.DataFrame:
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
    returns : dict[str, pd.DataFrame], optional
        The runs' return series by run id (``backtest.sweep.store.load_returns``): with them each
        variant gets paired bootstrap intervals.
    settings : StatsSection, optional
        The bootstrap's settings (default: ``StatsSection()``).

    Returns
    -------
    pd.DataFrame
        ``base``, ``ablation``, ``runs`` (completed), ``failed``, the mean of each compared
        statistic, and ``delta_<stat>``: the mean of variant − baseline over the contexts where
        both completed (NaN where none did, or the statistic is undefined, e.g. a one-day Sharpe).
        With ``returns``, ``ci_<stat>`` for total return, Sharpe and max drawdown: an
        ``Interval`` of the mean difference over the matched contexts, ``"insufficient"`` or
        ``None`` (the baseline rows have none).

    """
    if table.empty:
        return pd.DataFrame()
    context = table[context_columns(grid_keys)].astype(str).agg("|".join, axis=1)
    keyed = table.assign(_context=context)
    done = keyed[keyed["status"] == OK]
    reference = done[done["ablation"] == baseline].set_index("_context")
    settings = settings or StatsSection()
    ppy = periods_per_year(done) if returns is not None else None
    sufficient = _sufficient(done)
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
        row["short"] = bool(len(completed)) and not any(
            sufficient.get(r, True) for r in completed["run_id"]
        )
        for i, stat in enumerate(COMPARED):
            row[stat] = _nanmean(means[:, i])
            row[f"delta_{stat}"] = _nanmean(diff[:, i])
        if ppy is not None:
            pairs = list(
                zip(reference.loc[matched["_context"], "run_id"], matched["run_id"], strict=True)
            )
            found = (
                paired_deltas(pairs, returns, sufficient, settings, ppy)
                if ablation != baseline
                else dict.fromkeys(BOOTSTRAPPED)
            )
            for stat in BOOTSTRAPPED:
                row[f"ci_{stat}"] = found[stat]
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


def delta_cell(stat: str, delta: object, interval: object = None) -> str:
    """
    Return a difference with its interval: ``+1.20% [-0.40%, +2.80%]``, and `` *`` if it excludes 0.

    Parameters
    ----------
    stat : str
        The statistic (chooses the format).
    delta : object
        The mean difference of the statistics (shown when there is no interval).
    interval : Interval | str | None
        The paired bootstrap interval, ``"insufficient"``, or ``None``.

    Returns
    -------
    str

    """
    if isinstance(interval, Interval):
        text = (
            f"{_format(stat, interval.estimate, True)} "
            f"[{_format(stat, interval.low, True)}, {_format(stat, interval.high, True)}]"
        )
        return text + (SIGNIFICANT if interval.excludes_zero else "")
    if interval == INSUFFICIENT:
        shown = _format(stat, delta, True)
        return INSUFFICIENT if shown == "–" else f"{shown} ({INSUFFICIENT} for an interval)"
    return _format(stat, delta, True)


def _interval_title(frame: pd.DataFrame, settings: StatsSection | None) -> str:
    if not any(c.startswith("ci_") for c in frame.columns):
        return ""
    confidence = (settings or StatsSection()).confidence
    return (
        f"; [{confidence:.0%} paired stationary block bootstrap interval], "
        "* the interval excludes zero"
    )


def ablation_display(
    frame: pd.DataFrame, baseline: str, settings: StatsSection | None = None
) -> Display:
    """Return the ablation table for display (with intervals when ``frame`` has them)."""
    headers = ["base", "ablation", "runs", "failed"]
    for stat in COMPARED:
        headers += [_label(stat), f"Δ {_label(stat)}"]
    rows = []
    for record in frame.to_dict("records"):
        cells = [record["base"], record["ablation"], str(record["runs"]), str(record["failed"])]
        for stat in COMPARED:
            cells.append(_shown(stat, record[stat], record.get("short", False)))
            cells.append(
                ""
                if record["ablation"] == baseline
                else delta_cell(stat, record[f"delta_{stat}"], record.get(f"ci_{stat}"))
            )
        rows.append(cells)
    title = f"Ablations against {baseline!r} (means over matched runs{_interval_title(frame, settings)})"
    return Display(title, headers, rows)


def grid_table(
    table: pd.DataFrame,
    grid_keys: list[str],
    metric: str,
    baseline: str,
    top: int,
    returns: dict[str, pd.DataFrame],
    settings: StatsSection | None = None,
) -> pd.DataFrame:
    """
    Return the best grid points of each base (baseline ablation) against the best one.

    Parameters
    ----------
    table : pd.DataFrame
        The sweep's rows.
    grid_keys : list[str]
        The grid's dotted keys (none: an empty table).
    metric : str
        Ranks the grid points by their mean over periods and seeds (a base where it is undefined
        for every point is left out).
    baseline : str
        The ablation whose grid is compared.
    top : int
        How many points per base (the best included).
    returns : dict[str, pd.DataFrame]
        Return series by run id.
    settings : StatsSection, optional
        The bootstrap's settings.

    Returns
    -------
    pd.DataFrame
        ``base``, ``point`` (``key=value`` text), ``runs``, ``metric`` (its mean), ``best`` (this
        is the reference), ``delta_<stat>`` and ``ci_<stat>``: point − best over matched
        periods and seeds.

    """
    done = table[(table["status"] == OK) & (table["ablation"] == baseline)]
    if not grid_keys or done.empty or metric not in done.columns:
        return pd.DataFrame()
    settings = settings or StatsSection()
    ppy = periods_per_year(done)
    sufficient = _sufficient(done)
    done = done.assign(
        _m=pd.to_numeric(done[metric], errors="coerce"),
        _point=done[grid_keys]
        .astype(str)
        .agg(
            lambda v: ", ".join(
                f"{k.rsplit('.', 1)[-1]}={x}" for k, x in zip(grid_keys, v, strict=True)
            ),
            axis=1,
        ),
        _context=done[["period", "seed"]].astype(str).agg("|".join, axis=1),
    )
    rows = []
    for base, group in done.groupby("base", sort=False):
        scores = group.groupby("_point", sort=False)["_m"].mean()
        if len(scores) < 2 or not np.isfinite(scores.to_numpy(dtype=float)).any():
            continue  # no best point without a defined metric (e.g. every Sharpe insufficient)
        ranked = scores.sort_values(ascending=metric in LOWER_IS_BETTER, na_position="last")
        best = ranked.index[0]
        reference = group[group["_point"] == best].set_index("_context")
        for point in ranked.index[:top]:
            mine = group[(group["_point"] == point) & group["_context"].isin(reference.index)]
            row = {"base": base, "point": point, "runs": int((group["_point"] == point).sum())}
            row["metric"] = float(ranked[point])
            row["best"] = point == best
            diff = _numeric(mine, list(COMPARED)) - _numeric(
                reference.loc[mine["_context"]], list(COMPARED)
            )
            for i, stat in enumerate(COMPARED):
                row[f"delta_{stat}"] = _nanmean(diff[:, i])
            pairs = list(
                zip(reference.loc[mine["_context"], "run_id"], mine["run_id"], strict=True)
            )
            found = (
                paired_deltas(pairs, returns, sufficient, settings, ppy)
                if ppy is not None and point != best
                else dict.fromkeys(BOOTSTRAPPED)
            )
            for stat in BOOTSTRAPPED:
                row[f"ci_{stat}"] = found[stat]
            rows.append(row)
    return pd.DataFrame(rows)


def grid_display(
    frame: pd.DataFrame, metric: str, baseline: str, settings: StatsSection | None = None
) -> Display:
    """Return the grid table for display."""
    stats = [s for s in COMPARED if s != "trades"]
    headers = ["base", "grid point", "runs", _label(metric), *(f"Δ {_label(s)}" for s in stats)]
    rows = []
    for record in frame.to_dict("records"):
        cells = [record["base"], record["point"] + (" (best)" if record["best"] else "")]
        cells += [str(record["runs"]), _format(metric, record["metric"])]
        for stat in stats:
            cells.append(
                ""
                if record["best"]
                else delta_cell(stat, record[f"delta_{stat}"], record.get(f"ci_{stat}"))
            )
        rows.append(cells)
    title = (
        f"Grid points ({baseline!r}) against the best by {metric}"
        f" (means over matched periods and seeds{_interval_title(frame, settings)})"
    )
    return Display(title, headers, rows)


def selection_display(found: Selection, confidence: float = 0.95) -> Display:
    """
    Return the selection-bias verdict: deflated Sharpe ratio of the best trial and PBO.

    Parameters
    ----------
    found : Selection
        ``backtest.sweep.inference.selection``.
    confidence : float, default 0.95
        The level the DSR is read against.

    Returns
    -------
    Display

    """
    rows = []
    dsr = found.deflated
    if dsr is not None:
        # Per-period values, the DSR's own units: an annualised Sharpe ratio of a few days'
        # returns would be "insufficient" in the run's own statistics.
        unit = frequency_label(round(YEAR_SECS / found.ppy))
        rows.append(["best trial", found.best or "", f"{dsr.n_trials} trials compared"])
        rows.append(
            [
                f"Sharpe of the best (per {unit} return)",
                f"{dsr.sharpe:.4f}",
                f"{dsr.n_returns} returns, skew {dsr.skew:.2f}, kurtosis {dsr.kurtosis:.2f}",
            ]
        )
        rows.append(
            [
                "expected best of unskilled trials",
                f"{dsr.expected_max:.4f}",
                f"from the variance of the trials' Sharpe ratios, {dsr.variance:.3g}",
            ]
        )
        verdict = (
            f"{INSUFFICIENT} sample"
            if not found.sufficient
            else (
                f"significant at {confidence:.0%}"
                if dsr.dsr >= confidence
                else f"not significant at {confidence:.0%}"
            )
        )
        rows.append(["deflated Sharpe ratio", f"{dsr.dsr:.3f}", verdict])
    pbo = found.overfitting
    if pbo is not None:
        reading = "overfit more likely than not" if pbo.pbo > 0.5 else "in-sample winners hold up"
        rows.append(
            [
                "probability of backtest overfitting",
                f"{pbo.pbo:.3f}",
                f"CSCV over {pbo.n_splits} splits of {pbo.n_blocks} blocks ({found.pbo_note}); {reading}",
            ]
        )
    else:
        rows.append(["probability of backtest overfitting", "–", found.pbo_note])
    return Display(
        "Selection bias (Bailey & López de Prado 2014; Bailey, Borwein, López de Prado & Zhu 2017)",
        ["measure", "value", "reading"],
        rows,
        left=1,
    )


def top_display(frame: pd.DataFrame, metric: str) -> Display:
    """Return the top runs for display: label, the metric, then the compared statistics."""
    stats = [metric, *(s for s in COMPARED if s != metric)]
    order = "lowest" if metric in LOWER_IS_BETTER else "highest"
    rows = [
        [
            str(i),
            record["label"],
            record["run_id"],
            *(_shown(s, record.get(s), _is_short(record.get(SUFFICIENT))) for s in stats),
        ]
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
    # Cells are text, not rich markup: "[-0.8%, +4.3%]" and "[[periods]]" must print as written.
    table = Table(title=escape(display.title), title_justify="left")
    for i, header in enumerate(display.headers):
        table.add_column(
            escape(header), justify="left" if i < display.left else "right", overflow="fold"
        )
    for row in display.rows:
        table.add_row(*(escape(cell) for cell in row))
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
    grid_keys = list(runs[0].grid) if runs else []
    settings = runs[0].config.stats if runs else StatsSection()
    done = table[table["status"] == OK]
    returns = load_returns(results_root(spec), done["run_id"].tolist())
    if len(spec.ablation_sets()) > 1:
        frame = ablation_table(table, spec.sweep.baseline, grid_keys, returns, settings)
        displays.append(ablation_display(frame, spec.sweep.baseline, settings))
    metric = spec.sweep.metric
    grid = grid_table(
        table, grid_keys, metric, spec.sweep.baseline, spec.sweep.top, returns, settings
    )
    if not grid.empty:
        displays.append(grid_display(grid, metric, spec.sweep.baseline, settings))
    found = (
        selection(done, grid_keys, spec.windows(), returns, settings) if not done.empty else None
    )
    if found is not None:
        displays.append(selection_display(found, settings.confidence))
    try:
        displays.append(top_display(top_runs(table, metric, spec.sweep.top), metric))
    except ValueError as e:
        # A strategy may add statistics, so the metric is checked against the results, not a list.
        displays.append(Display(f"{e} (none completed, or a misspelt name)", [], []))
    if (table["status"] == FAILED).any():
        displays.append(failures_display(table))
    return displays
