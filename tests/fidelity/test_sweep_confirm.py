"""Sweeps screen in features fidelity and confirm their best runs in tick fidelity."""

from pathlib import Path

import pandas as pd
import pytest

from backtest.config import parse_config
from backtest.fidelity.features import FidelityError
from backtest.node import run_backtest
from backtest.sweep.backends import LocalBackend
from backtest.sweep.confirm import CONFIRM_SUFFIX
from backtest.sweep.runner import run_sweep
from backtest.sweep.spec import SpecError
from backtest.sweep.spec import load_spec
from tests.backtest.fixtures import BAR_TYPE
from tests.backtest.fixtures import INSTRUMENT_ID
from tests.backtest.fixtures import T0
from tests.backtest.fixtures import random_walk_market
from tests.backtest.fixtures import write_market

STRATEGY = "tests.fidelity.strategies:BookTilt"
CONFIG = "tests.fidelity.strategies:BookTiltConfig"


@pytest.fixture(scope="module")
def small_catalog(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fidelity_sweep") / "catalog"
    write_market(root, random_walk_market(T0, 6.0, seed=9, quote_every_ms=700, trade_every_ms=900))
    return root


def config(catalog: Path, **data) -> dict:
    return {
        "run": {"name": "tilt"},
        "catalog": {"path": str(catalog)},
        "period": {"start": "2024-01-01T00:00:00Z", "end": "2024-01-01T06:00:00Z"},
        "venue": {"charge_funding": False},
        "data": {"instruments": [str(INSTRUMENT_ID)], "families": ["trades", "quotes", "bars"], **data},
        "strategy": {
            "path": STRATEGY,
            "config_path": CONFIG,
            "params": {"instrument_id": str(INSTRUMENT_ID), "bar_type": str(BAR_TYPE)},
        },
        "output": {"progress": False, "report": False},
    }


def test_a_second_strategy_gets_tick_fills_from_features_over_the_full_stream(small_catalog):
    # Arrange
    tick = run_backtest(parse_config(config(small_catalog)))

    # Act
    features = run_backtest(
        parse_config(config(small_catalog, fidelity="features", quote_conflation_ms=0))
    )

    # Assert
    assert len(tick.fills) > 10
    key = ["ts", "side", "qty", "price"]
    pd.testing.assert_frame_equal(features.fills[key], tick.fills[key])
    pd.testing.assert_frame_equal(features.series, tick.series)


def test_a_strategy_without_precomputed_indicators_is_refused_in_features_fidelity(small_catalog):
    # Arrange
    raw = config(small_catalog, fidelity="features")
    raw["strategy"] = {
        "path": "strategies.examples.imbalance_momentum:ImbalanceMomentum",
        "config_path": "strategies.examples.imbalance_momentum:ImbalanceMomentumConfig",
        "params": {"instrument_id": str(INSTRUMENT_ID), "bar_type": str(BAR_TYPE)},
    }

    # Act, Assert
    with pytest.raises(FidelityError, match="does not support data.fidelity = 'features'"):
        run_backtest(parse_config(raw))


def test_conflation_that_does_not_divide_the_minute_is_refused():
    # Act, Assert
    with pytest.raises(Exception, match="must divide 60000"):
        parse_config(config(Path("x"), fidelity="features", quote_conflation_ms=7_000))


def _spec(folder: Path, catalog: Path, sweep: str) -> Path:
    path = folder / "tilt.toml"
    path.write_text(
        f"""
[sweep]
name = "tilt"
output_dir = "{folder / "results"}"
metric = "total_return"
{sweep}

[bases.tilt]
catalog = {{ path = "{catalog}" }}
period = {{ start = 2024-01-01T00:00:00Z, end = 2024-01-01T06:00:00Z }}
venue = {{ charge_funding = false }}
data = {{ instruments = ["{INSTRUMENT_ID}"], families = ["trades", "quotes", "bars"] }}
output = {{ progress = false, report = false }}

[bases.tilt.strategy]
path = "{STRATEGY}"
config_path = "{CONFIG}"

[bases.tilt.strategy.params]
instrument_id = "{INSTRUMENT_ID}"
bar_type = "{BAR_TYPE}"

[grid]
strategy.params.threshold = [0.0, 0.2, 0.4]
"""
    )
    return path


@pytest.mark.slow
def test_a_features_sweep_confirms_its_top_runs_in_tick_fidelity(small_catalog, tmp_path):
    # Arrange
    spec = _spec(tmp_path, small_catalog, 'fidelity = "features"\nconfirm_top = 2')

    # Act
    outcome = run_sweep(spec, LocalBackend(workers=1), progress=False)

    # Assert: three screened runs in features fidelity, the best two re-run in tick fidelity.
    table = pd.read_parquet(outcome.folder / "runs.parquet")
    confirmed = table[table["label"].str.endswith(CONFIRM_SUFFIX)]
    screened = table[~table["label"].str.endswith(CONFIRM_SUFFIX)]
    assert len(screened) == 3 and len(confirmed) == 2
    assert (screened["status"] == "ok").all() and (confirmed["status"] == "ok").all()
    best = screened.sort_values("total_return", ascending=False)["label"].head(2).tolist()
    assert [c.removesuffix(CONFIRM_SUFFIX) for c in confirmed["label"]] == best
    by_label = {run.label: run for run in outcome.runs}
    assert all(by_label[label].config.data.fidelity == "features" for label in screened["label"])
    display = next(d for d in outcome.displays if d.title.startswith("Screening"))
    assert [row[0] for row in display.rows] == best
    assert "Screening (features fidelity) vs confirmation" in outcome.summary.read_text()


def test_confirm_top_without_a_features_screen_is_refused(small_catalog, tmp_path):
    # Arrange
    spec = _spec(tmp_path, small_catalog, "confirm_top = 2")

    # Act, Assert
    with pytest.raises(SpecError, match="confirm_top = 2: .* needs sweep.fidelity = 'features'"):
        load_spec(spec)


def test_a_warm_up_feeds_the_precomputed_indicators_as_it_feeds_the_live_ones(small_catalog):
    # Arrange: the period starts at 02:00 after a two-hour warm-up.
    raw = config(small_catalog)
    raw["period"] = {"start": "2024-01-01T02:00:00Z", "end": "2024-01-01T06:00:00Z", "warmup": "PT2H"}
    tick = run_backtest(parse_config(raw))
    raw["data"] = {**raw["data"], "fidelity": "features", "quote_conflation_ms": 0}

    # Act
    features = run_backtest(parse_config(raw))

    # Assert: the same fills, none before the start, and the indicators ready from the start.
    key = ["ts", "side", "qty", "price"]
    assert len(tick.fills) > 5
    assert tick.fills["ts"].min() >= T0 + 2 * 3_600_000_000_000
    pd.testing.assert_frame_equal(features.fills[key], tick.fills[key])


def test_a_period_starting_mid_day_gets_tick_fidelitys_fills(small_catalog):
    # Arrange: the first day's files begin before the start; their earlier rows are not streamed.
    raw = config(small_catalog)
    raw["period"] = {"start": "2024-01-01T01:30:00Z", "end": "2024-01-01T06:00:00Z"}
    tick = run_backtest(parse_config(raw))
    raw["data"] = {**raw["data"], "fidelity": "features", "quote_conflation_ms": 0}

    # Act
    features = run_backtest(parse_config(raw))

    # Assert
    key = ["ts", "side", "qty", "price"]
    assert len(tick.fills) > 5
    pd.testing.assert_frame_equal(features.fills[key], tick.fills[key])
