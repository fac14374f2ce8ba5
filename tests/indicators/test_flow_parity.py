"""
Batch twin vs the Nautilus handlers, for every flow and book indicator and configuration.

Each case runs through real NautilusTrader objects (``handle_*``) and through the batch twin; the
series must agree to 1e-9 relative with NaN at the same places. The same cases check that
``reset`` restores a fresh state. ``update_raw`` against the batch twin (and with it the absence
of look-ahead: the incremental path cannot see later events) is the registry's parity test,
``test_registry.py``.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from bench.bench_indicators_flow import bar_objects
from bench.bench_indicators_flow import depth_rows
from bench.bench_indicators_flow import quote_ticks
from bench.bench_indicators_flow import random_bars
from bench.bench_indicators_flow import random_depth
from bench.bench_indicators_flow import random_quotes
from bench.bench_indicators_flow import random_trades
from bench.bench_indicators_flow import trade_ticks
from indicators.book import DepthImbalance
from indicators.book import OrderFlowImbalance
from indicators.book import RelativeSpread
from indicators.book import TopOfBookImbalance
from indicators.flow import VPIN
from indicators.flow import HawkesIntensity
from indicators.flow import KyleLambda
from indicators.flow import SignedVolumeImbalance

N_EVENTS = 100_000
N_OBJECTS = 20_000
SECOND = 1_000_000_000


def assert_same_series(actual: np.ndarray, expected: np.ndarray) -> None:
    """Assert NaN at the same places and the other values equal to 1e-9 relative."""
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    finite = ~np.isnan(expected)
    np.testing.assert_allclose(actual[finite], expected[finite], rtol=1e-9, atol=0.0)


@dataclass(frozen=True)
class Kind:
    """How to feed one kind of event to an indicator: raw arrays, batch and Nautilus objects."""

    columns: tuple[str, ...]  # data columns, in update_raw's order
    batch_columns: tuple[str, ...]  # data columns, in batch's order
    handler: str
    to_objects: Callable
    data: Callable  # (n, seed) -> dict of arrays
    batch_method: str = "batch"
    raw_method: str = "update_raw"


def _with_taker(n: int, seed: int) -> dict[str, np.ndarray]:
    bars = random_bars(n, seed)
    share = np.random.default_rng(seed + 1).random(n)
    bars["taker"] = np.round(bars["volume"] * share, 3)
    return bars


def _zero_sized(n: int, seed: int) -> dict[str, np.ndarray]:
    return random_trades(n, seed, zero_size_share=0.01)


def _bad_quotes(n: int, seed: int) -> dict[str, np.ndarray]:
    return random_quotes(n, seed, bad_share=0.02)


def _depth(n: int, seed: int) -> dict[str, np.ndarray]:
    return random_depth(n // 10, seed)


TRADES = Kind(
    ("ts", "price", "size", "side"),
    ("ts", "price", "size", "side"),
    "handle_trade_tick",
    trade_ticks,
    _zero_sized,
)
SIZE_TRADES = Kind(
    ("ts", "size", "side"), ("ts", "size", "side"), "handle_trade_tick", trade_ticks, _zero_sized
)
BARS = Kind(
    ("ts", "open", "close", "volume"),
    ("ts", "open", "close", "volume"),
    "handle_bar",
    bar_objects,
    random_bars,
    batch_method="batch_bars",
    raw_method="update_bar_raw",
)
TAKER_BARS = Kind(
    ("ts", "open", "close", "volume", "taker"),
    ("ts", "open", "close", "volume", "taker"),
    "",
    bar_objects,
    _with_taker,
    batch_method="batch_bars",
    raw_method="update_bar_raw",
)
QUOTES = Kind(
    ("ts", "bid", "bid_size", "ask", "ask_size"),
    ("ts", "bid", "bid_size", "ask", "ask_size"),
    "handle_quote_tick",
    quote_ticks,
    _bad_quotes,
)
SIZES = Kind(
    ("bid_size", "ask_size"),
    ("bid_size", "ask_size"),
    "handle_quote_tick",
    quote_ticks,
    _bad_quotes,
)
PRICES = Kind(("bid", "ask"), ("bid", "ask"), "handle_quote_tick", quote_ticks, _bad_quotes)
DEPTH = Kind(
    ("ts", "percentage", "depth"),
    ("ts", "percentage", "depth"),
    "handle_book_depth",
    depth_rows,
    _depth,
)

CASES: dict[str, tuple[Callable, Kind]] = {
    "svi_time": (lambda: SignedVolumeImbalance(window_ns=30 * SECOND), SIZE_TRADES),
    "svi_volume": (lambda: SignedVolumeImbalance(window_volume=20.0), SIZE_TRADES),
    "vpin_aggressor_fixed": (lambda: VPIN(window=20, bucket_volume=3.0), TRADES),
    "vpin_aggressor_median": (
        lambda: VPIN(window=20, period_ns=SECOND, lookback_periods=30, min_periods=5),
        TRADES,
    ),
    "vpin_aggressor_mean_quote": (
        lambda: VPIN(
            window=10,
            quote_volume=True,
            period_ns=5 * SECOND,
            lookback_periods=12,
            statistic="mean",
            fraction=0.5,
        ),
        TRADES,
    ),
    "vpin_bvc_time_bars": (
        lambda: VPIN(
            window=10, classifier="bvc", bucket_volume=4.0, bar_ns=SECOND, sigma_window=20
        ),
        TRADES,
    ),
    "vpin_bvc_trade_groups": (
        lambda: VPIN(
            window=10,
            classifier="bvc",
            group_trades=25,
            sigma_window=10,
            period_ns=10 * SECOND,
            lookback_periods=6,
        ),
        TRADES,
    ),
    "vpin_bar_sign": (lambda: VPIN(window=20, classifier="bar_sign", bucket_volume=40.0), BARS),
    "vpin_bar_sign_median": (
        lambda: VPIN(window=20, classifier="bar_sign", lookback_periods=30, min_periods=10),
        BARS,
    ),
    "vpin_bar_taker": (
        lambda: VPIN(window=20, classifier="bar_taker", bucket_volume=40.0),
        TAKER_BARS,
    ),
    "vpin_bvc_bars": (
        lambda: VPIN(window=20, classifier="bvc", bucket_volume=40.0, sigma_window=30),
        BARS,
    ),
    "kyle_per_trade": (lambda: KyleLambda(window=200), TRADES),
    "kyle_bars": (lambda: KyleLambda(window=30, bar_ns=2 * SECOND), TRADES),
    "hawkes_all": (lambda: HawkesIntensity(mu=2.0, alpha=5.0, beta=10.0), SIZE_TRADES),
    "hawkes_sellers": (lambda: HawkesIntensity(mu=1.0, alpha=3.0, beta=4.0, side=2), SIZE_TRADES),
    "top_of_book_imbalance": (TopOfBookImbalance, SIZES),
    "relative_spread": (RelativeSpread, PRICES),
    "ofi_cumulative": (OrderFlowImbalance, QUOTES),
    "ofi_events": (lambda: OrderFlowImbalance(window=50), QUOTES),
    "ofi_time": (lambda: OrderFlowImbalance(window_ns=5 * SECOND), QUOTES),
    "depth_one_level": (lambda: DepthImbalance(levels=(1.0,)), DEPTH),
    "depth_weighted": (
        lambda: DepthImbalance(levels=(1.0, 2.0, 5.0), weights=(3.0, 2.0, 1.0)),
        DEPTH,
    ),
}


def _incremental(indicator, kind: Kind, data: dict[str, np.ndarray]) -> np.ndarray:
    update = getattr(indicator, kind.raw_method)
    columns = [data[c].tolist() for c in kind.columns]
    out = np.empty(len(columns[0]))
    for i, args in enumerate(zip(*columns, strict=True)):
        update(*args)
        out[i] = indicator.value
    return out


def _batch(indicator, kind: Kind, data: dict[str, np.ndarray]) -> np.ndarray:
    return getattr(indicator, kind.batch_method)(*(data[c] for c in kind.batch_columns))


@pytest.fixture(scope="module")
def datasets() -> dict[str, dict[str, np.ndarray]]:
    kinds = {id(kind): kind for _, kind in CASES.values()}
    return {key: kind.data(N_EVENTS, 11) for key, kind in kinds.items()}


@pytest.mark.parametrize("case", sorted(c for c, (_, kind) in CASES.items() if kind.handler))
def test_batch_twin_matches_handle_methods_on_nautilus_objects(case):
    # Arrange
    make, kind = CASES[case]
    data = kind.data(N_OBJECTS, 12)
    if kind.handler == "handle_trade_tick":
        data = {k: v[data["size"] > 0] for k, v in data.items()}  # a TradeTick has size > 0
    if kind.handler == "handle_quote_tick":
        data = random_quotes(N_OBJECTS, 12)  # a QuoteTick has no crossed-price check to fool
    objects = kind.to_objects(data)
    indicator = make()
    handle = getattr(indicator, kind.handler)
    # Act
    incremental = np.empty(len(objects))
    for i, item in enumerate(objects):
        handle(item)
        incremental[i] = indicator.value
    batch = _batch(make(), kind, _read_back(objects, kind, data))
    # Assert
    assert indicator.initialized
    assert_same_series(incremental, batch)


def _read_back(objects: list, kind: Kind, data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    # The values the objects hold (Price/Quantity round to their precision), as batch input.
    if kind.handler == "handle_trade_tick":
        return {
            "ts": np.array([t.ts_event for t in objects]),
            "price": np.array([t.price.as_double() for t in objects]),
            "size": np.array([t.size.as_double() for t in objects]),
            "side": np.array([int(t.aggressor_side) for t in objects], dtype=float),
        }
    if kind.handler == "handle_quote_tick":
        return {
            "ts": np.array([q.ts_event for q in objects]),
            "bid": np.array([q.bid_price.as_double() for q in objects]),
            "bid_size": np.array([q.bid_size.as_double() for q in objects]),
            "ask": np.array([q.ask_price.as_double() for q in objects]),
            "ask_size": np.array([q.ask_size.as_double() for q in objects]),
        }
    if kind.handler == "handle_bar":
        return {
            "ts": np.array([b.ts_event for b in objects]),
            "open": np.array([b.open.as_double() for b in objects]),
            "close": np.array([b.close.as_double() for b in objects]),
            "volume": np.array([b.volume.as_double() for b in objects]),
        }
    return data  # BookDepth rows hold the floats unchanged


@pytest.mark.parametrize("case", sorted(CASES))
def test_reset_restores_the_fresh_state(case, datasets):
    # Arrange
    make, kind = CASES[case]
    data = {k: v[:3000] for k, v in datasets[id(kind)].items()}
    indicator = make()
    first = _incremental(indicator, kind, data)
    # Act
    indicator.reset()
    fresh_value, fresh_initialized, fresh_inputs = (
        indicator.value,
        indicator.initialized,
        indicator.has_inputs,
    )
    second = _incremental(indicator, kind, data)
    # Assert
    assert np.isnan(fresh_value) and not fresh_initialized and not fresh_inputs
    assert_same_series(second, first)
