"""
The ``flow`` report's numbers: volume profile per UTC day, order-flow events, Kyle's lambda and Hawkes
intensity series.

Built on ``indicators.flow.KyleLambda`` and ``HawkesIntensity`` (batch twins) and the
``percentile_rank_batch`` twin (absorption ranks); the profile and event rules are in
``research.compute.profile`` and ``research.compute.events``.

Series rows are intervals ``[end − interval, end)`` stamped at their ``end`` (the time they are
known). Kyle's lambda and the Hawkes intensities are read at each row's end by running the twins
over the trades with a zero-size "clock" trade at every end: by the kernels' convention a
zero-size trade moves the clock (closes Kyle's bar, decays the Hawkes excitation) and carries no
flow, so the value is exactly the twin's at that time.

Tables:

- ``flow_profile``: ``day``, ``price_low``, ``price_high``, ``volume``, ``buy_volume``,
  ``sell_volume``, ``poc``, ``value_area``, ``hvn`` (one row per price bin per UTC day);
- ``flow_sessions``: ``day``, ``open``, ``high``, ``low``, ``close``, ``trades``, ``volume``,
  ``vwap``, ``poc``, ``val``, ``vah``, ``value_area_share``, ``hvns`` (prices, ``;``-separated);
- ``flow_events``: ``research.compute.events.EVENT_COLUMNS``, ``start``/``end`` as UTC times;
- ``flow_series``: ``SERIES_COLUMNS``.
"""

from dataclasses import asdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from indicators.flow import HawkesIntensity
from indicators.flow import KyleLambda
from research.catalog import Columns
from research.compute.arrays import quantiles
from research.compute.arrays import utc
from research.compute.events import EVENT_COLUMNS
from research.compute.events import absorption_events
from research.compute.events import absorption_flags
from research.compute.events import block_trades
from research.compute.events import icebergs
from research.compute.events import interval_bars
from research.compute.events import sweeps
from research.compute.events import taker_sign
from research.compute.profile import nice_step
from research.compute.profile import session_profile
from research.errors import ResearchError
from research.period import NS_PER_DAY
from research.period import NS_PER_S
from research.period import Period

MINUTE_NS = 60 * NS_PER_S

# The automatic profile bin: about this many bins across a median day's range.
AUTO_BINS_PER_DAY = 100

SERIES_COLUMNS = [
    "time",
    "trades",
    "volume",
    "buy_volume",
    "sell_volume",
    "notional",
    "vwap",
    "close",
    "move_bps",
    "volume_rank",
    "move_rank",
    "absorption",
    "kyle_lambda",
    "hawkes",
    "hawkes_buy",
    "hawkes_sell",
    "blocks",
    "sweeps",
    "icebergs",
]

PROFILE_COLUMNS = [
    "day",
    "price_low",
    "price_high",
    "volume",
    "buy_volume",
    "sell_volume",
    "poc",
    "value_area",
    "hvn",
]

SESSION_COLUMNS = [
    "day",
    "open",
    "high",
    "low",
    "close",
    "trades",
    "volume",
    "vwap",
    "poc",
    "val",
    "vah",
    "value_area_share",
    "hvns",
]


@dataclass(frozen=True)
class FlowConfig:
    """
    Parameters of the ``flow`` report (see ``research.compute.events`` for the event rules).

    Parameters
    ----------
    interval_ns : int
        Series interval (also the absorption interval).
    profile_bin : float | None
        Price bin of the volume profile; None: a 1-2-5 step near a median day's range / 100.
    value_area, hvn_factor : float
        Value-area share; HVN threshold in mean non-empty bin volumes.
    block_notional : float
        Block trade threshold (quote currency).
    sweep_gap_ns, sweep_levels : int
        Largest gap inside a sweep; fewest price levels it takes.
    absorption_window : int
        Trailing intervals of the absorption ranks.
    absorption_volume_rank, absorption_move_rank : float
        Least volume rank, largest move rank of an absorption.
    iceberg_gap_ns, iceberg_prints : int
        Largest gap between an iceberg's prints; fewest similar prints.
    iceberg_tolerance, iceberg_min_notional : float
        Relative size tolerance around the clip; least clip notional.
    kyle_window : int
        Observations in Kyle's regression.
    kyle_bar_ns : int
        Kyle's bar length (0: one observation per trade).
    hawkes_beta : float
        Hawkes decay rate (1/s).
    hawkes_branching : float
        Branching ratio α/β (α = branching × β).
    hawkes_mu : float | None
        Baseline intensity (1/s); None: (1 − branching) × the period's mean trade rate (of each
        side for the one-sided intensities).

    """

    interval_ns: int = MINUTE_NS
    profile_bin: float | None = None
    value_area: float = 0.7
    hvn_factor: float = 1.5
    block_notional: float = 500_000.0
    sweep_gap_ns: int = 50_000_000
    sweep_levels: int = 4
    absorption_window: int = 240
    absorption_volume_rank: float = 0.95
    absorption_move_rank: float = 0.5
    iceberg_gap_ns: int = 10 * NS_PER_S
    iceberg_prints: int = 5
    iceberg_tolerance: float = 0.1
    iceberg_min_notional: float = 10_000.0
    kyle_window: int = 30
    kyle_bar_ns: int = MINUTE_NS
    hawkes_beta: float = 1.0
    hawkes_branching: float = 0.5
    hawkes_mu: float | None = None

    def __post_init__(self) -> None:
        if self.kyle_window < 3:
            raise ResearchError(f"--kyle-window must be at least 3, was {self.kyle_window}")
        if self.sweep_levels < 2:
            raise ResearchError(f"--sweep-levels must be at least 2, was {self.sweep_levels}")


def auto_bin(ts: np.ndarray, price: np.ndarray) -> float:
    """Return a 1-2-5 price step near the median UTC day's high − low divided by 100."""
    day = ts // NS_PER_DAY
    frame = pd.DataFrame({"day": day, "price": price}).groupby("day")["price"]
    ranges = (frame.max() - frame.min()).to_numpy()
    typical = float(np.median(ranges))
    if typical <= 0:
        typical = float(np.median(price)) * 1e-2  # a flat market: bins of 1 bp
    return nice_step(typical / AUTO_BINS_PER_DAY)


def session_tables(
    trades: Columns, bin_size: float, config: FlowConfig
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the per-day profile bins and the per-day summary (POC, value area, HVNs)."""
    ts, price, size = trades["ts"], trades["price"], trades["size"]
    buy = size * (taker_sign(trades["side"]) > 0)
    day = ts // NS_PER_DAY
    bins, sessions = [], []
    for d in np.unique(day):
        rows = slice(*np.searchsorted(day, [d, d + 1]))
        p, v = price[rows], size[rows]
        prof = session_profile(p, v, bin_size, buy[rows], config.value_area, config.hvn_factor)
        date = pd.Timestamp(int(d) * NS_PER_DAY, tz="UTC").date()
        lo, hi = prof.value_area
        in_area = (np.arange(prof.low.size) >= lo) & (np.arange(prof.low.size) <= hi)
        hvn = np.zeros(prof.low.size, dtype=bool)
        hvn[prof.hvns] = True
        bins.append(
            pd.DataFrame(
                {
                    "day": date,
                    "price_low": prof.low,
                    "price_high": prof.low + bin_size,
                    "volume": prof.volume,
                    "buy_volume": prof.buy_volume,
                    "sell_volume": prof.volume - prof.buy_volume,
                    "poc": np.arange(prof.low.size) == prof.poc,
                    "value_area": in_area,
                    "hvn": hvn,
                }
            )
        )
        total = v.sum()
        sessions.append(
            {
                "day": date,
                "open": p[0],
                "high": p.max(),
                "low": p.min(),
                "close": p[-1],
                "trades": p.size,
                "volume": total,
                "vwap": (p * v).sum() / total if total > 0 else np.nan,
                "poc": prof.poc_price,
                "val": prof.val,
                "vah": prof.vah,
                "value_area_share": prof.volume[lo : hi + 1].sum() / total if total > 0 else np.nan,
                "hvns": ";".join(f"{x:g}" for x in prof.hvn_prices),
            }
        )
    return pd.concat(bins, ignore_index=True)[PROFILE_COLUMNS], pd.DataFrame(
        sessions, columns=SESSION_COLUMNS
    )


def interval_ends(ts: np.ndarray, period: Period, interval_ns: int) -> np.ndarray:
    """Return the ends of the intervals (aligned to the period's start) from the first to the last trade."""
    first = period.start_ns + ((ts[0] - period.start_ns) // interval_ns + 1) * interval_ns
    last = period.start_ns + ((ts[-1] - period.start_ns) // interval_ns + 1) * interval_ns
    return np.arange(first, last + 1, interval_ns, dtype=np.int64)


def with_clock(trades: Columns, ticks: np.ndarray) -> tuple[Columns, np.ndarray]:
    """
    Return the trades with a zero-size, no-aggressor trade at each tick time, and the ticks' rows.

    A tick goes before the trades at its own time (they belong to the next interval); its price
    is the last trade price before it (the first trade's before any).
    """
    n, k = trades["ts"].size, ticks.size
    all_ts = np.concatenate((ticks, trades["ts"]))
    is_trade = np.concatenate((np.zeros(k, dtype=np.int8), np.ones(n, dtype=np.int8)))
    order = np.lexsort((is_trade, all_ts))
    prices = np.concatenate((np.full(k, np.nan), trades["price"]))[order]
    prices = pd.Series(prices).ffill().bfill().to_numpy()
    merged = {
        "ts": all_ts[order],
        "price": prices,
        "size": np.concatenate((np.zeros(k), trades["size"]))[order],
        "side": np.concatenate((np.zeros(k), trades["side"].astype(np.float64)))[order],
    }
    return merged, np.flatnonzero(is_trade[order] == 0)


def hawkes_mu(trades: Columns, seconds: float, config: FlowConfig) -> dict[str, float]:
    """Return the Hawkes baseline per series (all trades, buyers, sellers), in events per second."""
    if config.hawkes_mu is not None:
        return dict.fromkeys(("hawkes", "hawkes_buy", "hawkes_sell"), config.hawkes_mu)
    sign = taker_sign(trades["side"])
    live = trades["size"] > 0  # zero-size trades are not Hawkes events
    counts = {
        "hawkes": live.sum(),
        "hawkes_buy": (live & (sign > 0)).sum(),
        "hawkes_sell": (live & (sign < 0)).sum(),
    }
    # A floor keeps μ > 0 (the indicator requires it) for a side that never traded.
    return {
        name: max((1.0 - config.hawkes_branching) * c / seconds, 1e-9) for name, c in counts.items()
    }


def clocked_series(
    trades: Columns, ends: np.ndarray, mu: dict[str, float], config: FlowConfig
) -> dict[str, np.ndarray]:
    """Return Kyle's lambda and the Hawkes intensities at each interval end."""
    merged, at = with_clock(trades, ends)
    args = (merged["ts"], merged["price"], merged["size"], merged["side"])
    out = {"kyle_lambda": KyleLambda(config.kyle_window, config.kyle_bar_ns).batch(*args)[at]}
    alpha = config.hawkes_branching * config.hawkes_beta
    for name, side in (("hawkes", 0), ("hawkes_buy", 1), ("hawkes_sell", 2)):
        hawkes = HawkesIntensity(mu[name], alpha, config.hawkes_beta, side)
        out[name] = hawkes.batch(merged["ts"], merged["size"], merged["side"])[at]
    return out


def flow_events(
    trades: Columns, ends: np.ndarray, bars: dict[str, np.ndarray], flags: tuple, config: FlowConfig
) -> pd.DataFrame:
    """Return every event (blocks, sweeps, absorptions, icebergs) in time order."""
    ts, price, size, side = trades["ts"], trades["price"], trades["size"], trades["side"]
    vol_rank, _, absorbed = flags
    parts = [
        block_trades(ts, price, size, side, config.block_notional),
        sweeps(ts, price, size, side, config.sweep_gap_ns, config.sweep_levels),
        absorption_events(ends, config.interval_ns, bars, vol_rank, absorbed),
        icebergs(
            ts,
            price,
            size,
            side,
            config.iceberg_gap_ns,
            config.iceberg_prints,
            config.iceberg_tolerance,
            config.iceberg_min_notional,
        ),
    ]
    events = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else parts[0]
    )
    events = events.sort_values(["start", "type"], kind="stable", ignore_index=True)
    return events[EVENT_COLUMNS]


def flow_series(
    trades: Columns, period: Period, config: FlowConfig
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """
    Return the series table, the events table (times in ns) and the Hawkes baselines used.

    Parameters
    ----------
    trades : Columns
        The period's trades.
    period : Period
        The report's period (the interval grid is aligned to its start).
    config : FlowConfig
        The report's parameters.

    """
    ends = interval_ends(trades["ts"], period, config.interval_ns)
    bars = interval_bars(trades["ts"], trades["price"], trades["size"], trades["side"], ends)
    flags = absorption_flags(
        bars["volume"],
        bars["move_bps"],
        config.absorption_window,
        config.absorption_volume_rank,
        config.absorption_move_rank,
    )
    events = flow_events(trades, ends, bars, flags, config)
    mu = hawkes_mu(trades, (ends[-1] - ends[0] + config.interval_ns) / NS_PER_S, config)
    series = pd.DataFrame({"time": utc(ends), **bars})
    series["volume_rank"], series["move_rank"], series["absorption"] = flags
    for name, values in clocked_series(trades, ends, mu, config).items():
        series[name] = values
    for kind, column in (("block", "blocks"), ("sweep", "sweeps"), ("iceberg", "icebergs")):
        starts = events.loc[events["type"] == kind, "start"].to_numpy()
        series[column] = np.bincount(
            np.searchsorted(ends, starts, side="right"), minlength=ends.size + 1
        )[: ends.size]
    return series[SERIES_COLUMNS], events, mu


def flow_metrics(
    trades: Columns,
    sessions: pd.DataFrame,
    events: pd.DataFrame,
    series: pd.DataFrame,
    bin_size: float,
    mu: dict[str, float],
    config: FlowConfig,
) -> dict:
    """Return the report's JSON metrics (without the run header)."""
    counts = events["type"].value_counts()
    blocks = events[events["type"] == "block"]
    return {
        "config": asdict(config),
        "input": {"family": "trades", "rows": int(trades["ts"].size)},
        "profile_bin": bin_size,
        "sessions": sessions.assign(day=sessions["day"].astype(str)).to_dict(orient="records"),
        "events": {
            kind: int(counts.get(kind, 0)) for kind in ("block", "sweep", "absorption", "iceberg")
        },
        "block_notional_total": float(blocks["notional"].sum()),
        "kyle_lambda": quantiles(series["kyle_lambda"].to_numpy()),
        "hawkes": {
            "alpha": config.hawkes_branching * config.hawkes_beta,
            "beta": config.hawkes_beta,
            "branching_ratio": config.hawkes_branching,
            "mu": mu,
            "mu_source": "given"
            if config.hawkes_mu is not None
            else "(1 - branching) x the period's mean trade rate (descriptive: uses the whole period)",
            "mean_intensity": float(series["hawkes"].mean()),
        },
    }
