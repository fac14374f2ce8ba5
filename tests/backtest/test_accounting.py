"""Reconciliation, determinism and fill honesty of a full run of the example strategy."""

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backtest.node import run_backtest
from tests.backtest.conftest import MOMENTUM
from tests.backtest.conftest import make_config
from tests.backtest.conftest import observe_market
from tests.backtest.fixtures import BAR_TYPE
from tests.backtest.fixtures import SECOND
from tests.backtest.fixtures import T0
from tests.backtest.fixtures import Market
from tests.backtest.fixtures import quote
from tests.backtest.fixtures import random_walk_market
from tests.backtest.fixtures import trade
from tests.backtest.fixtures import write_market

MOMENTUM_PARAMS = {
    "bar_type": str(BAR_TYPE),
    "fast_period": 5,
    "slow_period": 20,
    "imbalance_period": 30,
    "min_hold_bars": 5,
    "trade_notional": 30_000.0,
}


def independent_realized_pnl(fills: pd.DataFrame) -> float:
    """Return realized PnL (gross of fees) by average cost, fill by fill, per instrument."""
    realized = 0.0
    held: dict[str, tuple[float, float]] = {}  # instrument -> (signed qty, average open price)
    for instrument, side, qty, price in zip(
        fills["instrument_id"], fills["side"], fills["qty"], fills["price"], strict=True
    ):
        position, average = held.get(instrument, (0.0, 0.0))
        signed = qty if side == "BUY" else -qty
        if position == 0 or np.sign(position) == np.sign(signed):
            average = (average * abs(position) + price * qty) / (abs(position) + qty)
            position += signed
        else:
            closed = min(qty, abs(position))
            realized += closed * (price - average) * np.sign(position)
            position = round(position + signed, 9)
            if position != 0 and np.sign(position) == np.sign(signed):
                average = price  # flipped: the remainder opened at this fill's price
            elif position == 0:
                average = 0.0
        held[instrument] = (position, average)
    return realized


@pytest.fixture(scope="module")
def momentum_catalog(tmp_path_factory) -> Path:
    """Write one day of a seeded random-walk market with three settlements."""
    root = tmp_path_factory.mktemp("momentum")
    write_market(root / "catalog", random_walk_market(T0, 24.0, seed=11))
    return root


def momentum_config(root: Path, chunk_size: int = 5_000):
    return make_config(
        root / "catalog",
        root / "results",
        "2024-01-02T00:00:00Z",
        strategy=MOMENTUM,
        params=MOMENTUM_PARAMS,
        data={"chunk_size": chunk_size},
    )


@pytest.fixture(scope="module")
def two_runs(momentum_catalog):
    """Run the same config twice."""
    config = momentum_config(momentum_catalog)
    return run_backtest(config), run_backtest(config)


def fills_hash(fills: pd.DataFrame) -> str:
    return hashlib.sha256(fills.to_csv(index=False).encode()).hexdigest()


def test_balance_change_equals_realized_pnl_plus_funding_minus_commissions(two_runs):
    # Arrange
    outcome, _ = two_runs
    realized = independent_realized_pnl(outcome.fills)
    commissions = outcome.fills["commission"].sum()
    funding = outcome.funding["payment"].sum()

    # Act
    change = outcome.stats["final_balance"] - 100_000.0

    # Assert
    assert outcome.stats["trades"] >= 5
    assert (outcome.funding["payment"] != 0).sum() >= 2
    assert change == pytest.approx(realized + funding - commissions, abs=1e-6)
    assert outcome.stats["realized_pnl"] == pytest.approx(realized, abs=1e-6)


def test_the_last_account_state_is_the_reported_final_balance(two_runs):
    # Arrange
    outcome, _ = two_runs

    # Act
    last_total = outcome.account["total"].iloc[-1]

    # Assert
    assert last_total == pytest.approx(outcome.stats["final_balance"], abs=1e-9)
    assert outcome.equity["balance"].iloc[-1] == pytest.approx(last_total, abs=1e-9)


def test_two_runs_of_one_config_give_identical_fills(two_runs):
    # Arrange
    first, second = two_runs

    # Act
    hashes = fills_hash(first.fills), fills_hash(second.fills)

    # Assert
    assert len(first.fills) > 10
    assert hashes[0] == hashes[1]
    assert first.funding.equals(second.funding)
    assert first.equity.equals(second.equity)


def test_the_chunk_size_does_not_change_the_fills(two_runs, momentum_catalog):
    # Arrange
    first, _ = two_runs

    # Act
    other = run_backtest(momentum_config(momentum_catalog, chunk_size=777))

    # Assert
    assert fills_hash(other.fills) == fills_hash(first.fills)
    assert other.stats["final_balance"] == first.stats["final_balance"]


def test_market_orders_cross_the_spread_whatever_side_the_last_trade_hit(tmp_path: Path):
    # Arrange: on an L1 book every trade resets the book to its price; a buy after a trade at the
    # bid must still pay the ask, a sell after a trade at the ask must still get the bid.
    market = Market(
        quotes=[quote(T0, 42_000.0, 42_000.2), quote(T0 + 10 * SECOND, 42_000.0, 42_000.2)],
        trades=[
            trade(T0 + 2 * SECOND, 42_000.0, 0.5, buyer_aggressor=False, trade_id=1),
            trade(T0 + 3_500_000_000, 42_000.2, 0.5, buyer_aggressor=True, trade_id=2),
        ],
    )

    # Act
    outcome, _ = observe_market(
        tmp_path,
        market,
        "2024-01-01T00:01:00Z",
        families=["quotes", "trades"],
        venue={"charge_funding": False},
        orders=[[T0 + 3 * SECOND, "BUY", "0.100"], [T0 + 4 * SECOND, "SELL", "0.100"]],
    )

    # Assert
    assert list(zip(outcome.fills["side"], outcome.fills["price"], strict=True)) == [
        ("BUY", 42_000.2),
        ("SELL", 42_000.0),
    ]


def test_a_fee_override_replaces_the_instrument_fee_schedule(tmp_path: Path):
    # Arrange
    market = Market(quotes=[quote(T0 + i * SECOND, 42_000.0, 42_000.2) for i in range(20)])

    # Act
    outcome, _ = observe_market(
        tmp_path,
        market,
        "2024-01-01T00:01:00Z",
        families=["quotes"],
        venue={"charge_funding": False, "fees": {"maker": 0.0, "taker": 0.001}},
        orders=[[T0 + 3 * SECOND, "BUY", "0.100"]],
    )

    # Assert
    assert outcome.fills["commission"].tolist() == [pytest.approx(0.1 * 42_000.2 * 0.001, abs=1e-8)]


def test_latency_delays_the_fill_to_the_book_after_it(tmp_path: Path):
    # Arrange: the ask steps up 400 ms after the order is sent
    market = Market(
        quotes=[
            quote(T0, 42_000.0, 42_000.2),
            quote(T0 + 1_400_000_000, 42_010.0, 42_010.2),
            quote(T0 + 2 * SECOND, 42_010.0, 42_010.2),
        ],
    )

    # Act
    outcome, _ = observe_market(
        tmp_path,
        market,
        "2024-01-01T00:01:00Z",
        families=["quotes"],
        venue={"charge_funding": False},
        execution={"latency_ms": 500.0},
        orders=[[T0 + SECOND, "BUY", "0.100"]],
    )

    # Assert: it reaches the venue at 1.5 s, after the step; the engine stamps it at its next event
    fill = outcome.fills.iloc[0]
    assert len(outcome.fills) == 1 and fill["price"] == 42_010.2
    assert T0 + 1_500_000_000 <= fill["ts"] <= T0 + 2 * SECOND
