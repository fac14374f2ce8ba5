"""
``python -m research <report> --catalog DIR --instrument ID --start ... --end ... --out DIR``.

Reports: ``vpin``, ``book``, ``flow``, one module each in ``research.reports``, each with
``add_arguments(parser)``, ``CONFIG`` (its parameters dataclass, filled from the options of the
same names), ``read_inputs(reader, period, config)`` and ``report(inputs, period, config,
progress)``.

Bad arguments (unknown instrument, a period without data, an unreadable date, an out-of-range
option) print one line on stderr and exit with code 2, without a traceback; Ctrl-C or SIGTERM
prints one line and exits with 130.
"""

import argparse
import importlib
import signal
import sys
import time
from pathlib import Path
from typing import NoReturn

from indicators.warmup import ensure_warm
from research.catalog import CatalogReader
from research.errors import ResearchError
from research.options import config_from_args
from research.output import write_report
from research.period import Period
from research.period import parse_time
from research.progress import Progress

# report -> (module, one-line description).
REPORTS: dict[str, tuple[str, str]] = {
    "vpin": (
        "research.reports.vpin",
        "VPIN buckets with trailing (and look-ahead, for comparison) toxic flags.",
    ),
    "book": (
        "research.reports.book",
        "Top-of-book imbalance, OFI, depth imbalance and their lead/lag with mid returns.",
    ),
    "flow": (
        "research.reports.flow",
        "Volume profile per UTC day, order-flow events, Kyle's lambda and Hawkes intensity.",
    ),
}


EPILOG = (
    "The period is half-open UTC: --start included, --end excluded. Exit codes: 0 ok; 2 usage "
    "or input error (bad option, unknown instrument, a period without data, no catalog); "
    "130 interrupted (Ctrl-C or SIGTERM)."
)
EXIT_INTERRUPTED = 130


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr (no usage block), exit code 2."""

    def error(self, message: str) -> NoReturn:
        """Print ``<prog>: error: <message>`` and exit with code 2."""
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _time(text: str) -> int:
    try:
        return parse_time(text)
    except ResearchError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def build_parser() -> OneLineParser:
    """Return the command-line parser with every report's options."""
    parser = OneLineParser(
        prog="python -m research",
        description="Research reports over a catalog: tables (CSV, Parquet), JSON metrics, HTML.",
    )
    sub = parser.add_subparsers(dest="report", required=True, metavar="{" + ",".join(REPORTS) + "}")
    for name, (module_name, help_text) in REPORTS.items():
        p = sub.add_parser(name, help=help_text, description=help_text, epilog=EPILOG)
        p.add_argument(
            "--catalog",
            type=Path,
            default=Path("data/catalog"),
            help="catalog folder (default %(default)s)",
        )
        p.add_argument(
            "--instrument", required=True, help="instrument id, e.g. BTCUSDT-PERP.BINANCE"
        )
        p.add_argument(
            "--start", type=_time, required=True, help="first UTC day or time (YYYY-MM-DD or ISO)"
        )
        p.add_argument("--end", type=_time, required=True, help="end, excluded (YYYY-MM-DD or ISO)")
        p.add_argument("--out", type=Path, help=f"output folder (default reports/{name})")
        # One progress switch in every command: --no-progress (bars are on only on a terminal).
        p.add_argument(
            "--no-progress",
            dest="progress",
            action="store_const",
            const=False,
            default=None,
            help="no progress bars (default: progress bars on stderr when it is a terminal)",
        )
        importlib.import_module(module_name).add_arguments(p)
    return parser


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run one report; return the exit code (0, 2 for bad arguments, 130 when interrupted)."""
    args = build_parser().parse_args(argv)
    # SIGTERM stops a report the way Ctrl-C does: one line, exit code 130.
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        # Before the clock starts: compile time never counts in the report's rows/s.
        warmed = ensure_warm(args.progress)
        return _run(args, warmed.seconds if warmed is not None else 0.0)
    except KeyboardInterrupt:
        print(f"python -m research {args.report}: interrupted; the report was not completed", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(args: argparse.Namespace, compile_seconds: float = 0.0) -> int:
    started = time.perf_counter()
    try:
        period = Period(args.start, args.end)
        progress = Progress(args.progress)
        reader = CatalogReader(args.catalog, args.instrument, progress)
        module = importlib.import_module(REPORTS[args.report][0])
        config = config_from_args(module.CONFIG, args)
        result = module.report(
            module.read_inputs(reader, period, config), period, config, progress
        )
        elapsed = time.perf_counter() - started
        rows = result.metrics["input"]["rows"]
        result.metrics = {
            "report": args.report,
            "instrument": args.instrument,
            "catalog": str(args.catalog),
            "period": period.as_dict(),
            **result.metrics,
            # Reading and computing; the files are written after this is known.
            "run": {
                "seconds": round(elapsed, 3),
                "input_rows": rows,
                "rows_per_second": rows / elapsed if elapsed > 0 else None,
                # Compiling a cold numba cache happened before the clock: recorded apart.
                "numba_compile_seconds": round(compile_seconds, 3),
            },
        }
        result.headline = {
            "instrument": args.instrument,
            "period": f"{period.as_dict()['start']} → {period.as_dict()['end']}",
            **result.headline,
        }
        written = write_report(result, args.out or Path("reports") / args.report)
    except ResearchError as e:
        print(f"python -m research {args.report}: error: {e}", file=sys.stderr)
        return 2
    total = time.perf_counter() - started
    print(
        f"{args.report}: {rows:,} rows read and computed in {elapsed:.2f} s "
        f"({rows / max(elapsed, 1e-9):,.0f} rows/s), written in {total - elapsed:.2f} s"
    )
    for path in written:
        print(f"  wrote {path}")
    return 0
