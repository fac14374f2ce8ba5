"""
``python -m etl ingest``: raw Binance archive files → ParquetDataCatalog.

Discovers source files, skips those already ingested from identical bytes (per the manifest),
ingests the rest in parallel worker processes, records each file in the manifest as it completes,
and prints what happened. Exit codes: 0 when every file was ingested (rows may have been
rejected into the quarantine), 1 when a file could not be read (corrupt zip, checksum mismatch),
2 for a ``--strict`` rejection or bad arguments.
"""

import argparse
import datetime as dt
import multiprocessing as mp
import sys
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import wait
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from tqdm import tqdm

from etl.archive import FAMILIES
from etl.discover import Refused
from etl.discover import discover
from etl.families import NS_PER_S
from etl.families import ConvertOptions
from etl.guard import DEFAULT_MAX_REJECT_SHARE
from etl.ingest_file import FileResult
from etl.ingest_file import FileTask
from etl.ingest_file import ingest_file
from etl.ingest_file import source_key
from etl.instruments import InstrumentSpecs
from etl.instruments import write_instrument
from etl.instruments import write_rules
from etl.manifest import Manifest
from etl.manifest import catalog_lock
from etl.reader import DEFAULT_BLOCK_SIZE
from etl.reader import sha256_of
from etl.writer import remove_stale_temp_files

FILE_FAILURES = frozenset({"mass_rejection", "corrupt_zip", "checksum_mismatch", "bad_checksum_file", "zip_members", "zip_member_path", "unknown_header", "column_count", "unreadable", "unparseable", "error"})


@dataclass
class IngestSummary:
    """What one ingest run did."""

    results: list[FileResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    removed_temp_files: int = 0
    seconds: float = 0.0
    strict_failure: str | None = None

    @property
    def failures(self) -> list[FileResult]:
        """Return the files that could not be ingested."""
        return [r for r in self.results if r.status in FILE_FAILURES]

    @property
    def exit_code(self) -> int:
        """Return the process exit code for this run."""
        if self.strict_failure:
            return 2
        return 1 if self.failures else 0


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ingest command's options."""
    parser.add_argument("--raw", type=Path, required=True, help="folder of raw archive files (any layout)")
    parser.add_argument("--catalog", type=Path, default=Path("data/catalog"), help="catalog folder (default: data/catalog)")
    parser.add_argument("--symbols", nargs="+", help="only these symbols (e.g. BTCUSDT ETHUSDT)")
    parser.add_argument("--families", nargs="+", choices=sorted(FAMILIES), help="only these families")
    parser.add_argument("--start", type=_date, help="first UTC day (YYYY-MM-DD)")
    parser.add_argument("--end", type=_date, help="last UTC day, inclusive (YYYY-MM-DD)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--strict", action="store_true", help="fail on the first rejected row, naming file and line")
    parser.add_argument("--force", action="store_true", help="re-ingest matching files even if already ingested")
    parser.add_argument("--max-reject-share", type=float, default=DEFAULT_MAX_REJECT_SHARE, help="fail a file when one reason rejects more than this share of its rows (default 0.01); below it, rejected rows are quarantined")
    parser.add_argument("--instruments", type=Path, help="instrument specs TOML (default configs/instruments.toml)")
    parser.add_argument("--block-size-mb", type=float, default=DEFAULT_BLOCK_SIZE / (1 << 20), help="CSV bytes parsed per block: bounds memory (default 8)")
    parser.add_argument("--quote-ts-init", choices=["transaction_time", "event_time"], default="transaction_time", help="bookTicker clock used as ts_init (event_time models feed delay)")
    parser.add_argument("--metrics-lag-s", type=float, default=0.0, help="publication lag added to metrics ts_init, seconds")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or summary table")


def run(args: argparse.Namespace) -> int:
    """Run the ingest command."""
    if args.start and args.end and args.start > args.end:
        print(f"error: --start {args.start} is after --end {args.end}", file=sys.stderr)
        return 2
    if args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return 2
    if not 0.0 <= args.max_reject_share <= 1.0:
        print(f"error: --max-reject-share must be between 0 and 1, got {args.max_reject_share}", file=sys.stderr)
        return 2
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
            progress=not args.quiet,
        )
    except (FileNotFoundError, KeyError, ValueError, RuntimeError) as e:
        print(f"error: {e.args[0] if e.args else e}", file=sys.stderr)
        return 2
    if not args.quiet:
        print_summary(summary)
    if summary.strict_failure:
        print(f"error: {summary.strict_failure}", file=sys.stderr)
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
        Restrict to sources overlapping these UTC days (inclusive).
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

    Returns
    -------
    IngestSummary

    """
    started = time.perf_counter()
    options = options or ConvertOptions()
    catalog = Path(catalog)
    catalog.mkdir(parents=True, exist_ok=True)
    specs = InstrumentSpecs(instruments_file)
    sources, refused = discover(Path(raw), symbols=symbols, families=families, start=start, end=end)
    summary = IngestSummary(refused=refused)
    with catalog_lock(catalog):
        summary.removed_temp_files = remove_stale_temp_files(catalog)
        manifest = Manifest(catalog)
        tasks: list[FileTask] = []
        for source in sources:
            spec = specs.get(source.market, source.symbol)
            write_instrument(catalog, spec.to_instrument())
            write_rules(catalog, spec)
            sha256 = sha256_of(Path(source.path))
            if not force and manifest.is_current(source_key(source), sha256, spec.fingerprint()):
                summary.skipped.append(source.path)
                continue
            tasks.append(FileTask(source=source, catalog=str(catalog), spec=spec, options=options, strict=strict, block_size=block_size, sha256=sha256, max_reject_share=max_reject_share))
        # Largest first: the pool stays busy until the end.
        tasks.sort(key=lambda t: -Path(t.source.path).stat().st_size)
        for result in _run_tasks(tasks, workers, progress):
            summary.results.append(result)
            if result.status == "strict_rejection":
                summary.strict_failure = result.error
                break
            manifest.record(result.to_dict())
    summary.results.sort(key=lambda r: r.source)
    summary.seconds = time.perf_counter() - started
    return summary


def _run_tasks(tasks: list[FileTask], workers: int, progress: bool):
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
                if result.status == "strict_rejection":
                    return
            return
        # spawn: workers start clean (no inherited locks or numba state from the parent).
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
            pending = {pool.submit(ingest_file, task) for task in tasks}
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    result = future.result()
                    advance(result)
                    yield result
                    if result.status == "strict_rejection":
                        for other in pending:
                            other.cancel()
                        # Files already running finish their own atomic commit or abort.
                        return
    finally:
        bar.close()


def print_summary(summary: IngestSummary) -> None:
    """Print what the run did: per family totals, failures, refusals."""
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=False)
    table = Table(title=f"ingest: {len(summary.results)} file(s) ingested, {len(summary.skipped)} already current, {summary.seconds:.1f} s")
    for column in ("family", "market", "files", "rows read", "rows written", "rejected", "rows/s"):
        table.add_column(column, justify="right" if column not in ("family", "market") else "left")
    groups: dict[tuple[str, str], list[FileResult]] = {}
    for r in summary.results:
        groups.setdefault((r.family, r.market), []).append(r)
    for (family, market), results in sorted(groups.items()):
        read = sum(r.rows_read for r in results)
        seconds = sum(r.seconds for r in results)
        table.add_row(family, market, str(len(results)), f"{read:,}", f"{sum(r.rows_written for r in results):,}", f"{sum(r.rows_rejected for r in results):,}", f"{read / seconds:,.0f}" if seconds else "-")
    console.print(table)
    reasons: Counter[str] = Counter()
    for r in summary.results:
        reasons.update(r.rejects)
    if reasons:
        console.print("rejected rows by reason (see catalog/_etl/quarantine): " + ", ".join(f"{k}={v:,}" for k, v in sorted(reasons.items())))
    for r in summary.results:
        if r.status == "empty":
            console.print(f"[yellow]empty[/]: {r.source}")
    for r in summary.failures:
        console.print(f"[red]failed[/] ({r.status}): {r.error}")
    for item in summary.refused:
        console.print(f"[yellow]not ingested[/]: {item.path}: {item.reason}")
    if summary.removed_temp_files:
        console.print(f"removed {summary.removed_temp_files} temporary file(s) left by an interrupted run")
