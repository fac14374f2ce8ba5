"""
Flow and book indicators: incremental cost per update vs batch cost per event.

The incremental side drives each indicator through ``handle_trade_tick`` / ``handle_quote_tick`` /
``handle_bar`` / ``handle_book_depth`` with real NautilusTrader objects (the float extraction is
part of the cost); the batch side runs the indicator's numba batch twin over the same events as
numpy arrays. Budgets: 0.5 µs per update for simple indicators, 1.5 µs for the heaviest (VPIN);
the batch must be >= 50x faster per event.

The event generators here are also the random event source of the parity tests.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import BarType
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.enums import AggressorSide
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import TradeId
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity

from bench.timing import batch_us
from bench.timing import loop_us
from bench.timing import per_call_us
from data_types.book_depth import BookDepth
from indicators.book import DepthImbalance
from indicators.book import OrderFlowImbalance
from indicators.book import RelativeSpread
from indicators.book import TopOfBookImbalance
from indicators.flow import VPIN
from indicators.flow import HawkesIntensity
from indicators.flow import KyleLambda
from indicators.flow import SignedVolumeImbalance

INSTRUMENT = InstrumentId.from_str("BTCUSDT-PERP.BINANCE")
BAR_TYPE = BarType.from_str("BTCUSDT-PERP.BINANCE-1-MINUTE-LAST-EXTERNAL")
T0 = 1_700_000_000_000_000_000
SIMPLE_BUDGET_US = 0.5
HEAVY_BUDGET_US = 1.5
MIN_SPEEDUP = 50.0


def random_trades(n: int, seed: int = 0, zero_size_share: float = 0.0) -> dict[str, np.ndarray]:
    """
    Return ``n`` random trades: int64 ``ts`` (ns, ties included), ``price`` (0.1 ticks random
    walk), ``size`` (lognormal, 3 decimals, > 0 unless ``zero_size_share``) and ``side`` codes
    (mostly 1/2, a few 0).
    """
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(50e6, n).astype(np.int64) * (rng.random(n) > 0.2)
    price = np.round(50_000.0 + 0.1 * np.cumsum(rng.integers(-2, 3, n)), 1)
    size = np.maximum(np.round(rng.lognormal(-3.0, 1.5, n), 3), 0.001)
    size[rng.random(n) < zero_size_share] = 0.0
    side = rng.choice([1, 2, 0], size=n, p=[0.49, 0.49, 0.02]).astype(np.float64)
    return {"ts": T0 + np.cumsum(gaps), "price": price, "size": size, "side": side}


def random_quotes(n: int, seed: int = 0, bad_share: float = 0.0) -> dict[str, np.ndarray]:
    """
    Return ``n`` random top-of-book quotes (``ts``, ``bid``, ``bid_size``, ``ask``,
    ``ask_size``); ``bad_share`` of them crossed or with zero sizes.
    """
    rng = np.random.default_rng(seed)
    ts = T0 + np.cumsum(rng.exponential(20e6, n).astype(np.int64))
    bid = np.round(50_000.0 + 0.1 * np.cumsum(rng.integers(-1, 2, n)), 1)
    ask = np.round(bid + 0.1 * rng.integers(1, 4, n), 1)
    bid_size = np.round(rng.lognormal(0.0, 1.0, n), 3) + 0.001
    ask_size = np.round(rng.lognormal(0.0, 1.0, n), 3) + 0.001
    bad = rng.random(n) < bad_share
    ask[bad & (rng.random(n) < 0.5)] -= 0.5  # crossed
    bid_size[bad & (rng.random(n) < 0.5)] = 0.0
    ask_size[bad & (rng.random(n) < 0.5)] = 0.0
    return {"ts": ts, "bid": bid, "bid_size": bid_size, "ask": ask, "ask_size": ask_size}


def random_bars(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Return ``n`` random 1-minute bars (``ts`` close time, ``open``, ``close``, ``volume``)."""
    rng = np.random.default_rng(seed)
    close = np.round(50_000.0 + 10.0 * np.cumsum(rng.normal(0.0, 1.0, n)), 1)
    open_ = np.round(np.concatenate([[50_000.0], close[:-1]]) + rng.normal(0, 1, n), 1)
    volume = np.round(rng.lognormal(3.0, 0.5, n), 3)
    ts = T0 + 60_000_000_000 * np.arange(1, n + 1, dtype=np.int64)
    return {"ts": ts, "open": open_, "close": close, "volume": volume}


def random_depth(snapshots: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Return bookDepth rows: ``snapshots`` × 10 rows (percentages ±1..±5) per timestamp."""
    rng = np.random.default_rng(seed)
    pct = np.tile(np.array([-5, -4, -3, -2, -1, 1, 2, 3, 4, 5], dtype=np.float64), snapshots)
    ts = np.repeat(T0 + 30_000_000_000 * np.arange(snapshots, dtype=np.int64), 10)
    depth = np.round(np.abs(pct) * rng.lognormal(7.0, 0.3, pct.size), 3)
    return {"ts": ts, "percentage": pct, "depth": depth}


def trade_ticks(trades: dict[str, np.ndarray]) -> list[TradeTick]:
    """Return NautilusTrader trade ticks for trades of positive size."""
    sides = {0: AggressorSide.NO_AGGRESSOR, 1: AggressorSide.BUYER, 2: AggressorSide.SELLER}
    return [
        TradeTick(
            INSTRUMENT,
            Price(p, 1),
            Quantity(q, 3),
            sides[int(s)],
            TradeId(str(i)),
            int(t),
            int(t),
        )
        for i, (t, p, q, s) in enumerate(
            zip(trades["ts"], trades["price"], trades["size"], trades["side"], strict=True)
        )
    ]


def quote_ticks(quotes: dict[str, np.ndarray]) -> list[QuoteTick]:
    """Return NautilusTrader quote ticks for the quotes."""
    return [
        QuoteTick(INSTRUMENT, Price(b, 1), Price(a, 1), Quantity(bq, 3), Quantity(aq, 3), t, t)
        for t, b, bq, a, aq in zip(
            quotes["ts"].tolist(),
            quotes["bid"],
            quotes["bid_size"],
            quotes["ask"],
            quotes["ask_size"],
            strict=True,
        )
    ]


def bar_objects(bars: dict[str, np.ndarray]) -> list[Bar]:
    """Return NautilusTrader 1-minute bars for the bars (high/low bracket open and close)."""
    return [
        Bar(
            BAR_TYPE,
            Price(o, 1),
            Price(max(o, c), 1),
            Price(min(o, c), 1),
            Price(c, 1),
            Quantity(v, 3),
            t,
            t,
        )
        for t, o, c, v in zip(
            bars["ts"].tolist(), bars["open"], bars["close"], bars["volume"], strict=True
        )
    ]


def depth_rows(rows: dict[str, np.ndarray]) -> list[BookDepth]:
    """Return ``BookDepth`` rows."""
    return [
        BookDepth(ts_event=t, ts_init=t, percentage=p, depth=d, notional=d * 50_000.0)
        for t, p, d in zip(rows["ts"].tolist(), rows["percentage"], rows["depth"], strict=True)
    ]


def trade_arrays(ticks: list[TradeTick]) -> tuple[np.ndarray, ...]:
    """Return (ts, price, size, side) arrays of trade ticks, as the indicators read them."""
    return (
        np.array([t.ts_event for t in ticks], dtype=np.int64),
        np.array([t.price.as_double() for t in ticks]),
        np.array([t.size.as_double() for t in ticks]),
        np.array([int(t.aggressor_side) for t in ticks], dtype=np.float64),
    )


def quote_arrays(ticks: list[QuoteTick]) -> tuple[np.ndarray, ...]:
    """Return (ts, bid, bid_size, ask, ask_size) arrays of quote ticks."""
    return (
        np.array([q.ts_event for q in ticks], dtype=np.int64),
        np.array([q.bid_price.as_double() for q in ticks]),
        np.array([q.bid_size.as_double() for q in ticks]),
        np.array([q.ask_price.as_double() for q in ticks]),
        np.array([q.ask_size.as_double() for q in ticks]),
    )


@dataclass(frozen=True)
class Case:
    """One benchmarked configuration: how to build it and which inputs it takes."""

    name: str
    make: Callable
    feed: str  # a key of the feeds built by ``_feeds``
    budget_us: float = SIMPLE_BUDGET_US


SECOND = 1_000_000_000
CASES = [
    Case("SVI time 60s", lambda: SignedVolumeImbalance(window_ns=60 * SECOND), "trade_sizes"),
    Case("SVI volume 50", lambda: SignedVolumeImbalance(window_volume=50.0), "trade_sizes"),
    Case(
        "VPIN aggressor, fixed bucket", lambda: VPIN(bucket_volume=5.0), "trades", HEAVY_BUDGET_US
    ),
    Case(
        "VPIN aggressor, median-1m bucket",
        lambda: VPIN(lookback_periods=60),
        "trades",
        HEAVY_BUDGET_US,
    ),
    Case(
        "VPIN BVC 1m bars, median-1m bucket",
        lambda: VPIN(classifier="bvc", lookback_periods=60, sigma_window=30),
        "trades",
        HEAVY_BUDGET_US,
    ),
    Case(
        "VPIN bar sign (1m klines)",
        lambda: VPIN(classifier="bar_sign", bucket_volume=50.0),
        "bars",
        HEAVY_BUDGET_US,
    ),
    Case("Kyle lambda per trade", lambda: KyleLambda(window=100), "trades"),
    Case("Kyle lambda 1s bars", lambda: KyleLambda(window=100, bar_ns=SECOND), "trades"),
    Case("Hawkes", lambda: HawkesIntensity(1.0, 0.8, 1.0), "trade_sizes"),
    Case("Top-of-book imbalance", TopOfBookImbalance, "sizes"),
    Case("Relative spread", RelativeSpread, "prices"),
    Case("OFI cumulative", OrderFlowImbalance, "quotes"),
    Case("OFI last 100 events", lambda: OrderFlowImbalance(window=100), "quotes"),
    Case("OFI time 10s", lambda: OrderFlowImbalance(window_ns=10 * SECOND), "quotes"),
    Case("Depth imbalance ±1,2,5%", lambda: DepthImbalance(levels=(1.0, 2.0, 5.0)), "depth"),
]


def _feeds(n_objects: int, n_batch: int) -> dict[str, tuple[str, list, tuple, str]]:
    # feed -> (handler, Nautilus objects, batch arguments, batch method)
    trades, quotes = random_trades(n_batch, 1), random_quotes(n_batch, 2)
    bars, depth = random_bars(n_batch // 10, 3), random_depth(n_batch // 10, 4)
    ticks = trade_ticks({k: v[:n_objects] for k, v in trades.items()})
    qticks = quote_ticks({k: v[:n_objects] for k, v in quotes.items()})
    t = (trades["ts"], trades["price"], trades["size"], trades["side"])
    q = (quotes["ts"], quotes["bid"], quotes["bid_size"], quotes["ask"], quotes["ask_size"])
    return {
        "trades": ("handle_trade_tick", ticks, t, "batch"),
        "trade_sizes": ("handle_trade_tick", ticks, (t[0], t[2], t[3]), "batch"),
        "bars": (
            "handle_bar",
            bar_objects({k: v[: n_objects // 5] for k, v in bars.items()}),
            (bars["ts"], bars["open"], bars["close"], bars["volume"]),
            "batch_bars",
        ),
        "quotes": ("handle_quote_tick", qticks, q, "batch"),
        "sizes": ("handle_quote_tick", qticks, (q[2], q[4]), "batch"),
        "prices": ("handle_quote_tick", qticks, (q[1], q[3]), "batch"),
        "depth": (
            "handle_book_depth",
            depth_rows({k: v[:n_objects] for k, v in depth.items()}),
            (depth["ts"], depth["percentage"], depth["depth"]),
            "batch",
        ),
    }


def _extraction_floor_us(feeds: dict) -> tuple[float, float]:
    # What any Python handler pays to read the fields from the Nautilus objects (no indicator).
    def trade(t: TradeTick) -> tuple:
        return t.ts_event, t.price.as_double(), t.size.as_double(), t.aggressor_side

    def quote(q: QuoteTick) -> tuple:
        return (
            q.ts_event,
            q.bid_price.as_double(),
            q.bid_size.as_double(),
            q.ask_price.as_double(),
            q.ask_size.as_double(),
        )

    return loop_us(trade, feeds["trades"][1]), loop_us(quote, feeds["quotes"][1])


def main(n_objects: int = 50_000, n_batch: int = 1_000_000) -> None:
    """Print, per indicator, incremental and batch cost, speed-up and budget checks."""
    header = (
        f"{'indicator':36s} {'incr µs/upd':>11s} {'budget':>6s} {'batch ns/ev':>11s} "
        f"{'speed-up':>8s}  {'incr':4s}  batch"
    )
    print(header)
    print("-" * len(header))
    over, slow = 0, 0
    feeds = _feeds(n_objects, n_batch)
    for case in CASES:
        handler, objects, args, method = feeds[case.feed]
        incremental = per_call_us(case.make, handler, objects)
        batch = batch_us(partial(getattr(case.make(), method), *args), len(args[0]))
        ratio = incremental / batch
        within, fast = incremental <= case.budget_us, ratio >= MIN_SPEEDUP
        over += not within
        slow += not fast
        print(
            f"{case.name:36s} {incremental:11.3f} {case.budget_us:6.1f} {batch * 1e3:11.1f} "
            f"{ratio:7.0f}x  {'ok' if within else 'OVER':4s}  {'ok' if fast else '< 50x'}",
            flush=True,
        )
    print(
        f"{over} over the per-update budget (real Nautilus objects, float extraction included), "
        f"{slow} below the 50x batch speed-up"
    )
    trade_floor, quote_floor = _extraction_floor_us(feeds)
    print(
        f"floor (reading the fields in a Python function, no indicator): TradeTick (ts, price, "
        f"size, side) {trade_floor:.3f} µs, QuoteTick (ts, bid, bid size, ask, ask size) "
        f"{quote_floor:.3f} µs"
    )


if __name__ == "__main__":
    main()
