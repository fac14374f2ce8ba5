"""
``python -m etl report``: scan the catalog (``etl.report_compute``), print its tables
(``etl.report_render``) and save the JSON report.
"""

import argparse
import json
import sys
from pathlib import Path

from catalog.atomic import atomic_write_bytes
from catalog.layout import ETL_DIR
from etl.report_compute import DEFAULT_QUOTE_SILENCE_S
from etl.report_compute import FAMILIES
from etl.report_compute import build_report
from etl.report_render import DEFAULT_MAX_DAYS
from etl.report_render import print_report

REPORT_FILE = "report.json"


EPILOG = (
    "Exit codes: 0 the report is complete (gaps and quarantined rows are listed, not errors); "
    "1 incomplete: some source files failed to ingest (listed); 2 usage error (bad option, no "
    "such catalog or instrument); 130 interrupted."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the report command's options."""
    parser.epilog = EPILOG
    parser.add_argument("--catalog", type=Path, default=Path("data/catalog"), help="catalog folder (default: data/catalog)")
    parser.add_argument("--json", type=Path, help=f"where to save the JSON report (default: <catalog>/{ETL_DIR}/{REPORT_FILE})")
    parser.add_argument("--quote-silence-s", type=float, default=DEFAULT_QUOTE_SILENCE_S, help="a gap between quotes longer than this is a silence (default 60)")
    # --family and --instrument: the names before every command spelt them alike; still honoured.
    parser.add_argument("--families", "--family", dest="family", nargs="+", choices=FAMILIES, metavar="FAMILY", help=f"only these families: {', '.join(FAMILIES)}")
    parser.add_argument("--instruments", "--instrument", dest="instrument", nargs="+", metavar="ID", help="only these instrument ids (e.g. BTCUSDT-PERP.BINANCE)")
    parser.add_argument("--max-days", type=int, default=DEFAULT_MAX_DAYS, help=f"print at most this many day rows (default {DEFAULT_MAX_DAYS}; the JSON has all)")
    parser.add_argument("--all-days", action="store_true", help="print every day, not only those with gaps, rejects or no data")


def run(args: argparse.Namespace) -> int:
    """Run the report command: print the tables, save the JSON."""
    if not args.quote_silence_s > 0:
        print(f"error: --quote-silence-s must be positive, got {args.quote_silence_s}", file=sys.stderr)
        return 2
    if args.max_days < 0:
        print(f"error: --max-days must be 0 or more, got {args.max_days}", file=sys.stderr)
        return 2
    try:
        report = build_report(args.catalog, quote_silence_s=args.quote_silence_s, families=args.family, instruments=args.instrument)
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.instrument:
        known = {s.instrument_id for s in report.series} | {f.instrument_id for f in report.failed_sources}
        unknown = [i for i in args.instrument if i not in known]
        if unknown:
            print(f"error: no data for instrument(s) {', '.join(unknown)} in {args.catalog}", file=sys.stderr)
            return 2
    print_report(report, max_days=args.max_days, all_days=args.all_days)
    json_path = args.json or Path(args.catalog) / ETL_DIR / REPORT_FILE
    try:
        atomic_write_bytes(json_path, (json.dumps(report.to_dict(), indent=1) + "\n").encode())
    except OSError as e:
        print(f"error: cannot write the JSON report to {json_path}: {e.strerror or e}", file=sys.stderr)
        return 2
    print(f"saved {json_path}")
    return 1 if report.failed_sources else 0
