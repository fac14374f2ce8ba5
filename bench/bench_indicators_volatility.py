"""
Volatility, rolling and regime indicators: incremental cost per update vs batch cost per event.

The incremental side drives each indicator through ``handle_bar`` with real NautilusTrader
``Bar`` objects (regime indicators: ``handle_funding_rate`` / ``handle_metrics`` with the
custom data objects), so extracting the floats is part of the cost; the batch side runs the
numba batch twin over the same kind of events as numpy arrays. Budgets: 0.5 µs per update,
batch >= 50x faster per event. Two reference rows give the floor Python imposes before any
arithmetic: reading two and four prices off a ``Bar``.

Times are process CPU time (``time.process_time``), best of three: on the shared 2-core machine
wall-clock time mostly measures the other engineers' load.
"""

from collections.abc import Callable

import numpy as np
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import BarType
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity

from bench.timing import batch_us
from bench.timing import loop_us
from bench.timing import per_call_us
from data_types import FundingRate
from data_types import FuturesMetrics
from indicators.kernels import regime as kr
from indicators.kernels import rolling as kroll
from indicators.kernels import volatility as kv
from indicators.regime import CrowdingIndex
from indicators.regime import DeltaLogOpenInterest
from indicators.regime import FundingZScore
from indicators.regime import LogLongShortRatio
from indicators.rolling import RollingPercentileRank
from indicators.rolling import RollingZScore
from indicators.volatility import BipowerVariation
from indicators.volatility import DownsideSemivariance
from indicators.volatility import EwmaVariance
from indicators.volatility import GarmanKlass
from indicators.volatility import HarComposite
from indicators.volatility import Parkinson
from indicators.volatility import RealizedVariance
from indicators.volatility import RogersSatchell
from indicators.volatility import VolatilityCompression
from indicators.volatility import YangZhang

BAR_TYPE = BarType.from_str("BTCUSDT-PERP.BINANCE-1-MINUTE-LAST-EXTERNAL")
MINUTE_NS = 60_000_000_000
T0 = 1_700_000_040 * 1_000_000_000  # on a minute boundary
BUDGET_US = 0.5
MIN_SPEEDUP = 50.0
N_OBJECTS = 100_000
N_BATCH = 1_000_000
HORIZONS = np.array([60, 360, 1440])
WEIGHTS = np.array([1 / 3, 1 / 3, 1 / 3])


def random_bars(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Return ``n`` consistent random 1-minute bars (prices rounded to 0.1) as arrays."""
    rng = np.random.default_rng(seed)
    close = np.round(50_000.0 * np.exp(np.cumsum(rng.normal(0.0, 1e-3, n))), 1)
    open_ = np.round(np.r_[close[0], close[:-1]] + rng.normal(0.0, 1.0, n), 1)
    high = np.round(np.maximum(open_, close) + np.abs(rng.normal(0.0, 20.0, n)), 1)
    low = np.round(np.minimum(open_, close) - np.abs(rng.normal(0.0, 20.0, n)), 1)
    ts = T0 + MINUTE_NS * np.arange(1, n + 1, dtype=np.int64)
    return {"ts": ts, "open": open_, "high": high, "low": low, "close": close}


def bar_objects(d: dict[str, np.ndarray]) -> list[Bar]:
    """Return NautilusTrader bars for the arrays."""
    return [
        Bar(BAR_TYPE, Price(o, 1), Price(h, 1), Price(lo, 1), Price(c, 1), Quantity(1.0, 3), t, t)
        for t, o, h, lo, c in zip(
            d["ts"].tolist(), d["open"], d["high"], d["low"], d["close"], strict=True
        )
    ]


def random_regime(n_metrics: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Return metrics rows every 5 min and funding every 8 h as arrays."""
    rng = np.random.default_rng(seed)
    step = 5 * MINUTE_NS
    n_funding = max(n_metrics // 96, 2)
    return {
        "metrics_ts": T0 + step * np.arange(1, n_metrics + 1, dtype=np.int64),
        "oi": 1e5 * np.exp(np.cumsum(rng.normal(0.0, 2e-3, n_metrics))),
        "ls": rng.lognormal(0.0, 0.2, n_metrics),
        "funding_ts": T0 + 96 * step * np.arange(1, n_funding + 1, dtype=np.int64),
        "funding": rng.normal(1e-4, 1e-4, n_funding),
    }


def _bar_cases(d: dict[str, np.ndarray]) -> list[tuple[str, Callable, Callable]]:
    o, h, lo, c, ts = d["open"], d["high"], d["low"], d["close"], d["ts"]
    return [
        ("Parkinson(30)", lambda: Parkinson(30), lambda: kv.parkinson_batch(h, lo, 30)),
        (
            "GarmanKlass(30)",
            lambda: GarmanKlass(30),
            lambda: kv.garman_klass_batch(o, h, lo, c, 30),
        ),
        (
            "RogersSatchell(30)",
            lambda: RogersSatchell(30),
            lambda: kv.rogers_satchell_batch(o, h, lo, c, 30),
        ),
        (
            "YangZhang(20, 1h)",
            lambda: YangZhang(20, 60 * MINUTE_NS),
            lambda: kv.yang_zhang_batch(ts, o, h, lo, c, 20, 60 * MINUTE_NS, 0),
        ),
        (
            "RealizedVariance(60)",
            lambda: RealizedVariance(60),
            lambda: kv.realized_variance_batch(c, 60),
        ),
        (
            "DownsideSemivariance(60)",
            lambda: DownsideSemivariance(60),
            lambda: kv.downside_semivariance_batch(c, 60),
        ),
        (
            "BipowerVariation(60)",
            lambda: BipowerVariation(60),
            lambda: kv.bipower_variation_batch(c, 60),
        ),
        (
            "EwmaVariance(30)",
            lambda: EwmaVariance(30.0),
            lambda: kv.ewma_variance_batch(c, 30.0, 30),
        ),
        (
            "HarComposite(60,360,1440)",
            HarComposite,
            lambda: kv.har_batch(c, HORIZONS, WEIGHTS, 0.0),
        ),
        (
            "VolatilityCompression(30,360)",
            lambda: VolatilityCompression(30, 360),
            lambda: kv.vol_compression_batch(o, h, lo, c, 30, 360, kv.ESTIMATORS["close"], 1e-18),
        ),
        ("RollingZScore(360)", lambda: RollingZScore(360), lambda: kroll.zscore_batch(c, 360)),
        (
            "RollingPercentileRank(360)",
            lambda: RollingPercentileRank(360),
            lambda: kroll.percentile_rank_batch(c, 360),
        ),
    ]


def _regime_rows(n_objects: int, n_batch: int) -> list[tuple[str, float, float]]:
    small, big = random_regime(n_objects, 5), random_regime(n_batch, 6)
    funding = [
        FundingRate(ts_event=int(t), ts_init=int(t), last_funding_rate=float(f))
        for t, f in zip(small["funding_ts"], small["funding"], strict=True)
    ]
    metrics = [
        FuturesMetrics(
            ts_event=int(t),
            ts_init=int(t),
            sum_open_interest=float(oi),
            count_long_short_ratio=float(ls),
        )
        for t, oi, ls in zip(small["metrics_ts"], small["oi"], small["ls"], strict=True)
    ]
    # Funding settles every 8 h: time the z-score over as many settlements as there are rows.
    many_funding = funding * (len(metrics) // len(funding))
    events = kr.crowding_events(
        big["funding_ts"], big["funding"], big["metrics_ts"], big["oi"], big["ls"]
    )
    _, kind, x1, x2 = events
    w = np.ones(3)
    rates = np.random.default_rng(7).normal(1e-4, 1e-4, n_batch)
    crowd = CrowdingIndex(21, 2016, 12)
    return [
        (
            "FundingZScore(21)",
            per_call_us(lambda: FundingZScore(21), "handle_funding_rate", many_funding),
            batch_us(lambda: kroll.zscore_batch(rates, 21), n_batch),
        ),
        (
            "DeltaLogOpenInterest(12)",
            per_call_us(lambda: DeltaLogOpenInterest(12), "handle_metrics", metrics),
            batch_us(lambda: kr.delta_log_batch(big["oi"], 12), n_batch),
        ),
        (
            "LogLongShortRatio",
            per_call_us(LogLongShortRatio, "handle_metrics", metrics),
            batch_us(lambda: kr.log_ratio_batch(big["ls"]), n_batch),
        ),
        (
            "CrowdingIndex(21,2016,12) metrics",
            loop_us(crowd.handle_metrics, metrics),
            batch_us(lambda: kr.crowding_batch(kind, x1, x2, 21, 2016, 12, w), kind.size),
        ),
    ]


def _print_table(rows: list[tuple[str, float, float]]) -> None:
    print(
        f"{'indicator':34s} {'incr µs/upd':>12s} {'batch µs/ev':>12s} {'speed-up':>9s} "
        f"{'≤0.5 µs':>8s} {'≥50×':>5s}"
    )
    for name, incr, batch in rows:
        speedup = incr / batch
        ok_incr = "ok" if incr <= BUDGET_US else "OVER"
        ok_speed = "ok" if speedup >= MIN_SPEEDUP else "LOW"
        print(f"{name:34s} {incr:12.3f} {batch:12.4f} {speedup:8.0f}× {ok_incr:>8s} {ok_speed:>5s}")


def main() -> None:
    """Print the per-indicator table: incremental µs/update, batch µs/event, speed-up, budgets."""
    small, big = random_bars(N_OBJECTS, 1), random_bars(N_BATCH, 2)
    bars = bar_objects(small)
    print(
        f"incremental: {N_OBJECTS:,} Nautilus events per indicator (best of 3); batch: {N_BATCH:,} events"
    )
    floor2 = loop_us(lambda b: (b.high.as_double(), b.low.as_double()), bars)
    floor4 = loop_us(
        lambda b: (b.open.as_double(), b.high.as_double(), b.low.as_double(), b.close.as_double()),
        bars,
    )
    print(
        f"reference: reading 2 prices off a Bar {floor2:.3f} µs, 4 prices {floor4:.3f} µs (in a Python loop)"
    )
    rows = [
        (name, per_call_us(make, "handle_bar", bars), batch_us(batch, N_BATCH))
        for name, make, batch in _bar_cases(big)
    ]
    rows += _regime_rows(N_OBJECTS, N_BATCH)
    _print_table(rows)


if __name__ == "__main__":
    main()
