"""
The random numbers of one perpetual day, in the order the day's stream hands them out.

Phase by phase, as a whole-day simulation draws them: trade arrivals and block times; quote
counts; four quote-level draws placing the quotes (uniforms for reactive quotes, uniforms for
their source trade, exponential reaction delays, uniforms for the others); event-level price
shocks and book-pressure noise; trade-level taker sides and sizes; quote-level spreads and depth
noise (bid, then ask). Then come trade-level minimum-size orders and block quantities, the trade
ids, quote update ids and feed delays: they need the whole day's prints, so the caller draws them
from the stream after the blocks (`PerpDraws.ask_noise` ends where they start).

Trade-level draws are small and kept whole. Quote- and event-level ones are a day of real volume
(20M+ values each): uniforms are read block by block from forks of the stream, small integers are
kept in narrow types, normals that only need a position are skipped in bounded chunks.
"""

from dataclasses import dataclass

import numpy as np

from etl.synth import draws
from etl.synth.flow import Arrivals
from etl.synth.params import MarketParams
from etl.synth.processes import lead_mix


@dataclass(frozen=True)
class PerpDraws:
    """
    One day's random numbers, or generators positioned at them, for the block-by-block simulation.

    Quote-level fields are in quote time order (quotes of minute 0 first), event-level fields in
    event order, trade-level fields in trade order. `ask_noise` is the day's stream itself: once
    the blocks have read the ask noise from it, it goes on with the day's remaining draws.
    """

    reactive: np.random.Generator
    source: np.random.Generator
    lag: np.ndarray
    anywhere: np.random.Generator
    shocks: np.ndarray
    pressure: np.ndarray
    taker_u: np.ndarray
    size_noise: np.ndarray
    spread: np.ndarray
    bid_noise: np.random.Generator
    ask_noise: np.random.Generator


def quote_minutes(quote_counts: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Return the minute of the day of quotes ``start..stop-1`` (time order)."""
    return np.searchsorted(np.cumsum(quote_counts), np.arange(start, stop), side="right")


def draw_perp_day(
    rng: np.random.Generator,
    arrivals: Arrivals,
    quote_counts: np.ndarray,
    spread_rate: np.ndarray,
    p: MarketParams,
) -> PerpDraws:
    """
    Draw (or position generators at) the day's phases, continuing `rng` after the quote counts.

    Parameters
    ----------
    rng : np.random.Generator
        The day's perpetual stream, right after the quote counts were drawn.
    arrivals : Arrivals
        The day's trade arrivals (with the blocks).
    quote_counts : np.ndarray
        Quotes per minute of the day.
    spread_rate : np.ndarray
        Per-minute mean spread widening (Poisson mean per quote).
    p : MarketParams
        Model constants.

    """
    n_t = len(arrivals.ms)
    n_q = int(quote_counts.sum())
    n_ev = n_t + n_q

    reactive = draws.fork(rng)
    draws.skip_uniforms(rng, n_q)
    source = draws.fork(rng)
    draws.skip_uniforms(rng, n_q)
    lag = draws.draw(lambda a, b: 1 + rng.exponential(p.reactive_lag_ms - 0.5, b - a).astype(np.int64), n_q, np.int32)
    anywhere = draws.fork(rng)
    draws.skip_uniforms(rng, n_q)

    shocks = rng.standard_normal(n_ev)
    pressure = lead_mix(shocks, rng.standard_normal(n_ev), p.pressure_events, p.pressure_lead)

    shared = rng.random(arrivals.n_clusters)[arrivals.cluster]
    own = rng.random(n_t)
    taker_u = np.where(rng.random(n_t) < p.cluster_follow, shared, own)
    size_noise = rng.standard_normal(n_t)

    def spreads(a: int, b: int) -> np.ndarray:
        return 1 + rng.poisson(spread_rate[quote_minutes(quote_counts, a, b)])

    spread = draws.draw(spreads, n_q, np.int16)
    bid_noise = draws.fork(rng)
    draws.skip(rng.standard_normal, n_q)
    return PerpDraws(
        reactive=reactive,
        source=source,
        lag=lag,
        anywhere=anywhere,
        shocks=shocks,
        pressure=pressure,
        taker_u=taker_u,
        size_noise=size_noise,
        spread=spread,
        bid_noise=bid_noise,
        ask_noise=rng,
    )
