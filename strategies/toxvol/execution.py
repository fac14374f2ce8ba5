"""
How an entry reaches the market: MARKET, or LIMIT post-only at the touch when that is allowed.

A maker entry is allowed only in ``execution_mode = "LIMIT"``, with a spread of at least
``limit_min_spread_ticks`` and low toxicity (``T < τ_T``): a resting order in toxic flow is filled
mostly when the price is about to run through it. Otherwise the entry goes by market, so the
signal is not lost. An unfilled limit is cancelled ``limit_timeout_secs`` after submission (the
strategy sets the timer); exits always go by market.

"""

from dataclasses import dataclass
from enum import StrEnum

from strategies.toxvol.config import ToxVolConfig


class OrderKind(StrEnum):
    """The order type of an entry."""

    MARKET = "MARKET"
    LIMIT = "LIMIT"


@dataclass(frozen=True, slots=True)
class EntryOrder:
    """An entry order: its kind, and its limit price (``None`` for a market order)."""

    kind: OrderKind
    price: float | None = None


def spread_ticks(bid: float, ask: float, tick: float) -> int:
    """Return the quoted spread in whole ticks (rounded: prices are on the tick grid)."""
    return round((ask - bid) / tick)


def entry_order(
    side: int, bid: float, ask: float, tick: float, toxic: bool, config: ToxVolConfig
) -> EntryOrder:
    """
    Return how to enter: post-only at the touch when allowed, else by market.

    Parameters
    ----------
    side : int
        +1 buy, -1 sell.
    bid, ask : float
        The current best bid and ask.
    tick : float
        The instrument's price increment.
    toxic : bool
        Whether the decision's toxicity is at or above τ_T.
    config : ToxVolConfig
        ``execution_mode`` and ``limit_min_spread_ticks``.

    Returns
    -------
    EntryOrder
        A LIMIT at the bid (buy) or the ask (sell), or a MARKET order.

    """
    if (
        config.execution_mode == OrderKind.LIMIT
        and not toxic
        and spread_ticks(bid, ask, tick) >= config.limit_min_spread_ticks
    ):
        return EntryOrder(OrderKind.LIMIT, bid if side > 0 else ask)
    return EntryOrder(OrderKind.MARKET)
