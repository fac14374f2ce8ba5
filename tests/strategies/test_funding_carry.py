"""
FundingCarry on controlled catalogs: it shorts in an injected high-funding regime, earns exactly the
settlement module's funding, exits when funding drops, and stays out of (and leaves) toxic flow.
"""

import math
from decimal import ROUND_HALF_EVEN
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from nautilus_trader.model.data import QuoteTick

from backtest.config import RunConfig
from backtest.config import parse_config
from backtest.node import run_backtest
from backtest.results import RunOutcome
from etl.archive import SPOT
from etl.instruments import InstrumentSpecs
from strategies.funding_carry.config import FundingCarryConfig
from strategies.funding_carry.decision import CarryBlocker
from strategies.funding_carry.decision import CarryExit
from strategies.funding_carry.decision import LegState
from strategies.funding_carry.decision import TrailingSum
from strategies.funding_carry.decision import entry_blocker
from strategies.funding_carry.decision import exit_reason
from strategies.funding_carry.decision import selected
from tests.backtest.conftest import make_config
from tests.backtest.fixtures import DAY
from tests.backtest.fixtures import FUNDING_OFFSET
from tests.backtest.fixtures import HOUR
from tests.backtest.fixtures import INSTRUMENT_ID
from tests.backtest.fixtures import MINUTE
from tests.backtest.fixtures import T0
from tests.backtest.fixtures import Market
from tests.backtest.fixtures import random_walk_market
from tests.backtest.fixtures import write_market
from tests.strategies.markets import with_funding
from tests.strategies.markets import with_toxic_episode

CARRY = ("strategies.funding_carry:FundingCarry", "strategies.funding_carry:FundingCarryConfig")
PERP = str(INSTRUMENT_ID)
LOW, HIGH = 0.00001, 0.0003  # 1.1 % and 32.9 % a year at three settlements a day
# Settlements at 00, 08, 16 h of day 1, then 00, 08, 16 h of day 2 (hours 24, 32, 40).
RATES = [LOW, HIGH, HIGH, HIGH, LOW, LOW]
SETTLEMENT_HOURS = [0, 8, 16, 24, 32, 40]
CENT = Decimal("0.00000001")
PARAMS = {
    "instrument_ids": [PERP],
    "vpin_window": 10,
    "vpin_lookback_periods": 30,
    "min_quote_volume": 1_000_000.0,
    "volume_window_hours": 1.0,
    "max_symbols": 1,
}


def config(**overrides: Any) -> FundingCarryConfig:
    """Return a carry config for the fixtures' perpetual (typed, as a run config parses it)."""
    return FundingCarryConfig(**{**PARAMS, "instrument_ids": [INSTRUMENT_ID], **overrides})


def settlement(hour: int) -> int:
    """Return the settlement time (ns) of a settlement hour of the market."""
    return T0 + hour * HOUR + FUNDING_OFFSET


def market(toxic: list[tuple[float, float]] = ()) -> Market:
    """Return two days of a random walk paying RATES, with one-sided flow in ``toxic`` hours."""
    walk = random_walk_market(T0, 47.0, seed=11, quote_every_ms=2_000, trade_every_ms=3_000)
    walk = with_funding(walk, RATES)
    for start, end in toxic:
        walk = with_toxic_episode(walk, T0 + int(start * HOUR), T0 + int(end * HOUR))
    return walk


def carry_run_config(root: Path, params: dict[str, Any], **sections: Any) -> RunConfig:
    """
    Return a run config of the carry over ``root/catalog`` up to 47 h.

    ``make_config`` fills in the single-instrument ``instrument_id`` parameter, which
    FundingCarry does not have (it takes ``instrument_ids``): its sections are reused, its
    strategy replaced.
    """
    raw = make_config(
        root / "catalog",
        root / "results",
        "2024-01-02T23:00:00Z",
        params={"record_path": str(root / "unused.jsonl")},
        families=["trades", "quotes", "bars", "funding"],
        **sections,
    ).model_dump(mode="json")
    raw["strategy"] = {"path": CARRY[0], "config_path": CARRY[1], "params": {**PARAMS, **params}}
    return parse_config(raw)


def run(root: Path, rows: Market, **params: Any) -> RunOutcome:
    """Write ``rows`` and run the carry over them."""
    write_market(root / "catalog", rows)
    return run_backtest(carry_run_config(root, params))


def hours(ts: int) -> float:
    """Return hours since the market's start."""
    return (ts - T0) / HOUR


@pytest.fixture(scope="module")
def calm(tmp_path_factory) -> tuple[Market, RunOutcome]:
    """High funding from 08:00 on day 1 to 08:00 on day 2; balanced flow throughout."""
    rows = market()
    return rows, run(tmp_path_factory.mktemp("calm"), rows)


# -- through the engine ----------------------------------------------------------------------


def test_the_carry_shorts_when_funding_turns_high(calm):
    # Arrange
    _, outcome = calm
    fills = outcome.fills

    # Act: the entry may fill in several pieces at one instant
    entry = fills[fills["ts"] == fills["ts"].iloc[0]]

    # Assert: the 08:00 row pays 32.9 % a year; the 00:00 one (1.1 %) did not qualify
    assert set(entry["side"]) == {"SELL"}
    assert entry["ts"].iloc[0] == settlement(8)
    assert entry["notional"].sum() == pytest.approx(100_000.0, rel=0.01)  # one slot: the budget
    assert outcome.stats["count.entries"] == 1


def test_its_funding_income_equals_the_settlement_ledger_and_the_hand_computed_payments(calm):
    # Arrange: short from 08:00 (settled flat then: the row arrives after the settlement) through
    # the 08:00 settlement of day 2; payment = -qty x mark x rate with the last quote's mid
    rows, outcome = calm
    fills = outcome.fills
    short = Decimal(f"{-fills[fills['ts'] == settlement(8)]['qty'].sum():.3f}")
    quotes = {q.ts_init: q for q in rows.quotes}
    expected = Decimal(0)
    for hour, rate in zip(SETTLEMENT_HOURS[2:5], RATES[2:5], strict=True):
        last = quotes[max(ts for ts in quotes if ts <= settlement(hour))]
        mark = (last.bid_price.as_decimal() + last.ask_price.as_decimal()) / 2
        payment = -short * mark * Decimal(repr(rate))
        expected += payment.quantize(CENT, rounding=ROUND_HALF_EVEN)

    # Act
    income = outcome.series[outcome.series["name"] == "carry.funding_income"]["value"].iloc[-1]

    # Assert
    ledger = outcome.funding
    assert ledger[ledger["payment"] != 0]["ts"].tolist() == [settlement(h) for h in (16, 24, 32)]
    assert income == pytest.approx(ledger["payment"].sum(), abs=1e-9)
    assert income == pytest.approx(outcome.stats["funding_net"], abs=1e-9)
    assert Decimal(repr(float(income))).quantize(CENT) == expected
    assert income > 0


def test_the_carry_exits_when_funding_drops(calm):
    # Arrange
    _, outcome = calm

    # Act
    exits = outcome.fills[outcome.fills["side"] == "BUY"]

    # Assert: the day-2 08:00 row pays 1.1 % a year, below the 3 % exit
    assert exits["ts"].tolist() == [settlement(32)]
    assert outcome.stats["trades"] == 1
    assert outcome.stats["count.exit_funding"] == 1
    assert outcome.stats["count.exit_toxicity"] == 0


def test_the_vpin_gate_keeps_the_carry_out_of_a_toxic_episode_and_closes_it_in_one(tmp_path):
    # Arrange: one-sided buying 07:30-10:00 (across the high-funding row at 08:00), and again
    # 20:00-21:00 while short
    rows = market(toxic=[(7.5, 10.0), (20.0, 21.0)])

    # Act
    outcome = run(tmp_path, rows)
    vpin = outcome.series[outcome.series["name"] == "toxicity.btcusdt_perp_vpin"]
    fills = outcome.fills.assign(hour=outcome.fills["ts"].map(hours))

    # Assert
    entries = fills[fills["side"] == "SELL"]["hour"]
    exits = fills[fills["side"] == "BUY"]["hour"]
    assert entries.iloc[0] > 10.0  # none at the 08:00 row, nor during the episode
    assert vpin[vpin["ts"] < T0 + 10 * HOUR]["value"].max() > 0.9
    assert outcome.stats["count.vpin_blocked"] > 0
    assert ((exits > 20.0) & (exits < 21.0)).sum() == 1  # VPIN crossed 0.90 inside the second
    assert outcome.stats["count.exit_toxicity"] == 1
    assert (entries > 21.0).any()  # back in once the flow calmed, funding still high


def test_with_a_spot_hedge_each_short_goes_with_a_long_spot_leg_of_the_same_size(tmp_path):
    # Arrange: the spot pair's quotes follow the perpetual's (it has no funding or metrics)
    rows = market()
    spot = InstrumentSpecs().get(SPOT, "BTCUSDT").to_instrument()
    spot_quotes = [
        QuoteTick(
            instrument_id=spot.id,
            bid_price=spot.make_price(q.bid_price.as_double()),
            ask_price=spot.make_price(q.ask_price.as_double()),
            bid_size=spot.make_qty(5.0),
            ask_size=spot.make_qty(5.0),
            ts_event=q.ts_init,
            ts_init=q.ts_init,
        )
        for q in rows.quotes
    ]
    catalog = write_market(tmp_path / "catalog", rows)
    for day in (0, 1):
        day_quotes = [q for q in spot_quotes if q.ts_init // DAY == T0 // DAY + day]
        catalog.write_data(day_quotes, start=T0 + day * DAY, end=T0 + (day + 1) * DAY - 1)
    catalog.write_data([spot])
    run_config = carry_run_config(
        tmp_path, {"hedge_with_spot": True}, data={"instruments": [PERP, str(spot.id)]}
    )

    # Act
    outcome = run_backtest(run_config)

    # Assert
    orders = outcome.fills.groupby(["instrument_id", "ts", "side"], as_index=False)["qty"].sum()
    perp = orders[orders["instrument_id"] == PERP]
    pair = orders[orders["instrument_id"] == str(spot.id)]
    assert perp["side"].tolist() == ["SELL", "BUY"]
    assert pair["side"].tolist() == ["BUY", "SELL"]
    assert perp["ts"].tolist() == pair["ts"].tolist()
    assert perp["qty"].tolist() == pytest.approx(pair["qty"].tolist())
    assert outcome.funding[outcome.funding["instrument_id"] == str(spot.id)].empty


# -- the rules -------------------------------------------------------------------------------


def test_entry_needs_high_funding_enough_volume_and_calm_flow():
    # Arrange
    rules = config()
    cases = {
        "ok": LegState(0.25, 0.5, 2e6),
        "warming": LegState(0.25, math.nan, 2e6),
        "low_funding": LegState(0.19, 0.5, 2e6),
        "thin": LegState(0.25, 0.5, 0.5e6),
        "toxic": LegState(0.25, 0.8, 2e6),
    }

    # Act
    blockers = {name: entry_blocker(leg, rules) for name, leg in cases.items()}

    # Assert
    assert blockers == {
        "ok": None,
        "warming": CarryBlocker.WARMING_UP,
        "low_funding": CarryBlocker.FUNDING,
        "thin": CarryBlocker.VOLUME,
        "toxic": CarryBlocker.TOXICITY,
    }


def test_exit_below_three_percent_funding_or_above_ninety_percent_vpin_only():
    # Arrange
    rules = config()

    # Act
    reasons = [
        exit_reason(LegState(0.029, 0.5, 2e6), rules),
        exit_reason(LegState(0.10, 0.91, 2e6), rules),
        exit_reason(LegState(0.10, 0.85, 2e6), rules),  # between the gates: hold
    ]

    # Assert
    assert reasons == [CarryExit.FUNDING, CarryExit.TOXICITY, None]


def test_the_best_funded_candidates_fill_the_free_slots():
    # Arrange
    candidates = [("ETH", 0.30), ("BTC", 0.45), ("SOL", 0.30), ("XRP", 0.21)]

    # Act
    chosen = selected(candidates, free_slots=3)

    # Assert
    assert chosen == ["BTC", "ETH", "SOL"]
    assert selected(candidates, free_slots=0) == []


def test_the_trailing_quote_volume_is_unknown_until_a_whole_window_has_passed():
    # Arrange: one bar a minute worth 10 each, a 5-minute window
    window = TrailingSum(5 * MINUTE)

    # Act
    values = []
    for minute in range(1, 9):
        window.update(T0 + minute * MINUTE, 10.0)
        values.append(window.value)

    # Assert
    assert all(math.isnan(v) for v in values[:5])
    assert values[5:] == [50.0, 50.0, 50.0]
