"""A backtest applies the exchange rules in force at its period's start (issue 12), read from the catalog."""

import datetime as dt

import pytest

from backtest.period_rules import period_rules
from catalog.rules import Era
from catalog.rules import InstrumentRules
from catalog.rules import read_rules
from catalog.rules import write_rules
from tests.backtest.conftest import make_config
from tests.backtest.conftest import observe
from tests.backtest.fixtures import DAY
from tests.backtest.fixtures import HOUR
from tests.backtest.fixtures import T0
from tests.backtest.fixtures import random_walk_market
from tests.backtest.fixtures import write_market

CHANGE = dt.date(2024, 1, 2)
BASE = dict(tick_size="0.1", step_size="0.001", max_quantity="1000", min_notional="5", maker_fee="0.0002", taker_fee="0.0005")
# From 2024-01-02 the exchange refuses orders below 0.1 BTC.
RULES = InstrumentRules(
    symbol="BTCUSDT",
    market="futures/um",
    base="BTC",
    quote="USDT",
    margin_init="0.01",
    margin_maint="0.004",
    eras=(Era(since=None, min_quantity="0.001", **BASE), Era(since=CHANGE, min_quantity="0.1", **BASE)),
)


@pytest.fixture(scope="module")
def ruled_catalog(tmp_path_factory):
    root = tmp_path_factory.mktemp("rules") / "catalog"
    write_market(root, random_walk_market(T0, 30.0, seed=9, quote_every_ms=30_000, trade_every_ms=60_000))
    write_rules(root, RULES)
    return root


def _run(catalog, tmp_path, start: str, end: str, order_at: int):
    config = make_config(
        catalog,
        tmp_path / "results",
        end,
        start=start,
        params={"record_path": str(tmp_path / "r.jsonl"), "orders": [[order_at, "BUY", "0.010"]]},
        families=["quotes", "trades", "funding"],
        period={"allow_gaps": True},  # the fixture market ends at 06:00 on the second day
    )
    outcome, _ = observe(config)
    return outcome


def test_the_rules_file_round_trips(ruled_catalog):
    # Act / Assert
    assert read_rules(ruled_catalog, "BTCUSDT-PERP.BINANCE") == RULES


def test_the_instrument_of_the_start_has_that_days_limits(ruled_catalog):
    # Act
    before = period_rules(ruled_catalog, ["BTCUSDT-PERP.BINANCE"], dt.datetime(2024, 1, 1, tzinfo=dt.UTC), dt.datetime(2024, 1, 2, tzinfo=dt.UTC))
    after = period_rules(ruled_catalog, ["BTCUSDT-PERP.BINANCE"], dt.datetime(2024, 1, 2, tzinfo=dt.UTC), dt.datetime(2024, 1, 3, tzinfo=dt.UTC))

    # Assert: a period ending at the change's midnight does not reach it
    assert str(before.instruments[0].min_quantity) == "0.001" and before.notes == []
    assert str(after.instruments[0].min_quantity) == "0.100" and after.notes == []
    assert after.instruments[0].size_precision == 3  # the catalog's grid, whatever the era


def test_an_order_the_old_rules_allow_fills(ruled_catalog, tmp_path):
    # Act
    outcome = _run(ruled_catalog, tmp_path, "2024-01-01T00:00:00Z", "2024-01-01T06:00:00Z", T0 + HOUR)

    # Assert
    assert list(outcome.fills["qty"]) == [0.01]


def test_the_same_order_under_the_new_rules_is_refused(ruled_catalog, tmp_path):
    # Act
    outcome = _run(ruled_catalog, tmp_path, "2024-01-02T00:00:00Z", "2024-01-02T06:00:00Z", T0 + DAY + HOUR)

    # Assert: 0.010 is below the minimum quantity in force, 0.1
    assert outcome.fills.empty


def test_a_change_inside_the_period_is_noted_and_the_start_rules_kept(ruled_catalog, tmp_path):
    # Act
    outcome = _run(ruled_catalog, tmp_path, "2024-01-01T12:00:00Z", "2024-01-02T06:00:00Z", T0 + DAY + HOUR)

    # Assert
    assert list(outcome.fills["qty"]) == [0.01]
    (note,) = [n for n in outcome.notes if "rules changed" in n]
    assert "2024-01-02" in note and "min_quantity 0.001 -> 0.1" in note and "rules of 2024-01-01" in note
