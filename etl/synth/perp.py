"""
One day of the perpetual: the joint simulation of the book's touch (bookTicker) and the taker
trades (aggTrades).

Quotes and trades form one event sequence in time (quotes first within a millisecond). An
efficient log price moves at every event as Brownian motion with the minute's sigma and drift,
plus the permanent impact of each trade; the touch is the tick grid around it, so the mid moves
when the efficient price crosses a tick. A book pressure that anticipates the next price shocks
tilts displayed sizes, which also lean toward the side the efficient price sits on within the
spread (the queue about to be run over thins out): top-of-book imbalance leads mid returns,
slightly. Every trade prints at the touch of the latest quote row at or before it (buyer
aggressor at the ask, seller at the bid) and never for more than that row shows, except block
trades, which take a large order resting at the touch (the row shows it). Takers partly chase
the last three seconds' move, so signed flow and returns correlate as in real data.
"""

import datetime as dt
from dataclasses import dataclass

import numpy as np

from etl.synth.flow import Arrivals
from etl.synth.flow import TradeIds
from etl.synth.flow import clustered_arrivals
from etl.synth.flow import taker_sides
from etl.synth.flow import to_lots
from etl.synth.flow import trade_ids
from etl.synth.flow import trade_notionals
from etl.synth.latent import DAY_MINUTES
from etl.synth.latent import MINUTE_MS
from etl.synth.latent import LatentMarket
from etl.synth.params import MarketParams
from etl.synth.processes import ahead
from etl.synth.seeding import symbol_key
from etl.synth.symbols import SymbolSpec

_ID_EPOCH = dt.date(2019, 9, 8)


@dataclass(frozen=True)
class PerpState:
    """What one day hands to the next: the efficient price, clocks and id counters."""

    log_price: float
    last_event_ms: int
    last_feed_ms: int
    next_agg_id: int
    next_fill_id: int
    next_update_id: int

    @classmethod
    def initial(cls, spec: SymbolSpec, start: dt.date, start_ms: int) -> "PerpState":
        """Return the state before the first generated day, with ids of plausible magnitude."""
        # Real ids grow with the contract's age; derive them from the date (and the symbol, so
        # that two symbols never share ids) to keep files recognisable and runs reproducible.
        age = max(0, (start - _ID_EPOCH).days)
        salt = symbol_key(spec.symbol) % 10_000_000
        return cls(
            log_price=float(np.log(spec.start_price)),
            last_event_ms=start_ms,
            last_feed_ms=start_ms,
            next_agg_id=10_000_000 + age * 1_200_000 + salt,
            next_fill_id=25_000_000 + age * 2_800_000 + salt,
            next_update_id=100_000_000_000 + age * 2_400_000_000 + salt,
        )


@dataclass(frozen=True)
class Trades:
    """
    Aggregate trades of one day, in time order.

    ``time`` is in the file's unit (ms; µs for spot files from 2025), ``minute`` the minute of
    the day, prices in price units, quantities in lots.
    """

    time: np.ndarray
    minute: np.ndarray
    price: np.ndarray
    qty: np.ndarray
    buyer_maker: np.ndarray
    ids: TradeIds
    is_block: np.ndarray


@dataclass(frozen=True)
class Quotes:
    """bookTicker rows of one day; prices in price units, sizes in lots."""

    update_id: np.ndarray
    bid: np.ndarray
    bid_qty: np.ndarray
    ask: np.ndarray
    ask_qty: np.ndarray
    transaction_ms: np.ndarray
    event_ms: np.ndarray


@dataclass(frozen=True)
class PerpDay:
    """One simulated day: trades, quotes, the efficient log price at every event, next state."""

    trades: Trades
    quotes: Quotes
    event_ms: np.ndarray
    log_price: np.ndarray
    state: PerpState


def _with_blocks(
    rng: np.random.Generator, regular: Arrivals, block_minute: np.ndarray, day_ms: int
) -> tuple[Arrivals, np.ndarray, np.ndarray]:
    """
    Insert the day's block trades (each its own burst) among the regular arrivals.

    Returns
    -------
    tuple[Arrivals, np.ndarray, np.ndarray]
        The merged arrivals, their block mask, and for each block (in time order) its index in
        the day's block schedule.

    """
    block_ms = day_ms + block_minute * MINUTE_MS + rng.integers(0, MINUTE_MS, len(block_minute))
    schedule = np.argsort(block_ms, kind="stable")
    block_ms = block_ms[schedule]
    at = np.searchsorted(regular.ms, block_ms, side="right")
    new_clusters = regular.n_clusters + np.arange(len(block_ms))
    merged = Arrivals(
        ms=np.insert(regular.ms, at, block_ms),
        minute=np.insert(regular.minute, at, block_minute[schedule]),
        cluster=np.insert(regular.cluster, at, new_clusters),
        n_clusters=regular.n_clusters + len(block_ms),
    )
    is_block = np.zeros(len(merged.ms), dtype=bool)
    is_block[at + np.arange(len(block_ms))] = True
    return merged, is_block, schedule


def _quote_times(
    rng: np.random.Generator, counts: np.ndarray, trade_ms: np.ndarray, day_ms: int, p: MarketParams
) -> np.ndarray:
    """Return sorted quote times: part react a few ms after a trade of their minute, part anywhere."""
    minute = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    n = len(minute)
    trade_minute = (trade_ms - day_ms) // MINUTE_MS
    first_trade = np.searchsorted(trade_minute, np.arange(DAY_MINUTES))
    trades_in = np.bincount(trade_minute, minlength=DAY_MINUTES)[minute]
    reactive = (rng.random(n) < p.reactive_quote_share) & (trades_in > 0)
    source = first_trade[minute] + (rng.random(n) * trades_in).astype(np.int64)
    source = np.minimum(source, max(len(trade_ms) - 1, 0))
    minute_start = day_ms + minute * MINUTE_MS
    # 1 + floor(exponential) is geometric, drawn several times faster than numpy's geometric.
    lag = 1 + rng.exponential(p.reactive_lag_ms - 0.5, n).astype(np.int64)
    after_trade = np.minimum(trade_ms[source] + lag, minute_start + MINUTE_MS - 1) if len(trade_ms) else 0
    anywhere = minute_start + (rng.random(n) * MINUTE_MS).astype(np.int64)
    ms = np.sort(np.where(reactive, after_trade, anywhere))
    # The day opens with a quote, so every trade of the day has a prevailing row in its own file.
    ms[0] = day_ms
    return ms


def _merge(t_ms: np.ndarray, q_ms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def _feed_times(
    rng: np.random.Generator, transaction_ms: np.ndarray, last_feed_ms: int, p: MarketParams
) -> np.ndarray:
    """Return push times: a lognormal lag, rare multi-second stalls, and in-order delivery."""
    n = len(transaction_ms)
    lag = 1.0 + rng.lognormal(np.log(p.feed_lag_median_ms), p.feed_lag_sigma, n)
    stalls = rng.integers(0, n, rng.poisson(p.feed_stalls_per_day))
    lag[stalls] = rng.uniform(*p.feed_stall_ms, len(stalls))
    pushed = transaction_ms + lag.astype(np.int64)
    # A stream delivers in order: rows queued behind a stall go out together when it clears.
    return np.maximum.accumulate(np.maximum(pushed, last_feed_ms))


def _touch(
    rng: np.random.Generator,
    price: np.ndarray,
    pressure: np.ndarray,
    spread_rate: np.ndarray,
    depth_mult: np.ndarray,
    spec: SymbolSpec,
    p: MarketParams,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """
    Return the touch (bid and ask ticks, their sizes in lots) around efficient prices.

    The spread is one tick plus rare Poisson widenings; the efficient price sits inside it.
    Sizes are lognormal around the touch depth, tilted by book pressure and by where the
    efficient price sits in the spread.
    """
    x = price / spec.tick_size
    spread = 1 + rng.poisson(spread_rate)
    bid = np.floor(x - (spread - 1) / 2.0).astype(np.int64)
    skew = p.depth_skew * ((x - bid) / spread - 0.5) + p.pressure_skew * pressure
    depth = spec.touch_notional * depth_mult / (price * spec.lot_size)
    noise = p.depth_noise * rng.standard_normal((2, len(price)))
    bid_qty = np.maximum(1, np.round(depth * np.exp(skew + noise[0]))).astype(np.int64)
    ask_qty = np.maximum(1, np.round(depth * np.exp(-skew + noise[1]))).astype(np.int64)
    return bid, bid + spread, bid_qty, ask_qty


def simulate_perp_day(
    spec: SymbolSpec,
    latent: LatentMarket,
    day_index: int,
    state: PerpState,
    rng: np.random.Generator,
    p: MarketParams,
) -> PerpDay:
    """
    Simulate one UTC day of the perpetual's touch and trades.

    Parameters
    ----------
    spec : SymbolSpec
        Contract specification.
    latent : LatentMarket
        The symbol's latent minute paths.
    day_index : int
        Day within the run.
    state : PerpState
        State at the end of the previous day.
    rng : np.random.Generator
        The day's perpetual stream.
    p : MarketParams
        Model constants.

    """
    sl = latent.day_slice(day_index)
    day_ms = latent.day_start_ms(day_index)
    sigma, drift = latent.sigma[sl], latent.drift[sl]
    blocks = latent.blocks
    in_day = (blocks.minute >= sl.start) & (blocks.minute < sl.stop)
    block_minute = blocks.minute[in_day] - sl.start

    # Arrivals: trades (with the day's blocks), then quotes around them, merged quotes-first.
    regular = clustered_arrivals(
        rng, rng.poisson(latent.trade_rate[sl]), day_ms, p.cluster_size, p.cluster_spread_ms
    )
    arrivals, is_block, schedule = _with_blocks(rng, regular, block_minute, day_ms)
    t_ms, t_min = arrivals.ms, arrivals.minute
    n_t = len(t_ms)
    # At least one quote a minute keeps the touch alive in the quietest minutes of thin runs.
    q_ms = _quote_times(rng, np.maximum(1, rng.poisson(latent.quote_rate[sl])), t_ms, day_ms, p)
    ev_ms, t_rank, q_rank = _merge(t_ms, q_ms)

    # Efficient price: Brownian motion sampled at the events, plus drift.
    ev_min = (ev_ms - day_ms) // MINUTE_MS
    dt_min = np.diff(ev_ms, prepend=state.last_event_ms) / MINUTE_MS
    ev_sigma = sigma[ev_min]
    shocks = rng.standard_normal(len(ev_ms))
    moves = ev_sigma * np.sqrt(dt_min) * shocks + drift[ev_min] * dt_min
    path = np.cumsum(moves)
    # Book pressure anticipates the next shocks (liquidity leans before the price moves), so
    # top-of-book imbalance leads returns without adding any variance of its own.
    lead = p.pressure_lead
    pressure = lead * ahead(shocks, p.pressure_events) + np.sqrt(1 - lead * lead) * rng.standard_normal(len(ev_ms))

    # Takers: the minute's buy probability, nudged toward the last seconds' move.
    t_sigma = ev_sigma[t_rank]
    window = p.momentum_window_ms
    recent = path[t_rank] - np.interp(t_ms - window, ev_ms, path)
    z = recent / (t_sigma * np.sqrt(window / MINUTE_MS))
    buy_prob = np.clip(latent.buy_prob[sl][t_min] + p.momentum_takers * np.tanh(z), 0.02, 0.98)
    buy = taker_sides(rng, buy_prob, arrivals, p.cluster_follow)
    buy[is_block] = blocks.side[in_day][schedule] > 0
    side = np.where(buy, 1.0, -1.0)

    # Order notionals (blocks from the schedule); lots come later, at the print price.
    notional = trade_notionals(
        rng,
        n_t,
        spec.trade_notional,
        latent.size_mult[sl][t_min],
        p.size_sigma,
        p.max_trade_touch_multiple * spec.touch_notional,
    )
    notional[is_block] = blocks.notional[in_day][schedule]

    # Permanent impact, normalised by the baseline trade rate so that it does not depend on sizes.
    sqrt_size_mean = np.exp(p.size_sigma**2 / 8.0)
    impact = (
        p.impact
        * t_sigma
        * np.sqrt(notional / spec.trade_notional)
        / (latent.trade_ref[sl][t_min] * sqrt_size_mean)
    )
    impact[is_block] = p.block_impact * t_sigma[is_block]
    moves[t_rank] += side * impact
    log_price = state.log_price + np.cumsum(moves)

    q_min = ev_min[q_rank]
    bid_tick, ask_tick, bid_qty, ask_qty = _touch(
        rng,
        np.exp(log_price[q_rank]),
        pressure[q_rank],
        latent.spread_rate[sl][q_min],
        latent.depth_mult[sl][q_min],
        spec,
        p,
    )

    # Trades print at the prevailing touch and never exceed what it shows...
    prevailing = t_rank - np.arange(n_t) - 1
    price_tick = np.where(buy, ask_tick[prevailing], bid_tick[prevailing])
    print_price = price_tick * spec.tick_size
    lots = to_lots(rng, notional, print_price, spec.lot_size, p.min_lot_share)
    touch_qty = np.where(buy, ask_qty[prevailing], bid_qty[prevailing])
    lots = np.minimum(lots, touch_qty)
    # ...except blocks, which lift a large resting order that the prevailing row shows.
    block_lots = np.ceil(notional[is_block] / (print_price[is_block] * spec.lot_size)).astype(np.int64)
    lots[is_block] = block_lots
    shown = block_lots + rng.integers(0, 50, len(block_lots))
    block_row, block_buy = prevailing[is_block], buy[is_block]
    np.maximum.at(ask_qty, block_row[block_buy], shown[block_buy])
    np.maximum.at(bid_qty, block_row[~block_buy], shown[~block_buy])

    ids = trade_ids(
        rng,
        lots * print_price * spec.lot_size,
        spec.trade_notional,
        p.fills_per_log_notional,
        state.next_agg_id,
        state.next_fill_id,
    )
    gaps = 1 + rng.exponential(p.update_id_gap - 0.5, len(q_ms)).astype(np.int64)
    update_id = state.next_update_id - 1 + np.cumsum(gaps)
    feed_ms = _feed_times(rng, q_ms, state.last_feed_ms, p)

    trades = Trades(
        time=t_ms,
        minute=t_min,
        price=price_tick * spec.tick,
        qty=lots,
        buyer_maker=~buy,
        ids=ids,
        is_block=is_block,
    )
    quotes = Quotes(
        update_id=update_id,
        bid=bid_tick * spec.tick,
        bid_qty=bid_qty,
        ask=ask_tick * spec.tick,
        ask_qty=ask_qty,
        transaction_ms=q_ms,
        event_ms=feed_ms,
    )
    next_state = PerpState(
        log_price=float(log_price[-1]),
        last_event_ms=int(ev_ms[-1]),
        last_feed_ms=int(feed_ms[-1]),
        next_agg_id=int(ids.agg_id[-1]) + 1 if n_t else state.next_agg_id,
        next_fill_id=int(ids.last_id[-1]) + 1 if n_t else state.next_fill_id,
        next_update_id=int(update_id[-1]) + 1,
    )
    return PerpDay(trades=trades, quotes=quotes, event_ms=ev_ms, log_price=log_price, state=next_state)
