"""
The book's side of a perpetual day: quote times around the trades, the touch around the efficient
price, and the quote rows' update ids and feed (push) times.

Quote times and the touch are computed block by block (``perp``); update ids and feed times for
the whole day at once, from the stream after the trades' draws.
"""

from dataclasses import dataclass

import numpy as np

from etl.synth import draws
from etl.synth.latent import DAY_MINUTES
from etl.synth.latent import MINUTE_MS
from etl.synth.params import MarketParams
from etl.synth.perp_draws import PerpDraws
from etl.synth.symbols import SymbolSpec


@dataclass(frozen=True)
class TradeIndex:
    """Per minute of the day: the index of its first trade and its trade count (plus a sentinel)."""

    first: np.ndarray
    count: np.ndarray

    @classmethod
    def of(cls, minute: np.ndarray) -> "TradeIndex":
        """Return the index of trades whose (sorted) minutes of the day are `minute`."""
        first = np.searchsorted(minute, np.arange(DAY_MINUTES + 1))
        return cls(first=first, count=np.diff(first))


def quote_times(
    d: PerpDraws, minute: np.ndarray, first: int, trade_ms: np.ndarray, trades: TradeIndex, day_ms: int, p: MarketParams
) -> np.ndarray:
    """
    Return one block's sorted quote times: part react a few ms after a trade of their minute.

    `minute` holds the minute of each of the block's quotes; `first` is the day index of its first.
    The others land anywhere in their minute. Every quote stays in its own minute, so sorting a
    block of whole minutes sorts the day.
    """
    n = len(minute)
    trades_in = trades.count[minute]
    reactive = (d.reactive.random(n) < p.reactive_quote_share) & (trades_in > 0)
    source = trades.first[minute] + (d.source.random(n) * trades_in).astype(np.int64)
    source = np.minimum(source, max(len(trade_ms) - 1, 0))
    minute_start = day_ms + minute * MINUTE_MS
    lag = d.lag[first : first + n]
    after_trade = np.minimum(trade_ms[source] + lag, minute_start + MINUTE_MS - 1) if len(trade_ms) else 0
    anywhere = minute_start + (d.anywhere.random(n) * MINUTE_MS).astype(np.int64)
    # Sorted as ms into the day (int32): the same order, at half the memory traffic of int64.
    ms = np.sort((np.where(reactive, after_trade, anywhere) - day_ms).astype(np.int32)).astype(np.int64)
    ms += day_ms
    if first == 0:
        # The day opens with a quote, so every trade of the day has a prevailing row in its own file.
        ms[0] = day_ms
    return ms


def merge_events(t_ms: np.ndarray, q_ms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Merge sorted trade and quote times into one event sequence, quotes first within a ms.

    Returns
    -------
    tuple[np.ndarray, np.ndarray, np.ndarray]
        Event times, and the event index of each trade and of each quote. A trade's prevailing
        quote is then the last quote row at or before its millisecond, as a reader finds it.

    """
    t_rank = np.arange(len(t_ms)) + np.searchsorted(q_ms, t_ms, side="right")
    q_rank = np.arange(len(q_ms)) + np.searchsorted(t_ms, q_ms, side="left")
    ev_ms = np.empty(len(t_ms) + len(q_ms), dtype=np.int64)
    ev_ms[t_rank] = t_ms
    ev_ms[q_rank] = q_ms
    return ev_ms, t_rank, q_rank


def touch(
    price: np.ndarray,
    pressure: np.ndarray,
    spread: np.ndarray,
    depth_mult: np.ndarray,
    noise: tuple[np.ndarray, np.ndarray],
    spec: SymbolSpec,
    p: MarketParams,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """
    Return the touch (bid and ask ticks, their sizes in lots) around efficient prices.

    The spread is one tick plus rare Poisson widenings (`spread`, drawn); the efficient price sits
    inside it. Sizes are lognormal around the touch depth (`noise`: bid and ask log-size noise),
    tilted by book pressure and by where the efficient price sits in the spread.
    """
    x = price / spec.tick_size
    bid = np.floor(x - (spread - 1) / 2.0).astype(np.int64)
    skew = p.depth_skew * ((x - bid) / spread - 0.5) + p.pressure_skew * pressure
    depth = spec.touch_notional * depth_mult / (price * spec.lot_size)
    bid_qty = np.maximum(1, np.round(depth * np.exp(skew + noise[0]))).astype(np.int64)
    ask_qty = np.maximum(1, np.round(depth * np.exp(-skew + noise[1]))).astype(np.int64)
    return bid, bid + spread, bid_qty, ask_qty


def update_ids(rng: np.random.Generator, n: int, next_update_id: int, p: MarketParams) -> np.ndarray:
    """Return bookTicker update ids: rising by a geometric-like gap (other symbols' updates)."""
    ids = draws.draw(lambda a, b: 1 + rng.exponential(p.update_id_gap - 0.5, b - a).astype(np.int64), n, np.int64)
    np.cumsum(ids, out=ids)
    ids += next_update_id - 1
    return ids


def feed_times(
    rng: np.random.Generator, ms_in_day: np.ndarray, day_ms: int, last_feed_ms: int, p: MarketParams
) -> np.ndarray:
    """Return push times (ms): a lognormal lag, rare multi-second stalls, and in-order delivery."""
    n = len(ms_in_day)
    mu = np.log(p.feed_lag_median_ms)
    pushed = draws.draw(lambda a, b: (1.0 + rng.lognormal(mu, p.feed_lag_sigma, b - a)).astype(np.int64), n, np.int64)
    stalls = rng.integers(0, n, rng.poisson(p.feed_stalls_per_day))
    pushed[stalls] = rng.uniform(*p.feed_stall_ms, len(stalls)).astype(np.int64)
    pushed += ms_in_day
    pushed += day_ms
    # A stream delivers in order: rows queued behind a stall go out together when it clears.
    np.maximum(pushed, last_feed_ms, out=pushed)
    return np.maximum.accumulate(pushed, out=pushed)
