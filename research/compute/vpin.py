"""
The ``vpin`` report's numbers: VPIN over equal-volume buckets, bucket by bucket, with toxic flags.

Built on the VPIN batch twin (``indicators.kernels.flow``): ``vpin_trade_bucket_batch`` /
``vpin_bar_bucket_batch`` run the same step as ``VPIN.batch`` / ``VPIN.batch_bars`` and also log
each completed bucket (the event that completed it, its buy volume and its volume). A bucket's
row carries the VPIN known when it closed.

Toxic flag: a bucket is toxic when its VPIN exceeds the ``quantile`` of the VPIN of the
``toxic_window`` buckets *before* it (trailing, no look-ahead). For comparison the table also
carries the original script's flag, VPIN above the full-sample quantile; that threshold uses
buckets from the future and is labelled ``lookahead`` everywhere.

Table ``vpin_buckets``: ``bucket``, ``close_time``, ``buy``, ``sell``, ``volume``, ``imbalance``
(|B − S| / V), ``signed_imbalance`` ((B − S) / V), ``close_price``, ``vpin``, ``threshold``,
``toxic``, ``threshold_lookahead``, ``toxic_lookahead``.
"""

from dataclasses import asdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from indicators.kernels.flow import BUCKET_BUY
from indicators.kernels.flow import BUCKET_EVENT
from indicators.kernels.flow import BUCKET_VOLUME
from indicators.kernels.flow import vpin_bar_bucket_batch
from indicators.kernels.flow import vpin_state
from indicators.kernels.flow import vpin_trade_bucket_batch
from indicators.kernels.rolling import rolling_quantile_batch
from research.catalog import Columns
from research.compute.arrays import on_finite
from research.compute.arrays import quantiles
from research.compute.arrays import shift_forward
from research.compute.arrays import utc
from research.errors import ResearchError

MINUTE_NS = 60_000_000_000

# CLI classifier names -> the kernel's.
CLASSIFIERS = {"tick": "aggressor", "bvc": "bvc", "bar-sign": "bar_sign"}

BUCKET_COLUMNS = [
    "bucket",
    "close_time",
    "buy",
    "sell",
    "volume",
    "imbalance",
    "signed_imbalance",
    "close_price",
    "vpin",
    "threshold",
    "toxic",
    "threshold_lookahead",
    "toxic_lookahead",
]


@dataclass(frozen=True)
class VpinConfig:
    """
    Parameters of the ``vpin`` report.

    Parameters
    ----------
    classifier : str
        ``tick`` (exact aggressor side of each trade), ``bvc`` (bulk volume classification of
        trade bars of ``bvc_bar_ns``) or ``bar-sign`` (1-minute klines, side of close − open).
    bucket_volume : float, optional
        Fixed bucket size; None: ``bucket_multiple`` × the trailing median 1-minute volume.
    bucket_multiple : float
        Multiple of the median 1-minute volume (dynamic size).
    quote_volume : bool
        Measure volume in quote currency (price × size) instead of base units.
    window : int
        Buckets per VPIN estimate.
    size_lookback_minutes, size_min_minutes : int
        Minutes in the trailing median, and minutes needed before the first bucket.
    bvc_bar_ns : int
        Bar length of BVC on trades (ns).
    sigma_window : int
        Bars in BVC's trailing σ of price changes.
    toxic_quantile : float
        Quantile of VPIN above which a bucket is toxic.
    toxic_window : int
        Trailing buckets the quantile is taken over.

    """

    classifier: str = "tick"
    bucket_volume: float | None = None
    bucket_multiple: float = 1.0
    quote_volume: bool = False
    window: int = 50
    size_lookback_minutes: int = 1440
    size_min_minutes: int = 60
    bvc_bar_ns: int = MINUTE_NS
    sigma_window: int = 100
    toxic_quantile: float = 0.9
    toxic_window: int = 1000

    def __post_init__(self) -> None:
        if self.classifier not in CLASSIFIERS:
            raise ResearchError(
                f"classifier must be one of {', '.join(CLASSIFIERS)}, was {self.classifier!r}"
            )
        if self.size_min_minutes > self.size_lookback_minutes:
            raise ResearchError("--size-min-minutes must not exceed --size-lookback-minutes")

    @property
    def source(self) -> str:
        """Return the catalog family the classifier reads (``trades`` or ``bars``)."""
        return "bars" if self.classifier == "bar-sign" else "trades"

    def state(self) -> np.ndarray:
        """Return a fresh VPIN kernel state with these parameters."""
        return vpin_state(
            window=self.window,
            classifier=CLASSIFIERS[self.classifier],
            bucket_volume=self.bucket_volume,
            quote_volume=self.quote_volume,
            period_ns=MINUTE_NS,
            lookback_periods=self.size_lookback_minutes,
            min_periods=self.size_min_minutes,
            statistic="median",
            fraction=self.bucket_multiple,
            bar_ns=self.bvc_bar_ns,
            sigma_window=self.sigma_window,
        )


def bucket_frame(
    ts: np.ndarray, price: np.ndarray, vpin: np.ndarray, log: np.ndarray
) -> pd.DataFrame:
    """
    Return the bucket table from the twin's outputs (the flag columns come later).

    Parameters
    ----------
    ts, price : np.ndarray
        Time (ns) and price of each input event (trade price, or bar close).
    vpin : np.ndarray
        VPIN after each event.
    log : np.ndarray
        The twin's bucket log, one row per completed bucket.

    Returns
    -------
    pd.DataFrame

    """
    event = log[:, BUCKET_EVENT].astype(np.int64)
    buy = log[:, BUCKET_BUY]
    volume = log[:, BUCKET_VOLUME]
    # A bucket closed within BUCKET_EDGE of its size can show buy a hair above volume.
    sell = np.maximum(volume - buy, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        signed = (buy - sell) / volume
    return pd.DataFrame(
        {
            "bucket": np.arange(len(log), dtype=np.int64),
            "close_time": utc(ts[event]),
            "buy": buy,
            "sell": sell,
            "volume": volume,
            "imbalance": np.abs(signed),
            "signed_imbalance": signed,
            "close_price": price[event],
            "vpin": vpin[event],
        }
    )


def trailing_threshold(vpin: np.ndarray, quantile: float, window: int) -> np.ndarray:
    """
    Return, per bucket, the ``quantile`` of the VPIN of the ``window`` buckets before it.

    NaN until ``window`` buckets with a VPIN precede it. The window excludes the bucket itself,
    so a bucket is judged only against what was known before it closed.
    """
    return shift_forward(on_finite(vpin, rolling_quantile_batch, window, quantile))


def add_flags(frame: pd.DataFrame, quantile: float, window: int) -> None:
    """
    Add the trailing and the look-ahead toxic flags (and their thresholds) to a bucket table.

    ``threshold`` / ``toxic``: the trailing quantile of the previous ``window`` buckets' VPIN
    (``trailing_threshold``); ``threshold_lookahead`` / ``toxic_lookahead``: the full-sample
    quantile, which uses future buckets.
    """
    vpin = frame["vpin"].to_numpy()
    threshold = trailing_threshold(vpin, quantile, window)
    frame["threshold"] = threshold
    frame["toxic"] = np.nan_to_num(vpin, nan=-np.inf) > np.nan_to_num(threshold, nan=np.inf)
    finite = vpin[np.isfinite(vpin)]
    lookahead = float(np.quantile(finite, quantile)) if finite.size else float("nan")
    frame["threshold_lookahead"] = lookahead
    frame["toxic_lookahead"] = np.nan_to_num(vpin, nan=-np.inf) > lookahead


def vpin_buckets(columns: Columns, config: VpinConfig) -> pd.DataFrame:
    """
    Run the VPIN twin over trades or bars; return the bucket table with its flags.

    Parameters
    ----------
    columns : Columns
        Trades (``ts, price, size, side``) or bars (``ts, open, close, volume``), per
        ``config.source``.
    config : VpinConfig
        The report's parameters.

    Returns
    -------
    pd.DataFrame
        Columns ``BUCKET_COLUMNS``.

    """
    ts = np.ascontiguousarray(columns["ts"], dtype=np.int64)
    if config.source == "trades":
        price = np.ascontiguousarray(columns["price"], dtype=np.float64)
        vpin, log = vpin_trade_bucket_batch(
            config.state(),
            ts,
            price,
            np.ascontiguousarray(columns["size"], dtype=np.float64),
            np.ascontiguousarray(columns["side"], dtype=np.float64),
        )
    else:
        price = np.ascontiguousarray(columns["close"], dtype=np.float64)
        volume = np.ascontiguousarray(columns["volume"], dtype=np.float64)
        # bar-sign reads no taker volume; the twin takes a column regardless.
        vpin, log = vpin_bar_bucket_batch(
            config.state(),
            ts,
            np.ascontiguousarray(columns["open"], dtype=np.float64),
            price,
            volume,
            np.zeros_like(volume),
        )
    frame = bucket_frame(ts, price, vpin, log)
    add_flags(frame, config.toxic_quantile, config.toxic_window)
    return frame[BUCKET_COLUMNS]


def vpin_metrics(frame: pd.DataFrame, config: VpinConfig, input_rows: int) -> dict:
    """Return the report's JSON metrics (without the run header)."""
    evaluated = frame["threshold"].notna()
    volume = frame["volume"].to_numpy()
    units = "quote" if config.quote_volume else "base"
    if config.bucket_volume is None:
        size = {
            "mode": f"{config.bucket_multiple:g} x trailing median 1-minute volume",
            "units": units,
        }
    else:
        size = {"mode": "fixed", "units": units, "fixed": config.bucket_volume}
    if volume.size:
        size |= {
            "median": float(np.median(volume)),
            "min": float(volume.min()),
            "max": float(volume.max()),
        }
    return {
        "config": asdict(config),
        "input": {"family": config.source, "rows": input_rows},
        "bucket_volume": size,
        "buckets": len(frame),
        "buckets_with_vpin": int(frame["vpin"].notna().sum()),
        "vpin": quantiles(frame["vpin"].to_numpy()),
        "toxic": {
            "method": "VPIN above the trailing quantile of the previous window buckets (no look-ahead)",
            "quantile": config.toxic_quantile,
            "window_buckets": config.toxic_window,
            "buckets_evaluated": int(evaluated.sum()),
            "share": float(frame.loc[evaluated, "toxic"].mean())
            if evaluated.any()
            else float("nan"),
        },
        "toxic_lookahead": {
            "method": "LOOK-AHEAD: VPIN above the full-sample quantile (uses future buckets; for comparison only)",
            "quantile": config.toxic_quantile,
            "threshold": float(frame["threshold_lookahead"].iloc[0])
            if len(frame)
            else float("nan"),
            "share": float(frame["toxic_lookahead"][frame["vpin"].notna()].mean())
            if len(frame)
            else float("nan"),
        },
    }
