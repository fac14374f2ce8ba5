"""
``python -m etl ingest``: raw Binance archive files → ParquetDataCatalog.

Discovers source files, skips those already ingested from identical bytes (per the manifest),
ingests the rest in parallel worker processes, records each file in the manifest as it completes,
and prints what happened. Exit codes: 0 when every file was ingested (rows may have been
rejected into the quarantine), 1 when some files failed or were not ingested (corrupt zip,
checksum mismatch, zip without ``.CHECKSUM``, unknown symbol), 2 for a ``--strict`` rejection or
bad arguments, 3 when the folder holds nothing to ingest, 4 when another ingest holds the
catalog, 130 when interrupted (Ctrl-C or SIGTERM: the manifest records exactly the files
completed).
"""

import argparse
import datetime as dt
import multiprocessing as mp
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import wait
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from tqdm import tqdm

from catalog.atomic import remove_stale_temp_files
from etl import interrupt
from etl.archive import FAMILIES
from etl.discover import Refused
from etl.discover import discover
from etl.families import NS_PER_S
from etl.families import ConvertOptions
from etl.guard import DEFAULT_MAX_REJECT_SHARE
from etl.ingest_file import INTERRUPTED
from etl.ingest_file import UNVERIFIED
from etl.ingest_file import FileResult
from etl.ingest_file import FileTask
from etl.ingest_file import ingest_file
from etl.ingest_file import source_key
from etl.instruments import InstrumentSpecs
from etl.instruments import write_instrument
from etl.instruments import write_rules
from etl.manifest import CatalogBusy
from etl.manifest import Manifest
from etl.manifest import catalog_lock
from etl.reader import DEFAULT_BLOCK_SIZE
from etl.reader import sha256_of

FILE_FAILURES = frozenset({UNVERIFIED, "mass_rejection", "corrupt_zip", "checksum_mismatch", "bad_checksum_file", "zip_members", "zip_member_path", "unknown_header", "column_count", "unreadable", "unparseable", "error"})


@dataclass
class IngestSummary:
    """What one ingest run did."""

    results: list[FileResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    removed_temp_files: int = 0
    seconds: float = 0.0
    strict_failure: str | None = None
    # Symbol -> (why, its files): files of a symbol without an instrument spec are not ingested.
    unknown_symbols: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    # Files passed over by discovery (names, filters): listed when nothing was found to ingest.
    ignored: list[Refused] = field(default_factory=list)
    interrupted: bool = False

    @property
    def failures(self) -> list[FileResult]:
        """Return the files that could not be ingested."""
        return [r for r in self.results if r.status in FILE_FAILURES]

    @property
    def ingested(self) -> list[FileResult]:
        """Return the files ingested by this run (some of their rows may be quarantined)."""
        return [r for r in self.results if r.status == "ok"]

    @property
    def empty(self) -> list[FileResult]:
        """Return the files that held no rows."""
        return [r for r in self.results if r.status == "empty"]

    @property
    def not_ingested(self) -> int:
        """Return how many found files were refused before reading: unknown symbol, ambiguous name, duplicate."""
        return len(self.refused) + sum(len(files) for _, files in self.unknown_symbols.values())

    @property
    def nothing_found(self) -> bool:
        """Return whether the folder held nothing ingestible at all (not even already-current files)."""
        return not self.results and not self.skipped and not self.not_ingested and not self.interrupted

    @property
    def exit_code(self) -> int:
        """Return the process exit code: 130 interrupted, 2 strict, 3 nothing found, 1 failures."""
        if self.interrupted:
            return interrupt.EXIT_INTERRUPTED
        if self.strict_failure:
            return 2
        if self.nothing_found:
            return 3
        return 1 if self.failures or self.unknown_symbols or any(not r.by_design for r in self.refused) else 0

    def headline(self) -> str:
        """Return the one-line count of what happened to every file found."""
        quarantined = sum(1 for r in self.ingested if r.rows_rejected)
        parts = [
            f"{len(self.ingested)} ingested" + (f" ({quarantined} with rows quarantined)" if quarantined else ""),
            f"{len(self.skipped)} skipped (already current)",
            f"{self.not_ingested} rejected (not ingested)",
            f"{len(self.failures)} failed",
        ]
        if self.empty:
            parts.append(f"{len(self.empty)} empty")
        return "ingest: " + ", ".join(parts) + f", {self.seconds:.1f} s"


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


EPILOG = (
    "Dates are UTC and half-open, as in backtests and research: --start 2024-01-01 --end "
    "2024-01-03 ingests 1 and 2 January (until this release --end was inclusive). A zip without "
    "its .CHECKSUM is refused unless --allow-unverified (the downloader's rule). "
    "Exit codes: 0 ok (rows may be quarantined); 1 some files failed or were not ingested "
    "(corrupt or unverified zip, unknown symbol, mass rejection); 2 usage error or a --strict "
    "rejection; 3 nothing to ingest in --raw (the files passed over are listed); 4 another "
    "ingest holds the catalog; 130 interrupted (Ctrl-C or SIGTERM: the manifest records exactly "
    "the files completed; run the same command again to ingest the rest)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ingest command's options."""
    parser.epilog = EPILOG
    parser.add_argument("--raw", type=Path, required=True, help="folder of raw archive files (any layout)")
    parser.add_argument("--catalog", type=Path, default=Path("data/catalog"), help="catalog folder (default: data/catalog)")
    parser.add_argument("--symbols", nargs="+", help="only these symbols (e.g. BTCUSDT ETHUSDT)")
    parser.add_argument("--families", nargs="+", choices=sorted(FAMILIES), metavar="FAMILY", help=f"only these families: {', '.join(sorted(FAMILIES))}")
    parser.add_argument("--start", type=_date, help="first UTC day, included (YYYY-MM-DD)")
    parser.add_argument("--end", type=_date, help="first UTC day not ingested: the range is half-open (YYYY-MM-DD)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--strict", action="store_true", help="fail on the first rejected row, naming file and line")
    parser.add_argument("--force", action="store_true", help="re-ingest matching files even if already ingested")
    parser.add_argument("--allow-unverified", action="store_true", help="ingest zips that have no .CHECKSUM beside them (default: refuse them, exit 1)")
    parser.add_argument("--max-reject-share", type=float, default=DEFAULT_MAX_REJECT_SHARE, help="fail a file when one reason rejects more than this share of its rows (default 0.01); below it, rejected rows are quarantined")
    # Not --instruments: elsewhere that names instrument ids; the old spelling is still honoured.
    parser.add_argument("--instrument-specs", "--instruments", dest="instruments", type=Path, metavar="FILE", help="instrument specs TOML (default configs/instruments.toml)")
    parser.add_argument("--block-size-mb", type=float, default=DEFAULT_BLOCK_SIZE / (1 << 20), help="CSV bytes parsed per block: bounds memory (default 8)")
    parser.add_argument("--quote-ts-init", choices=["transaction_time", "event_time"], default="transaction_time", help="bookTicker clock used as ts_init (event_time models feed delay)")
    parser.add_argument("--metrics-lag-s", type=float, default=0.0, help="publication lag added to metrics ts_init, seconds")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (the summary and errors are still printed)")
    parser.add_argument("--quiet", action="store_true", help="no output but errors: no progress bar, no summary table")


def run(args: argparse.Namespace) -> int:
    """Run the ingest command."""
    if args.start and args.end and args.start >= args.end:
        print(f"error: --start {args.start} is not before --end {args.end} (--end is the first day not ingested)", file=sys.stderr)
        return 2
    if args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return 2
    if not 0.0 <= args.max_reject_share <= 1.0:
        print(f"error: --max-reject-share must be between 0 and 1, got {args.max_reject_share}", file=sys.stderr)
        return 2
    if not args.block_size_mb > 0:
        print(f"error: --block-size-mb must be positive, got {args.block_size_mb}", file=sys.stderr)
        return 2
    if args.metrics_lag_s < 0:
        print(f"error: --metrics-lag-s must be 0 or more, got {args.metrics_lag_s}", file=sys.stderr)
        return 2
    with interrupt.stop_on_signals():
        try:
            summary = ingest(
                raw=args.raw,
                catalog=args.catalog,
                symbols=args.symbols,
                families=args.families,
                start=args.start,
                end=args.end,
                workers=args.workers,
                strict=args.strict,
                force=args.force,
                max_reject_share=args.max_reject_share,
                instruments_file=args.instruments,
                block_size=int(args.block_size_mb * (1 << 20)),
                options=ConvertOptions(quote_ts_init=args.quote_ts_init, metrics_lag_ns=int(args.metrics_lag_s * NS_PER_S)),
                progress=not (args.quiet or args.no_progress),
                allow_unverified=args.allow_unverified,
            )
        except CatalogBusy as e:
            print(f"error: {e}", file=sys.stderr)
            return 4
        except (FileNotFoundError, KeyError, ValueError, RuntimeError) as e:
            print(f"error: {e.args[0] if e.args else e}", file=sys.stderr)
            return 2
    if not args.quiet:
        print_summary(summary)
    print_problems(summary)
    return summary.exit_code


def ingest(
    raw: Path,
    catalog: Path,
    *,
    symbols: list[str] | None = None,
    families: list[str] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    workers: int = 1,
    strict: bool = False,
    force: bool = False,
    max_reject_share: float = DEFAULT_MAX_REJECT_SHARE,
    instruments_file: Path | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    options: ConvertOptions | None = None,
    progress: bool = False,
    allow_unverified: bool = False,
) -> IngestSummary:
    """
    Ingest raw archive files into a catalog.

    Parameters
    ----------
    raw : Path
        Folder of raw files, in any layout.
    catalog : Path
        The ParquetDataCatalog folder (created if missing).
    symbols, families : list[str] | None
        Restrict to these symbols / families.
    start, end : dt.date | None
        Restrict to sources overlapping ``[start, end)``: UTC days, ``end`` excluded.
    workers : int
        Worker processes; 1 ingests in this process.
    strict : bool
        Stop at the first rejected row; nothing of that file is written.
    force : bool
        Re-ingest matching files even when the manifest says they are current.
    max_reject_share : float
        A file fails (``mass_rejection``, nothing written) when one reason rejects more than this
        share of its rows; below it, rejected rows are quarantined and the rest kept.
    instruments_file : Path | None
        Instrument specs TOML; the project's ``configs/instruments.toml`` when None.
    block_size : int
        CSV bytes parsed per block.
    options : ConvertOptions | None
        Timestamp choices (quote ts_init clock, metrics publication lag); defaults when None.
    progress : bool
        Show a progress bar.
    allow_unverified : bool
        Ingest zips without a ``.CHECKSUM`` beside them (refused, status ``unverified_zip``, by
        default: the downloader's rule).

    Returns
    -------
    IngestSummary
        With ``interrupted`` set when Ctrl-C or SIGTERM stopped the run (under
        ``interrupt.stop_on_signals``): the manifest then records exactly the files completed.

    Raises
    ------
    CatalogBusy
        If another ingest holds the catalog's lock.

    """
    started = time.perf_counter()
    options = options or ConvertOptions()
    catalog = Path(catalog)
    catalog.mkdir(parents=True, exist_ok=True)
    specs = InstrumentSpecs(instruments_file)
    ignored: list[Refused] = []
    sources, refused = discover(Path(raw), symbols=symbols, families=families, start=start, end=end, ignored=ignored)
    summary = IngestSummary(refused=refused, ignored=ignored)
    with catalog_lock(catalog):
        summary.removed_temp_files = remove_stale_temp_files(catalog)
        manifest = Manifest(catalog)
        tasks: list[FileTask] = []
        for source in sources:
            if interrupt.stop_requested():
                summary.interrupted = True
                break
            try:
                spec = specs.get(source.market, source.symbol)
            except KeyError as e:
                # One symbol without a spec must not cost the other symbols' files.
                why, files = summary.unknown_symbols.setdefault(f"{source.market} {source.symbol}", (str(e.args[0]), []))
                files.append(source.path)
                continue
            write_instrument(catalog, spec.to_instrument())
            write_rules(catalog, spec)
            sha256 = sha256_of(Path(source.path))
            if not force and manifest.is_current(source_key(source), sha256, spec.fingerprint()):
                summary.skipped.append(source.path)
                continue
            tasks.append(FileTask(source=source, catalog=str(catalog), spec=spec, options=options, strict=strict, block_size=block_size, sha256=sha256, max_reject_share=max_reject_share, allow_unverified=allow_unverified))
        if not summary.interrupted:
            # Largest first: the pool stays busy until the end.
            tasks.sort(key=lambda t: -Path(t.source.path).stat().st_size)
            for result in _run_tasks(tasks, workers, progress):
                if result.status == INTERRUPTED:
                    summary.interrupted = True
                    continue
                summary.results.append(result)
                if result.status == "strict_rejection":
                    summary.strict_failure = result.error
                    break
                # Recorded as soon as it is reported: the manifest always lists exactly the
                # files completed, whenever the run stops.
                manifest.record(result.to_dict())
            summary.interrupted = summary.interrupted or interrupt.stop_requested()
    summary.results.sort(key=lambda r: r.source)
    summary.seconds = time.perf_counter() - started
    return summary


def _run_tasks(tasks: list[FileTask], workers: int, progress: bool) -> Iterator[FileResult]:
    bar = tqdm(total=len(tasks), unit="file", disable=not progress or None, desc="ingest", dynamic_ncols=True)
    rows = 0
    started = time.perf_counter()

    def advance(result: FileResult) -> None:
        nonlocal rows
        rows += result.rows_read
        bar.update(1)
        bar.set_postfix(rows=f"{rows:,}", rows_s=f"{rows / max(time.perf_counter() - started, 1e-9):,.0f}")

    try:
        if workers == 1 or len(tasks) <= 1:
            for task in tasks:
                result = ingest_file(task)
                advance(result)
                yield result
                if result.status in ("strict_rejection", INTERRUPTED) or interrupt.stop_requested():
                    return
            return
        # spawn: workers start clean (no inherited locks or numba state from the parent). They
        # ignore Ctrl-C and SIGTERM (blocked while they start) and stop when `stop` is set, at
        # their next block, so that the parent records every file they complete.
        context = mp.get_context("spawn")
        stop = context.Event()
        with interrupt.signals_blocked():
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=interrupt.worker_init, initargs=(stop,))
            pending = {pool.submit(ingest_file, task) for task in tasks}
        try:
            while pending:
                # A timeout, so that a stop request is passed on while every worker is busy.
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                if interrupt.stop_requested() and not stop.is_set():
                    stop.set()
                    for other in pending:
                        other.cancel()
                for future in done:
                    if future.cancelled():
                        continue
                    result = future.result()
                    advance(result)
                    yield result
                    if result.status == "strict_rejection":
                        stop.set()
                        for other in pending:
                            other.cancel()
                        # Files already running finish their own atomic commit or abort.
                        return
        finally:
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
    finally:
        bar.close()


def print_summary(summary: IngestSummary) -> None:
    """Print what the run did: the headline counts and per family totals."""
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=False, highlight=False)
    # The headline on a line of its own: a table title would wrap it on a narrow terminal.
    print(summary.headline())
    table = Table()
    for column in ("family", "market", "files", "rows read", "rows written", "rejected", "rows/s"):
        table.add_column(column, justify="right" if column not in ("family", "market") else "left")
    groups: dict[tuple[str, str], list[FileResult]] = {}
    for r in summary.results:
        groups.setdefault((r.family, r.market), []).append(r)
    for (family, market), results in sorted(groups.items()):
        read = sum(r.rows_read for r in results)
        seconds = sum(r.seconds for r in results)
        table.add_row(family, market, str(len(results)), f"{read:,}", f"{sum(r.rows_written for r in results):,}", f"{sum(r.rows_rejected for r in results):,}", f"{read / seconds:,.0f}" if seconds else "-")
    if groups:
        console.print(table)
    reasons: Counter[str] = Counter()
    for r in summary.results:
        reasons.update(r.rejects)
    if reasons:
        console.print("rejected rows by reason (see catalog/_etl/quarantine): " + ", ".join(f"{k}={v:,}" for k, v in sorted(reasons.items())))
    for r in summary.empty:
        print(f"empty (no rows): {r.source}")
    if summary.removed_temp_files:
        console.print(f"removed {summary.removed_temp_files} temporary file(s) left by an interrupted run")


# How many passed-over files a "nothing to ingest" message names, per reason.
_IGNORED_EXAMPLES = 3


def print_problems(summary: IngestSummary) -> None:
    """Print every error and refusal to stderr, plain text: shown even under ``--quiet``."""
    err = sys.stderr
    for r in summary.failures:
        print(f"failed ({r.status}): {r.error}", file=err)
    for why, files in summary.unknown_symbols.values():
        print(f"not ingested: {why}; its {len(files)} file(s) were skipped (e.g. {files[0]})", file=err)
    for item in summary.refused:
        print(f"not ingested: {item.path}: {item.reason}", file=err)
    if summary.strict_failure:
        print(f"error: {summary.strict_failure}", file=err)
    if summary.nothing_found:
        print("error: nothing to ingest: no archive file under --raw matches", file=err)
        by_reason: dict[str, list[str]] = {}
        for item in summary.ignored:
            by_reason.setdefault(item.reason, []).append(item.path)
        if not by_reason:
            print("  (the folder holds no files)", file=err)
        for reason, paths in sorted(by_reason.items()):
            more = f" and {len(paths) - _IGNORED_EXAMPLES} more" if len(paths) > _IGNORED_EXAMPLES else ""
            print(f"  {len(paths)} file(s) ignored, {reason}: {', '.join(paths[:_IGNORED_EXAMPLES])}{more}", file=err)
    if summary.interrupted:
        done = len(summary.results)
        print(f"interrupted: {done} file(s) completed and recorded in the manifest, nothing partial left; run the same command again to ingest the rest", file=err)
