"""
Controlled markets for the strategy runs, built on ``tests.backtest.fixtures`` (same instrument,
same row helpers, same catalog layout).
"""

from bisect import bisect_right
from collections.abc import Iterable

from tests.backtest.fixtures import FUNDING_OFFSET
from tests.backtest.fixtures import HOUR
from tests.backtest.fixtures import MINUTE
from tests.backtest.fixtures import SECOND
from tests.backtest.fixtures import Market
from tests.backtest.fixtures import bars_from_trades
from tests.backtest.fixtures import funding
from tests.backtest.fixtures import quote
from tests.backtest.fixtures import trade

GOLDEN = 0.6180339887498949  # spreads the buyer/seller pattern evenly (a low-discrepancy sequence)


def rising_market(
    start: int,
    minutes: int,
    drop_quotes: tuple[int, int] | None = None,
    drop_bar_minutes: Iterable[int] = (),
) -> Market:
    """
    Return a market whose touch rises one tick a second, with a bid that keeps growing.

    Quotes every second: bid ``42000.0 + 0.1 s``, ask one tick above, bid size growing (so the
    top-of-book imbalance rises: its z-score is positive) and ask size fixed. Trades every two
    seconds at the touch, half a second after a quote, a steadily smaller share of them bought
    (from all to half over the market: VPIN falls). A resting buy at the bid is never reached
    again: every later trade prints above it.

    Parameters
    ----------
    start : int
        The first quote's time (ns).
    minutes : int
        The market's length.
    drop_quotes : tuple[int, int], optional
        ``[first, last)`` minutes after ``start`` without quotes (a stalled feed).
    drop_bar_minutes : Iterable[int]
        Minutes after ``start`` whose 1-minute kline is missing (a kline gap).

    Returns
    -------
    Market

    """
    seconds = minutes * 60
    market = Market()
    for s in range(seconds):
        ts = start + s * SECOND
        if drop_quotes and drop_quotes[0] * 60 <= s < drop_quotes[1] * 60:
            continue
        bid = round(42_000.0 + 0.1 * s, 1)
        market.quotes.append(quote(ts, bid, round(bid + 0.1, 1), 1.0 + 0.002 * s, 1.0))
    for n, s in enumerate(range(0, seconds, 2)):
        buy_share = 1.0 - 0.5 * s / seconds
        buyer = (n * GOLDEN) % 1.0 < buy_share
        bid = round(42_000.0 + 0.1 * s, 1)
        price = round(bid + 0.1, 1) if buyer else bid
        market.trades.append(trade(start + s * SECOND + SECOND // 2, price, 0.2, buyer, n))
    dropped = {start // MINUTE + m for m in drop_bar_minutes}
    bars = bars_from_trades(market.trades)
    market.bars = [b for b in bars if (b.ts_init - 1) // MINUTE not in dropped]
    return market


def with_funding(market: Market, rates: list[float]) -> Market:
    """Return ``market`` with its settlements at 00:00, 08:00, 16:00, ... paying ``rates``."""
    start = market.quotes[0].ts_init
    first = -(-start // (8 * HOUR)) * 8 * HOUR
    market.funding = [
        funding(first + n * 8 * HOUR + FUNDING_OFFSET, rate) for n, rate in enumerate(rates)
    ]
    return market


def with_toxic_episode(market: Market, start: int, end: int) -> Market:
    """
    Return ``market`` with every trade in ``[start, end)`` bought at the ask (one-sided flow).

    The bars are rebuilt from the trades.
    """
    asks = [q.ts_init for q in market.quotes]
    trades = []
    for t in market.trades:
        if start <= t.ts_init < end:
            q = market.quotes[bisect_right(asks, t.ts_init) - 1]
            price = q.ask_price.as_double()
            t = trade(t.ts_init, price, t.size.as_double(), True, int(t.trade_id.value))
        trades.append(t)
    market.trades = trades
    market.bars = bars_from_trades(trades)
    return market
