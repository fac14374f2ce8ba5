"""Sweep deltas with paired bootstrap intervals, the grid against its best point, DSR and PBO."""

import io
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from backtest.config import StatsSection
from backtest.statistics.bootstrap import Interval
from backtest.statistics.bootstrap import paired_intervals
from backtest.statistics.selection import deflated_sharpe
from backtest.statistics.selection import overfitting_probability
from backtest.sweep.backends import LocalBackend
from backtest.sweep.html import display_html
from backtest.sweep.inference import paired_deltas
from backtest.sweep.inference import selection
from backtest.sweep.runner import run_sweep
from backtest.sweep.spec import Window
from backtest.sweep.store import RunStore
from backtest.sweep.store import load_returns
from backtest.sweep.store import returns_path
from backtest.sweep.summary import ablation_display
from backtest.sweep.summary import ablation_table
from backtest.sweep.summary import grid_display
from backtest.sweep.summary import grid_table
from backtest.sweep.summary import selection_display
from backtest.sweep.summary import top_display
from backtest.sweep.summary import top_runs
from backtest.sweep.task import RETURNS_KEY
from tests.sweep.conftest import write_spec

GRID = "strategy.params.fast_period"
HOUR = 3_600_000_000_000
T0 = int(pd.Timestamp("2024-01-01", tz="UTC").value)
SETTINGS = StatsSection(bootstrap_resamples=400, min_returns=30, min_days=1.0)


def series(values: np.ndarray, start: int = T0) -> pd.DataFrame:
    """Return a stored return series: hourly interval ends from ``start``."""
    return pd.DataFrame({"ts": start + HOUR * np.arange(1, len(values) + 1), "ret": values})


def row(base: str, ablation: str, fast: int, period: str = "p", **values: object) -> dict:
    """Return a completed store row."""
    return {
        "run_id": f"{base}-{ablation}-{fast}-{period}",
        "label": f"{base}/{ablation}/fast_period={fast}/{period}",
        "base": base,
        "ablation": ablation,
        "period": period,
        "seed": 42,
        GRID: fast,
        "status": "ok",
        "sample.interval_secs": 3_600,
        "sample.sufficient": True,
        **values,
    }


def stats_of(values: np.ndarray) -> dict:
    """Return the compared statistics of a return series (as stats.json would hold them)."""
    curve = np.r_[1.0, np.cumprod(1.0 + values)]
    return {
        "total_return": curve[-1] - 1.0,
        "sharpe": values.mean() / values.std(ddof=1) * np.sqrt(8760),
        "max_drawdown": float(np.max(1.0 - curve / np.maximum.accumulate(curve))),
        "trades": 10,
    }


@pytest.fixture
def ablated() -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Return a baseline and two variants on two grid points: one with an edge, one identical."""
    rng = np.random.default_rng(0)
    rows, returns = [], {}
    for fast in (5, 10):
        base = rng.normal(0.0, 0.01, 200)
        for ablation, values in (
            ("baseline", base),
            ("edge", base + 0.001),
            ("same", base.copy()),
        ):
            record = row("A", ablation, fast, **stats_of(values))
            rows.append(record)
            returns[record["run_id"]] = series(values)
    return pd.DataFrame(rows), returns


def test_a_variants_delta_gets_the_paired_interval_over_its_matched_grid_points(ablated):
    # Arrange
    table, returns = ablated

    # Act
    frame = ablation_table(table, "baseline", [GRID], returns, SETTINGS).set_index("ablation")

    # Assert: the same interval as resampling the two aligned pairs directly
    pairs = [
        (returns[f"A-baseline-{f}-p"]["ret"].to_numpy(), returns[f"A-edge-{f}-p"]["ret"].to_numpy())
        for f in (5, 10)
    ]
    direct = paired_intervals([pairs], 8760.0, 400, 0.95, 0)
    edge = frame.loc["edge"]
    for stat in ("total_return", "sharpe", "max_drawdown"):
        assert edge[f"ci_{stat}"] == direct[stat]
    assert edge["ci_total_return"].estimate == pytest.approx(edge["delta_total_return"])
    assert edge["ci_total_return"].excludes_zero
    assert frame.loc["same", "ci_sharpe"] == Interval(0.0, 0.0, 0.0)
    assert frame.loc["baseline", "ci_sharpe"] is None


def test_the_ablation_display_shows_each_delta_with_its_interval_and_marks_significance(ablated):
    # Arrange
    table, returns = ablated
    frame = ablation_table(table, "baseline", [GRID], returns, SETTINGS)

    # Act
    display = ablation_display(frame, "baseline", SETTINGS)

    # Assert
    rows = {r[1]: dict(zip(display.headers, r, strict=True)) for r in display.rows}
    edge = frame.set_index("ablation").loc["edge", "ci_total_return"]
    assert rows["edge"]["Δ return"] == (
        f"{edge.estimate:+.2%} [{edge.low:+.2%}, {edge.high:+.2%}] *"
    )
    assert rows["same"]["Δ return"] == "+0.00% [+0.00%, +0.00%]"
    assert rows["baseline"]["Δ return"] == ""
    assert "95% paired stationary block bootstrap interval" in display.title


def test_a_sharpe_delta_of_runs_too_short_to_annualise_is_insufficient(ablated):
    # Arrange
    table, returns = ablated
    table = table.assign(**{"sample.sufficient": False, "sharpe": None})

    # Act
    frame = ablation_table(table, "baseline", [GRID], returns, SETTINGS)
    display = ablation_display(frame, "baseline", SETTINGS)

    # Assert
    assert frame.set_index("ablation").loc["edge", "ci_sharpe"] == "insufficient"
    assert isinstance(frame.set_index("ablation").loc["edge", "ci_total_return"], Interval)
    cells = {r[1]: dict(zip(display.headers, r, strict=True)) for r in display.rows}
    assert cells["edge"]["Δ Sharpe"] == "insufficient"
    assert cells["edge"]["Sharpe"] == cells["baseline"]["Sharpe"] == "insufficient"
    top = top_display(top_runs(table, "total_return", 2), "total_return")
    assert {r[top.headers.index("Sharpe")] for r in top.rows} == {"insufficient"}


def test_grid_points_are_compared_with_the_best_point_on_the_same_periods():
    # Arrange: three grid points over two periods; fast=10 has the edge
    rng = np.random.default_rng(1)
    rows, returns = [], {}
    for period, start in (("p1", T0), ("p2", T0 + 1_000 * HOUR)):
        common = rng.normal(0.0, 0.01, 100)
        for fast, edge in ((5, 0.0), (10, 0.002), (20, 0.0005)):
            values = common + edge + rng.normal(0.0, 0.001, 100)
            record = row("A", "baseline", fast, period, **stats_of(values))
            rows.append(record)
            returns[record["run_id"]] = series(values, start)
    table = pd.DataFrame(rows)

    # Act
    frame = grid_table(table, [GRID], "total_return", "baseline", 10, returns, SETTINGS)
    display = grid_display(frame, "total_return", "baseline", SETTINGS)

    # Assert
    by_point = frame.set_index("point")
    assert by_point["best"].to_dict() == {
        "fast_period=10": True,
        "fast_period=20": False,
        "fast_period=5": False,
    }
    assert list(by_point.index) == ["fast_period=10", "fast_period=20", "fast_period=5"]
    pairs = [
        [
            (
                returns[f"A-baseline-10-{p}"]["ret"].to_numpy(),
                returns[f"A-baseline-5-{p}"]["ret"].to_numpy(),
            )
        ]
        for p in ("p1", "p2")
    ]
    direct = paired_intervals(pairs, 8760.0, 400, 0.95, 0)
    assert by_point.loc["fast_period=5", "ci_total_return"] == direct["total_return"]
    assert by_point.loc["fast_period=5", "ci_total_return"].high < 0
    assert display.rows[0][1] == "fast_period=10 (best)" and display.rows[0][4] == ""


def windows(count: int, hours: int) -> list[Window]:
    """Return ``count`` consecutive windows of ``hours`` from T0."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return [
        Window(
            start=start + i * timedelta(hours=hours), end=start + (i + 1) * timedelta(hours=hours)
        )
        for i in range(count)
    ]


def windowed(count: int) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], list[Window]]:
    """Return four grid points run over ``count`` windows of 40 hourly returns."""
    rng = np.random.default_rng(2)
    spans = windows(count, 40)
    rows, returns = [], {}
    for i, window in enumerate(spans):
        for fast in (5, 10, 20, 40):
            values = rng.normal(0.0005 if fast == 10 else 0.0, 0.01, 40)
            record = row("A", "baseline", fast, window.label())
            rows.append(record)
            returns[record["run_id"]] = series(values, T0 + i * 40 * HOUR)
    return pd.DataFrame(rows), returns, spans


def test_selection_deflates_the_best_trial_over_its_joined_windows_and_runs_cscv_per_window():
    # Arrange
    table, returns, spans = windowed(8)

    # Act
    found = selection(table, [GRID], spans, returns, SETTINGS)

    # Assert: by hand, each trial's windows joined in time order, one CSCV block per window
    joined = {
        fast: np.concatenate([returns[f"A-baseline-{fast}-{w.label()}"]["ret"] for w in spans])
        for fast in (5, 10, 20, 40)
    }
    expected = deflated_sharpe(list(joined.values()))
    assert found.deflated == expected
    assert found.best == "A/baseline/fast_period=" + str(list(joined)[expected.best])
    matrix = np.column_stack(list(joined.values()))
    pbo = overfitting_probability(matrix, np.repeat(np.arange(8), 40))
    assert found.overfitting.pbo == pbo.pbo
    assert found.overfitting.n_splits == 70


def test_pbo_needs_eight_disjoint_windows_and_an_odd_count_drops_the_earliest():
    # Arrange
    few = windowed(7)
    odd = windowed(9)

    # Act
    short = selection(few[0], [GRID], few[2], few[1], SETTINGS)
    nine = selection(odd[0], [GRID], odd[2], odd[1], SETTINGS)

    # Assert
    assert short.overfitting is None and "needs at least 8 windows" in short.pbo_note
    assert short.deflated is not None
    assert nine.overfitting.n_blocks == 8 and "the earliest left out" in nine.pbo_note


def test_the_store_keeps_each_runs_returns_beside_the_table(tmp_path):
    # Arrange
    frame = series(np.array([0.01, -0.02, 0.005]))

    # Act
    with RunStore(tmp_path) as store:
        store.add([{"run_id": "r1", "label": "a", "status": "ok", RETURNS_KEY: frame}])
        store.add([{"run_id": "r2", "label": "b", "status": "failed"}])
    table = pd.read_parquet(tmp_path / "runs.parquet")

    # Assert
    assert RETURNS_KEY not in table.columns
    assert returns_path(tmp_path, "r1").exists() and not returns_path(tmp_path, "r2").exists()
    loaded = load_returns(tmp_path, ["r1", "r2"])
    assert list(loaded) == ["r1"]
    pd.testing.assert_frame_equal(loaded["r1"], frame)


@pytest.mark.slow
def test_a_sweep_stores_returns_and_its_summary_shows_intervals_and_selection(
    tiny_catalog, tmp_path
):
    # Arrange: 5-minute returns over the tiny catalog's 4 hours (48 returns)
    body = (
        "[overrides]\nstats.return_interval_secs = 300\nstats.min_days = 0.1\n"
        "stats.bootstrap_resamples = 200\n"
        "[ablations.baseline]\n[ablations.small]\nstrategy.params.trade_notional = 5000.0"
    )
    spec = write_spec(tmp_path, tiny_catalog, body)

    # Act
    outcome = run_sweep(
        spec, LocalBackend(1, 1), console=Console(file=io.StringIO()), progress=False
    )

    # Assert
    assert (outcome.table["status"] == "ok").all()
    assert outcome.table["sample.returns"].tolist() == [48, 48]
    assert all(returns_path(outcome.folder, r).exists() for r in outcome.table["run_id"])
    ablations = outcome.displays[0]
    small = next(r for r in ablations.rows if r[1] == "small")
    assert "[" in small[ablations.headers.index("Δ return")]
    assert "[" in small[ablations.headers.index("Δ Sharpe")]
    titles = [d.title for d in outcome.displays]
    assert any(t.startswith("Selection bias") for t in titles)
    page = outcome.summary.read_text()
    assert "Selection bias" in page and "deflated Sharpe ratio" in page


def test_the_html_summary_sets_significant_differences_apart(ablated):
    # Arrange
    table, returns = ablated
    display = ablation_display(
        ablation_table(table, "baseline", [GRID], returns, SETTINGS), "baseline"
    )

    # Act
    page = display_html(display)

    # Assert
    assert page.count('class="num sig"') == 3  # the edge variant's return, Sharpe and max DD
    assert "[+0.00%, +0.00%]</td>" in page


def test_the_selection_display_gives_the_dsr_verdict_and_pbo_in_per_period_units():
    # Arrange
    table, returns, spans = windowed(8)
    found = selection(table, [GRID], spans, returns, SETTINGS)

    # Act
    display = selection_display(found, 0.95)

    # Assert
    rows = {r[0]: r[1:] for r in display.rows}
    assert rows["Sharpe of the best (per 1h return)"][0] == f"{found.deflated.sharpe:.4f}"
    dsr = found.deflated.dsr
    verdict = "significant at 95%" if dsr >= 0.95 else "not significant at 95%"
    assert rows["deflated Sharpe ratio"] == [f"{dsr:.3f}", verdict]
    assert rows["probability of backtest overfitting"][0] == f"{found.overfitting.pbo:.3f}"
    assert "70 splits of 8 blocks" in rows["probability of backtest overfitting"][1]


def test_short_windows_count_together_toward_the_minimum_sample():
    # Arrange: 8 windows of 5 returns: 40 together, above a minimum of 30, each below it
    rng = np.random.default_rng(3)
    returns, pairs = {}, []
    for i in range(8):
        start = T0 + i * 5 * HOUR
        returns[f"b{i}"] = series(rng.normal(0, 0.01, 5), start)
        returns[f"v{i}"] = series(rng.normal(0, 0.01, 5), start)
        pairs.append((f"b{i}", f"v{i}"))
    sufficient = dict.fromkeys(returns, True)

    # Act
    together = paired_deltas(pairs, returns, sufficient, SETTINGS, 8760.0)
    few = paired_deltas(pairs[:5], returns, sufficient, SETTINGS, 8760.0)

    # Assert
    assert isinstance(together["total_return"], Interval)
    assert few == dict.fromkeys(("total_return", "sharpe", "max_drawdown"), "insufficient")


def test_no_grid_table_when_the_metric_is_undefined_for_every_point():
    # Arrange
    table, returns, _ = windowed(2)
    table = table.assign(sharpe=None)

    # Act
    frame = grid_table(table, [GRID], "sharpe", "baseline", 10, returns, SETTINGS)

    # Assert
    assert frame.empty


def test_more_than_sixteen_windows_are_grouped_into_sixteen_blocks():
    # Arrange
    table, returns, spans = windowed(20)

    # Act
    found = selection(table, [GRID], spans, returns, SETTINGS)

    # Assert: window i of 20 falls in block i * 16 // 20
    assert found.overfitting.n_blocks == 16 and found.overfitting.n_splits == 12_870
    joined = np.column_stack(
        [
            np.concatenate([returns[f"A-baseline-{f}-{w.label()}"]["ret"] for w in spans])
            for f in (5, 10, 20, 40)
        ]
    )
    blocks = np.repeat([i * 16 // 20 for i in range(20)], 40)
    assert found.overfitting.pbo == overfitting_probability(joined, blocks).pbo
