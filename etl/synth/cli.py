"""``python -m etl synth``: generate a synthetic Binance USD-M market in the archive's formats."""

import argparse
import datetime as dt
import sys
from pathlib import Path

from etl.synth.config import DEFAULT_BLOCK_EVENTS
from etl.synth.config import DEFAULT_BLOCKS_PER_DAY
from etl.synth.config import DEFAULT_QUOTES_PER_DAY
from etl.synth.config import DEFAULT_SPOT_TRADES_PER_DAY
from etl.synth.config import DEFAULT_TOXIC_PER_DAY
from etl.synth.config import DEFAULT_TRADES_PER_DAY
from etl.synth.config import DEFAULT_ZIP_LEVEL
from etl.synth.config import SynthConfig
from etl.synth.generate import generate

EPILOG = (
    "Exit codes: 0 ok; 2 usage error (invalid option); 130 interrupted (Ctrl-C or SIGTERM: "
    "run the same command again, it rewrites the market from its seed)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the synth command's options to `parser`."""
    parser.epilog = EPILOG
    parser.add_argument("--out", type=Path, required=True, help="output root (archive layout below it)")
    parser.add_argument("--symbols", nargs="+", required=True, help="perpetual symbols, e.g. BTCUSDT ETHUSDT")
    parser.add_argument("--start", type=dt.date.fromisoformat, required=True, help="first UTC day, YYYY-MM-DD")
    parser.add_argument("--days", type=int, required=True, help="number of days")
    parser.add_argument("--seed", type=int, required=True, help="seed (same args and seed: same bytes)")
    parser.add_argument("--zip", action="store_true", help="write ZIP + .CHECKSUM files like the archive")
    parser.add_argument("--spot", action="store_true", help="also write spot aggTrades and 1m klines")
    sizes = parser.add_argument_group("sizes (per symbol and day)")
    sizes.add_argument("--trades-per-day", type=int, default=DEFAULT_TRADES_PER_DAY, help="mean aggTrades rows (default %(default)s)")
    sizes.add_argument("--quotes-per-day", type=int, default=DEFAULT_QUOTES_PER_DAY, help="mean bookTicker rows (default %(default)s)")
    sizes.add_argument(
        "--spot-trades-per-day", type=int, default=DEFAULT_SPOT_TRADES_PER_DAY, help="mean spot aggTrades rows (default %(default)s)"
    )
    sizes.add_argument("--blocks-per-day", type=float, default=DEFAULT_BLOCKS_PER_DAY, help="mean block trades (default %(default)s)")
    sizes.add_argument(
        "--toxic-per-day", type=float, default=DEFAULT_TOXIC_PER_DAY, help="mean spontaneous toxic episodes (default %(default)s)"
    )
    parser.add_argument(
        "--block-events",
        type=int,
        default=DEFAULT_BLOCK_EVENTS,
        help="trades and quotes simulated at a time: memory follows it, the files do not (default %(default)s)",
    )
    parser.add_argument("--zip-level", type=int, default=DEFAULT_ZIP_LEVEL, help="zlib level of ZIP members (default %(default)s)")
    parser.add_argument("--no-ground-truth", action="store_true", help="skip the ground-truth parquet")
    parser.add_argument("--no-progress", action="store_true", help="no per-step progress lines (the closing summary is still printed)")
    parser.add_argument("--quiet", action="store_true", help="no output but errors: no progress, no summary")


def config_from_args(args: argparse.Namespace) -> SynthConfig:
    """Return the run configuration described by parsed arguments."""
    return SynthConfig(
        out=args.out,
        symbols=tuple(s.upper() for s in args.symbols),
        start=args.start,
        days=args.days,
        seed=args.seed,
        zipped=args.zip,
        spot=args.spot,
        trades_per_day=args.trades_per_day,
        quotes_per_day=args.quotes_per_day,
        spot_trades_per_day=args.spot_trades_per_day,
        blocks_per_day=args.blocks_per_day,
        toxic_per_day=args.toxic_per_day,
        zip_level=args.zip_level,
        ground_truth=not args.no_ground_truth,
        block_events=args.block_events,
    )


def _unfinished(root: Path) -> set[Path]:
    """Return the files under `root` still being written (the writers' ``.part`` / ``.tmp``)."""
    if not root.exists():
        return set()
    return {p for p in root.rglob("*") if p.suffix in (".part", ".tmp")}


def run(args: argparse.Namespace) -> int:
    """Generate the market; return 0, 2 on invalid options (the reason on stderr), 130 when interrupted."""
    if args.zip_level != DEFAULT_ZIP_LEVEL and not args.zip:
        print("synth: --zip-level is only read with --zip (CSV files are not compressed)", file=sys.stderr)
        return 2
    try:
        config = config_from_args(args)
    except ValueError as e:
        print(f"synth: {e}", file=sys.stderr)
        return 2
    before = _unfinished(config.out)
    try:
        report = generate(config, log=None if args.quiet or args.no_progress else print)
    except KeyboardInterrupt:
        # The file being written when the signal came is a .part or .tmp: removed, never renamed.
        for path in _unfinished(config.out) - before:
            path.unlink(missing_ok=True)
        print("interrupted: synth stopped; the files in place are whole; run the same command again to finish", file=sys.stderr)
        return 130
    if not args.quiet:
        print(report.summary())
        print(f"wrote {config.out}")
    return 0
