"""``python -m etl download``: the command line, from arguments to report and exit code."""

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from etl.archive import FAMILIES
from etl.archive import FUTURES_UM
from etl.archive import MARKETS
from etl.download.client import DEFAULT_BASE_URL
from etl.download.client import ArchiveClient
from etl.download.client import RetryPolicy
from etl.download.fetch import Fetcher
from etl.download.plan import PlanError
from etl.download.plan import plan_targets
from etl.download.report import EXIT_USAGE
from etl.download.report import exit_code
from etl.download.report import format_report
from etl.download.report import summary
from etl.download.runner import download_all

_MAX_WORKERS = 32
PROG = "python -m etl download"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the download command's options to `parser`."""
    parser.epilog = (
        "Each zip is verified against its .CHECKSUM (sha256) before it is renamed into place; "
        "a mismatch is reported as corrupt and nothing is kept. A zip published without a "
        ".CHECKSUM is refused (failed) unless --allow-unverified. Re-running resumes: verified "
        "files are skipped. Dates are UTC and half-open: --start 2024-01-01 --end 2024-02-01 "
        "fetches January (until this release --end was inclusive). Exit codes: 0 when every file "
        "is fetched, already verified, or missing from the archive (404, listed); 1 when any "
        "file is corrupt or failed; 2 on bad arguments; 130 interrupted (Ctrl-C or "
        "SIGTERM)."
    )
    parser.add_argument(
        "--symbols", nargs="+", required=True, metavar="SYMBOL", help="e.g. BTCUSDT ETHUSDT"
    )
    parser.add_argument(
        "--families", nargs="+", required=True, metavar="FAMILY", help=f"any of: {_family_names()}"
    )
    parser.add_argument("--start", type=_date, required=True, help="first UTC day, YYYY-MM-DD")
    parser.add_argument(
        "--end",
        type=_date,
        help="first UTC day not fetched: half-open, as in backtests (default: the day after --start)",
    )
    parser.add_argument(
        "--dest", type=Path, default=Path("data/raw"), help="destination root (default: data/raw)"
    )
    parser.add_argument("--market", default=FUTURES_UM, choices=MARKETS, help="default: futures/um")
    parser.add_argument(
        "--base-url", type=_base_url, default=DEFAULT_BASE_URL, help=f"default: {DEFAULT_BASE_URL}"
    )
    parser.add_argument(
        "--workers",
        type=_bounded_int(1, _MAX_WORKERS),
        default=4,
        help="parallel downloads (default: 4)",
    )
    parser.add_argument(
        "--retries",
        type=_bounded_int(0, 100),
        default=5,
        help="retries per request after the first try (default: 5)",
    )
    parser.add_argument(
        "--backoff",
        type=_positive_float,
        default=1.0,
        help="first retry pause in seconds, doubling (default: 1)",
    )
    parser.add_argument(
        "--timeout",
        type=_positive_float,
        default=60.0,
        help="socket timeout in seconds (default: 60)",
    )
    parser.add_argument(
        "--allow-unverified",
        action="store_true",
        help="keep zips the archive publishes without a .CHECKSUM (default: refuse them, exit 1)",
    )
    parser.add_argument(
        "--json",
        dest="json_path",
        metavar="PATH",
        help="also write a JSON summary to PATH ('-': stdout)",
    )
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress bar (default: only on a terminal)"
    )


def run(args: argparse.Namespace) -> int:
    """
    Download what `args` asks for, print the report, and return the exit code.

    Returns
    -------
    int
        0 if nothing is corrupt or failed (missing files are listed, not errors), 1 otherwise,
        2 for arguments that name no valid set of files, 130 if interrupted.

    """
    # Half-open like every other command: --end is the first day not fetched.
    stop = args.end or args.start + dt.timedelta(days=1)
    if stop <= args.start:
        print(
            f"{PROG}: error: --start {args.start} is not before --end {stop} "
            "(--end is the first day not fetched)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    end = stop - dt.timedelta(days=1)
    try:
        targets = plan_targets(args.market, args.symbols, args.families, args.start, end)
    except PlanError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    if end > yesterday:
        print(
            f"{PROG}: note: the archive publishes a day after it ends; files after {yesterday} "
            "will be listed as missing",
            file=sys.stderr,
        )
    client = ArchiveClient(
        args.base_url, RetryPolicy(retries=args.retries, backoff=args.backoff), args.timeout
    )
    result = download_all(
        Fetcher(client, args.dest, allow_unverified=args.allow_unverified),
        targets,
        workers=args.workers,
        progress=False if args.no_progress else None,
    )
    code = exit_code(result.outcomes, result.interrupted)
    # With the JSON on stdout, the human report moves to stderr so stdout stays parseable.
    report_stream = sys.stderr if args.json_path == "-" else sys.stdout
    print(format_report(result.outcomes, client.retried), file=report_stream)
    if result.interrupted:
        print(f"{PROG}: interrupted; run the same command again to resume", file=sys.stderr)
    if args.json_path:
        _write_json(args, summary(result.outcomes, code, client.retried, _request(args, stop)))
    return code


def _request(args: argparse.Namespace, end: dt.date) -> dict[str, Any]:
    # ``end`` as on the command line: the first day not fetched.
    return {
        "market": args.market,
        "symbols": args.symbols,
        "families": args.families,
        "start": args.start.isoformat(),
        "end": end.isoformat(),
        "base_url": args.base_url,
        "dest": str(args.dest),
        "allow_unverified": args.allow_unverified,
    }


def _write_json(args: argparse.Namespace, content: dict[str, Any]) -> None:
    text = json.dumps(content, indent=2)
    if args.json_path == "-":
        print(text)
        return
    json_file = Path(args.json_path)
    json_file.parent.mkdir(parents=True, exist_ok=True)
    json_file.write_text(text + "\n", encoding="utf-8")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def _base_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise argparse.ArgumentTypeError(f"expected an http(s) URL, got {text!r}")
    return text


def _bounded_int(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {low} to {high}, got {value}")
        return value

    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _family_names() -> str:
    return ", ".join(
        f"{f.name} ({f.interval})" if f.interval else f.name for f in FAMILIES.values()
    )
