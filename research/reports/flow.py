"""
The ``flow`` report: its command-line options, the rows it reads, and the report assembled from
``research.compute.flow`` (profile, events, series, metrics) and ``research.figures.flow``.
"""

import argparse

from research.catalog import CatalogReader
from research.catalog import Columns
from research.compute.arrays import utc
from research.compute.flow import FlowConfig
from research.compute.flow import auto_bin
from research.compute.flow import flow_metrics
from research.compute.flow import flow_series
from research.compute.flow import session_tables
from research.figures.flow import flow_figures
from research.options import Option
from research.options import add_options
from research.options import duration
from research.options import fraction
from research.options import positive_float
from research.options import positive_int
from research.output import ReportResult
from research.period import Period
from research.period import format_duration
from research.progress import Progress

NAME = "flow"

CONFIG = FlowConfig


def read_inputs(reader: CatalogReader, period: Period, config: FlowConfig) -> dict[str, Columns]:
    """Return the rows the report reads: trades."""
    return {"trades": reader.read("trades", period)}


def report(
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
