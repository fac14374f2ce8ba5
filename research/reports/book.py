"""
The ``book`` report: its command-line options, the rows it reads, and the report assembled from
``research.compute.book`` (series, lead/lag, metrics) and ``research.figures.book``.
"""

import argparse

from research.catalog import CatalogReader
from research.catalog import Columns
from research.compute.book import BookConfig
from research.compute.book import book_leadlag
from research.compute.book import book_metrics
from research.compute.book import book_series
from research.figures.book import book_figures
from research.options import Option
from research.options import add_options
from research.options import duration
from research.options import durations
from research.options import positive_float
from research.options import positive_floats
from research.options import positive_int
from research.output import ReportResult
from research.period import Period
from research.progress import Progress

NAME = "book"

CONFIG = BookConfig


def read_inputs(reader: CatalogReader, period: Period, config: BookConfig) -> dict[str, Columns]:
    """Return the rows the report reads: quotes, and ``BookDepth`` rows when the catalog has them."""
    return {
        "quotes": reader.read("quotes", period),
        "book_depth": reader.read("book_depth", period, required=False),
    }


def report(
    inputs: dict[str, Columns], period: Period, config: BookConfig, progress: Progress | None = None
) -> ReportResult:
    """
    Return the ``book`` report of ``read_inputs``'s quotes and book depth (possibly none).

    Returns
    -------
    ReportResult

    """
    quotes, depth = inputs["quotes"], inputs["book_depth"]
    stages = (progress or Progress(False)).stages(NAME, ["imbalance", "lead/lag", "figures"])
    stages.start("imbalance")
    frame, counts, returns = book_series(quotes, depth, period, config)
    stages.start("lead/lag")
    leadlag = book_leadlag(frame, returns)
    metrics = book_metrics(frame, leadlag, counts, int(depth["ts"].size), config)
    stages.start("figures")
    figures = book_figures(frame, leadlag, config)
    stages.close()
    short = leadlag[(leadlag["signal"] == "obi") & (leadlag["horizon_s"] > 0)].head(2)
    headline = {
        "rows": f"{len(frame):,} ({metrics['config']['interval']})",
        "quotes used / dropped": f"{counts['quotes']:,} / {counts['dropped_quotes']:,}",
        "median spread": f"{metrics['spread_bps']['p50']:.2f} bps",
        "extreme imbalance share": f"{metrics['extreme_share']:.1%}",
        **{
            f"corr(OBI, fwd ret {h})": f"{c:+.3f}"
            for h, c in zip(short["horizon"], short["corr"], strict=True)
        },
        "book depth rows": f"{depth['ts'].size:,}",
    }
    return ReportResult(
        NAME,
        "Order book imbalance",
        {"series": frame, "leadlag": leadlag},
        metrics,
        figures,
        headline,
    )


def interval(text: str) -> int | None:
    """Return a row interval in ns from ``--interval``, or None for ``quote`` (one row per quote)."""
    return None if text == "quote" else duration(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``book`` report's options."""
    add_options(
        parser,
        BookConfig(),
        [
            Option(
                "--interval",
                "interval_ns",
                interval,
                "row interval (100ms, 1s, 1min) or 'quote': one row per quote (default 1s)",
            ),
            Option(
                "--ewma-halflife",
                "ewma_halflife_ns",
                duration,
                "EWMA half-life of the imbalance (default 10s)",
            ),
            Option(
                "--z-window",
                "z_window",
                positive_int,
                "rows in the rolling z-score (default %(default)s)",
            ),
            Option(
                "--extreme-z",
                "extreme_z",
                positive_float,
                "|z| of an extreme imbalance (default %(default)s)",
            ),
            Option(
                "--horizons",
                "horizons_ns",
                durations,
                "lead/lag horizons (default 1s,5s,10s,30s,1min)",
            ),
            Option(
                "--depth-levels",
                "depth_levels",
                positive_floats,
                "BookDepth bands in percent (default 1,2,3,4,5)",
            ),
        ],
    )
