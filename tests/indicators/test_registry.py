"""
The registry's one parity test: every indicator's update method and its batch twin give the same
series, on the synthetic market, on the real Binance samples and on random data with bad input.

Both paths run the same compiled step, so the series must be identical to the bit (the features
fidelity relies on it), NaN at the same places. The same run checks the rest of the contract on
every indicator: ``update`` returns the new value, ``batch`` leaves the indicator untouched, and
``nan_until_ready`` is truthful (initialized exactly when the value is not NaN).
"""

import inspect
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.bench_indicators_flow import random_depth
from bench.bench_indicators_flow import random_quotes
from bench.bench_indicators_flow import random_trades
from indicators import book
from indicators import flow
from indicators import regime
from indicators import rolling
from indicators import volatility
from indicators.base import KernelIndicator
from indicators.kernels.regime import crowding_events
from indicators.registry import REGISTRY
from indicators.registry import STREAMS
from indicators.registry import Entry
from tests.indicators import random_ohlc

SYMBOL = "BTCUSDT"
MS = 1_000_000
MINUTE_MS = 60_000
# The synthetic generator writes no bookDepth files.
SYNTHETIC_STREAMS = set(STREAMS) - {"depth"}


def _read(root: Path, folder: str, family: str, pattern: str = "*.csv") -> pd.DataFrame:
    files = sorted((root / "futures" / "um" / folder / family).rglob(pattern))
    assert files, f"no {family} files under {root}"
    return pd.concat([pd.read_csv(f) for f in files], ignore_index=True)


def _utc_ns(text: pd.Series) -> np.ndarray:
    return pd.to_datetime(text, utc=True).astype("int64").to_numpy()


def _archive_streams(root: Path, depth: bool) -> dict[str, dict[str, np.ndarray]]:
    # The archive's files as written, read with pandas (not with the ETL under test elsewhere).
    klines = _read(root, "daily", "klines", "*-1m-*.csv")
    trades = _read(root, "daily", "aggTrades")
    quotes = _read(root, "daily", "bookTicker")
    metrics = _read(root, "daily", "metrics")
    funding = _read(root, "monthly", "fundingRate")
    metrics = metrics.assign(ts=_utc_ns(metrics["create_time"])).sort_values("ts", kind="stable")
    buyer_maker = trades["is_buyer_maker"].astype(str).str.lower() == "true"
    streams = {
        "bars": {
            # Stamped as the ETL stamps klines: the bar's last nanosecond.
            "ts": (klines["open_time"].to_numpy() + MINUTE_MS) * MS - 1,
            **{c: klines[c].to_numpy(float) for c in ("open", "high", "low", "close", "volume")},
            "taker_buy_volume": klines["taker_buy_volume"].to_numpy(float),
        },
        "trades": {
            "ts": trades["transact_time"].to_numpy() * MS,
            "price": trades["price"].to_numpy(float),
            "size": trades["quantity"].to_numpy(float),
            "side": np.where(buyer_maker, 2.0, 1.0),  # buyer is maker: the seller aggressed
        },
        "quotes": {
            "ts": quotes["transaction_time"].to_numpy() * MS,
            "bid_price": quotes["best_bid_price"].to_numpy(float),
            "bid_size": quotes["best_bid_qty"].to_numpy(float),
            "ask_price": quotes["best_ask_price"].to_numpy(float),
            "ask_size": quotes["best_ask_qty"].to_numpy(float),
        },
        "funding": {
            "ts": funding["calc_time"].to_numpy() * MS,
            "rate": funding["last_funding_rate"].to_numpy(float),
        },
        "metrics": {
            "ts": metrics["ts"].to_numpy(),
            "open_interest": metrics["sum_open_interest"].to_numpy(float),
            "long_short_ratio": metrics["count_long_short_ratio"].to_numpy(float),
        },
    }
    if depth:
        rows = _read(root, "daily", "bookDepth")
        streams["depth"] = {
            "ts": _utc_ns(rows["timestamp"]),
            "percentage": rows["percentage"].to_numpy(float),
            "depth": rows["depth"].to_numpy(float),
        }
    return _with_crowding(streams)


def _with_crowding(streams: dict[str, dict[str, np.ndarray]]) -> dict[str, dict[str, np.ndarray]]:
    f, m = streams["funding"], streams["metrics"]
    _, kind, x1, x2 = crowding_events(
        f["ts"], f["rate"], m["ts"], m["open_interest"], m["long_short_ratio"]
    )
    return {**streams, "crowding": {"kind": kind, "x1": x1, "x2": x2}}


def _random(seed: int = 21) -> dict[str, dict[str, np.ndarray]]:
    # Edge cases the markets lack: zero-size trades, crossed quotes and zero sizes, flat bars.
    rng = np.random.default_rng(seed)
    bars = random_ohlc(5_000, seed)
    bars["taker_buy_volume"] = np.round(bars["volume"] * rng.random(bars["volume"].size), 3)
    # Missing minutes, so Yang-Zhang also meets sessions that end without their boundary bar.
    kept = rng.random(bars["ts"].size) >= 0.05
    bars = {k: v[kept] for k, v in bars.items()}
    quotes = random_quotes(20_000, seed, bad_share=0.02)
    n_metrics = 3_000
    metrics_ts = bars["ts"][0] + 300_000 * MS * np.arange(n_metrics, dtype=np.int64)
    return _with_crowding(
        {
            "bars": bars,
            "trades": random_trades(20_000, seed, zero_size_share=0.01),
            "quotes": {
                "ts": quotes["ts"],
                "bid_price": quotes["bid"],
                "bid_size": quotes["bid_size"],
                "ask_price": quotes["ask"],
                "ask_size": quotes["ask_size"],
            },
            "depth": random_depth(2_000, seed),
            "funding": {
                "ts": metrics_ts[::96] + 1,
                "rate": rng.normal(1e-4, 1e-4, metrics_ts[::96].size),
            },
            "metrics": {
                "ts": metrics_ts,
                "open_interest": 1e5 * np.exp(np.cumsum(rng.normal(0.0, 2e-3, n_metrics))),
                "long_short_ratio": rng.lognormal(0.0, 0.2, n_metrics),
            },
        }
    )


@pytest.fixture(scope="module")
def synthetic_streams(make_synthetic_market) -> dict[str, dict[str, np.ndarray]]:
    root = make_synthetic_market(SYMBOL, 3, seed=13, trades_per_day=15_000, quotes_per_day=15_000)
    return _archive_streams(root, depth=False)


@pytest.fixture(scope="module")
def real_streams(shared_data) -> dict[str, dict[str, np.ndarray]]:
    return _archive_streams(shared_data, depth=True)


@pytest.fixture(scope="module")
def random_streams() -> dict[str, dict[str, np.ndarray]]:
    return _random()


CASES = [
    pytest.param(entry, dataset, id=f"{entry.name}-{dataset}")
    for entry in REGISTRY
    for dataset in ("synthetic", "real", "random")
    if dataset != "synthetic" or entry.stream in SYNTHETIC_STREAMS
]


@pytest.mark.parametrize(("entry", "dataset"), CASES)
def test_update_and_batch_give_the_same_series(entry: Entry, dataset: str, request) -> None:
    # Arrange
    data = request.getfixturevalue(f"{dataset}_streams")[entry.stream]
    incremental, batched = entry.make(), entry.make()
    half = len(data[entry.columns[0]]) // 2
    first = {c: v[:half] for c, v in data.items()}
    rest = {c: v[half:] for c, v in data.items()}

    # Act: the batch twin from a fresh indicator; update row by row, checking readiness midway.
    series = entry.run_batch(batched, data)
    untouched = np.isnan(batched.value) and not batched.has_inputs and not batched.initialized
    returned = [entry.run_incremental(incremental, first)]
    ready_midway = (incremental.initialized, incremental.value)
    returned.append(entry.run_incremental(incremental, rest))
    returned = np.concatenate(returned)

    # Assert
    assert series.shape == (len(data[entry.columns[0]]),) and series.size > 0
    np.testing.assert_array_equal(returned, series)  # bit-identical; NaN at the same places
    assert untouched, "batch must not change the indicator"
    assert incremental.value == series[-1] or np.isnan(incremental.value) and np.isnan(series[-1])
    if incremental.nan_until_ready:
        for initialized, value in (ready_midway, (incremental.initialized, incremental.value)):
            assert initialized == (value == value)
    if dataset != "real":  # the real trade and quote samples are a few rows: NaN throughout
        assert np.isfinite(series).sum() > series.size // 10, "the example should warm up"


def test_the_registry_covers_every_indicator() -> None:
    # Arrange: every concrete indicator class of the indicator modules.
    modules = (volatility, rolling, regime, flow, book)
    classes = {
        cls
        for module in modules
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, KernelIndicator)
        and cls.__module__ == module.__name__
        and not cls.__name__.startswith("_")
        and "__init__" in vars(cls)
    }

    # Act
    registered = {type(entry.make()) for entry in REGISTRY}

    # Assert
    assert classes, "the indicator modules define indicators"
    assert classes - registered == set()
