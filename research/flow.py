"""
``flow`` report: volume profile per UTC day, order-flow events, Kyle's lambda and Hawkes
intensity series.

Built on ``indicators.flow.KyleLambda`` and ``HawkesIntensity`` (batch twins) and the
``percentile_rank_batch`` twin (absorption ranks); the profile and event rules are in
``research.profile`` and ``research.events``.

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
- ``flow_events``: ``research.events.EVENT_COLUMNS``, ``start``/``end`` as UTC times;
- ``flow_series``: ``SERIES_COLUMNS``.
"""

import argparse
from dataclasses import asdict
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from indicators.flow import HawkesIntensity
from indicators.flow import KyleLambda
from research.arrays import quantiles
from research.arrays import utc
from research.catalog import CatalogReader
from research.catalog import Columns
from research.errors import ResearchError
from research.events import EVENT_COLUMNS
from research.events import absorption_events
from research.events import absorption_flags
from research.events import block_trades
from research.events import icebergs
from research.events import interval_bars
from research.events import sweeps
from research.events import taker_sign
from research.figures import line
from research.figures import markers
from research.figures import time_panels
from research.figures import x_time
from research.options import Option
from research.options import add_options
from research.options import duration
from research.options import fraction
from research.options import positive_float
from research.options import positive_int
from research.output import ReportResult
from research.period import NS_PER_DAY
from research.period import NS_PER_S
from research.period import Period
from research.period import format_duration
from research.profile import nice_step
from research.profile import session_profile
from research.progress import Progress

NAME = "flow"
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
    Parameters of the ``flow`` report (see ``research.events`` for the event rules).

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


CONFIG = FlowConfig


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


_EVENT_STYLE = {
    "block": {"symbol": "circle-open", "color": "black", "size": 11},
    "sweep": {"symbol": "triangle-up", "color": "purple", "size": 6},
    "absorption": {"symbol": "x", "color": "orange", "size": 8},
    "iceberg": {"symbol": "diamond", "color": "teal", "size": 7},
}


def flow_figures(
    series: pd.DataFrame, events: pd.DataFrame, profile: pd.DataFrame, sessions: pd.DataFrame
) -> list[go.Figure]:
    """Return the time panels (price and events, Kyle's lambda, Hawkes) and the daily profiles."""
    fig = time_panels(
        [
            "price (interval close) and order-flow events",
            "Kyle's lambda (price per unit volume)",
            "Hawkes intensity (trades/s)",
        ],
        heights=[0.5, 0.25, 0.25],
    )
    t = x_time(series["time"])
    fig.add_trace(line(t, series["close"], "close"), row=1, col=1)
    for kind, style in _EVENT_STYLE.items():
        rows = events[events["type"] == kind]
        if len(rows):
            marker = {"symbol": style["symbol"], "color": style["color"], "size": style["size"]}
            fig.add_trace(
                markers(x_time(rows["start"]), rows["price"], kind, marker=marker), row=1, col=1
            )
    fig.add_trace(line(t, series["kyle_lambda"], "Kyle's lambda"), row=2, col=1)
    for name in ("hawkes", "hawkes_buy", "hawkes_sell"):
        fig.add_trace(line(t, series[name], name), row=3, col=1)
    return [fig, profile_figure(profile, sessions)]


def _profile_title(session: pd.Series) -> str:
    return (
        f"volume profile {session['day']}: POC {session['poc']:g}, value area {session['val']:g} – {session['vah']:g}"
        " (red: POC bin, blue: value area, grey: outside, stars: HVNs)"
    )


def profile_figure(profile: pd.DataFrame, sessions: pd.DataFrame) -> go.Figure:
    """Return the volume profile of one UTC day at a time (a menu picks the day)."""
    fig = go.Figure()
    traces_per_day = 4  # bars, HVN stars, VAH line, VAL line
    last = len(sessions) - 1
    for i, session in sessions.iterrows():
        rows = profile[profile["day"] == session["day"]]
        middle = 0.5 * (rows["price_low"] + rows["price_high"])
        colors = np.where(
            rows["poc"], "crimson", np.where(rows["value_area"], "steelblue", "lightgrey")
        )
        shown = i == last
        fig.add_trace(
            go.Bar(
                x=rows["volume"],
                y=middle,
                orientation="h",
                marker_color=colors,
                name="volume",
                visible=shown,
            )
        )
        hvn = rows["hvn"].to_numpy()
        star = {"symbol": "star", "size": 10, "color": "gold"}
        fig.add_trace(
            go.Scatter(
                x=rows["volume"][hvn],
                y=middle[hvn],
                mode="markers",
                marker=star,
                name="HVN",
                visible=shown,
            )
        )
        top = float(rows["volume"].max())
        for label in ("vah", "val"):
            price = session[label]
            dashed = {"dash": "dash", "color": "black"}
            fig.add_trace(
                go.Scatter(
                    x=[0, top],
                    y=[price, price],
                    mode="lines",
                    line=dashed,
                    name=f"{label.upper()} {price:g}",
                    visible=shown,
                )
            )
    buttons = []
    for i, session in sessions.iterrows():
        visible = [j // traces_per_day == i for j in range(traces_per_day * len(sessions))]
        buttons.append(
            {
                "label": str(session["day"]),
                "method": "update",
                "args": [{"visible": visible}, {"title": _profile_title(session)}],
            }
        )
    fig.update_layout(
        title=_profile_title(sessions.iloc[last]),
        updatemenus=[{"buttons": buttons, "active": last, "x": 1.0, "xanchor": "right", "y": 1.12}],
        xaxis_title="volume",
        yaxis_title="price",
        template="plotly_white",
        height=700,
        bargap=0.05,
    )
    return fig


def read_inputs(reader: CatalogReader, period: Period, config: FlowConfig) -> dict[str, Columns]:
    """Return the rows the report reads: trades."""
    return {"trades": reader.read("trades", period)}


def compute(
    inputs: dict[str, Columns], period: Period, config: FlowConfig, progress: Progress | None = None
) -> ReportResult:
    """
    Return the ``flow`` report of ``read_inputs``'s trades.

    Returns
    -------
    ReportResult

    """
    trades = inputs["trades"]
    stages = (progress or Progress(False)).stages(NAME, ["profile", "events and series", "figures"])
    stages.start("profile")
    bin_size = config.profile_bin or auto_bin(trades["ts"], trades["price"])
    profile, sessions = session_tables(trades, bin_size, config)
    stages.start("events and series")
    series, events, mu = flow_series(trades, period, config)
    metrics = flow_metrics(trades, sessions, events, series, bin_size, mu, config)
    events = events.assign(start=utc(events["start"]), end=utc(events["end"]))
    stages.start("figures")
    figures = flow_figures(series, events, profile, sessions)
    stages.close()
    headline = {
        "trades": f"{trades['ts'].size:,}",
        "profile bin": f"{bin_size:g}",
        **{f"{kind} events": f"{n:,}" for kind, n in metrics["events"].items()},
        f"Kyle's lambda median ({format_duration(config.kyle_bar_ns) if config.kyle_bar_ns else 'per trade'})": f"{metrics['kyle_lambda']['p50']:.4g}",
    }
    tables = {"profile": profile, "sessions": sessions, "events": events, "series": series}
    return ReportResult(
        NAME,
        "Order flow: volume profile, events, Kyle's lambda, Hawkes",
        tables,
        metrics,
        figures,
        headline,
    )


def kyle_bar(text: str) -> int:
    """Return Kyle's bar length in ns from ``--kyle-bar`` (0 for ``trade``)."""
    return 0 if text == "trade" else duration(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``flow`` report's options."""
    add_options(
        parser,
        FlowConfig(),
        [
            Option(
                "--interval",
                "interval_ns",
                duration,
                "series and absorption interval (default 1min)",
            ),
            Option(
                "--profile-bin",
                "profile_bin",
                positive_float,
                "profile price bin (default: a 1-2-5 step near a median day's range / 100)",
            ),
            Option(
                "--value-area",
                "value_area",
                fraction,
                "value area share of the volume (default %(default)s)",
            ),
            Option(
                "--hvn-factor",
                "hvn_factor",
                positive_float,
                "HVN: a peak of >= this x the mean bin volume (default %(default)s)",
            ),
            Option(
                "--block-notional",
                "block_notional",
                positive_float,
                "block trade notional (default %(default)g)",
            ),
            Option(
                "--sweep-gap", "sweep_gap_ns", duration, "largest gap inside a sweep (default 50ms)"
            ),
            Option(
                "--sweep-levels",
                "sweep_levels",
                positive_int,
                "fewest price levels of a sweep (default %(default)s)",
            ),
            Option(
                "--absorption-window",
                "absorption_window",
                positive_int,
                "trailing intervals of the absorption ranks (default %(default)s)",
            ),
            Option(
                "--absorption-volume-rank",
                "absorption_volume_rank",
                fraction,
                "least volume rank (default %(default)s)",
            ),
            Option(
                "--absorption-move-rank",
                "absorption_move_rank",
                fraction,
                "largest |move| rank (default %(default)s)",
            ),
            Option(
                "--iceberg-gap",
                "iceberg_gap_ns",
                duration,
                "largest gap between an iceberg's prints (default 10s)",
            ),
            Option(
                "--iceberg-prints",
                "iceberg_prints",
                positive_int,
                "fewest similar prints (default %(default)s)",
            ),
            Option(
                "--iceberg-tolerance",
                "iceberg_tolerance",
                fraction,
                "relative size tolerance around the clip (default %(default)s)",
            ),
            Option(
                "--iceberg-min-notional",
                "iceberg_min_notional",
                positive_float,
                "least clip notional (default %(default)g)",
            ),
            Option(
                "--kyle-window",
                "kyle_window",
                positive_int,
                "observations in Kyle's regression (default %(default)s)",
            ),
            Option(
                "--kyle-bar",
                "kyle_bar_ns",
                kyle_bar,
                "Kyle's bar length, or 'trade': one observation per trade (default 1min)",
            ),
            Option(
                "--hawkes-beta",
                "hawkes_beta",
                positive_float,
                "Hawkes decay rate per second (default %(default)s)",
            ),
            Option(
                "--hawkes-branching",
                "hawkes_branching",
                fraction,
                "Hawkes branching ratio alpha/beta (default %(default)s)",
            ),
            Option(
                "--hawkes-mu",
                "hawkes_mu",
                positive_float,
                "Hawkes baseline per second (default: (1 - branching) x mean trade rate)",
            ),
        ],
    )
