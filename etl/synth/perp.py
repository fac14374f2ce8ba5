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

A real-volume day (22M events) is simulated in blocks of whole minutes, ``block_events`` events
at a time, with the numbers a whole-day simulation would give: the day's random stream is read in
its phase order (``perp_draws``), running sums carry from block to block, interpolation looks back
across blocks (``lookback``), and a trade may print at a quote row of an earlier block. The trade
ids, quote update ids and feed times come last in the stream, after every print is known, so they
are drawn once the blocks are done. Files therefore never depend on the block size. Each block's
touch is computed on a second thread while the calling thread moves the price through the next
block (a two-stage pipeline; numpy releases the GIL).
"""

import datetime as dt
import time
from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import fields

import numpy as np

from etl.synth.config import DEFAULT_BLOCK_EVENTS
from etl.synth.flow import Arrivals
from etl.synth.flow import TradeIds
from etl.synth.flow import clustered_arrivals
from etl.synth.flow import lots_from
from etl.synth.flow import notionals_from
from etl.synth.flow import trade_ids
from etl.synth.latent import DAY_MINUTES
from etl.synth.latent import MINUTE_MS
from etl.synth.latent import LatentMarket
from etl.synth.lookback import Lookback
from etl.synth.lookback import Sampler
from etl.synth.params import MarketParams
from etl.synth.perp_draws import PerpDraws
from etl.synth.perp_draws import draw_perp_day
from etl.synth.quotes import TradeIndex
from etl.synth.quotes import feed_times
from etl.synth.quotes import merge_events
from etl.synth.quotes import quote_times
from etl.synth.quotes import touch as book_touch
from etl.synth.quotes import update_ids
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
class DayQuotes:
    """A day's bookTicker rows, held compactly (see `quote_parts` for `Quotes` of them)."""

    update_id: np.ndarray
    bid_ticks: np.ndarray
    spread: np.ndarray
    bid_qty: np.ndarray
    ask_qty: np.ndarray
    ms_in_day: np.ndarray
    event_ms: np.ndarray
    day_ms: int
    tick: int

    def __len__(self) -> int:
        return len(self.update_id)


@dataclass(frozen=True)
class PerpDay:
    """
    One simulated day: trades, quotes, the efficient log price at the requested times, next state.

    ``book_seconds`` is the CPU time the simulation spent on its book thread (the touch, block by
    block, beside the price path on the calling thread).
    """

    trades: Trades
    quotes: DayQuotes
    sampled: tuple[np.ndarray, ...]
    state: PerpState
    book_seconds: float = 0.0


def trade_parts(trades: Trades, rows: int) -> Iterator[Trades]:
    """Yield `trades` in parts of at most `rows` rows, as copies."""
    n = len(trades.time)
    for start in range(0, n, rows):
        part = slice(start, min(n, start + rows))
        ids = TradeIds(*(getattr(trades.ids, f.name)[part].copy() for f in fields(TradeIds)))
        values = {f.name: getattr(trades, f.name)[part].copy() for f in fields(Trades) if f.name != "ids"}
        yield Trades(**values, ids=ids)


def quote_parts(quotes: DayQuotes, rows: int) -> Iterator[Quotes]:
    """Yield the day's rows in parts of at most `rows`, as new arrays (a queued part pins no day array)."""
    n = len(quotes)
    for start in range(0, n, rows):
        part = slice(start, min(n, start + rows))
        bid = quotes.bid_ticks[part]
        yield Quotes(
            update_id=quotes.update_id[part].copy(),
            bid=bid * quotes.tick,
            bid_qty=quotes.bid_qty[part].astype(np.int64),
            ask=(bid + quotes.spread[part]) * quotes.tick,
            ask_qty=quotes.ask_qty[part].astype(np.int64),
            transaction_ms=quotes.ms_in_day[part] + np.int64(quotes.day_ms),
            event_ms=quotes.event_ms[part].copy(),
        )


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


def _block_edges(events_per_minute: np.ndarray, limit: int) -> list[int]:
    """Return minute edges of blocks holding at most `limit` events each (one minute at least)."""
    edges, total = [0], 0
    # One iteration per minute of the day: cheap, and a block never splits a minute.
    for minute, count in enumerate(events_per_minute.tolist()):
        if total + count > limit and minute > edges[-1]:
            edges.append(minute)
            total = 0
        total += count
    edges.append(len(events_per_minute))
    return edges


@dataclass
class _Book:
    """
    The day's quote rows and trade prints (side, price, prevailing row), filled block by block.

    Quote rows are held compactly until the update ids and feed times come: times as ms into the
    day (int32), the touch as the bid in ticks plus the drawn spread (int16), sizes as int32 lots.
    """

    ms: np.ndarray
    bid: np.ndarray
    spread: np.ndarray
    bid_qty: np.ndarray
    ask_qty: np.ndarray
    buy: np.ndarray
    price_tick: np.ndarray
    prevailing: np.ndarray

    @classmethod
    def empty(cls, n_q: int, n_t: int, spread: np.ndarray) -> "_Book":
        """Return an unfilled book for `n_q` quotes with their `spread` and `n_t` trades."""
        quote = (np.empty(n_q, np.int32), np.empty(n_q, np.int64), spread, np.empty(n_q, np.int32), np.empty(n_q, np.int32))
        return cls(*quote, np.empty(n_t, dtype=bool), np.empty(n_t, dtype=np.int64), np.empty(n_t, dtype=np.int64))

    def ask(self, rows: np.ndarray) -> np.ndarray:
        """Return the ask ticks of quote rows."""
        return self.bid[rows] + self.spread[rows]


def _lots32(lots: np.ndarray) -> np.ndarray:
    # A touch of 2**31 lots is no market; say so rather than wrap around.
    if len(lots) and lots.max() > np.iinfo(np.int32).max:
        raise OverflowError(f"a touch of {lots.max()} lots does not fit the book's int32 sizes")
    return lots.astype(np.int32)


@dataclass(frozen=True)
class _BlockRows:
    """What the book needs of one block: its quote and trade ranges, times, ranks, sides, prices."""

    qa: int
    qb: int
    ta: int
    tb: int
    ea: int
    ms_in_day: np.ndarray
    q_rank: np.ndarray
    t_rank: np.ndarray
    buy: np.ndarray
    quote_log_price: np.ndarray
    quote_minute: np.ndarray


def _fill_book(book: _Book, d: PerpDraws, block: _BlockRows, depth_mult: np.ndarray, spec: SymbolSpec, p: MarketParams) -> float:
    """Set one block's quote rows (the touch) and its trades' print prices and prevailing rows; return its CPU seconds."""
    t0 = time.thread_time()
    qa, qb, ta, tb, ea = block.qa, block.qb, block.ta, block.tb, block.ea
    n_q = qb - qa
    noise = (p.depth_noise * d.bid_noise.standard_normal(n_q), p.depth_noise * d.ask_noise.standard_normal(n_q))
    touch = book_touch(
        np.exp(block.quote_log_price),
        d.pressure[ea : ea + len(block.q_rank) + len(block.t_rank)][block.q_rank],
        d.spread[qa:qb].astype(np.int64),
        depth_mult[block.quote_minute],
        noise,
        spec,
        p,
    )
    book.ms[qa:qb] = block.ms_in_day
    book.bid[qa:qb] = touch[0]
    book.bid_qty[qa:qb], book.ask_qty[qa:qb] = _lots32(touch[2]), _lots32(touch[3])
    # Trades print at the prevailing touch (maybe a row of an earlier block).
    prevailing = block.t_rank + ea - np.arange(ta, tb) - 1
    book.price_tick[ta:tb] = np.where(block.buy, book.ask(prevailing), book.bid[prevailing])
    book.buy[ta:tb], book.prevailing[ta:tb] = block.buy, prevailing
    return time.thread_time() - t0


def simulate_perp_day(
    spec: SymbolSpec,
    latent: LatentMarket,
    day_index: int,
    state: PerpState,
    rng: np.random.Generator,
    p: MarketParams,
    sample_ms: tuple[np.ndarray, ...] = (),
    block_events: int = DEFAULT_BLOCK_EVENTS,
) -> PerpDay:
    """
    Simulate one UTC day of the perpetual's touch and trades, block by block.

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
    sample_ms : tuple[np.ndarray, ...]
        Sorted times (ms, inside the day) at which to report the efficient log price.
    block_events : int
        Events (trades and quotes) simulated at a time; memory follows it, the output does not.

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
    quote_counts = np.maximum(1, rng.poisson(latent.quote_rate[sl]))
    d = draw_perp_day(rng, arrivals, quote_counts, latent.spread_rate[sl], p)
    trades = TradeIndex.of(t_min)
    quote_first = np.r_[0, np.cumsum(quote_counts)]
    book = _Book.empty(int(quote_first[-1]), n_t, d.spread)

    # Trade sizes and impacts need no prices: the whole day's at once.
    block_buy = blocks.side[in_day][schedule] > 0
    blocks_before = np.r_[0, np.cumsum(is_block)]
    notional = notionals_from(
        d.size_noise, spec.trade_notional, latent.size_mult[sl][t_min], p.size_sigma, p.max_trade_touch_multiple * spec.touch_notional
    )
    notional[is_block] = blocks.notional[in_day][schedule]
    t_sigma = sigma[t_min]
    # Permanent impact, normalised by the baseline trade rate so that it does not depend on sizes.
    sqrt_size_mean = np.exp(p.size_sigma**2 / 8.0)
    impact = (
        p.impact
        * t_sigma
        * np.sqrt(notional / spec.trade_notional)
        / (latent.trade_ref[sl][t_min] * sqrt_size_mean)
    )
    impact[is_block] = p.block_impact * t_sigma[is_block]

    window = p.momentum_window_ms
    path_back, price_back = Lookback(window), Lookback(window)
    samplers = [Sampler(np.asarray(s, dtype=np.int64)) for s in sample_ms]
    last_event_ms, path_end, moved = state.last_event_ms, None, None
    edges = _block_edges(trades.count[:DAY_MINUTES] + quote_counts, block_events)
    # The book thread is the pipeline's second stage; its exceptions surface in result().
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="synth-book") as book_thread:
        pending: Future[float] | None = None
        book_seconds = 0.0
        for m0, m1 in zip(edges[:-1], edges[1:], strict=True):
            ta, tb, qa, qb = trades.first[m0], trades.first[m1], quote_first[m0], quote_first[m1]
            ea, eb = ta + qa, tb + qb
            minute = np.repeat(np.arange(m0, m1, dtype=np.int64), quote_counts[m0:m1])
            q_ms = quote_times(d, minute, qa, t_ms, trades, day_ms, p)
            bt_ms = t_ms[ta:tb]
            ev_ms, t_rank, q_rank = merge_events(bt_ms, q_ms)

            # Efficient price: Brownian motion sampled at the events, plus drift; running sums carry
            # over from the previous block exactly as one cumulative sum over the day would.
            ev_min = (ev_ms - day_ms) // MINUTE_MS
            dt_min = np.diff(ev_ms, prepend=last_event_ms) / MINUTE_MS
            ev_sigma = sigma[ev_min]
            moves = ev_sigma * np.sqrt(dt_min) * d.shocks[ea:eb] + drift[ev_min] * dt_min
            path = moves.copy()
            if path_end is not None:
                path[0] += path_end
            np.cumsum(path, out=path)

            # Takers: the minute's buy probability, nudged toward the last seconds' move.
            win_ms, (win_path,) = path_back.window(ev_ms, path)
            recent = path[t_rank] - np.interp(bt_ms - window, win_ms, win_path)
            z = recent / (t_sigma[ta:tb] * np.sqrt(window / MINUTE_MS))
            buy_prob = np.clip(latent.buy_prob[sl][t_min[ta:tb]] + p.momentum_takers * np.tanh(z), 0.02, 0.98)
            buy = d.taker_u[ta:tb] < buy_prob
            buy[is_block[ta:tb]] = block_buy[blocks_before[ta] : blocks_before[tb]]
            moves[t_rank] += np.where(buy, 1.0, -1.0) * impact[ta:tb]
            if moved is not None:
                moves[0] += moved
            np.cumsum(moves, out=moves)
            log_price = state.log_price + moves
            price_ms, (win_price,) = price_back.window(ev_ms, log_price)
            for sampler in samplers:
                sampler.fill(price_ms, win_price)

            # The touch and the prints go to the book's thread, in block order, while this thread
            # moves on to the next block's prices (numpy releases the GIL: two cores at work).
            block = _BlockRows(qa, qb, ta, tb, ea, q_ms - day_ms, q_rank, t_rank, buy, log_price[q_rank], ev_min[q_rank])
            if pending is not None:
                book_seconds += pending.result()
            pending = book_thread.submit(_fill_book, book, d, block, latent.depth_mult[sl], spec, p)

            next_start = day_ms + m1 * MINUTE_MS
            path_back.keep(win_ms, (win_path,), next_start)
            price_back.keep(price_ms, (win_price,), next_start)
            last_event_ms, path_end, moved = int(ev_ms[-1]), path[-1], moves[-1]
        book_seconds += pending.result()
    last_log_price = float(log_price[-1])
    # The ask noise's generator has read its whole phase: the stream goes on from there.
    rest = d.ask_noise
    # Free the day's shocks and pressure before the ids and feed times take their memory.
    del d, moves, path, log_price, win_path, win_price, block, pending

    # Trades never exceed what the prevailing row shows...
    buy, prevailing = book.buy, book.prevailing
    print_price = book.price_tick * spec.tick_size
    tiny = rest.random(n_t) < p.min_lot_share
    lots = lots_from(notional, print_price, spec.lot_size, tiny, rest.integers(1, 4, n_t))
    lots = np.minimum(lots, np.where(buy, book.ask_qty[prevailing], book.bid_qty[prevailing]))
    # ...except blocks, which lift a large resting order that the prevailing row shows.
    lots[is_block] = np.ceil(notional[is_block] / (print_price[is_block] * spec.lot_size)).astype(np.int64)
    # The block rows show the resting order each block trade lifted (after every print is made).
    rows, block_buy_side = prevailing[is_block], buy[is_block]
    shown = _lots32(lots[is_block] + rest.integers(0, 50, int(is_block.sum())))
    np.maximum.at(book.ask_qty, rows[block_buy_side], shown[block_buy_side])
    np.maximum.at(book.bid_qty, rows[~block_buy_side], shown[~block_buy_side])

    ids = trade_ids(
        rest,
        lots * print_price * spec.lot_size,
        spec.trade_notional,
        p.fills_per_log_notional,
        state.next_agg_id,
        state.next_fill_id,
    )
    update_id = update_ids(rest, len(book.ms), state.next_update_id, p)
    feed_ms = feed_times(rest, book.ms, day_ms, state.last_feed_ms, p)
    trades_out = Trades(
        time=t_ms,
        minute=t_min,
        price=book.price_tick * spec.tick,
        qty=lots,
        buyer_maker=~book.buy,
        ids=ids,
        is_block=is_block,
    )
    quotes = DayQuotes(
        update_id=update_id,
        bid_ticks=book.bid,
        spread=book.spread,
        bid_qty=book.bid_qty,
        ask_qty=book.ask_qty,
        ms_in_day=book.ms,
        event_ms=feed_ms,
        day_ms=day_ms,
        tick=spec.tick,
    )
    next_state = PerpState(
        log_price=last_log_price,
        last_event_ms=last_event_ms,
        last_feed_ms=int(feed_ms[-1]),
        next_agg_id=int(ids.agg_id[-1]) + 1 if n_t else state.next_agg_id,
        next_fill_id=int(ids.last_id[-1]) + 1 if n_t else state.next_fill_id,
        next_update_id=int(update_id[-1]) + 1,
    )
    sampled = tuple(s.finish(last_log_price) for s in samplers)
    return PerpDay(trades=trades_out, quotes=quotes, sampled=sampled, state=next_state, book_seconds=book_seconds)
