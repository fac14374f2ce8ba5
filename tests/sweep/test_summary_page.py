"""The sweep summary page: heatmaps with their runs' intervals, walk-forward, opened in Chromium."""

import re

import numpy as np
import pandas as pd
import pytest

from backtest.config import StatsSection
from backtest.plotly_asset import PLOTLY_FILE
from backtest.sweep.html import heatmaps
from backtest.sweep.html import out_of_sample_figure
from backtest.sweep.html import render_summary
from backtest.sweep.html import write_summary
from backtest.sweep.summary import ablation_display
from backtest.sweep.summary import ablation_table
from backtest.sweep.walk_forward import comparison_display
from backtest.sweep.walk_forward import folds_display
from backtest.sweep.walk_forward import stitch
from tests.browser import open_page

FAST, SLOW = "strategy.params.fast_period", "strategy.params.slow_period"
T0 = pd.Timestamp("2024-01-01", tz="UTC").value
HOUR = 3_600_000_000_000


def _rows() -> list[dict]:
    rows = []
    for ablation in ("baseline", "no_gate"):
        for fast in (5, 10):
            for slow in (20, 40):
                for seed in (1, 2):
                    sharpe = fast / slow + 0.1 * seed
                    rows.append(
                        {
                            "run_id": f"{ablation}-{fast}-{slow}-{seed}",
                            "label": f"A/{ablation}/fast={fast},slow={slow}/seed={seed}",
                            "base": "A",
                            "ablation": ablation,
                            "period": "2024-01-01..2024-01-04",
                            "seed": seed,
                            FAST: fast,
                            SLOW: slow,
                            "status": "ok",
                            "total_return": 0.01 * seed,
                            "sharpe": sharpe,
                            "max_drawdown": 0.02,
                            "trades": 10,
                            "intervals.sharpe.low": sharpe - 1.0 * seed,
                            "intervals.sharpe.high": sharpe + 2.0 * seed,
                        }
                    )
    return rows


def _folds() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "base": "A",
                "ablation": "baseline",
                "seed": None,
                "fold": k,
                "train": f"train {k}",
                "test": f"test {k}",
                "point": f"fast_period={5 * (k + 1)}",
                "compared": 2,
                "is_metric": 0.02,
                "is_return": 0.02,
                "oos_metric": ret,
                "oos_return": ret,
                "oos_trades": 3.0,
                "oos_run_id": f"oos-{k}",
                "oos_status": "ok",
            }
            for k, ret in enumerate((0.01, -0.005))
        ]
    )


def test_heatmap_cells_show_the_mean_metric_with_the_mean_bounds_of_their_runs():
    # Act
    figures = heatmaps(pd.DataFrame(_rows()), [FAST, SLOW], "sharpe")

    # Assert: cell (fast=5, slow=20) holds seeds 1 and 2: sharpe 0.35 and 0.45
    heat = figures[0].data[0]
    assert heat.z[0][0] == pytest.approx(0.4)
    low = np.mean([0.35 - 1.0, 0.45 - 2.0])
    high = np.mean([0.35 + 2.0, 0.45 + 4.0])
    assert heat.text[0][0] == f"{0.4:.4g}<br>[{low:.3g}, {high:.3g}]"


def test_the_stitched_curve_compounds_the_test_windows_in_time_order():
    # Arrange: the second fold's returns are given first
    folds = _folds()
    returns = {
        "oos-1": pd.DataFrame({"ts": T0 + HOUR * np.arange(3, 5), "ret": [0.01, -0.02]}),
        "oos-0": pd.DataFrame({"ts": T0 + HOUR * np.arange(1, 3), "ret": [0.03, 0.005]}),
    }

    # Act
    (curve,) = stitch(folds, returns, 1 / 12, StatsSection())

    # Assert
    assert curve.returns["ret"].tolist() == [0.03, 0.005, 0.01, -0.02]
    assert curve.total_return == pytest.approx(1.03 * 1.005 * 1.01 * 0.98 - 1)
    assert curve.max_drawdown == pytest.approx(1 - 0.98)  # one fall, in the last hour
    assert curve.sharpe == "insufficient" and curve.intervals["sharpe"] == "insufficient"


def test_the_summary_opens_in_chromium_with_its_tables_heatmaps_and_walk_forward(tmp_path):
    # Arrange
    table = pd.DataFrame(_rows())
    settings = StatsSection()
    folds = _folds()
    returns = {
        f"oos-{k}": pd.DataFrame(
            {"ts": T0 + HOUR * np.arange(2 * k, 2 * k + 2), "ret": [0.01, 0.0]}
        )
        for k in range(2)
    }
    curves = stitch(folds, returns, 1 / 12, settings)
    displays = [
        folds_display(folds, "total_return"),
        comparison_display(folds, curves, "total_return", 0.5, 1 / 12, 0.95),
        ablation_display(ablation_table(table, "baseline", [FAST, SLOW]), "baseline"),
    ]
    figures = [out_of_sample_figure(curves), *heatmaps(table, [FAST, SLOW], "sharpe")]

    # Act
    path = write_summary(
        tmp_path / "summary.html", render_summary("page", "16 runs", displays, figures)
    )
    page = open_page(path)

    # Assert
    assert (tmp_path / PLOTLY_FILE).exists() and path.stat().st_size < 100_000
    assert page.errors == []
    headings = re.findall(r"<h2>([^<]*)</h2>", page.dom)
    assert any(h.startswith("Walk-forward: the point chosen") for h in headings)
    assert any(h.startswith("Walk-forward: in-sample vs out-of-sample") for h in headings)
    assert any(h.startswith("Ablations against") for h in headings)
    assert page.dom.count("js-plotly-plot") == len(figures)  # every figure was drawn
    assert page.dom.count('class="hm"') >= 2  # the heatmaps' cells
    assert "stitched out-of-sample equity" in page.dom
