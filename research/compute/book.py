"""
The ``book`` report's numbers: top-of-book imbalance, its EWMA, rolling z-score and extreme flag, OFI, depth
imbalance (when ``BookDepth`` is in the catalog), and their lead/lag with mid returns.

Built on the batch twins of ``indicators.book`` (``TopOfBookImbalance``, ``RelativeSpread``,
``OrderFlowImbalance``, ``DepthImbalance``) and ``indicators.kernels.rolling.zscore_batch``. The
EWMA of the imbalance is pandas' time-based ``ewm`` (``indicators`` has an EWMA *variance* of
returns, not an EWMA of a level).

Rows: every quote (``interval=None``), or the book as of the end of each interval (the last
quote at or before it, like a bar stamped at its close). Quotes with a non-positive or crossed
price are dropped first (counted in the metrics), so the mid is always a real one.

Table ``book_series``: ``time``, ``quotes`` (quotes in the interval), ``bid``, ``ask``,
``bid_size``, ``ask_size``, ``mid``, ``spread`` (relative, (ask − bid) / mid), ``obi``,
``obi_ewma``, ``obi_z`` (rolling z-score of the EWMA), ``extreme`` (+1 / −1 when |z| >= the
threshold, else 0), ``ofi`` (CKS
OFI summed over the interval), then with book depth ``depth_imbalance`` (equal weights over the
levels) and ``depth_imbalance_weighted`` (weights 1 / level: nearer bands weigh more), then one
``fwd_ret_<h>`` per horizon (forward log mid return, for research; it looks ahead by definition).
Table ``book_leadlag``: see ``research.compute.leadlag``.
"""

from dataclasses import asdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from indicators.book import DepthImbalance
from indicators.book import OrderFlowImbalance
from indicators.book import RelativeSpread
from indicators.book import TopOfBookImbalance
from indicators.kernels.rolling import zscore_batch
from research.catalog import Columns
from research.compute.arrays import asof_index
from research.compute.arrays import on_finite
from research.compute.arrays import quantiles
from research.compute.arrays import utc
from research.compute.leadlag import horizon_returns
from research.compute.leadlag import lead_lag
from research.errors import ResearchError
from research.period import NS_PER_S
from research.period import Period
from research.period import format_duration

SERIES_COLUMNS = [
    "time",
    "quotes",
    "bid",
    "ask",
    "bid_size",
    "ask_size",
    "mid",
    "spread",
    "obi",
    "obi_ewma",
    "obi_z",
    "extreme",
    "ofi",
]

DEPTH_COLUMNS = ["depth_imbalance", "depth_imbalance_weighted"]


@dataclass(frozen=True)
class BookConfig:
    """
    Parameters of the ``book`` report.

    Parameters
    ----------
    interval_ns : int | None
        Row interval (ns); None for one row per quote.
    ewma_halflife_ns : int
        Half-life of the imbalance's EWMA, in time (ns).
    z_window : int
        Rows in the rolling z-score of the imbalance.
    extreme_z : float
        |z| at or above which a row is an extreme imbalance.
    horizons_ns : tuple[int, ...]
        Lead/lag horizons (ns), each used forward and backward.
    depth_levels : tuple[float, ...]
        ``BookDepth`` bands (percent from the mid) of the depth imbalance.

    """

    interval_ns: int | None = NS_PER_S
    ewma_halflife_ns: int = 10 * NS_PER_S
    z_window: int = 300
    extreme_z: float = 2.0
    horizons_ns: tuple[int, ...] = (
        NS_PER_S,
        5 * NS_PER_S,
        10 * NS_PER_S,
        30 * NS_PER_S,
        60 * NS_PER_S,
    )
    depth_levels: tuple[float, ...] = (1.0, 2.0, 3.0, 4.0, 5.0)

    def __post_init__(self) -> None:
        if self.z_window < 2:
            raise ResearchError(f"--z-window must be at least 2, was {self.z_window}")


def usable_quotes(quotes: Columns) -> tuple[Columns, int]:
    """Return the quotes with positive, uncrossed prices, and how many were dropped."""
    bid, ask = quotes["bid_price"], quotes["ask_price"]
    ok = (bid > 0) & (ask > 0) & (bid <= ask)
    return {name: values[ok] for name, values in quotes.items()}, int((~ok).sum())


def row_positions(
    quote_ts: np.ndarray, period: Period, interval_ns: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Return the rows' times, the index of the quote each row shows, and the quotes per row.

    With an interval, rows are the interval ends ``start + k·interval`` (k >= 1, up to the
    period's end) from the first one with a quote at or before it; each shows the last quote at
    or before its time.
    """
    if interval_ns is None:
        return quote_ts, np.arange(quote_ts.size), np.ones(quote_ts.size, dtype=np.int64)
    grid = np.arange(period.start_ns + interval_ns, period.end_ns + 1, interval_ns, dtype=np.int64)
    idx = asof_index(quote_ts, grid)
    keep = idx >= 0
    grid, idx = grid[keep], idx[keep]
    counts = np.diff(idx, prepend=-1)
    return grid, idx, counts


def depth_columns(
    depth: Columns, at: np.ndarray, levels: tuple[float, ...]
) -> dict[str, np.ndarray]:
    """
    Return the equal-weight and the 1/level-weighted depth imbalance as of each time in ``at``.

    Parameters
    ----------
    depth : Columns
        ``BookDepth`` rows (``ts``, ``percentage``, ``depth``).
    at : np.ndarray
        The rows' times (ns).
    levels : tuple[float, ...]
        Bands in percent.

    Returns
    -------
    dict[str, np.ndarray]
        ``DEPTH_COLUMNS`` -> values (NaN before the first complete snapshot).

    """
    idx = asof_index(depth["ts"], at)
    weights = tuple(1.0 / level for level in levels)
    out = {}
    for name, indicator in zip(
        DEPTH_COLUMNS, (DepthImbalance(levels), DepthImbalance(levels, weights)), strict=True
    ):
        series = indicator.batch(depth["ts"], depth["percentage"], depth["depth"])
        values = np.full(at.shape, np.nan)
        values[idx >= 0] = series[idx[idx >= 0]]
        out[name] = values
    return out


def book_series(
    quotes: Columns, depth: Columns, period: Period, config: BookConfig
) -> tuple[pd.DataFrame, dict[str, int], dict[int, np.ndarray]]:
    """
    Return the book table, counts of the quotes used, and the mid returns around each row.

    Parameters
    ----------
    quotes : Columns
        Quote ticks of the period.
    depth : Columns
        ``BookDepth`` rows of the period (may be empty).
    period : Period
        The report's period (the interval grid starts at its start).
    config : BookConfig
        The report's parameters.

    Returns
    -------
    tuple[pd.DataFrame, dict[str, int], dict[int, np.ndarray]]
        The ``book_series`` table, ``{"quotes": ..., "dropped_quotes": ...}``, and the past and
        forward log mid returns of ``research.compute.leadlag.horizon_returns`` at the rows' times.

    Raises
    ------
    ResearchError
        If no quote has a usable price.

    """
    q, dropped = usable_quotes(quotes)
    if q["ts"].size == 0:
        raise ResearchError(
            f"none of the period's {dropped} quotes has a positive, uncrossed price"
        )
    bid, ask, bid_size, ask_size = q["bid_price"], q["ask_price"], q["bid_size"], q["ask_size"]
    obi = TopOfBookImbalance().batch(bid_size, ask_size)
    spread = RelativeSpread().batch(bid, ask)
    # Cumulative OFI: the interval's OFI is the difference of the running sum across it.
    ofi_sum = np.nan_to_num(
        OrderFlowImbalance().batch(q["ts"], bid, bid_size, ask, ask_size), nan=0.0
    )
    mid = 0.5 * (bid + ask)
    times, idx, counts = row_positions(q["ts"], period, config.interval_ns)
    rows_obi = obi[idx]
    time_index = utc(times)
    frame = pd.DataFrame(
        {
            "time": time_index,
            "quotes": counts,
            "bid": bid[idx],
            "ask": ask[idx],
            "bid_size": bid_size[idx],
            "ask_size": ask_size[idx],
            "mid": mid[idx],
            "spread": spread[idx],
            "obi": rows_obi,
            "obi_ewma": pd.Series(rows_obi, index=time_index)
            .ewm(halflife=pd.Timedelta(config.ewma_halflife_ns, unit="ns"), times=time_index)
            .mean()
            .to_numpy(),
        }
    )
    # The z-score is of the EWMA: a thin top of book swings across [-1, 1] from quote to quote,
    # so the raw imbalance is almost never 2 sigma from its mean, while a persistent tilt is.
    frame["obi_z"] = on_finite(frame["obi_ewma"].to_numpy(), zscore_batch, config.z_window)
    z = np.nan_to_num(frame["obi_z"].to_numpy())
    frame["extreme"] = (np.sign(z) * (np.abs(z) >= config.extreme_z)).astype(np.int8)
    frame["ofi"] = np.diff(ofi_sum[idx], prepend=0.0)
    if depth["ts"].size:
        for name, values in depth_columns(depth, times, config.depth_levels).items():
            frame[name] = values
    returns = horizon_returns(q["ts"], mid, times, list(config.horizons_ns))
    for h in config.horizons_ns:
        frame[f"fwd_ret_{format_duration(h)}"] = returns[h]
    return frame, {"quotes": int(q["ts"].size), "dropped_quotes": dropped}, returns


def book_leadlag(frame: pd.DataFrame, returns: dict[int, np.ndarray]) -> pd.DataFrame:
    """Return the lead/lag table of the imbalance signals (OBI, its EWMA, OFI, depth imbalance)."""
    signals = ["obi", "obi_ewma", "ofi", *[c for c in DEPTH_COLUMNS if c in frame]]
    return lead_lag({s: frame[s].to_numpy() for s in signals}, returns)


def book_metrics(
    frame: pd.DataFrame,
    leadlag: pd.DataFrame,
    counts: dict[str, int],
    depth_rows: int,
    config: BookConfig,
) -> dict:
    """Return the report's JSON metrics (without the run header)."""
    obi_leads = leadlag[(leadlag["signal"] == "obi") & (leadlag["horizon_s"] > 0)]
    return {
        "config": asdict(config)
        | {"interval": format_duration(config.interval_ns) if config.interval_ns else "quote"},
        "input": {
            "family": "quotes",
            "rows": counts["quotes"] + counts["dropped_quotes"] + depth_rows,
        },
        "quotes": counts,
        "rows": len(frame),
        "book_depth": {
            "rows": depth_rows,
            "levels": list(config.depth_levels) if depth_rows else [],
        },
        "spread_bps": quantiles(frame["spread"].to_numpy() * 1e4),
        "obi": quantiles(frame["obi"].to_numpy()) | {"std": float(frame["obi"].std())},
        "extreme_share": float((frame["extreme"] != 0).mean()),
        "ofi": {"std": float(frame["ofi"].std()), "sum": float(frame["ofi"].sum())},
        "lead_lag": leadlag.to_dict(orient="records"),
        "obi_lead_corr": dict(zip(obi_leads["horizon"], obi_leads["corr"], strict=True)),
    }
