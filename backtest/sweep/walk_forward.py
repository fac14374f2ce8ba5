"""
Walk-forward optimisation: choose on each train window, run the choice on the test window after it.

``[walk_forward]`` with ``train`` and ``test`` (``backtest.sweep.spec.WalkForward``) makes the
sweep's runs on every fold's train window (role ``train``). Then, for each base config and
ablation, the grid point with the best ``[sweep] metric`` on a fold's train window (the mean over
seeds; undefined values never win; ties go to the first point of the grid) is run on that fold's
test window, once per seed (role ``test``, label ending in ``TEST_SUFFIX``), in the sweep's
fidelity. A chain (base, ablation, seed) stitches its test windows' returns, in time order, into
one out-of-sample curve: that curve's total return, Sharpe ratio and max drawdown, with their
stationary block bootstrap intervals, are the walk-forward's result; the chosen points' train
results are its in-sample counterpart.

"""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from backtest.config import StatsSection
from backtest.config import parse_config
from backtest.statistics.bootstrap import Interval
from backtest.statistics.bootstrap import run_intervals
from backtest.statistics.sample import INSUFFICIENT
from backtest.statistics.sample import YEAR_SECS
from backtest.stats import max_drawdown
from backtest.stats import sharpe_ratio
from backtest.sweep.expand import SweepRun
from backtest.sweep.keys import with_overrides
from backtest.sweep.spec import Fold
from backtest.sweep.spec import SweepSpec
from backtest.sweep.store import load_returns
from backtest.sweep.summary import LOWER_IS_BETTER
from backtest.sweep.summary import Display
from backtest.sweep.task import OK

TRAIN, TEST = "train", "test"
TEST_SUFFIX = " [oos]"
FOLDS_FILE = "walk_forward.parquet"
CURVE_FILE = "walk_forward_oos.parquet"
DAY_SECS = 86_400


@dataclass(frozen=True)
class Choice:
    """
    The grid point chosen on one fold's train window for one base config and ablation.

    Parameters
    ----------
    base, ablation : str
        Which runs competed.
    fold : int
        The fold.
    point : str
        The chosen grid point (``key=value, ...``; ``""`` without a grid).
    score : float
        Its metric on the train window (mean over seeds).
    compared : int
        How many grid points had a defined metric.
    train_runs : tuple[SweepRun, ...]
        The chosen point's train runs, one per seed.

    """

    base: str
    ablation: str
    fold: int
    point: str
    score: float
    compared: int
    train_runs: tuple[SweepRun, ...]


def point_text(run: SweepRun) -> str:
    """Return a run's grid point as ``key=value`` pairs (the last part of each dotted key)."""
    return ", ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in run.grid.items())


def _metric(table: pd.DataFrame, metric: str) -> dict[tuple[str, str], float]:
    if table.empty or metric not in table.columns:
        return {}
    done = table[table["status"] == OK]
    values = pd.to_numeric(done[metric], errors="coerce").to_numpy(dtype=float)
    return dict(zip(zip(done["run_id"], done["label"], strict=True), values, strict=True))


def choices(spec: SweepSpec, runs: list[SweepRun], table: pd.DataFrame) -> list[Choice]:
    """
    Return the point chosen on each fold's train window, per base config and ablation.

    Parameters
    ----------
    spec : SweepSpec
        The spec (its metric).
    runs : list[SweepRun]
        The sweep's train runs.
    table : pd.DataFrame
        Their stored rows.

    Returns
    -------
    list[Choice]
        In order base, ablation, fold; a fold where no point has a defined metric is left out.

    """
    metric = spec.sweep.metric
    scores = _metric(table, metric)
    groups: dict[tuple[str, str, int], dict[str, list[SweepRun]]] = {}
    for run in runs:
        if run.role == TRAIN:
            key = (run.base, run.ablation, run.fold)
            groups.setdefault(key, {}).setdefault(point_text(run), []).append(run)
    found = []
    for (base, ablation, fold), points in groups.items():
        means = {}
        for point, members in points.items():
            values = [scores.get((r.run_id, r.label), math.nan) for r in members]
            finite = [v for v in values if math.isfinite(v)]
            if finite:
                means[point] = float(np.mean(finite))
        if not means:
            continue
        sign = 1.0 if metric in LOWER_IS_BETTER else -1.0
        # min() keeps the first of equal scores: ties go to the grid's first point.
        best = min(means, key=lambda p: sign * means[p])
        found.append(
            Choice(base, ablation, fold, best, means[best], len(means), tuple(points[best]))
        )
    return found


def _test_label(run: SweepRun, fold: Fold) -> str:
    parts = run.label.split("/")
    parts[parts.index(fold.train.label())] = fold.test.label()
    return "/".join(parts) + TEST_SUFFIX


def test_runs(spec: SweepSpec, runs: list[SweepRun], table: pd.DataFrame) -> list[SweepRun]:
    """
    Return the out-of-sample runs: each fold's chosen point on its test window.

    Parameters
    ----------
    spec : SweepSpec
        The spec (a walk-forward optimisation, else there are none).
    runs : list[SweepRun]
        The train runs.
    table : pd.DataFrame
        Their stored rows.

    Returns
    -------
    list[SweepRun]
        One per choice and seed, role ``test``.

    """
    if spec.walk_forward is None or not spec.walk_forward.optimises:
        return []
    folds = spec.walk_forward.folds()
    tests = []
    for choice in choices(spec, runs, table):
        fold = folds[choice.fold]
        window = {
            ("period", "start"): fold.test.start.isoformat(),
            ("period", "end"): fold.test.end.isoformat(),
        }
        for run in choice.train_runs:
            label = _test_label(run, fold)
            config = parse_config(with_overrides(run.config.resolved(), window), source=label)
            tests.append(
                SweepRun(
                    run_id=config.config_hash(),
                    label=label,
                    base=run.base,
                    ablation=run.ablation,
                    period=fold.test.label(),
                    seed=run.seed,
                    grid=run.grid,
                    overrides={
                        **run.overrides,
                        "period.start": window[("period", "start")],
                        "period.end": window[("period", "end")],
                    },
                    config=config,
                    role=TEST,
                    fold=choice.fold,
                )
            )
    return tests


def fold_table(
    spec: SweepSpec, runs: list[SweepRun], tests: list[SweepRun], table: pd.DataFrame
) -> pd.DataFrame:
    """
    Return one row per chain and fold: the chosen point, in-sample and out-of-sample results.

    Parameters
    ----------
    spec : SweepSpec
        The spec.
    runs : list[SweepRun]
        The train runs.
    tests : list[SweepRun]
        The test runs (``test_runs``).
    table : pd.DataFrame
        The stored rows of both.

    Returns
    -------
    pd.DataFrame
        ``base``, ``ablation``, ``seed``, ``fold``, ``train``, ``test`` (window labels),
        ``point``, ``compared``, ``is_metric``, ``is_return``, ``oos_metric``, ``oos_return``,
        ``oos_trades``, ``oos_run_id``, ``oos_status``.

    """
    if spec.walk_forward is None or not spec.walk_forward.optimises:
        return pd.DataFrame()
    folds = spec.walk_forward.folds()
    metric = spec.sweep.metric
    rows_by = {
        (r["run_id"], r["label"]): r for r in (table.to_dict("records") if not table.empty else [])
    }
    test_of = {(t.base, t.ablation, str(t.seed), t.fold): t for t in tests}
    rows = []
    for choice in choices(spec, runs, table):
        fold = folds[choice.fold]
        for run in choice.train_runs:
            train_row = rows_by.get((run.run_id, run.label), {})
            test = test_of.get((run.base, run.ablation, str(run.seed), choice.fold))
            test_row = rows_by.get((test.run_id, test.label), {}) if test is not None else {}
            rows.append(
                {
                    "base": run.base,
                    "ablation": run.ablation,
                    # Without [sweep] seeds every run has the base's seed: no chain to tell apart.
                    "seed": str(run.seed) if spec.sweep.seeds else None,
                    "fold": choice.fold,
                    "train": fold.train.label(),
                    "test": fold.test.label(),
                    "point": choice.point,
                    "compared": choice.compared,
                    "is_metric": _number(train_row.get(metric)),
                    "is_return": _number(train_row.get("total_return")),
                    "oos_metric": _number(test_row.get(metric)),
                    "oos_return": _number(test_row.get("total_return")),
                    "oos_trades": _number(test_row.get("trades")),
                    "oos_run_id": test.run_id if test is not None else None,
                    "oos_status": test_row.get("status"),
                }
            )
    return pd.DataFrame(rows)


def _number(value: object) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


@dataclass
class OutOfSample:
    """
    One chain's stitched out-of-sample curve and its statistics.

    Parameters
    ----------
    base, ablation, seed : str
        The chain.
    returns : pd.DataFrame
        ``ts``, ``ret`` and ``equity`` (growth of 1) over every test window, in time order.
    days : float
        The test windows' total length in days.
    total_return : float
        The stitched curve's total return.
    sharpe : float | str | None
        Annualised, ``"insufficient"`` below the ``[stats]`` minimum sample, or ``None``.
    max_drawdown : float
        Of the stitched curve at the return frequency.
    intervals : dict[str, Interval | None | str]
        Bootstrap intervals of ``total_return``, ``sharpe`` and ``max_drawdown`` (or
        ``"insufficient"``).

    """

    base: str
    ablation: str
    seed: str | None
    returns: pd.DataFrame
    days: float
    total_return: float
    sharpe: float | str | None
    max_drawdown: float
    intervals: dict[str, Interval | None | str]


def stitch(
    folds: pd.DataFrame,
    returns: dict[str, pd.DataFrame],
    window_days: float,
    settings: StatsSection,
) -> list[OutOfSample]:
    """
    Return each chain's out-of-sample curve: its test windows' returns joined in time order.

    Parameters
    ----------
    folds : pd.DataFrame
        ``fold_table``.
    returns : dict[str, pd.DataFrame]
        Return series (``ts``, ``ret``) by run id.
    window_days : float
        One test window's length in days.
    settings : StatsSection
        Frequency, minimum sample and bootstrap settings.

    Returns
    -------
    list[OutOfSample]
        One per chain with at least one completed test run.

    """
    if folds.empty:
        return []
    ppy = YEAR_SECS / settings.return_interval_secs
    found = []
    for (base, ablation, seed), chain in folds.groupby(
        ["base", "ablation", "seed"], sort=False, dropna=False
    ):
        parts = [returns[r] for r in chain.sort_values("fold")["oos_run_id"] if r in returns]
        if not parts:
            continue
        joined = pd.concat(parts).sort_values("ts", kind="stable").reset_index(drop=True)
        ret = joined["ret"].to_numpy(dtype=float)
        equity = np.cumprod(1.0 + ret)
        days = window_days * len(parts)
        enough = len(ret) >= settings.min_returns and days >= settings.min_days
        intervals: dict[str, Interval | None | str]
        if len(ret) >= settings.min_returns:
            _, intervals = run_intervals(
                ret, ppy, settings.bootstrap_resamples, settings.confidence, settings.seed
            )
            if not enough:
                intervals["sharpe"] = INSUFFICIENT
        else:
            intervals = dict.fromkeys(("total_return", "sharpe", "max_drawdown"), INSUFFICIENT)
        found.append(
            OutOfSample(
                base=str(base),
                ablation=str(ablation),
                seed=None if seed is None or seed != seed else str(seed),
                returns=joined.assign(equity=equity),
                days=days,
                total_return=float(equity[-1] - 1.0) if len(equity) else 0.0,
                sharpe=sharpe_ratio(ret, ppy) if enough else INSUFFICIENT,
                max_drawdown=max_drawdown(np.r_[1.0, equity]),
                intervals=intervals,
            )
        )
    return found


def _percent(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:+.2%}"


def _metric_text(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:.4g}"


def _with_interval(value: float | str | None, interval: object, spec: str) -> str:
    if isinstance(value, str):
        return value
    if value is None or not math.isfinite(value):
        return "–"
    text = spec.format(value)
    if isinstance(interval, Interval):
        text += f" [{spec.format(interval.low)}, {spec.format(interval.high)}]"
    elif interval == INSUFFICIENT:
        text += f" ({INSUFFICIENT} for an interval)"
    return text


def _chain(base: str, ablation: str, seed: object) -> str:
    return f"{base}/{ablation}" + ("" if seed is None or seed != seed else f"/seed={seed}")


def folds_display(frame: pd.DataFrame, metric: str) -> Display:
    """Return the configuration chosen per window with its in-sample and out-of-sample results."""
    rows = [
        [
            _chain(r["base"], r["ablation"], r["seed"]),
            str(r["fold"] + 1),
            r["train"],
            r["test"],
            r["point"] or "(no grid)",
            str(r["compared"]),
            _metric_text(r["is_metric"]),
            _percent(r["is_return"]),
            _metric_text(r["oos_metric"]),
            _percent(r["oos_return"]),
            _metric_text(r["oos_trades"]),
        ]
        for r in frame.to_dict("records")
    ]
    return Display(
        f"Walk-forward: the point chosen by {metric} on each train window, run on the test window after it",
        [
            "chain",
            "fold",
            "train window",
            "test window",
            "chosen point",
            "points",
            f"{metric} in-sample",
            "return in-sample",
            f"{metric} out-of-sample",
            "return out-of-sample",
            "trades out-of-sample",
        ],
        rows,
        left=5,
    )


def comparison_display(
    frame: pd.DataFrame,
    curves: list[OutOfSample],
    metric: str,
    train_days: float,
    test_days: float,
    confidence: float,
) -> Display:
    """
    Return in-sample against out-of-sample per chain, with the stitched curve's intervals.

    Parameters
    ----------
    frame : pd.DataFrame
        ``fold_table``.
    curves : list[OutOfSample]
        ``stitch``.
    metric : str
        The sweep's metric.
    train_days, test_days : float
        The windows' lengths in days (returns per day compare windows of different lengths).
    confidence : float
        The intervals' coverage.

    Returns
    -------
    Display

    """
    by_chain = {(c.base, c.ablation, c.seed): c for c in curves}
    rows = []
    for (base, ablation, seed), chain in frame.groupby(
        ["base", "ablation", "seed"], sort=False, dropna=False
    ):
        seed = None if seed is None or seed != seed else str(seed)
        curve = by_chain.get((str(base), str(ablation), seed))
        cells = [
            _chain(base, ablation, seed),
            str(len(chain)),
            _metric_text(float(chain["is_metric"].mean())),
            _metric_text(float(chain["oos_metric"].mean())),
            _percent(float(chain["is_return"].mean()) / train_days),
            _percent(float(chain["oos_return"].mean()) / test_days),
        ]
        if curve is None:
            cells += ["–", "–", "–"]
        else:
            cells += [
                _with_interval(curve.total_return, curve.intervals["total_return"], "{:+.2%}"),
                _with_interval(curve.sharpe, curve.intervals["sharpe"], "{:.2f}"),
                _with_interval(curve.max_drawdown, curve.intervals["max_drawdown"], "{:.2%}"),
            ]
        rows.append(cells)
    return Display(
        f"Walk-forward: in-sample vs out-of-sample (means over folds; the stitched out-of-sample "
        f"curve with [{confidence:.0%} stationary block bootstrap intervals])",
        [
            "chain",
            "folds",
            f"{metric} in-sample",
            f"{metric} out-of-sample",
            "return/day in-sample",
            "return/day out-of-sample",
            "stitched return",
            "stitched Sharpe",
            "stitched max DD",
        ],
        rows,
        left=1,
    )


@dataclass
class WalkForwardResult:
    """The walk-forward's tables, its stitched curves and the displays of the summary."""

    folds: pd.DataFrame
    curves: list[OutOfSample]
    displays: list[Display]


def walk_forward_result(
    spec: SweepSpec,
    runs: list[SweepRun],
    tests: list[SweepRun],
    table: pd.DataFrame,
    folder: Path,
    settings: StatsSection,
) -> WalkForwardResult | None:
    """
    Return the walk-forward's results and write them beside ``runs.parquet``.

    Files: ``walk_forward.parquet`` (``fold_table``) and ``walk_forward_oos.parquet`` (each
    chain's stitched returns and equity).

    Parameters
    ----------
    spec : SweepSpec
        The spec.
    runs, tests : list[SweepRun]
        The train and test runs.
    table : pd.DataFrame
        Their stored rows.
    folder : Path
        The sweep's results folder.
    settings : StatsSection
        The runs' ``[stats]`` settings.

    Returns
    -------
    WalkForwardResult | None
        None unless the spec is a walk-forward optimisation.

    """
    walk = spec.walk_forward
    if walk is None or not walk.optimises:
        return None
    frame = fold_table(spec, runs, tests, table)
    returns = load_returns(folder, [r for r in frame.get("oos_run_id", []) if r])
    test_days = walk.test.total_seconds() / DAY_SECS
    curves = stitch(frame, returns, test_days, settings)
    frame.to_parquet(folder / FOLDS_FILE, index=False)
    curve_rows = [
        c.returns.assign(chain=_chain(c.base, c.ablation, c.seed))[["chain", "ts", "ret", "equity"]]
        for c in curves
    ]
    if curve_rows:
        pd.concat(curve_rows).to_parquet(folder / CURVE_FILE, index=False)
    if frame.empty:
        note = Display(
            f"Walk-forward: no train window has a defined {spec.sweep.metric} (nothing was chosen)",
            [],
            [],
        )
        return WalkForwardResult(frame, curves, [note])
    displays = [
        folds_display(frame, spec.sweep.metric),
        comparison_display(
            frame,
            curves,
            spec.sweep.metric,
            walk.train.total_seconds() / DAY_SECS,
            test_days,
            settings.confidence,
        ),
    ]
    return WalkForwardResult(frame, curves, displays)
