"""Coverage checks (issue 12): a period the catalog does not cover fails naming the days, or runs on the covered time."""

import math
from pathlib import Path

import numpy as np
import pytest
from nautilus_trader.model.data import QuoteTick

import run_backtest
from backtest.node import DataError
from backtest.node import run_backtest as run
from catalog.coverage import coverage
from catalog.coverage import intersect
from catalog.coverage import merge
from catalog.layout import family_dir
from tests.backtest.conftest import make_config
from tests.backtest.fixtures import BAR_TYPE
from tests.backtest.fixtures import DAY
from tests.backtest.fixtures import HOUR
from tests.backtest.fixtures import INSTRUMENT_ID
from tests.backtest.fixtures import T0
from tests.backtest.fixtures import write_random_walk_catalog

SPARSE = {"quote_every_ms": 60_000, "trade_every_ms": 90_000}
END = "2024-01-04T00:00:00Z"


@pytest.fixture(scope="module")
def holed_catalog(tmp_path_factory) -> Path:
    """Three days of market whose quotes lack the second day (its file deleted)."""
    root = tmp_path_factory.mktemp("holed") / "catalog"
    write_random_walk_catalog(root, T0, 3, seed=2, **SPARSE)
    (day_file,) = [p for p in family_dir(root, QuoteTick, str(INSTRUMENT_ID)).glob("2024-01-02*")]
    day_file.unlink()
    return root


def _config(catalog: Path, tmp_path: Path, **period):
    return make_config(
        catalog,
        tmp_path / "results",
        END,
        params={"record_path": str(tmp_path / "r.jsonl"), "bar_type": str(BAR_TYPE), "bar_rule_qty": "0.010"},
        period=period,
        stats={"min_days": 0, "min_returns": 2},
    )


def test_a_deleted_day_is_missing_and_the_rest_covered(holed_catalog):
    # Act
    found = coverage(holed_catalog, QuoteTick, str(INSTRUMENT_ID), T0, T0 + 3 * DAY - 1, HOUR)

    # Assert: day numbers since the epoch; the covered time is the two whole days around the hole
    assert found.missing_days == [T0 // DAY + 1]
    assert found.covered == [(T0, T0 + DAY), (T0 + 2 * DAY, T0 + 3 * DAY)]
    assert found.problems() == ["2024-01-02"]


def test_a_period_past_the_last_row_is_a_gap_at_its_end(holed_catalog):
    # Act: the catalog's quotes end at 2024-01-03 23:59; the period runs on to 01-04 12:00
    found = coverage(holed_catalog, QuoteTick, str(INSTRUMENT_ID), T0 + 2 * DAY, T0 + 3 * DAY + 12 * HOUR - 1, HOUR)

    # Assert
    assert found.missing_days == [T0 // DAY + 3]
    assert found.covered == [(T0 + 2 * DAY, T0 + 3 * DAY)]


def test_a_stretch_that_stops_short_of_the_period_start_is_partial(holed_catalog):
    # Act: with a 1-minute tolerance the first quote (00:00:00) covers the start; with none too
    tight = coverage(holed_catalog, QuoteTick, str(INSTRUMENT_ID), T0 - 6 * HOUR, T0 + DAY - 1, HOUR)

    # Assert: the six hours before the data are uncovered: the day before is missing
    assert tight.missing_days == [T0 // DAY - 1]
    assert tight.covered == [(T0, T0 + DAY)]


def test_interval_algebra_against_a_boolean_timeline():
    # Arrange: random half-open intervals on a 200-tick line, checked cell by cell
    rng = np.random.default_rng(0)
    for _ in range(50):
        a = [tuple(sorted(rng.integers(0, 200, 2))) for _ in range(4)]
        b = [tuple(sorted(rng.integers(0, 200, 2))) for _ in range(4)]
        line_a, line_b = np.zeros(200, bool), np.zeros(200, bool)
        for lo, hi in a:
            line_a[lo:hi] = True
        for lo, hi in b:
            line_b[lo:hi] = True

        # Act
        both = intersect(merge(a), merge(b))

        # Assert
        line = np.zeros(200, bool)
        for lo, hi in both:
            line[lo:hi] = True
        assert (line == (line_a & line_b)).all()


def test_a_run_over_a_missing_day_fails_naming_it(holed_catalog, tmp_path):
    # Act / Assert
    with pytest.raises(DataError, match=r"quotes BTCUSDT-PERP.BINANCE: 2024-01-02\n") as caught:
        run(_config(holed_catalog, tmp_path))
    assert "allow_gaps" in str(caught.value)


def test_the_command_line_exits_3_on_a_missing_day(holed_catalog, tmp_path, capsys):
    # Arrange
    path = tmp_path / "run.toml"
    path.write_text(
        f"""
[run]
name = "holed"
[catalog]
path = "{holed_catalog}"
[period]
start = 2024-01-01T00:00:00Z
end = 2024-01-04T00:00:00Z
[data]
instruments = ["{INSTRUMENT_ID}"]
families = ["quotes", "funding"]
[strategy]
path = "strategies.examples.idle:Idle"
config_path = "strategies.examples.idle:IdleConfig"
[strategy.params]
instrument_id = "{INSTRUMENT_ID}"
[output]
dir = "{tmp_path / 'results'}"
progress = false
"""
    )

    # Act
    code = run_backtest.main([str(path), "--no-report"])

    # Assert
    assert code == 3
    assert "2024-01-02" in capsys.readouterr().err


@pytest.fixture(scope="module")
def gapped_run(holed_catalog, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gapped")
    return run(_config(holed_catalog, tmp, allow_gaps=True))


def test_with_allow_gaps_the_run_reports_the_covered_share(gapped_run):
    # Act
    block = gapped_run.stats["coverage"]

    # Assert: two of three days
    assert block["share"] == pytest.approx(2 / 3)
    assert block["complete"] is False
    assert block["missing"] == {f"quotes {INSTRUMENT_ID}": ["2024-01-02"]}
    assert any("covers 66.7% of the period" in note for note in gapped_run.notes)


def test_with_allow_gaps_return_statistics_use_the_covered_hours_only(gapped_run):
    # Arrange: independently, hourly equity closes (last sample at or before each hour) and the
    # returns of the hours that lie in the first or the third day
    equity = gapped_run.equity
    start = 100_000.0
    bounds = np.arange(T0 + HOUR, T0 + 3 * DAY + 1, HOUR)
    closes = [start] + [
        float(equity["equity"][equity["ts"] <= b].iloc[-1]) if (equity["ts"] <= b).any() else start
        for b in bounds
    ]
    returns = np.array(closes[1:]) / np.array(closes[:-1]) - 1.0
    kept = returns[(bounds <= T0 + DAY) | (bounds > T0 + 2 * DAY)]

    # Act
    stats = gapped_run.stats

    # Assert
    assert stats["sample"]["returns"] == 48 and stats["sample"]["days"] == pytest.approx(2.0)
    expected = kept.mean() / kept.std(ddof=1) * math.sqrt(365 * 24)
    assert stats["sharpe"] == pytest.approx(expected, rel=1e-9)
