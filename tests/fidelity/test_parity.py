"""
Features fidelity decides what tick fidelity decides (ToxVol set B on the demo market).

- without conflation (``quote_conflation_ms = 0``): identical fills and decision series;
- with the default conflation: identical decision series at every decision (they do not depend on
  positions or on the execution stream), and most of tick fidelity's round trips;
- cold and warm derived data give identical fills; a re-ingested day invalidates what was derived
  from it, and only that; no look-ahead: a catalog cut at T gives the same fills and features
  before T.
"""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from backtest.config import parse_config
from backtest.fidelity.compare import agreement
from backtest.node import run_backtest
from catalog.layout import derived_dir

ROOT = Path(__file__).resolve().parents[2]
FILL_KEY = ["ts", "side", "qty", "price"]


def run(catalog: Path, end: str | None = None, **data):
    raw = tomllib.loads((ROOT / "configs" / "toxvol_B.toml").read_text())
    raw["catalog"]["path"] = str(catalog)
    if end is not None:
        raw["period"]["end"] = end
    raw["data"].update(data)
    raw["output"] = {"progress": False, "report": False}
    return run_backtest(parse_config(raw))


def decisions(outcome) -> pd.DataFrame:
    series = outcome.series[~outcome.series["name"].str.startswith("count.")]
    return series.pivot_table(index="ts", columns="name", values="value", aggfunc="last")




@pytest.fixture(scope="module")
def outcomes(demo_raw_and_catalog):
    _, catalog = demo_raw_and_catalog
    shutil.rmtree(derived_dir(catalog), ignore_errors=True)
    return {
        "tick": run(catalog),
        "features_cold": run(catalog, fidelity="features"),
        "features_warm": run(catalog, fidelity="features"),
        "features_full_stream": run(catalog, fidelity="features", quote_conflation_ms=0),
    }


@pytest.mark.slow
def test_features_over_the_full_stream_give_tick_fidelitys_fills_and_decisions(outcomes):
    # Arrange
    tick, features = outcomes["tick"], outcomes["features_full_stream"]

    # Act
    tick_fills = tick.fills[FILL_KEY].reset_index(drop=True)
    feature_fills = features.fills[FILL_KEY].reset_index(drop=True)

    # Assert
    assert len(tick_fills) > 50
    pd.testing.assert_frame_equal(feature_fills, tick_fills)
    pd.testing.assert_frame_equal(decisions(features), decisions(tick), rtol=1e-9, atol=0)
    assert features.stats["total_return"] == tick.stats["total_return"]


@pytest.mark.slow
def test_conflated_features_publish_every_decision_of_tick_fidelity(outcomes):
    # Arrange
    tick, features = outcomes["tick"], outcomes["features_warm"]

    # Act
    expected, got = decisions(tick), decisions(features)

    # Assert: the published inputs of every decision, not only those before positions diverge.
    assert len(expected) > 800
    pd.testing.assert_frame_equal(got, expected, rtol=1e-9, atol=0)
    assert features.stats["events"] < tick.stats["events"] / 5


@pytest.mark.slow
def test_conflated_features_match_most_round_trips_of_tick_fidelity(outcomes):
    # Arrange
    tick, features = outcomes["tick"], outcomes["features_warm"]

    # Act
    found = agreement(tick, features, tick_size=0.1)

    # Assert: same entry decision instant and side for at least 80% of tick fidelity's round
    # trips (fills differ in time: orders have a latency and the conflated stream fewer events).
    assert found.tick_round_trips >= 20
    assert found.share >= 0.8


def test_round_trips_are_matched_by_their_entry_decision_not_their_fill():
    # Arrange: entries decided at 100 and 500 (alpha A, then B); fills 25 ns later in one run,
    # 50 ns later in the other; a third decision only in the second run.
    series = pd.DataFrame(
        {
            "ts": [0, 0, 100, 500, 900],
            "name": ["count.alpha_a", "count.alpha_b", "count.alpha_a", "count.alpha_b", "count.alpha_a"],
            "value": [0.0, 0.0, 1.0, 1.0, 2.0],
        }
    )
    tick = SimpleNamespace(
        series=series[series["ts"] < 900],
        positions=pd.DataFrame({"ts_opened": [125, 525], "signed_qty": [1.0, -2.0], "avg_px_open": [100.0, 101.0]}),
        stats={"total_return": 0.01},
    )
    features = SimpleNamespace(
        series=series,
        positions=pd.DataFrame(
            {"ts_opened": [150, 550, 950], "signed_qty": [1.0, -2.0, 1.0], "avg_px_open": [100.2, 101.0, 99.0]}
        ),
        stats={"total_return": 0.02},
    )

    # Act
    found = agreement(tick, features, tick_size=0.1)

    # Assert
    assert (found.tick_round_trips, found.matched) == (2, 2)
    assert found.mean_entry_ticks == pytest.approx(1.0) and found.max_entry_ticks == pytest.approx(2.0)
    assert found.d_return == pytest.approx(0.01)


@pytest.mark.slow
def test_a_warm_cache_reuses_the_derived_data_and_gives_the_cold_runs_fills(outcomes):
    # Arrange
    cold, warm = outcomes["features_cold"], outcomes["features_warm"]

    # Act, Assert
    assert cold.stats["feature_days_built"] == 3
    assert warm.stats["feature_days_built"] == 0
    pd.testing.assert_frame_equal(warm.fills[FILL_KEY], cold.fills[FILL_KEY])


def _drop_lines(path: Path, every: int) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(line for i, line in enumerate(lines) if i == 0 or i % every))


@pytest.mark.slow
def test_re_ingesting_a_day_rebuilds_what_was_derived_from_it_and_nothing_before(
    demo_raw_and_catalog, outcomes, tmp_path
):
    # Arrange: a copy of the market whose second day of trades loses every 50th row.
    raw, catalog = demo_raw_and_catalog
    raw_copy, catalog_copy = tmp_path / "raw", tmp_path / "catalog"
    shutil.copytree(raw, raw_copy)
    shutil.copytree(catalog, catalog_copy)
    day2 = next(raw_copy.rglob("BTCUSDT-aggTrades-2024-01-02.csv"))
    before = {p.name: p.stat().st_mtime_ns for p in derived_dir(catalog_copy).rglob("*.parquet")}
    _drop_lines(day2, every=50)
    subprocess.run(
        [sys.executable, "-m", "etl", "ingest", "--raw", str(raw_copy), "--catalog", str(catalog_copy)],
        cwd=ROOT, check=True, capture_output=True, timeout=300,
    )  # fmt: skip

    # Act
    changed = run(catalog_copy, fidelity="features")

    # Assert: days 2 and 3 rebuilt (day 3's indicators carry day 2's state), day 1 reused.
    assert changed.stats["feature_days_built"] == 2
    after = {p.name: p.stat().st_mtime_ns for p in derived_dir(catalog_copy).rglob("*.parquet")}
    assert after["2024-01-01.parquet"] == before["2024-01-01.parquet"]
    assert after["2024-01-02.parquet"] != before["2024-01-02.parquet"]
    assert not decisions(changed).equals(decisions(outcomes["features_warm"]))


CUT = pd.Timestamp("2024-01-02T20:07:03.5Z").value


def _cut_catalog(source: Path, target: Path, cut: int) -> None:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("_derived"))
    for path in (target / "data").rglob("*.parquet"):
        table = pq.read_table(path)
        if "ts_init" not in table.column_names:
            continue
        ts = table.column("ts_init").to_numpy().astype(np.int64)
        if (ts > cut).any():
            kept = table.filter(ts <= cut)
            if kept.num_rows == 0:
                path.unlink()
            else:
                pq.write_table(kept, path)


@pytest.mark.slow
def test_cutting_the_catalog_at_t_leaves_features_fills_and_decisions_before_t_unchanged(
    demo_raw_and_catalog, outcomes, tmp_path
):
    # Arrange
    _, catalog = demo_raw_and_catalog
    _cut_catalog(catalog, tmp_path / "catalog", CUT)
    full = outcomes["features_warm"]

    # Act: run to T on the cut catalog.
    cut = run(tmp_path / "catalog", end=pd.Timestamp(CUT, tz="UTC").isoformat(), fidelity="features")

    # Assert
    before_full = full.fills[full.fills["ts"] < CUT][FILL_KEY].reset_index(drop=True)
    before_cut = cut.fills[cut.fills["ts"] < CUT][FILL_KEY].reset_index(drop=True)
    assert len(before_full) > 20
    pd.testing.assert_frame_equal(before_cut, before_full)
    full_decisions = decisions(full)
    cut_decisions = decisions(cut)
    pd.testing.assert_frame_equal(
        cut_decisions[cut_decisions.index < CUT], full_decisions[full_decisions.index < CUT]
    )
    assert (full_decisions.index > CUT).any() and not (cut_decisions.index > CUT).any()
