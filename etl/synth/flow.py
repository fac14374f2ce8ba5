"""
Taker flow shared by the perpetual and the spot market: clustered arrival times, sides with
order-splitting persistence, notional sizes, and the archive's aggregate/fill trade ids.
"""

from dataclasses import dataclass

import numpy as np

from etl.synth.latent import MINUTE_MS


@dataclass(frozen=True)
class Arrivals:
    """Trade arrival times of one day, sorted, with their minute and their cluster."""

    ms: np.ndarray
    minute: np.ndarray
    cluster: np.ndarray
    n_clusters: int


def clustered_arrivals(
    rng: np.random.Generator,
    counts: np.ndarray,
    day_ms: int,
    cluster_size: float,
    spread_ms: float,
) -> Arrivals:
    """
    Place `counts[m]` arrivals in each minute `m` as bursts (a Neyman-Scott cluster process).

    Each minute gets ``ceil(count / cluster_size)`` burst centres, uniform in the minute; every
    arrival joins one burst and lands an exponential delay after its centre (wrapping inside the
    minute, so that per-minute counts are exact). Bursts give the millisecond-level clumping of
    real trades and carry order-splitting: arrivals of a burst share a side.

    Parameters
    ----------
    rng : np.random.Generator
        Random stream.
    counts : np.ndarray
        Arrivals per minute of the day.
    day_ms : int
        The day's first ms.
    cluster_size : float
        Mean arrivals per burst.
    spread_ms : float
        Mean delay of an arrival after its burst centre.

    """
    counts = np.asarray(counts, dtype=np.int64)
    per_minute = np.where(counts > 0, np.ceil(counts / cluster_size), 0).astype(np.int64)
    first_cluster = np.cumsum(per_minute) - per_minute
    n_clusters = int(per_minute.sum())
    centres = rng.random(n_clusters) * MINUTE_MS
    minute = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    cluster = first_cluster[minute] + (rng.random(len(minute)) * per_minute[minute]).astype(np.int64)
    offset = (centres[cluster] + rng.exponential(spread_ms, len(minute))) % MINUTE_MS
    ms = day_ms + minute * MINUTE_MS + offset.astype(np.int64)
    order = np.argsort(ms, kind="stable")
    return Arrivals(ms=ms[order], minute=minute[order], cluster=cluster[order], n_clusters=n_clusters)


def taker_sides(
    rng: np.random.Generator, buy_prob: np.ndarray, arrivals: Arrivals, follow: float
) -> np.ndarray:
    """
    Return True for buyer-aggressor trades.

    A trade follows its burst's shared uniform draw with probability `follow`, else draws its
    own; either way ``P(buy) = buy_prob``, but bursts come out one-sided (sign autocorrelation).
    """
    shared = rng.random(arrivals.n_clusters)[arrivals.cluster]
    own = rng.random(len(arrivals.ms))
    u = np.where(rng.random(len(arrivals.ms)) < follow, shared, own)
    return u < buy_prob


def trade_notionals(
    rng: np.random.Generator,
    n: int,
    median: float,
    mult: np.ndarray,
    sigma: float,
    cap: float,
) -> np.ndarray:
    """Return lognormal taker notionals around `median` (scaled by `mult`), capped at `cap`."""
    return notionals_from(rng.standard_normal(n), median, mult, sigma, cap)


def notionals_from(noise: np.ndarray, median: float, mult: np.ndarray, sigma: float, cap: float) -> np.ndarray:
    """Return the notionals of `trade_notionals` for its standard normal draws `noise`."""
    return np.minimum(median * mult * np.exp(sigma * noise), cap)


def to_lots(
    rng: np.random.Generator, notional: np.ndarray, price: np.ndarray, lot: float, min_lot_share: float
) -> np.ndarray:
    """
    Return quantities in lots for `notional` at `price`, with a share of minimum-size orders.

    Real books are full of 1-3 lot orders (retail and probing); a lognormal alone misses them.
    """
    tiny = rng.random(len(notional)) < min_lot_share
    return lots_from(notional, price, lot, tiny, rng.integers(1, 4, len(notional)))


def lots_from(notional: np.ndarray, price: np.ndarray, lot: float, tiny: np.ndarray, tiny_lots: np.ndarray) -> np.ndarray:
    """Return the lots of `to_lots` for its draws: the `tiny` orders' sizes are `tiny_lots`."""
    lots = np.maximum(1, np.round(notional / (price * lot))).astype(np.int64)
    return np.where(tiny, tiny_lots, lots)


@dataclass(frozen=True)
class TradeIds:
    """The archive's ids: consecutive aggregate ids, and each aggregate's fill-id range."""

    agg_id: np.ndarray
    first_id: np.ndarray
    last_id: np.ndarray


def trade_ids(
    rng: np.random.Generator,
    notional: np.ndarray,
    median: float,
    fills_per_log_notional: float,
    next_agg_id: int,
    next_fill_id: int,
) -> TradeIds:
    """
    Return ids for aggregate trades; bigger aggregates sweep more resting orders (more fills).

    Parameters
    ----------
    rng : np.random.Generator
        Random stream.
    notional : np.ndarray
        Notional of each aggregate trade.
    median : float
        Median notional (an aggregate of that size has ~1.6 fills on average).
    fills_per_log_notional : float
        Extra fills per unit of ``log1p(notional / median)``.
    next_agg_id, next_fill_id : int
        First ids to use (continuing the previous day).

    """
    n = len(notional)
    fills = 1 + rng.poisson(fills_per_log_notional * np.log1p(notional / median))
    last = next_fill_id - 1 + np.cumsum(fills)
    return TradeIds(
        agg_id=next_agg_id + np.arange(n, dtype=np.int64),
        first_id=last - fills + 1,
        last_id=last,
    )
