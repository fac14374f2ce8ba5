"""
Every indicator, with its inputs, its batch twin and example parameters: one entry each.

The registry drives the one incremental-vs-batch parity test (``tests/indicators/test_registry.py``)
and documents, in one place, how each indicator is fed. An entry names a *stream* and the
stream's *columns* the indicator takes, in the order its update method and its batch method both
take them (``update(*row)`` per event, ``batch(*columns)`` once). The streams and their columns:

- ``bars`` (1-minute klines): ``ts`` (close time, int ns), ``open``, ``high``, ``low``, ``close``,
  ``volume``, ``taker_buy_volume``;
- ``trades`` (aggTrades): ``ts`` (int ns), ``price``, ``size``, ``side`` (``AggressorSide`` code:
  1 buyer, 2 seller, 0 none);
- ``quotes`` (bookTicker): ``ts`` (int ns), ``bid_price``, ``bid_size``, ``ask_price``, ``ask_size``;
- ``depth`` (bookDepth rows): ``ts`` (int ns), ``percentage``, ``depth``;
- ``funding`` (settlements): ``ts`` (int ns), ``rate``;
- ``metrics`` (5-minute rows): ``ts`` (int ns), ``open_interest``, ``long_short_ratio``;
- ``crowding`` (funding and metrics merged by ``kernels.regime.crowding_events``): ``kind``,
  ``x1``, ``x2``.

Adding an indicator adds one ``Entry`` here (see ``indicators/README.md``).
"""

from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from indicators.base import KernelIndicator
from indicators.book import DepthImbalance
from indicators.book import OrderFlowImbalance
from indicators.book import RelativeSpread
from indicators.book import TopOfBookImbalance
from indicators.flow import VPIN
from indicators.flow import HawkesIntensity
from indicators.flow import KyleLambda
from indicators.flow import SignedVolumeImbalance
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

SECOND = 1_000_000_000
HOUR = 3_600 * SECOND

#: The columns of each stream, in a fixed order (an entry takes some of them).
STREAMS: dict[str, tuple[str, ...]] = {
    "bars": ("ts", "open", "high", "low", "close", "volume", "taker_buy_volume"),
    "trades": ("ts", "price", "size", "side"),
    "quotes": ("ts", "bid_price", "bid_size", "ask_price", "ask_size"),
    "depth": ("ts", "percentage", "depth"),
    "funding": ("ts", "rate"),
    "metrics": ("ts", "open_interest", "long_short_ratio"),
    "crowding": ("kind", "x1", "x2"),
}

#: Columns passed to the update method as Python ints (timestamps, codes), not floats.
INT_COLUMNS = frozenset({"ts", "side", "kind"})


@dataclass(frozen=True)
class Entry:
    """
    One indicator configuration: how to build it, what it is fed, and its two update paths.

    Parameters
    ----------
    name : str
        A unique name (test ids, reports).
    make : Callable[[], KernelIndicator]
        Build the indicator with example parameters.
    stream : str
        A key of ``STREAMS``.
    columns : tuple[str, ...]
        The stream's columns the update and batch methods take, in their order.
    update : str, default "update_raw"
        The incremental method: ``update(*row)`` returns the new value.
    batch : str, default "batch"
        The batch method: ``batch(*columns)`` returns the value after each row.

    """

    name: str
    make: Callable[[], KernelIndicator]
    stream: str
    columns: tuple[str, ...]
    update: str = "update_raw"
    batch: str = "batch"

    def __post_init__(self) -> None:
        unknown = set(self.columns) - set(STREAMS[self.stream])
        if unknown:
            raise ValueError(f"{self.name}: {sorted(unknown)} are not {self.stream} columns")

    def run_incremental(
        self, indicator: KernelIndicator, data: Mapping[str, np.ndarray]
    ) -> np.ndarray:
        """
        Feed ``indicator`` one row at a time; return what each update returned.

        Parameters
        ----------
        indicator : KernelIndicator
            Built by ``make`` (it is advanced).
        data : Mapping[str, np.ndarray]
            Equal-length columns of the entry's stream.

        Returns
        -------
        np.ndarray

        """
        update = getattr(indicator, self.update)
        columns = [
            data[c].astype(np.int64).tolist() if c in INT_COLUMNS else data[c].tolist()
            for c in self.columns
        ]
        return np.array([update(*row) for row in zip(*columns, strict=True)], dtype=np.float64)

    def run_batch(self, indicator: KernelIndicator, data: Mapping[str, np.ndarray]) -> np.ndarray:
        """
        Return the batch twin's series over ``data`` (``indicator`` is not changed).

        Parameters
        ----------
        indicator : KernelIndicator
            Built by ``make``.
        data : Mapping[str, np.ndarray]
            Equal-length columns of the entry's stream.

        Returns
        -------
        np.ndarray

        """
        return getattr(indicator, self.batch)(*(data[c] for c in self.columns))


_OHLC = ("open", "high", "low", "close")
_CLOSE = ("close",)
_SIZE_TRADES = ("ts", "size", "side")
_TRADES = ("ts", "price", "size", "side")
_QUOTES = ("ts", "bid_price", "bid_size", "ask_price", "ask_size")
_VPIN_BARS = {"update": "update_bar_raw", "batch": "batch_bars"}
# Dynamic VPIN buckets (the median volume per minute of the trailing 10 minutes) fit any market.
_DYNAMIC = {"period_ns": 60 * SECOND, "lookback_periods": 10, "min_periods": 1}

REGISTRY: tuple[Entry, ...] = (
    # volatility (bars)
    Entry("parkinson", lambda: Parkinson(20), "bars", ("high", "low")),
    Entry("garman_klass", lambda: GarmanKlass(20), "bars", _OHLC),
    Entry("rogers_satchell", lambda: RogersSatchell(20), "bars", _OHLC),
    Entry("yang_zhang", lambda: YangZhang(5, HOUR), "bars", ("ts", *_OHLC)),
    Entry("realized_variance", lambda: RealizedVariance(30), "bars", _CLOSE),
    Entry("downside_semivariance", lambda: DownsideSemivariance(30), "bars", _CLOSE),
    Entry("bipower_variation", lambda: BipowerVariation(30), "bars", _CLOSE),
    Entry("ewma_variance", lambda: EwmaVariance(15.0), "bars", _CLOSE),
    Entry("har_composite", lambda: HarComposite((10, 60, 240), (0.5, 0.3, 0.2)), "bars", _CLOSE),
    Entry(
        "vol_compression",
        lambda: VolatilityCompression(15, 120, "garman_klass"),
        "bars",
        _OHLC,
    ),
    # rolling (any series; here bar closes)
    Entry("rolling_zscore", lambda: RollingZScore(60), "bars", _CLOSE),
    Entry("rolling_percentile_rank", lambda: RollingPercentileRank(60), "bars", _CLOSE),
    # regime (funding, metrics)
    Entry("funding_zscore", lambda: FundingZScore(6), "funding", ("rate",)),
    Entry(
        "delta_log_open_interest", lambda: DeltaLogOpenInterest(3), "metrics", ("open_interest",)
    ),
    Entry("log_long_short_ratio", LogLongShortRatio, "metrics", ("long_short_ratio",)),
    Entry(
        "crowding_index",
        lambda: CrowdingIndex(funding_window=3, metrics_window=12, oi_lag=2),
        "crowding",
        ("kind", "x1", "x2"),
        update="update_event",
    ),
    # flow (trades, bars)
    Entry("svi_time", lambda: SignedVolumeImbalance(window_ns=60 * SECOND), "trades", _SIZE_TRADES),
    Entry("svi_volume", lambda: SignedVolumeImbalance(window_volume=5.0), "trades", _SIZE_TRADES),
    Entry("vpin_aggressor", lambda: VPIN(window=10, **_DYNAMIC), "trades", _TRADES),
    Entry(
        "vpin_bvc_time_bars",
        lambda: VPIN(window=10, classifier="bvc", bar_ns=10 * SECOND, sigma_window=10, **_DYNAMIC),
        "trades",
        _TRADES,
    ),
    Entry(
        "vpin_bar_sign",
        lambda: VPIN(window=10, classifier="bar_sign", lookback_periods=30, min_periods=5),
        "bars",
        ("ts", "open", "close", "volume"),
        **_VPIN_BARS,
    ),
    Entry(
        "vpin_bar_taker",
        lambda: VPIN(window=10, classifier="bar_taker", lookback_periods=30, min_periods=5),
        "bars",
        ("ts", "open", "close", "volume", "taker_buy_volume"),
        **_VPIN_BARS,
    ),
    Entry("kyle_lambda", lambda: KyleLambda(window=50), "trades", _TRADES),
    Entry("kyle_lambda_bars", lambda: KyleLambda(window=10, bar_ns=10 * SECOND), "trades", _TRADES),
    Entry(
        "hawkes_intensity",
        lambda: HawkesIntensity(mu=1.0, alpha=0.5, beta=2.0),
        "trades",
        _SIZE_TRADES,
    ),
    # book (quotes, bookDepth)
    Entry("top_of_book_imbalance", TopOfBookImbalance, "quotes", ("bid_size", "ask_size")),
    Entry("relative_spread", RelativeSpread, "quotes", ("bid_price", "ask_price")),
    Entry("ofi_cumulative", OrderFlowImbalance, "quotes", _QUOTES),
    Entry("ofi_events", lambda: OrderFlowImbalance(window=100), "quotes", _QUOTES),
    Entry("ofi_time", lambda: OrderFlowImbalance(window_ns=10 * SECOND), "quotes", _QUOTES),
    Entry(
        "depth_imbalance",
        lambda: DepthImbalance(levels=(1.0, 2.0, 5.0), weights=(3.0, 2.0, 1.0)),
        "depth",
        ("ts", "percentage", "depth"),
    ),
)

BY_NAME: dict[str, Entry] = {entry.name: entry for entry in REGISTRY}
if len(BY_NAME) != len(REGISTRY):
    raise RuntimeError("indicators.registry: two entries share a name")
