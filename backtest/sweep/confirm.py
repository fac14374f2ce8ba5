"""
Screen fast, confirm exactly: re-run a features-fidelity sweep's best runs in tick fidelity.

``[sweep] fidelity = "features"`` runs every point on precomputed features and conflated quotes;
``[sweep] confirm_top = k`` then re-runs the ``k`` best by the sweep's metric in tick fidelity
(every quote and trade, indicators live). Both results are stored (the confirmation's label ends
in ``CONFIRM_SUFFIX``) and the summary shows them side by side, so a user sees where screening and
confirmation disagree.
"""

import math

import pandas as pd

from backtest.config import parse_config
from backtest.sweep.expand import SweepRun
from backtest.sweep.keys import with_overrides
from backtest.sweep.spec import SweepSpec
from backtest.sweep.summary import Display
from backtest.sweep.summary import top_runs

CONFIRM_SUFFIX = " [tick]"
_TICK = {("data", "fidelity"): "tick", ("data", "quote_conflation_ms"): None}


def confirmation_runs(spec: SweepSpec, runs: list[SweepRun], table: pd.DataFrame) -> list[SweepRun]:
    """
    Return the tick-fidelity re-runs of the ``confirm_top`` best screened runs.

    Parameters
    ----------
    spec : SweepSpec
        The spec.
    runs : list[SweepRun]
        The screening runs.
    table : pd.DataFrame
        Their stored rows.

    Returns
    -------
    list[SweepRun]
        One per distinct chosen config, best first.

    """
    k = spec.sweep.confirm_top
    if k == 0 or table.empty:
        return []
    by_key = {(run.run_id, run.label): run for run in runs}
    best = top_runs(table.drop_duplicates("run_id"), spec.sweep.metric, k)
    confirmed = []
    for run_id, label in zip(best["run_id"], best["label"], strict=True):
        run = by_key[(run_id, label)]
        data = with_overrides(run.config.resolved(), _TICK)
        config = parse_config(data, source=label + CONFIRM_SUFFIX)
        confirmed.append(
            SweepRun(
                run_id=config.config_hash(),
                label=label + CONFIRM_SUFFIX,
                base=run.base,
                ablation=run.ablation,
                period=run.period,
                seed=run.seed,
                grid=run.grid,
                overrides={**run.overrides, "data.fidelity": "tick"},
                config=config,
            ),
        )
    return confirmed


def confirmation_display(
    spec: SweepSpec, table: pd.DataFrame, confirmed: list[SweepRun]
) -> Display | None:
    """
    Return the table of screened vs confirmed results (None without confirmations).

    Columns: the run, its screening rank, the metric and return in features fidelity, the same in
    tick fidelity, and the tick-fidelity rank among the confirmed runs.

    """
    if not confirmed or table.empty:
        return None
    metric = spec.sweep.metric
    rows_by_label = {row["label"]: row for row in table.to_dict("records")}
    pairs = []
    for rank, run in enumerate(confirmed, start=1):
        screened = rows_by_label.get(run.label.removesuffix(CONFIRM_SUFFIX), {})
        exact = rows_by_label.get(run.label, {})
        pairs.append((rank, run.label.removesuffix(CONFIRM_SUFFIX), screened, exact))
    exact_values = [_number(exact.get(metric)) for _, _, _, exact in pairs]
    order = sorted((v, i) for i, v in enumerate(exact_values) if not math.isnan(v))
    if metric not in ("max_drawdown", "fees_paid", "funding_paid", "turnover"):
        order = order[::-1]
    exact_rank = {i: r for r, (_, i) in enumerate(order, start=1)}
    rows = []
    for i, (rank, label, screened, exact) in enumerate(pairs):
        rows.append(
            [
                label,
                str(rank),
                _cell(screened.get(metric)),
                _cell(screened.get("total_return"), percent=True),
                _cell(exact.get(metric)),
                _cell(exact.get("total_return"), percent=True),
                str(exact_rank.get(i, "–")),
            ],
        )
    return Display(
        title=f"Screening (features fidelity) vs confirmation (tick fidelity): top {len(confirmed)} by {metric}",
        headers=[
            "run",
            "rank",
            f"{metric} features",
            "return features",
            f"{metric} tick",
            "return tick",
            "rank tick",
        ],
        rows=rows,
        left=1,
    )


def _number(value: object) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _cell(value: object, percent: bool = False) -> str:
    number = _number(value)
    if math.isnan(number):
        return "–"
    return f"{number:+.2%}" if percent else f"{number:.3g}"
