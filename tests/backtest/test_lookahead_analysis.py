"""Look-ahead analysis (issue 17): planted look-ahead is flagged by series name; honest strategies pass."""

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest
from nautilus_trader.model.data import QuoteTick

import run_backtest
from backtest.lookahead import Trace
from backtest.lookahead import analyse
from backtest.lookahead import compare_series
from backtest.lookahead import cut_instants
from backtest.node import run_backtest as run
from backtest.recorder import BusRecorder
from catalog.cut import cut_catalog
from catalog.layout import family_dir
from tests.backtest.conftest import MOMENTUM
from tests.backtest.conftest import make_config
from tests.backtest.fixtures import BAR_TYPE
from tests.backtest.fixtures import HOUR
from tests.backtest.fixtures import INSTRUMENT_ID
from tests.backtest.fixtures import T0
from tests.backtest.fixtures import random_walk_market
from tests.backtest.fixtures import write_market

END = "2024-01-01T12:00:00Z"
PLANTED = "tests.backtest.lookahead_strategies"


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    root = tmp_path_factory.mktemp("lookahead_market") / "catalog"
    write_market(root, random_walk_market(T0, 12.0, seed=21, quote_every_ms=10_000, trade_every_ms=15_000))
    return root


def _config(catalog, tmp_path, strategy, **params):
    return make_config(
        catalog,
        tmp_path / "results",
        END,
        strategy=strategy,
        params={"bar_type": str(BAR_TYPE), **params},
        families=["quotes", "trades", "bars", "funding"],
    )


def _planted(catalog, tmp_path, name):
    strategy = (f"{PLANTED}:{name}", f"{PLANTED}:CatalogReaderConfig")
    return _config(catalog, tmp_path, strategy, catalog_path=str(catalog))


def test_reading_the_next_bars_close_is_flagged_by_its_series(catalog, tmp_path):
    # Act
    report = analyse(_planted(catalog, tmp_path, "PeekNextClose"), cuts=2)

    # Assert: the peeking series differs at every cut, at the cut itself; the honest one never
    assert not report.clean
    assert report.offending_series() == ["peek.next_close"]
    for cut in report.cuts:
        (peek,) = cut.series
        assert peek.at_cut and peek.first_ts == cut.cut_ns and peek.differing == 1


def test_a_full_sample_z_score_is_flagged_with_its_orders(catalog, tmp_path):
    # Act
    report = analyse(_planted(catalog, tmp_path, "FullSampleZ"), cuts=2)

    # Assert: the z-score differs from the first bar on (the cut sample has another mean), and so
    # do decisions before the cut
    assert report.offending_series() == ["zfull.z"]
    first = report.cuts[0].series[0]
    assert first.first_ts == T0 + 60 * 1_000_000_000 and first.differing > 1
    assert any(cut.orders_full or cut.orders_cut for cut in report.cuts)


def test_the_example_strategy_passes(catalog, tmp_path):
    # Act
    report = analyse(_config(catalog, tmp_path, MOMENTUM, instrument_id=str(INSTRUMENT_ID)), cuts=3)

    # Assert: its decisions are checked at three of its own order times
    assert report.orders >= 3 and len(report.cuts) == 3
    assert report.clean, report.to_dict()


def test_cut_instants_are_spread_order_times_or_even_steps():
    # Arrange
    orders = pd.DataFrame({"ts": [10, 20, 30, 40, 50, 60, 70]})
    none = pd.DataFrame({"ts": pd.Series([], dtype="int64")})

    # Act / Assert
    assert cut_instants(Trace(pd.DataFrame(), orders), 0, 100, 2) == [30, 50]
    assert cut_instants(Trace(pd.DataFrame(), none), 0, 100, 3) == [25, 50, 75]


def test_series_comparison_names_values_and_one_sided_points():
    # Arrange
    full = pd.DataFrame({"ts": [1, 2, 3, 3, 4], "name": ["a", "a", "a", "b", "b"], "value": [1.0, 2.0, 3.0, 7.0, 9.0]})
    cut = pd.DataFrame({"ts": [1, 2, 3], "name": ["a", "a", "a"], "value": [1.0, 2.5, 3.0]})

    # Act
    found = compare_series(full, cut, 3, 1e-12)

    # Assert: "a" differs at 2 by 0.5; "b" at 3 exists only in the full run; b at 4 is after the cut
    assert [(d.name, d.first_ts, d.differing, d.at_cut) for d in found] == [("a", 2, 1, False), ("b", 3, 1, True)]
    assert found[0].max_abs_diff == pytest.approx(0.5)


def test_a_cut_catalog_holds_exactly_the_rows_up_to_the_cut(catalog, tmp_path):
    # Arrange
    cut_ns = T0 + 5 * HOUR + 123

    # Act
    cut = cut_catalog(catalog, tmp_path / "cut", cut_ns)

    # Assert: against the original files, filtered independently
    original = pq.read_table(family_dir(catalog, QuoteTick, str(INSTRUMENT_ID))).to_pandas()
    kept = pq.read_table(family_dir(cut, QuoteTick, str(INSTRUMENT_ID))).to_pandas()
    expected = original[original["ts_init"].astype("int64") <= cut_ns]
    assert len(kept) == len(expected) and kept["ts_init"].astype("int64").max() == expected["ts_init"].astype("int64").max()


def test_the_command_flags_look_ahead_with_exit_code_1_and_writes_its_report(catalog, tmp_path, capsys):
    # Arrange
    path = tmp_path / "peek.toml"
    path.write_text(
        f"""
[run]
name = "peek"
[catalog]
path = "{catalog}"
[period]
start = 2024-01-01T00:00:00Z
end = 2024-01-01T12:00:00Z
[data]
instruments = ["{INSTRUMENT_ID}"]
families = ["quotes", "bars", "funding"]
[strategy]
path = "{PLANTED}:PeekNextClose"
config_path = "{PLANTED}:CatalogReaderConfig"
[strategy.params]
instrument_id = "{INSTRUMENT_ID}"
bar_type = "{BAR_TYPE}"
catalog_path = "{catalog}"
[output]
dir = "{tmp_path / 'results'}"
progress = false
"""
    )

    # Act
    code = run_backtest.main(["--lookahead", "--cuts", "1", str(path)])

    # Assert
    assert code == 1
    assert "peek.next_close" in capsys.readouterr().out
    (written,) = (tmp_path / "results").glob("peek-*/lookahead.json")
    assert json.loads(written.read_text())["offending_series"] == ["peek.next_close"]


def test_orders_a_strategy_creates_on_stop_are_not_decisions(catalog, tmp_path):
    # Arrange: BookSide, which also buys when the run stops
    strategy = (f"{PLANTED}:BookSide", f"{PLANTED}:CatalogReaderConfig")
    config = _config(catalog, tmp_path, strategy, catalog_path=str(catalog), order_on_stop=True)
    recorder = BusRecorder()

    # Act
    run(config, progress=False, recorder=recorder)
    report = analyse(config, cuts=2)

    # Assert: the stop's order is recorded as created at the stop, and every cut run (which
    # stops, and orders, at its cut) still compares equal
    orders = recorder.orders_frame()
    assert orders["at_stop"].sum() == 1 and not orders["at_stop"].iloc[:-1].any()
    assert report.clean, report.to_dict()
