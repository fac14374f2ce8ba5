"""
Queue position of resting post-only orders, in the spirit of hftbacktest's risk-averse queue model.

The archive shows the touch (bookTicker) and the trades (aggTrades), never the queue itself, so:

- **Joining.** An order that rests at its side's touch joins behind the whole displayed size
  there; one that improves the touch (inside the spread) has nobody ahead; one behind the touch
  has an unknown queue (it becomes the displayed size when its price becomes the touch).
- **Trades.** A trade at the order's price by the opposite aggressor (a sell hitting a resting
  buy) consumes the queue ahead first; whatever it leaves fills the order, at that trade. A trade
  through the price (a sell below a resting buy), or a same-side aggressor trade at the price
  (the opposite touch had reached it), fills the order completely.
- **Cancels (the stated rule).** When the displayed size at the order's price shrinks, the queue
  ahead becomes ``min(ahead, displayed)``: a cancel is assumed to come from behind the order
  unless the displayed size proves otherwise (hftbacktest's ``RiskAdverseQueueModel``). When the
  own-side touch moves away from the order's price, nobody is left ahead.
- **Crossing quotes** (the opposite touch at or through the price) fill the whole order; the
  matching engine does that itself.

Prices are integers (ticks) so that equality is exact; sizes are in base units.

"""

from dataclasses import dataclass

UNKNOWN = float("inf")


@dataclass(slots=True)
class QueueEntry:
    """One resting order: side (+1 buy, -1 sell), price in ticks, and the size ahead of it."""

    side: int
    price: int
    ahead: float


def joining_ahead(
    side: int, price: int, bid: int, ask: int, bid_size: float, ask_size: float
) -> float:
    """
    Return the size ahead of an order joining the book now.

    Parameters
    ----------
    side : int
        +1 buy, -1 sell.
    price : int
        The order's price (ticks).
    bid, ask : int
        The touch (ticks).
    bid_size, ask_size : float
        The displayed sizes at the touch.

    Returns
    -------
    float
        The displayed size at the touch when the order joins it; 0 when it improves the touch;
        ``UNKNOWN`` when it rests behind the touch.

    """
    touch, size = (bid, bid_size) if side > 0 else (ask, ask_size)
    if price == touch:
        return size
    improves = price > touch if side > 0 else price < touch
    return 0.0 if improves else UNKNOWN


class QueueTracker:
    """The queue position of every resting post-only order of one instrument."""

    def __init__(self) -> None:
        self.entries: dict[str, QueueEntry] = {}

    def join(
        self,
        order_id: str,
        side: int,
        price: int,
        bid: int,
        ask: int,
        bid_size: float,
        ask_size: float,
    ) -> QueueEntry:
        """Start tracking an order that rests from now on; return its entry."""
        entry = QueueEntry(side, price, joining_ahead(side, price, bid, ask, bid_size, ask_size))
        self.entries[order_id] = entry
        return entry

    def leave(self, order_id: str) -> None:
        """Stop tracking an order (filled, cancelled or expired)."""
        self.entries.pop(order_id, None)

    def on_quote(self, bid: int, ask: int, bid_size: float, ask_size: float) -> None:
        """Shrink the queues ahead by the displayed sizes at each order's price (the cancel rule)."""
        for entry in self.entries.values():
            touch, size = (bid, bid_size) if entry.side > 0 else (ask, ask_size)
            if entry.price == touch:
                entry.ahead = min(entry.ahead, size)
            elif (entry.price > touch) if entry.side > 0 else (entry.price < touch):
                entry.ahead = 0.0  # the touch left the order's price: nobody displayed ahead

    def on_trade(self, price: int, size: float, buyer_aggressor: bool) -> list[tuple[str, float]]:
        """
        Advance the queues by one trade; return the orders it fills and how much of each.

        Parameters
        ----------
        price : int
            The trade price (ticks).
        size : float
            The traded size.
        buyer_aggressor : bool
            Whether a buyer took liquidity (it can fill resting sells).

        Returns
        -------
        list[tuple[str, float]]
            ``(order id, size)``; ``UNKNOWN`` (infinite) means the whole remaining order.

        """
        fills = []
        for order_id, entry in self.entries.items():
            if entry.side > 0:
                through = price < entry.price or (price == entry.price and buyer_aggressor)
                at_price = price == entry.price and not buyer_aggressor
            else:
                through = price > entry.price or (price == entry.price and not buyer_aggressor)
                at_price = price == entry.price and buyer_aggressor
            if through:
                fills.append((order_id, UNKNOWN))
            elif at_price and entry.ahead != UNKNOWN:
                left = size - entry.ahead
                entry.ahead = max(0.0, entry.ahead - size)
                if left > 0:
                    fills.append((order_id, left))
        return fills
