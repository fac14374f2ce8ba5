"""
Execution realism through the whole runtime (run config → node → Nautilus → fills table):
an order larger than the touch walks a known book, a post-only order waits its queue, latency
delays fills. Every expectation is a hand-computed book walk or queue count.
"""

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from nautilus_trader.model.data import Bar
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity

from backtest.config import PeriodSection
from backtest.node import run_backtest
from data_types import BookDepth
from tests.backtest.conftest import make_config
from tests.backtest.fixtures import BAR_TYPE
from tests.backtest.fixtures import DAY
from tests.backtest.fixtures import INSTRUMENT_ID
from tests.backtest.fixtures import SECOND
from tests.backtest.fixtures import T0
from tests.backtest.fixtures import Market
from tests.backtest.fixtures import quote
from tests.backtest.fixtures import trade
from tests.backtest.fixtures import write_market

SCRIPTED = (
    "tests.backtest.execution_strategies:ScriptedOrders",
    "tests.backtest.execution_strategies:ScriptedOrdersConfig",
)
END = "2024-01-01T00:01:00Z"
MILLISECOND = 1_000_000


def _sections(**execution: Any) -> dict[str, dict[str, Any]]:
    sections = {"venue": {"charge_funding": False}, "execution": execution}
    if "allow_gaps" in PeriodSection.model_fields:
        # These markets last seconds, not the whole day the coverage check asks for.
        sections["period"] = {"allow_gaps": True}
    return sections


def _run(
    root: Path,
    market: Market,
    orders: list[list],
    depth: list[BookDepth] | None = None,
    **execution: Any,
):
    catalog = write_market(root / "catalog", market)
    if depth:
        catalog.write_data(depth, start=T0, end=T0 + DAY - 1)
    families = [name for name, rows in market.families().items() if rows]
    config = make_config(
        root / "catalog",
        root / "results",
        END,
        strategy=SCRIPTED,
        params={"orders": orders},
        families=families,
        **_sections(**execution),
    )
    return run_backtest(config)


@pytest.fixture
def walk_market() -> tuple[Market, list[BookDepth]]:
    """Return a 999.9 / 1000.1 book (2 BTC displayed each side) with 1 BTC per tick behind it."""
    # Mid 1000.0, so 1 % is 10.0 = 100 ticks; the touch is 1 tick from the mid. 99 BTC more
    # within 1 % makes (101 - 2) / (10.0 - 0.1) = 10 BTC per unit of price: 1 BTC per tick.
    quotes = [quote(T0 + n * SECOND, 999.9, 1000.1, 2.0, 2.0) for n in range(1, 50)]
    depth = [
        BookDepth(
            instrument_id=INSTRUMENT_ID,
            percentage=float(sign * p),
            depth=2.0 + 99.0 + 100.0 * (p - 1),
            notional=0.0,
            ts_event=T0,
            ts_init=T0,
        )
        for sign in (-1, 1)
        for p in (1, 2, 3, 4, 5)
    ]
    return Market(quotes=quotes), depth


def test_a_market_order_larger_than_the_touch_walks_the_book_depth_to_the_hand_computed_average(
    tmp_path, walk_market
):
    # Arrange: buy 5 BTC against 2 displayed at 1000.1 and 1 BTC per tick behind: 2 @ 1000.1,
    # then 1 @ 1000.2, 1000.3, 1000.4; a second buy of 2 before the next quote finds those
    # taken and pays 1000.5 and 1000.6.
    market, depth = walk_market
    orders = [
        [T0 + 2 * SECOND + 500 * MILLISECOND, "BUY", "5.000", None],
        [T0 + 2 * SECOND + 600 * MILLISECOND, "BUY", "2.000", None],
    ]

    # Act
    outcome = _run(tmp_path, market, orders, depth, model="depth")

    # Assert
    fills = outcome.fills
    first = fills[fills["ts"] == T0 + 2 * SECOND + 500 * MILLISECOND]
    second = fills[fills["ts"] == T0 + 2 * SECOND + 600 * MILLISECOND]
    assert np.dot(first["price"], first["qty"]) / first["qty"].sum() == pytest.approx(
        (2 * 1000.1 + 1000.2 + 1000.3 + 1000.4) / 5
    )
    assert np.dot(second["price"], second["qty"]) / second["qty"].sum() == pytest.approx(
        (1000.5 + 1000.6) / 2
    )
    assert first["qty"].sum() == pytest.approx(5.0) and second["qty"].sum() == pytest.approx(2.0)
    # Each fill's level and impact: the 2 BTC at the touch cost nothing beyond it; the rest paid
    # 0.1 + 0.2 + 0.3 (first order) and 0.4 + 0.5 (second).
    assert list(first.sort_values("price")["level"]) == [0, 2]
    assert first["impact"].sum() == pytest.approx(0.6)
    assert second["impact"].sum() == pytest.approx(0.9)
    assert (fills["touch"] == 1000.1).all()


def test_nautilus_l1_fills_everything_beyond_the_touch_one_tick_behind_it(tmp_path, walk_market):
    # Arrange: the same 5 BTC under "l1": 2 at the touch, 3 at one tick behind, whatever the size.
    market, depth = walk_market

    # Act
    outcome = _run(
        tmp_path,
        market,
        [[T0 + 2 * SECOND + 500 * MILLISECOND, "BUY", "5.000", None]],
        depth,
        model="l1",
    )

    # Assert
    fills = outcome.fills.sort_values("price")
    assert list(fills["price"]) == [1000.1, 1000.2]
    assert list(fills["qty"]) == [2.0, 3.0]
    assert list(fills["level"]) == [0, 1]


def test_without_book_depth_the_walk_follows_the_square_root_law_on_trailing_bars(tmp_path):
    # Arrange: bars alternate between two closes, so σ and V are known exactly; no bookDepth.
    closes = [1000.0 if n % 2 == 0 else 1001.0 for n in range(60)]
    bars = [
        Bar(
            BAR_TYPE,
            Price(c, 1),
            Price(c, 1),
            Price(c, 1),
            Price(c, 1),
            Quantity(50.0, 3),
            T0 + (n + 1) * 60 * SECOND - 1,
            T0 + (n + 1) * 60 * SECOND - 1,
        )
        for n, c in enumerate(closes)
    ]
    quotes = [
        quote(T0 + 3_600 * SECOND + n * SECOND, 999.9, 1000.1, 2.0, 2.0) for n in range(1, 30)
    ]
    write_market(tmp_path / "catalog", Market(quotes=quotes, bars=bars))
    config = make_config(
        tmp_path / "catalog",
        tmp_path / "results",
        "2024-01-01T01:01:00Z",
        strategy=SCRIPTED,
        params={"orders": [[T0 + 3_610 * SECOND, "BUY", "5.000", None]]},
        families=["quotes", "bars"],
        **_sections(model="depth", impact_coefficient=0.5),
    )

    # Act
    outcome = run_backtest(config)

    # Assert: the walk's cost equals a level-by-level sum of the law's book, done here by hand.
    r = np.diff(np.log(closes))
    sigma = r.std(ddof=1) * np.sqrt(1_440)
    volume = 50.0 * 1_440
    scale = 0.5 * sigma * 1000.1
    remaining, k, cost = 3.0, 0, 0.0  # 3 BTC beyond the 2 displayed
    while remaining > 1e-12:
        k += 1
        level = volume * ((k * 0.1 / scale) ** 2 - ((k - 1) * 0.1 / scale) ** 2)
        take = min(level, remaining)
        cost += take * k * 0.1
        remaining -= take
    fills = outcome.fills
    assert fills["qty"].sum() == pytest.approx(5.0)
    assert fills["impact"].sum() == pytest.approx(cost, abs=0.1 * 0.001 + 1e-9)
    assert fills["level"].max() in (k - 1, k, k + 1)


def _queue_market(trades: list) -> Market:
    # 999.9 / 1000.1 with 3 BTC displayed at the bid until 4 s, 1 BTC after (2 traded away).
    quotes = [
        quote(T0 + SECOND, 999.9, 1000.1, 3.0, 3.0),
        quote(T0 + 4 * SECOND, 999.9, 1000.1, 1.0, 3.0),
    ]
    quotes += [quote(T0 + n * SECOND, 999.9, 1000.1, 1.0, 3.0) for n in range(10, 20)]
    return Market(quotes=quotes, trades=trades)


def test_a_post_only_order_fills_only_after_the_queue_ahead_has_traded_at_its_price(tmp_path):
    # Arrange: a 1 BTC bid at 999.9 joins behind 3 BTC at 2 s. Sells at 999.9: 2 at 3 s (1 left
    # ahead), 1.5 at 5 s (0.5 fills the order), 0.7 at 6 s (the other 0.5).
    trades = [
        trade(T0 + 3 * SECOND, 999.9, 2.0, False, 1),
        trade(T0 + 5 * SECOND, 999.9, 1.5, False, 2),
        trade(T0 + 6 * SECOND, 999.9, 0.7, False, 3),
    ]
    orders = [[T0 + 2 * SECOND, "BUY", "1.000", "999.9"]]

    # Act
    queued = _run(tmp_path / "queue", _queue_market(trades), orders, model="depth+queue").fills
    l1 = _run(tmp_path / "l1", _queue_market(trades), orders, model="l1").fills

    # Assert
    assert list(queued["ts"]) == [T0 + 5 * SECOND, T0 + 6 * SECOND]
    assert list(queued["qty"]) == [0.5, 0.5]
    assert (queued["price"] == 999.9).all() and (queued["liquidity"] == "MAKER").all()
    assert (queued["level"] == 0).all() and (queued["impact"] == 0.0).all()
    assert len(l1) == 0  # Nautilus's L1 fills a resting bid only when the ask comes down to it


def test_a_post_only_order_fills_completely_when_the_price_trades_through_it(tmp_path):
    # Arrange: 3 BTC ahead, and the only sell trades at 999.8, through the order's price.
    trades = [trade(T0 + 5 * SECOND, 999.8, 0.2, False, 1)]

    # Act
    fills = _run(
        tmp_path,
        _queue_market(trades),
        [[T0 + 2 * SECOND, "BUY", "1.000", "999.9"]],
        model="depth+queue",
    ).fills

    # Assert
    assert list(fills["ts"]) == [T0 + 5 * SECOND]
    assert list(fills["qty"]) == [1.0]
    assert list(fills["price"]) == [999.9]


@pytest.mark.parametrize("latency_ms", [0, 50])
def test_latency_delays_a_fill_by_the_configured_time_and_fills_at_the_quote_then(
    tmp_path, latency_ms
):
    # Arrange: a quote every 10 ms, the ask one tick higher each time.
    quotes = [
        quote(T0 + SECOND + n * 10 * MILLISECOND, 1000.0 + n * 0.1, 1000.1 + n * 0.1, 5.0, 5.0)
        for n in range(300)
    ]
    submitted = T0 + 2 * SECOND

    # Act
    fills = _run(
        tmp_path, Market(quotes=quotes), [[submitted, "BUY", "1.000", None]], latency_ms=latency_ms
    ).fills

    # Assert
    filled = submitted + latency_ms * MILLISECOND
    assert list(fills["ts"]) == [filled]
    n = (filled - T0 - SECOND) // (10 * MILLISECOND)
    assert fills["price"].iloc[0] == pytest.approx(1000.1 + n * 0.1)
