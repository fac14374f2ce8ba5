"""The ablation table compares each variant with the baseline of the same context; top-N ranks."""

import math

import pandas as pd
import pytest

from backtest.sweep.html import heatmaps
from backtest.sweep.summary import ablation_display
from backtest.sweep.summary import ablation_table
from backtest.sweep.summary import top_runs

GRID = "strategy.params.fast_period"


def result(base: str, ablation: str, fast: int, status: str = "ok", **stats: float) -> dict:
    """Return a store row of one run."""
    return {
        "run_id": f"{base}-{ablation}-{fast}",
        "label": f"{base}/{ablation}/fast_period={fast}",
        "base": base,
        "ablation": ablation,
        "period": "2024-01-01..2024-01-04",
        "seed": 42,
        GRID: fast,
        "status": status,
        **stats,
    }


def stats(ret: float, sharpe: float | None, mdd: float, trades: int) -> dict:
    """Return the compared statistics."""
    return {"total_return": ret, "sharpe": sharpe, "max_drawdown": mdd, "trades": trades}


@pytest.fixture
def table() -> pd.DataFrame:
    """Return two bases, a baseline and a variant on a two-point grid; one variant run failed."""
    return pd.DataFrame(
        [
            result("A", "baseline", 5, **stats(0.02, 1.0, 0.01, 10)),
            result("A", "no_gate", 5, **stats(0.01, 0.5, 0.02, 14)),
            result("A", "baseline", 10, **stats(0.04, 2.0, 0.03, 20)),
            result("A", "no_gate", 10, status="failed"),
            result("B", "baseline", 5, **stats(0.00, None, 0.00, 0)),
            result("B", "no_gate", 5, **stats(-0.01, None, 0.01, 3)),
        ],
    )


def test_a_variant_is_compared_with_the_baseline_of_its_own_base_and_grid_point(table):
    # Act
    frame = ablation_table(table, "baseline", [GRID]).set_index(["base", "ablation"])

    # Assert
    a = frame.loc[("A", "no_gate")]
    assert (a["runs"], a["failed"]) == (1, 1)
    assert a["delta_total_return"] == pytest.approx(-0.01)
    assert a["delta_sharpe"] == pytest.approx(-0.5)
    assert a["delta_max_drawdown"] == pytest.approx(0.01)
    assert a["delta_trades"] == pytest.approx(4)
    b = frame.loc[("B", "no_gate")]
    assert b["delta_total_return"] == pytest.approx(-0.01)
    assert math.isnan(b["delta_sharpe"])  # undefined on both sides
    assert frame.loc[("A", "baseline"), "delta_total_return"] == 0.0


def test_the_ablation_display_leaves_the_baselines_deltas_blank_and_signs_the_others(table):
    # Arrange
    frame = ablation_table(table, "baseline", [GRID])

    # Act
    display = ablation_display(frame, "baseline")

    # Assert
    rows = {(r[0], r[1]): dict(zip(display.headers, r, strict=True)) for r in display.rows}
    assert rows[("A", "baseline")]["Δ return"] == ""
    assert rows[("A", "no_gate")]["Δ return"] == "-1.00%"
    assert rows[("A", "no_gate")]["Δ trades"] == "+4"
    assert rows[("B", "no_gate")]["Δ Sharpe"] == "–"


def test_top_runs_rank_by_the_metric_and_lower_is_better_for_drawdown(table):
    # Act
    by_sharpe = top_runs(table, "sharpe", 2)["label"].tolist()
    by_drawdown = top_runs(table, "max_drawdown", 2)["label"].tolist()

    # Assert
    assert by_sharpe == ["A/baseline/fast_period=10", "A/baseline/fast_period=5"]
    assert by_drawdown == ["B/baseline/fast_period=5", "A/baseline/fast_period=5"]


def test_a_metric_that_is_not_a_column_is_named_in_the_error(table):
    # Act / Assert
    with pytest.raises(ValueError, match="sweep.metric = 'sharp': not a column"):
        top_runs(table, "sharp", 3)


def test_a_two_key_grid_gets_a_heatmap_per_base_and_ablation():
    # Arrange
    rows = [
        {**result("A", ablation, fast), "strategy.params.slow_period": slow, "sharpe": fast / slow}
        for ablation in ("baseline", "no_gate")
        for fast in (5, 10)
        for slow in (20, 40)
    ]

    # Act
    figures = heatmaps(pd.DataFrame(rows), [GRID, "strategy.params.slow_period"], "sharpe")

    # Assert
    assert [f.layout.title.text for f in figures] == ["sharpe: A / baseline", "sharpe: A / no_gate"]
    z = figures[0].data[0].z
    assert z[0][0] == pytest.approx(5 / 20) and z[1][1] == pytest.approx(10 / 40)
