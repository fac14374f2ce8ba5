"""
Entry execution (MARKET, or post-only LIMIT at the touch, good till a timeout) and the entry guards,
in pure form and through real small backtests on controlled catalogs.
"""

from pathlib import Path

import pandas as pd
import pytest

from backtest.node import run_backtest
from backtest.results import RunOutcome
from strategies.toxvol.execution import EntryOrder
from strategies.toxvol.execution import OrderKind
from strategies.toxvol.execution import entry_order
from tests.backtest.conftest import make_config
from tests.backtest.fixtures import MINUTE
from tests.backtest.fixtures import SECOND
from tests.backtest.fixtures import T0
from tests.backtest.fixtures import write_market
from tests.strategies.conftest import BAR_TYPE
from tests.strategies.conftest import toxvol_config
from tests.strategies.markets import rising_market

TOXVOL = ("strategies.toxvol:ToxicityConditionedVolatility", "strategies.toxvol:ToxVolConfig")
LIMIT = toxvol_config(execution_mode="LIMIT", limit_min_spread_ticks=2)
TIMEOUT_SECS = 20
MARKET_MINUTES = 45
# Small windows so the strategy is ready after ~15 minutes; entries on any positive pressure
# from the top-of-book imbalance alone, in any regime.
FAST_LIMIT_ENTRIES = {
    "bar_type": BAR_TYPE,
    "cadence_minutes": 1,
    "compression_short_minutes": 3,
    "compression_long_minutes": 10,
    "har_horizons_minutes": [3, 5, 10],
    "vpin_window": 3,
    "vpin_bucket_minutes": 1,
    "vpin_lookback_periods": 3,
    "zscore_window": 5,
    "toxicity_window": 5,
    "toxicity_quantile": 0.9,
    "use_regime_filter": False,
    "use_svi": False,
    "use_ofi": False,
    "alpha_a_compression": -1e9,
    "alpha_a_pressure": 0.0,
    "execution_mode": "LIMIT",
    "limit_timeout_secs": float(TIMEOUT_SECS),
    "gap_cooldown_minutes": 3,
}


# -- the choice of order type ----------------------------------------------------------------


def test_market_mode_always_takes():
    # Arrange
    config = toxvol_config(execution_mode="MARKET")

    # Act
    order = entry_order(1, 42_000.0, 42_000.5, 0.1, False, config)

    # Assert
    assert order == EntryOrder(OrderKind.MARKET)


def test_limit_mode_posts_at_the_touch_when_the_spread_is_wide_enough_and_flow_is_calm():
    # Arrange: spread 3 ticks, minimum 2

    # Act
    buy = entry_order(1, 42_000.0, 42_000.3, 0.1, False, LIMIT)
    sell = entry_order(-1, 42_000.0, 42_000.3, 0.1, False, LIMIT)

    # Assert
    assert buy == EntryOrder(OrderKind.LIMIT, 42_000.0)
    assert sell == EntryOrder(OrderKind.LIMIT, 42_000.3)


def test_limit_mode_takes_when_the_spread_is_too_tight():
    # Arrange, Act
    order = entry_order(1, 42_000.0, 42_000.1, 0.1, False, LIMIT)

    # Assert
    assert order.kind == OrderKind.MARKET


def test_no_maker_entry_in_a_toxic_regime():
    # Arrange, Act
    order = entry_order(1, 42_000.0, 42_000.5, 0.1, True, LIMIT)

    # Assert
    assert order.kind == OrderKind.MARKET


# -- through the engine ----------------------------------------------------------------------


def run_rising(root: Path, **market) -> RunOutcome:
    """Run the strategy with fast post-only entries over a rising market written to ``root``."""
    write_market(root / "catalog", rising_market(T0, MARKET_MINUTES, **market))
    config = make_config(
        root / "catalog",
        root / "results",
        "2024-01-01T01:00:00Z",
        strategy=TOXVOL,
        params=FAST_LIMIT_ENTRIES,
        families=["trades", "quotes", "bars"],
        venue={"charge_funding": False},
    )
    return run_backtest(config)


def times_of(outcome: RunOutcome, name: str) -> list[int]:
    """Return when a ``count.*`` total moved up (each submission or cancellation)."""
    series = outcome.series[outcome.series["name"] == name]
    return series["ts"][series["value"].diff() > 0].tolist()


def minute_of(ts: int) -> float:
    """Return minutes since the market's start."""
    return (ts - T0) / MINUTE


@pytest.fixture(scope="module")
def rising(tmp_path_factory) -> RunOutcome:
    """The baseline run: nothing missing from the market."""
    return run_rising(tmp_path_factory.mktemp("rising"))


def test_an_unfilled_post_only_limit_expires_at_the_timeout(rising):
    # Arrange: a GTD order expires at the venue's first quote or trade at or after its expiry
    # (quotes come every whole second, so exactly at it); one sent within the timeout of the
    # market's end meets no such event and stays open
    submitted = times_of(rising, "count.limit_orders")
    expired = times_of(rising, "count.limit_cancelled")
    market_end = T0 + MARKET_MINUTES * MINUTE
    due = [s for s in submitted if s + TIMEOUT_SECS * SECOND < market_end]

    # Act
    waits = [e - s for s, e in zip(due, expired, strict=True)]

    # Assert
    assert len(due) >= 10 and len(submitted) - len(due) == 1
    assert waits == [TIMEOUT_SECS * SECOND] * len(due)
    assert rising.fills.empty  # the touch ran away from every resting buy
    assert rising.stats["count.alpha_a"] == len(submitted)


def test_a_stale_quote_blocks_entries(tmp_path: Path, rising):
    # Arrange: no quotes during minutes 30-33, so the decisions at 31:00 to 34:00 see a quote
    # more than 5 s old (the kline stamped 34:00 comes before the quote stamped 34:00)
    blocked = {31, 32, 33, 34}
    baseline = {round(minute_of(t)) for t in times_of(rising, "count.limit_orders")}

    # Act
    stalled = run_rising(tmp_path, drop_quotes=(30, 34))
    entries = {round(minute_of(t)) for t in times_of(stalled, "count.limit_orders")}

    # Assert
    assert blocked <= baseline
    assert entries & blocked == set()
    assert 30 in entries and max(entries) > 34


def test_a_kline_gap_blocks_entries_until_its_cooldown_has_passed(tmp_path: Path, rising):
    # Arrange: the kline of minute 19 is missing (no decision at 20:00); with a 3-bar cooldown
    # the gap stays open through the decisions at 21:00, 22:00 and 23:00
    blocked = {20, 21, 22, 23}
    baseline = {round(minute_of(t)) for t in times_of(rising, "count.limit_orders")}

    # Act
    gapped = run_rising(tmp_path, drop_bar_minutes=[19])
    entries = {round(minute_of(t)) for t in times_of(gapped, "count.limit_orders")}

    # Assert
    assert blocked <= baseline
    assert entries & blocked == set()
    assert min(entries) < 20 and max(entries) > 23


def test_the_published_series_are_stamped_at_the_decisions(rising):
    # Arrange
    pressure = rising.series[rising.series["name"] == "features.pressure"]

    # Act
    stamps = pd.Series(pressure["ts"].to_numpy())

    # Assert: one value a minute, on the minute (the fixtures stamp klines at their close)
    assert (stamps % MINUTE == 0).all()
    assert stamps.diff().dropna().eq(MINUTE).all()
