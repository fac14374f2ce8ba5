"""
Walk-forward optimisation: the point chosen on each train window is the best one there, it runs
on the test window after it, and the out-of-sample curve is those test runs joined.
"""

import io

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from backtest.config import parse_config
from backtest.node import run_backtest
from backtest.sweep.backends import LocalBackend
from backtest.sweep.expand import expand
from backtest.sweep.runner import run_sweep
from backtest.sweep.spec import SpecError
from backtest.sweep.spec import load_spec
from backtest.sweep.walk_forward import CURVE_FILE
from backtest.sweep.walk_forward import FOLDS_FILE
from backtest.sweep.walk_forward import TEST_SUFFIX
from tests.backtest.fixtures import BAR_TYPE
from tests.backtest.fixtures import INSTRUMENT_ID
from tests.backtest.fixtures import T0
from tests.backtest.fixtures import random_walk_market
from tests.backtest.fixtures import write_market
from tests.browser import open_page
from tests.sweep.conftest import write_spec

WALK = """
[grid]
strategy.params.fast_period = [3, 10]

[walk_forward]
start = 2024-01-01T00:00:00Z
end = 2024-01-01T04:00:00Z
train = "PT{train}"
test = "PT{test}"
{step}
"""


def _spec(tmp_path, train="1H", test="1H", step="", sweep='metric = "total_return"'):
    return write_spec(
        tmp_path, tmp_path / "catalog", WALK.format(train=train, test=test, step=step), sweep=sweep
    )


def test_folds_train_then_test_after_them_and_step_by_the_test_length(tmp_path):
    # Act
    spec = load_spec(_spec(tmp_path, train="90M", test="1H"))
    folds = spec.walk_forward.folds()

    # Assert: 00:00-01:30 | 01:30-02:30, 01:00-02:30 | 02:30-03:30; the next test would end 04:30
    assert [(f.train.label(), f.test.label()) for f in folds] == [
        ("2024-01-01..2024-01-01T01:30", "2024-01-01T01:30..2024-01-01T02:30"),
        ("2024-01-01T01:00..2024-01-01T02:30", "2024-01-01T02:30..2024-01-01T03:30"),
    ]
    runs = expand(spec, tmp_path)
    assert {(r.role, r.fold, r.period) for r in runs} == {
        ("train", k, f.train.label()) for k, f in enumerate(folds)
    }
    assert len(runs) == 2 * len(folds)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('train = "PT1H"\ntest = "PT1H"\nwindow = "PT1H"', "not both"),
        ('train = "PT1H"', "both train and test"),
        ('train = "PT1H"\ntest = "PT1H"\nstep = "PT30M"', "would overlap"),
        ('train = "PT3H"\ntest = "PT2H"', "longer than the span"),
    ],
)
def test_a_walk_forward_that_cannot_work_is_refused_naming_why(tmp_path, body, message):
    # Arrange
    path = write_spec(
        tmp_path,
        "catalog",
        f"[walk_forward]\nstart = 2024-01-01T00:00:00Z\nend = 2024-01-01T04:00:00Z\n{body}",
    )

    # Act, Assert
    with pytest.raises(SpecError, match=message):
        load_spec(path)


@pytest.mark.slow
def test_each_fold_runs_its_train_winner_out_of_sample_and_the_curve_joins_them(
    tiny_catalog, tmp_path
):
    # Arrange: three folds of one hour each
    path = write_spec(
        tmp_path,
        tiny_catalog,
        WALK.format(train="1H", test="1H", step=""),
        sweep='metric = "total_return"',
    )
    quiet = Console(file=io.StringIO(), width=200)

    # Act
    outcome = run_sweep(path, LocalBackend(2, 2), console=quiet, progress=False)

    # Assert: the store holds 2 points x 3 train windows and one test run per fold
    folder = outcome.folder
    table = pd.read_parquet(folder / "runs.parquet")
    assert (table["status"] == "ok").all()
    train = table[table["walk_forward"] == "train"]
    test = table[table["walk_forward"] == "test"].sort_values("fold")
    assert len(train) == 6 and len(test) == 3
    assert test["label"].str.endswith(TEST_SUFFIX).all()
    for fold, chosen in zip(test["fold"], test.to_dict("records"), strict=True):
        # the winner, computed here from the stored train rows
        mine = train[train["fold"] == fold]
        best = mine.loc[mine["total_return"].astype(float).idxmax()]
        assert chosen["strategy.params.fast_period"] == best["strategy.params.fast_period"]
        # the test window is the hour after the train window
        assert pd.Timestamp(chosen["period_start"]) == pd.Timestamp(best["period_end"])
        assert pd.Timestamp(chosen["period_end"]) - pd.Timestamp(
            best["period_end"]
        ) == pd.Timedelta("1h")
    folds = pd.read_parquet(folder / FOLDS_FILE)
    assert folds["oos_return"].tolist() == pytest.approx(
        test["total_return"].astype(float).tolist()
    )
    # The stitched curve compounds the test runs' own total returns
    curve = pd.read_parquet(folder / CURVE_FILE)
    expected = np.prod(1.0 + test["total_return"].astype(float).to_numpy())
    assert curve["equity"].iloc[-1] == pytest.approx(expected, rel=1e-12)
    assert curve["ts"].is_monotonic_increasing
    # The out-of-sample run is an ordinary backtest of the chosen config on the test window
    first = test.iloc[0]
    config = next(r.config for r in outcome.runs if r.label == first["label"])
    alone = run_backtest(
        parse_config(
            {
                **config.resolved(),
                "output": {**config.resolved()["output"], "dir": str(tmp_path / "alone")},
            }
        ),
        progress=False,
        bypass_logging=True,
    )
    assert alone.stats["total_return"] == pytest.approx(float(first["total_return"]), abs=1e-12)
    titles = [d.title for d in outcome.displays]
    assert any(t.startswith("Walk-forward: the point chosen") for t in titles)
    assert any(t.startswith("Walk-forward: in-sample vs out-of-sample") for t in titles)
    page = outcome.summary.read_text()
    assert "stitched out-of-sample equity" in page
    assert (folder / "plotly.min.js").exists() and "plotly.min.js" in page
    assert len(page) < 200_000  # plotly.js is loaded from beside the page, not inlined
    assert open_page(outcome.summary).errors == []


@pytest.mark.slow
def test_a_walk_forward_runs_in_features_fidelity_each_window_with_its_own_features(tmp_path):
    # Arrange: a day and a half of a sparse market; one fold, both windows starting at midnight
    catalog = tmp_path / "catalog"
    write_market(
        catalog, random_walk_market(T0, 36.0, seed=4, quote_every_ms=20_000, trade_every_ms=20_000)
    )
    spec = tmp_path / "wf.toml"
    spec.write_text(
        f"""
[sweep]
name = "wf-features"
output_dir = "{tmp_path / "results"}"
metric = "total_return"
fidelity = "features"

[bases.tilt]
catalog = {{ path = "{catalog}" }}
period = {{ start = 2024-01-01T00:00:00Z, end = 2024-01-02T00:00:00Z }}
data = {{ instruments = ["{INSTRUMENT_ID}"], chunk_size = 20000 }}

[bases.tilt.strategy]
path = "tests.fidelity.strategies:BookTilt"
config_path = "tests.fidelity.strategies:BookTiltConfig"
params = {{ instrument_id = "{INSTRUMENT_ID}", bar_type = "{BAR_TYPE}" }}

[grid]
strategy.params.threshold = [0.05, 0.3]

[walk_forward]
start = 2024-01-01
end = 2024-01-02T12:00:00Z
train = "P1D"
test = "PT12H"
"""
    )
    quiet = Console(file=io.StringIO(), width=200)

    # Act
    outcome = run_sweep(spec, LocalBackend(2, 2), console=quiet, progress=False)

    # Assert
    table = outcome.table
    assert (table["status"] == "ok").all() and len(table) == 3
    assert (table["fidelity"] == "features").all()
    test = table[table["walk_forward"] == "test"].iloc[0]
    assert test["period_start"].startswith("2024-01-02T00:00")
    assert test["feature_days_built"] >= 1  # the test window's start builds its own chain
    folds = pd.read_parquet(outcome.folder / FOLDS_FILE)
    assert folds["oos_return"].tolist() == pytest.approx([float(test["total_return"])])
