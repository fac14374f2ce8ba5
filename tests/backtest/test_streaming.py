"""The streaming loop: day windows, and a fixed order for events sharing a timestamp."""

from backtest.streaming import DAY_NS
from backtest.streaming import order_events
from backtest.streaming import windows
from tests.backtest.fixtures import BAR_TYPE
from tests.backtest.fixtures import T0
from tests.backtest.fixtures import Market
from tests.backtest.fixtures import bars_from_trades
from tests.backtest.fixtures import quote
from tests.backtest.fixtures import trade


def test_windows_cover_the_period_and_cut_at_utc_midnights():
    # Arrange
    first, last = T0 + 5, T0 + 2 * DAY_NS + 7

    # Act
    spans = windows(first, last, DAY_NS)

    # Assert
    assert spans == [
        (T0 + 5, T0 + DAY_NS - 1),
        (T0 + DAY_NS, T0 + 2 * DAY_NS - 1),
        (T0 + 2 * DAY_NS, T0 + 2 * DAY_NS + 7),
    ]


def test_events_sharing_a_timestamp_come_bars_first_then_quotes_then_trades():
    # Arrange
    bar = bars_from_trades([trade(T0 + 1, 42_000.0, 0.1, True, 1)])[0]  # stamped at T0 + 1 min
    at = bar.ts_init
    data = [
        quote(at - 1, 42_000.0, 42_000.1),
        trade(at, 42_000.1, 0.2, True, 2),
        quote(at, 42_000.0, 42_000.1),
        bar,
        quote(at, 42_000.1, 42_000.2),
        trade(at + 1, 42_000.1, 0.2, False, 3),
    ]

    # Act
    order_events(data)

    # Assert
    kinds = [(type(d).__name__, d.ts_init - at) for d in data]
    assert kinds == [
        ("QuoteTick", -1),
        ("Bar", 0),
        ("QuoteTick", 0),
        ("QuoteTick", 0),
        ("TradeTick", 0),
        ("TradeTick", 1),
    ]
    assert data[1].bar_type == BAR_TYPE
    assert data[2].bid_price.as_double() == 42_000.0  # same-kind ties keep their stored order


def test_unsorted_chunks_are_sorted_fully():
    # Arrange
    market = Market(
        quotes=[quote(T0 + 3, 1.0, 1.1), quote(T0 + 1, 2.0, 2.1), quote(T0 + 2, 3.0, 3.1)]
    )
    data = list(market.quotes)

    # Act
    order_events(data)

    # Assert
    assert [d.ts_init - T0 for d in data] == [1, 2, 3]
