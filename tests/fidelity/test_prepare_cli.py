"""``run_backtest.py --prepare`` builds the derived data of a config once, and nothing else."""

import json
from pathlib import Path

from catalog.layout import derived_dir
from run_backtest import main
from tests.backtest.fixtures import BAR_TYPE
from tests.backtest.fixtures import INSTRUMENT_ID
from tests.backtest.fixtures import T0
from tests.backtest.fixtures import random_walk_market
from tests.backtest.fixtures import write_market


def _toml(path: Path, catalog: Path, fidelity: str) -> Path:
    path.write_text(
        f"""
[run]
name = "tilt"
[catalog]
path = "{catalog}"
[period]
start = 2024-01-01T00:00:00Z
end = 2024-01-02T06:00:00Z
[venue]
charge_funding = false
[data]
instruments = ["{INSTRUMENT_ID}"]
families = ["trades", "quotes", "bars"]
fidelity = "{fidelity}"
[strategy]
path = "tests.fidelity.strategies:BookTilt"
config_path = "tests.fidelity.strategies:BookTiltConfig"
[strategy.params]
instrument_id = "{INSTRUMENT_ID}"
bar_type = "{BAR_TYPE}"
[output]
dir = "{path.parent / "results"}"
report = false
progress = false
"""
    )
    return path


def test_prepare_builds_the_feature_days_and_quotes_once(tmp_path, capsys):
    # Arrange
    catalog = tmp_path / "catalog"
    write_market(catalog, random_walk_market(T0, 30.0, seed=6, quote_every_ms=900, trade_every_ms=1_100))
    config = _toml(tmp_path / "tilt.toml", catalog, "features")

    # Act
    first = main(["--prepare", str(config), "--no-progress"])
    first_err = capsys.readouterr().err
    second = main(["--prepare", str(config), "--no-progress"])
    second_err = capsys.readouterr().err
    run = main([str(config), "--no-progress"])

    # Assert: two feature days and two conflated quote days, then nothing left to build.
    assert first == second == run == 0
    assert "2 feature day(s) and 2 conflated quote day(s) built" in first_err
    assert "0 feature day(s) and 0 conflated quote day(s) built" in second_err
    assert len(list((derived_dir(catalog) / "features").rglob("*.parquet"))) == 2
    stats = json.loads(next((tmp_path / "results").rglob("stats.json")).read_text())
    assert stats["fidelity"] == "features" and stats["feature_days_built"] == 0


def test_prepare_of_a_tick_config_says_there_is_nothing_to_prepare(tmp_path, capsys):
    # Arrange
    config = _toml(tmp_path / "tilt.toml", tmp_path / "catalog", "tick")

    # Act
    code = main(["--prepare", str(config)])

    # Assert
    assert code == 0
    assert "nothing to prepare" in capsys.readouterr().err
    assert not derived_dir(tmp_path / "catalog").exists()
