"""1-minute klines as the exact aggregation of a day's aggregate trades (integer arithmetic)."""

from dataclasses import dataclass

import numpy as np

from etl.synth.latent import DAY_MINUTES


@dataclass(frozen=True)
class Klines:
    """
    One day of 1m klines, every minute present.

    Prices are in the trades' price units, volumes in lots and quote volumes in
    price-unit × lot units, so every sum is exact. A minute without trades repeats the previous
    close with zero volume, as Binance does.
    """

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    quote_volume: np.ndarray
    count: np.ndarray
    taker_buy_volume: np.ndarray
    taker_buy_quote_volume: np.ndarray


def aggregate_klines(
    minute: np.ndarray,
    price: np.ndarray,
    qty: np.ndarray,
    buyer_maker: np.ndarray,
    fills: np.ndarray,
    previous_close: int,
) -> Klines:
    """
    Aggregate time-ordered trades into the day's 1440 klines.

    Parameters
    ----------
    minute : np.ndarray
        Minute of the day of each trade (non-decreasing).
    price : np.ndarray
        Trade prices (integer units).
    qty : np.ndarray
        Trade quantities (lots).
    buyer_maker : np.ndarray
        True where the seller was the aggressor.
    fills : np.ndarray
        Underlying trades per aggregate (``last_trade_id - first_trade_id + 1``): the kline count.
    previous_close : int
        Close before the day, carried into leading minutes without trades.

    """
    counts = np.bincount(minute, minlength=DAY_MINUTES)
    traded = counts > 0
    starts = np.searchsorted(minute, np.arange(DAY_MINUTES))[traded]
    ends = starts + counts[traded] - 1
    quote = price * qty
    taker_buy = ~np.asarray(buyer_maker, dtype=bool)

    # Minutes without trades carry the last close forward, as flat zero-volume bars.
    last_traded = np.maximum.accumulate(np.where(traded, np.arange(DAY_MINUTES), -1))
    closes = np.zeros(DAY_MINUTES, dtype=np.int64)
    closes[traded] = price[ends]
    close = np.where(last_traded >= 0, closes[np.maximum(last_traded, 0)], previous_close)

    def per_minute(values: np.ndarray, reduce: np.ufunc, empty: np.ndarray | int) -> np.ndarray:
        out = np.array(np.broadcast_to(empty, DAY_MINUTES), dtype=np.int64)
        if len(starts):
            out[traded] = reduce.reduceat(values, starts)
        return out

    first = close.copy()
    first[traded] = price[starts]
    return Klines(
        open=first,
        high=per_minute(price, np.maximum, close),
        low=per_minute(price, np.minimum, close),
        close=close,
        volume=per_minute(qty, np.add, 0),
        quote_volume=per_minute(quote, np.add, 0),
        count=per_minute(fills, np.add, 0),
        taker_buy_volume=per_minute(qty * taker_buy, np.add, 0),
        taker_buy_quote_volume=per_minute(quote * taker_buy, np.add, 0),
    )
