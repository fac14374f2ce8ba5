"""
One day of the spot market that the perpetual tracks: taker trades at a one-tick spot touch.

The spot efficient price is the perpetual's efficient price divided by ``1 + premium``, the same
premium whose 8 h average is the funding rate, so the perp/spot basis and funding agree and a
carry strategy can hedge on spot. Spot takers see half of the perpetual's imbalance.
"""

import datetime as dt
from dataclasses import dataclass

import numpy as np

from etl.synth.flow import Arrivals
from etl.synth.flow import clustered_arrivals
from etl.synth.flow import taker_sides
from etl.synth.flow import to_lots
from etl.synth.flow import trade_ids
from etl.synth.flow import trade_notionals
from etl.synth.latent import LatentMarket
from etl.synth.params import MarketParams
from etl.synth.perp import Trades
from etl.synth.seeding import symbol_key
from etl.synth.symbols import SymbolSpec

# The spot archive switched from ms to µs timestamps on this day.
MICROSECOND_FROM = dt.date(2025, 1, 1)


@dataclass(frozen=True)
class SpotState:
    """Spot id counters carried from day to day."""

    next_agg_id: int
    next_fill_id: int

    @classmethod
    def initial(cls, spec: SymbolSpec, start: dt.date) -> "SpotState":
        """Return counters of plausible magnitude, distinct per symbol."""
        age = max(0, (start - dt.date(2017, 8, 17)).days)
        salt = (symbol_key(spec.symbol) >> 32) % 10_000_000
        return cls(next_agg_id=age * 1_300_000 + salt, next_fill_id=age * 2_000_000 + salt)


@dataclass(frozen=True)
class SpotArrivals:
    """A day's spot trade arrivals in file order, their file timestamps and whether those are µs."""

    arrivals: Arrivals
    stamp: np.ndarray
    micros: bool


@dataclass(frozen=True)
class SpotDay:
    """Spot trades of one day, whether their times are µs, and the next state."""

    trades: Trades
    micros: bool
    state: SpotState


def _in_file_unit(rng: np.random.Generator, arrivals: Arrivals, micros: bool) -> tuple[Arrivals, np.ndarray]:
    """Return arrivals re-ordered by their file timestamps (µs gain a random sub-ms part)."""
    if not micros:
        return arrivals, arrivals.ms
    stamp = arrivals.ms * 1000 + rng.integers(0, 1000, len(arrivals.ms))
    order = np.argsort(stamp, kind="stable")
    reordered = Arrivals(arrivals.ms[order], arrivals.minute[order], arrivals.cluster[order], arrivals.n_clusters)
    return reordered, stamp[order]


def spot_arrivals(
    latent: LatentMarket, day_index: int, day: dt.date, rng: np.random.Generator, p: MarketParams
) -> SpotArrivals:
    """
    Draw one day's spot trade times (the first draws of the day's spot stream).

    The perpetual's simulation then reports its efficient price at these times (``arrivals.ms``,
    sorted), which `simulate_spot_day` needs.

    Parameters
    ----------
    latent : LatentMarket
        The symbol's latent minute paths (spot activity).
    day_index : int
        Day within the run.
    day : dt.date
        The UTC day (decides ms or µs timestamps).
    rng : np.random.Generator
        The day's spot stream.
    p : MarketParams
        Model constants.

    """
    sl = latent.day_slice(day_index)
    micros = day >= MICROSECOND_FROM
    arrivals = clustered_arrivals(
        rng, rng.poisson(latent.spot_rate[sl]), latent.day_start_ms(day_index), p.cluster_size, p.cluster_spread_ms
    )
    arrivals, stamp = _in_file_unit(rng, arrivals, micros)
    return SpotArrivals(arrivals=arrivals, stamp=stamp, micros=micros)


def simulate_spot_day(
    spec: SymbolSpec,
    latent: LatentMarket,
    day_index: int,
    timing: SpotArrivals,
    perp_log_price: np.ndarray,
    state: SpotState,
    rng: np.random.Generator,
    p: MarketParams,
) -> SpotDay:
    """
    Simulate one UTC day of spot trades tracking the perpetual.

    Parameters
    ----------
    spec : SymbolSpec
        Contract specification (spot tick and lot).
    latent : LatentMarket
        The symbol's latent minute paths (premium, buy probability).
    day_index : int
        Day within the run.
    timing : SpotArrivals
        The day's arrivals (`spot_arrivals`, drawn from `rng` just before).
    perp_log_price : np.ndarray
        The perpetual's efficient log price at each arrival.
    state : SpotState
        Counters from the previous day.
    rng : np.random.Generator
        The day's spot stream, after the arrivals.
    p : MarketParams
        Model constants.

    """
    sl = latent.day_slice(day_index)
    arrivals, stamp = timing.arrivals, timing.stamp
    n = len(stamp)
    minute = arrivals.minute

    log_price = perp_log_price - np.log1p(latent.premium[sl][minute])
    price = np.exp(log_price)
    bid = np.floor(price / spec.spot_tick_size).astype(np.int64)
    buy_prob = 0.5 + p.spot_imbalance_share * (latent.buy_prob[sl][minute] - 0.5)
    buy = taker_sides(rng, buy_prob, arrivals, p.cluster_follow)
    median = spec.trade_notional * p.spot_trade_notional_share
    notional = trade_notionals(
        rng, n, median, np.ones(n), p.size_sigma, p.max_trade_touch_multiple * spec.touch_notional
    )
    lots = to_lots(rng, notional, price, spec.spot_lot_size, p.min_lot_share)
    ids = trade_ids(
        rng, lots * price * spec.spot_lot_size, median, p.fills_per_log_notional, state.next_agg_id, state.next_fill_id
    )
    trades = Trades(
        time=stamp,
        minute=minute,
        price=bid + buy,
        qty=lots,
        buyer_maker=~buy,
        ids=ids,
        is_block=np.zeros(n, dtype=bool),
    )
    next_state = SpotState(
        next_agg_id=int(ids.agg_id[-1]) + 1 if n else state.next_agg_id,
        next_fill_id=int(ids.last_id[-1]) + 1 if n else state.next_fill_id,
    )
    return SpotDay(trades=trades, micros=timing.micros, state=next_state)
