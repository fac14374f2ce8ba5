"""
The ``vpin`` report: its command-line options, the rows it reads, and the report assembled from
``research.compute.vpin`` (buckets, flags, metrics) and ``research.figures.vpin``.
"""

import argparse

from research.catalog import CatalogReader
from research.catalog import Columns
from research.compute.vpin import CLASSIFIERS
from research.compute.vpin import VpinConfig
from research.compute.vpin import vpin_buckets
from research.compute.vpin import vpin_metrics
from research.figures.vpin import vpin_figure
from research.options import Option
from research.options import add_options
from research.options import duration
from research.options import fraction
from research.options import positive_float
from research.options import positive_int
from research.output import ReportResult
from research.period import Period
from research.progress import Progress

NAME = "vpin"

CONFIG = VpinConfig


def read_inputs(reader: CatalogReader, period: Period, config: VpinConfig) -> dict[str, Columns]:
    """Return the rows the report reads: trades, or 1-minute bars for ``bar-sign``."""
    return {config.source: reader.read(config.source, period)}


def report(
    inputs: dict[str, Columns], period: Period, config: VpinConfig, progress: Progress | None = None
) -> ReportResult:
    """
    Return the ``vpin`` report.

    Parameters
    ----------
    inputs : dict[str, Columns]
        From ``read_inputs``.
    period : Period
        The report's period (buckets need no grid; kept for the common signature).
    config : VpinConfig
        The report's parameters.
    progress : Progress, optional
        Shows the stages.

    Returns
    -------
    ReportResult

    """
    columns = inputs[config.source]
    stages = (progress or Progress(False)).stages(NAME, ["buckets", "metrics", "figure"])
    stages.start("buckets")
    frame = vpin_buckets(columns, config)
    stages.start("metrics")
    metrics = vpin_metrics(frame, config, len(columns["ts"]))
    stages.start("figure")
    figure = vpin_figure(frame, config)
    stages.close()
    headline = {
        "buckets": f"{len(frame):,}",
        "median bucket volume": f"{metrics['bucket_volume'].get('median', float('nan')):,.4g}",
        "VPIN mean / p90": f"{metrics['vpin']['mean']:.3f} / {metrics['vpin']['p90']:.3f}",
        "toxic share (trailing)": f"{metrics['toxic']['share']:.1%}",
        "toxic share (full-sample, LOOK-AHEAD)": f"{metrics['toxic_lookahead']['share']:.1%}",
    }
    return ReportResult(NAME, "VPIN", {"buckets": frame}, metrics, [figure], headline)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``vpin`` report's options."""
    defaults = VpinConfig()
    parser.add_argument(
        "--classifier",
        choices=list(CLASSIFIERS),
        default=defaults.classifier,
        help="tick: aggressor side; bvc: bulk volume classification of trade bars; "
        "bar-sign: klines (default %(default)s)",
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--bucket-volume",
        type=positive_float,
        help="fixed bucket size (base units, or quote with --quote-volume)",
    )
    size.add_argument(
        "--bucket-multiple",
        type=positive_float,
        default=defaults.bucket_multiple,
        help="bucket = this x trailing median 1-minute volume (default %(default)s)",
    )
    parser.add_argument(
        "--quote-volume",
        action="store_true",
        help="measure volume in quote currency (price x size)",
    )
    add_options(
        parser,
        defaults,
        [
            Option("--window", "window", positive_int, "buckets per VPIN (default %(default)s)"),
            Option(
                "--size-lookback-minutes",
                "size_lookback_minutes",
                positive_int,
                "minutes in the trailing median (default %(default)s)",
            ),
            Option(
                "--size-min-minutes",
                "size_min_minutes",
                positive_int,
                "minutes before the first bucket (default %(default)s)",
            ),
            Option("--bvc-bar", "bvc_bar_ns", duration, "BVC bar length on trades (default 1min)"),
            Option(
                "--sigma-window",
                "sigma_window",
                positive_int,
                "BVC bars in the trailing sigma (default %(default)s)",
            ),
            Option(
                "--toxic-quantile",
                "toxic_quantile",
                fraction,
                "toxic above this trailing VPIN quantile (default %(default)s)",
            ),
            Option(
                "--toxic-window",
                "toxic_window",
                positive_int,
                "trailing buckets of the toxic quantile (default %(default)s)",
            ),
        ],
    )
