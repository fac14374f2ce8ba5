"""Queue position of resting orders: joining, trades at and through the price, the cancel rule."""

import math

from backtest.execution.queue import UNKNOWN
from backtest.execution.queue import QueueTracker
from backtest.execution.queue import joining_ahead

BID, ASK = 9_999, 10_001  # ticks


def test_an_order_joins_behind_the_displayed_size_at_its_touch_and_ahead_of_nobody_inside_the_spread():
    # Arrange, Act, Assert
    assert joining_ahead(+1, BID, BID, ASK, 3.0, 4.0) == 3.0
    assert joining_ahead(-1, ASK, BID, ASK, 3.0, 4.0) == 4.0
    assert joining_ahead(+1, BID + 1, BID, ASK, 3.0, 4.0) == 0.0
    assert joining_ahead(+1, BID - 1, BID, ASK, 3.0, 4.0) == UNKNOWN


def test_trades_at_the_price_consume_the_queue_ahead_before_the_order():
    # Arrange: a buy behind 3.
    queue = QueueTracker()
    queue.join("a", +1, BID, BID, ASK, 3.0, 4.0)

    # Act
    first = queue.on_trade(BID, 2.0, buyer_aggressor=False)
    second = queue.on_trade(BID, 1.5, buyer_aggressor=False)
    third = queue.on_trade(BID, 0.7, buyer_aggressor=False)

    # Assert: 2 leaves 1 ahead; 1.5 consumes it and gives 0.5 to the order; then 0.7 more.
    assert first == []
    assert second == [("a", 0.5)]
    assert third == [("a", 0.7)]


def test_buyer_aggressor_trades_at_the_bid_price_do_not_advance_a_resting_buy_queue_but_fill_it():
    # Arrange: a buyer lifting an ask at the bid's price means the ask had come down to it.
    queue = QueueTracker()
    queue.join("a", +1, BID, BID, ASK, 3.0, 4.0)

    # Act
    fills = queue.on_trade(BID, 0.1, buyer_aggressor=True)

    # Assert
    assert fills == [("a", UNKNOWN)]


def test_a_trade_through_the_price_fills_the_whole_order():
    # Arrange
    queue = QueueTracker()
    queue.join("buy", +1, BID, BID, ASK, 3.0, 4.0)
    queue.join("sell", -1, ASK, BID, ASK, 3.0, 4.0)

    # Act
    below = queue.on_trade(BID - 1, 0.01, buyer_aggressor=False)
    above = queue.on_trade(ASK + 1, 0.01, buyer_aggressor=True)

    # Assert
    assert below == [("buy", UNKNOWN)]
    assert above == [("sell", UNKNOWN)]


def test_a_shrinking_displayed_size_shrinks_the_queue_ahead_never_grows_it():
    # Arrange
    queue = QueueTracker()
    entry = queue.join("a", +1, BID, BID, ASK, 3.0, 4.0)

    # Act, Assert: cancels leave 1.2 displayed: at most 1.2 ahead; more joins behind don't count.
    queue.on_quote(BID, ASK, 1.2, 4.0)
    assert entry.ahead == 1.2
    queue.on_quote(BID, ASK, 5.0, 4.0)
    assert entry.ahead == 1.2
    # The bid leaves the order's price: nobody displayed ahead any more.
    queue.on_quote(BID - 1, ASK, 5.0, 4.0)
    assert entry.ahead == 0.0


def test_a_queue_behind_the_touch_becomes_the_displayed_size_when_its_price_is_the_touch():
    # Arrange
    queue = QueueTracker()
    entry = queue.join("a", +1, BID - 1, BID, ASK, 3.0, 4.0)
    assert math.isinf(entry.ahead)

    # Act
    queue.on_quote(BID - 1, ASK - 1, 2.5, 4.0)

    # Assert
    assert entry.ahead == 2.5
