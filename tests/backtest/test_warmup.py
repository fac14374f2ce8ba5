"""Warm-up before the period (issue 17): data from start - warmup, orders refused until start, results from start."""

import pytest

from backtest.node import DataError
from backtest.node import run_backtest
from tests.backtest.conftest import make_config
from tests.backtest.conftest import observe
from tests.backtest.fixtures import BAR_TYPE
from tests.backtest.fixtures import DAY
from tests.backtest.fixtures import HOUR
from tests.backtest.fixtures import MINUTE
from tests.backtest.fixtures import T0
from tests.backtest.fixtures import random_walk_market
from tests.backtest.fixtures import write_market

START = T0 + DAY  # the period is the second day; the first is the warm-up


@pytest.fixture(scope="module")
def warm_run(tmp_path_factory):
    """Trade on every bar from the first day on, with the second day as the period and P1D of warm-up."""
    root = tmp_path_factory.mktemp("warmup")
    market = random_walk_market(T0, 30.0, seed=11, quote_every_ms=20_000, trade_every_ms=30_000)
    write_market(root / "catalog", market)
    config = make_config(
        root / "catalog",
        root / "results",
        "2024-01-02T06:00:00Z",
        start="2024-01-02T00:00:00Z",
        params={
            "record_path": str(root / "records.jsonl"),
            "bar_type": str(BAR_TYPE),
            "bar_rule_qty": "0.010",
            "orders": [[T0 + 6 * HOUR, "BUY", "0.100"], [START + HOUR, "BUY", "0.100"]],
        },
        period={"warmup": "P1D"},
    )
    outcome, records = observe(config)
    return config, outcome, records


def test_the_strategy_sees_the_warmup_data_but_no_order_before_start_fills(warm_run):
    # Arrange
    _, outcome, records = warm_run
    orders = [r for r in records if r["kind"] == "order"]

    # Act
    early_orders = [r for r in orders if r["clock"] < START]
    early_bars = [r for r in records if r["kind"] == "bar" and r["clock"] < START]

    # Assert: the whole first day reached the strategy (the fixture stamps bars at their close: the
    # day's last bar closes at the start, in the period), and it tried to trade in it
    assert len(early_bars) == 24 * 60 - 1
    assert len(early_orders) > 100
    assert (outcome.fills["ts"] >= START).all()
    # Every order from the start fills (an order beyond the touch fills in two parts)
    assert outcome.fills["client_order_id"].nunique() == len(orders) - len(early_orders)
    assert any(f"{len(early_orders)} order(s) submitted before it were denied" in n for n in outcome.notes)


def test_trading_starts_at_the_first_minute_of_the_period(warm_run):
    # Arrange
    _, outcome, records = warm_run

    # Act: the bar closing at the start itself is in the period, and the bar rule trades on it
    first_fill = outcome.fills["ts"].min()

    # Assert
    assert START <= first_fill < START + MINUTE


def test_equity_funding_and_series_start_at_the_period_start(warm_run):
    # Arrange
    config, outcome, _ = warm_run

    # Assert: the funding rows at 00:00, 08:00 and 16:00 of the first day are not settled
    assert outcome.equity["ts"].min() >= START
    assert len(outcome.funding) == 1 and outcome.funding["ts"].iloc[0] >= START
    assert outcome.stats["warmup_secs"] == 86_400
    assert outcome.stats["sample"]["days"] == pytest.approx(0.25)  # 6 hours of the period only


def test_the_coverage_check_includes_the_warmup(tmp_path):
    # Arrange: the catalog starts at the period start, so one warm-up day is missing
    market = random_walk_market(START, 6.0, seed=3, quote_every_ms=60_000, trade_every_ms=60_000)
    write_market(tmp_path / "catalog", market)
    config = make_config(
        tmp_path / "catalog",
        tmp_path / "results",
        "2024-01-02T06:00:00Z",
        start="2024-01-02T00:00:00Z",
        params={"record_path": str(tmp_path / "r.jsonl")},
        families=["quotes", "trades"],
        period={"warmup": "PT12H"},
        venue={"charge_funding": False},
    )

    # Act / Assert
    with pytest.raises(DataError, match=r"warm-up from 2024-01-01T12:00.*\nquotes BTCUSDT-PERP.BINANCE: 2024-01-01\n"):
        run_backtest(config)


def test_with_allow_gaps_a_missing_warmup_is_noted_and_the_period_statistics_kept(tmp_path):
    # Arrange: the catalog starts at the period start; half a day of warm-up is asked for
    market = random_walk_market(START, 6.0, seed=3, quote_every_ms=60_000, trade_every_ms=60_000)
    write_market(tmp_path / "catalog", market)
    config = make_config(
        tmp_path / "catalog",
        tmp_path / "results",
        "2024-01-02T06:00:00Z",
        start="2024-01-02T00:00:00Z",
        params={"record_path": str(tmp_path / "r.jsonl")},
        families=["quotes", "trades"],
        period={"warmup": "PT12H", "allow_gaps": True},
        venue={"charge_funding": False},
    )

    # Act
    outcome = run_backtest(config)

    # Assert
    block = outcome.stats["coverage"]
    assert block["share"] == 1.0 and block["complete"] is False
    assert block["statistics"] == "full period" and "covered_only" not in outcome.stats["sample"]
    assert any(n.startswith("the catalog lacks part of the warm-up (gaps: quotes") for n in outcome.notes)
