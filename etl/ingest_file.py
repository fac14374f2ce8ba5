"""
Ingest one raw source file into the catalog: read, validate, order, de-duplicate, write, commit.

Sorted sources (the norm) stream block by block. A source found out of order (real metrics files
are) is re-read whole and sorted in memory; a source with a value pyarrow cannot convert is re-read
with every column validated as text so that only the bad rows are rejected. Either way, nothing
reaches the catalog until the whole file has been read.
"""

import datetime as dt
import os
import time
from collections import Counter
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import numpy as np
import pyarrow as pa

from catalog.layout import ETL_DIR
from catalog.schemas import data_dir
from catalog.schemas import day_bounds
from etl.archive import ArchiveFile
from etl.families import CONVERTERS
from etl.families import Converter
from etl.families import ConvertOptions
from etl.families import Prepared
from etl.guard import DEFAULT_MAX_REJECT_SHARE
from etl.guard import MassRejection
from etl.guard import diagnose
from etl.guard import mass_rejection_reason
from etl.instruments import InstrumentSpec
from etl.interrupt import Interrupted
from etl.interrupt import check as check_interrupt
from etl.reader import DEFAULT_BLOCK_SIZE
from etl.reader import ORDINAL_COLUMN
from etl.reader import Block
from etl.reader import ConversionRefused
from etl.reader import LineMap
from etl.reader import SourceError
from etl.reader import read_blocks
from etl.reader import row_texts
from etl.reader import sha256_of
from etl.reader import verify_checksum
from etl.writer import DayWriters
from etl.writer import Quarantine

# Small families are sorted in memory from the start (real metrics files are unsorted).
IN_MEMORY_FAMILIES = frozenset({"metrics", "fundingRate", "bookDepth"})


class Unsorted(Exception):
    """A streamed source went back in time or id: re-read it whole and sort."""


class StrictRejection(Exception):
    """A row was rejected under ``--strict``: the message names the file, line and reason."""


@dataclass(frozen=True)
class FileTask:
    """Everything a worker needs to ingest one source file (picklable)."""

    source: ArchiveFile
    catalog: str
    spec: InstrumentSpec
    options: ConvertOptions = ConvertOptions()
    strict: bool = False
    block_size: int = DEFAULT_BLOCK_SIZE
    sha256: str | None = None
    max_reject_share: float = DEFAULT_MAX_REJECT_SHARE
    allow_unverified: bool = False


# A zip with no .CHECKSUM beside it: refused unless --allow-unverified (the downloader's rule).
UNVERIFIED = "unverified_zip"
# Stopped by Ctrl-C or SIGTERM before its commit: nothing of it written, not recorded.
INTERRUPTED = "interrupted"


@dataclass
class FileResult:
    """What ingesting one source file did; one manifest entry."""

    source: str
    key: str
    family: str
    market: str
    symbol: str
    instrument_id: str
    size: int
    sha256: str
    status: str = "ok"
    error: str | None = None
    checksum_verified: bool | None = None
    rows_read: int = 0
    rows_written: int = 0
    rows_rejected: int = 0
    rejects: dict[str, int] = field(default_factory=dict)
    unit_mixed: int = 0
    ts_first: int | None = None
    ts_last: int | None = None
    outputs: list[str] = field(default_factory=list)
    quarantine: str | None = None
    mode: str = ""
    seconds: float = 0.0
    rules: str = ""

    def to_dict(self) -> dict:
        """Return the manifest entry as plain JSON-able data."""
        return asdict(self)


def source_key(source: ArchiveFile) -> str:
    """Return the identity of a source file in the manifest (independent of its folders)."""
    return f"{source.market}/{source.family}/{source.symbol}/{source.period_label}"


def quarantine_path(catalog: Path, source: ArchiveFile) -> Path:
    """Return where the rejected rows of a source file are kept."""
    name = Path(source.path).name
    return catalog / ETL_DIR / "quarantine" / source.market.replace("/", "-") / source.family / f"{name}.rejects.csv"


def owned_days(source: ArchiveFile) -> list[dt.date]:
    """Return the UTC days a source file is the only source of."""
    if source.day is not None:
        return [source.day]
    year, month = source.month
    first = dt.date(year, month, 1)
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return [first + dt.timedelta(days=i) for i in range((following - first).days)]


def ingest_file(task: FileTask) -> FileResult:
    """
    Ingest one source file; never raises for bad data (the result says what happened).

    Under ``--strict`` the first rejected row fails the file with its line named, and nothing of
    the file is written. When one reason rejects more than ``max_reject_share`` of the rows, the
    file fails with one diagnostic (``mass_rejection``) and nothing of it is written either.
    """
    started = time.perf_counter()
    path = Path(task.source.path)
    result = FileResult(
        source=str(path),
        key=source_key(task.source),
        family=task.source.family,
        market=task.source.market,
        symbol=task.source.symbol,
        instrument_id=task.spec.instrument_id,
        size=path.stat().st_size,
        sha256=task.sha256 or sha256_of(path),
        rules=task.spec.fingerprint(),
    )
    try:
        check_interrupt()
        if path.suffix == ".zip":
            result.checksum_verified = verify_checksum(path, result.sha256)
            if result.checksum_verified is None and not task.allow_unverified:
                raise SourceError(
                    str(path),
                    UNVERIFIED,
                    f"no {path.name}.CHECKSUM beside it, so its bytes cannot be verified; "
                    "put the archive's .CHECKSUM next to it, or pass --allow-unverified to ingest it anyway",
                )
        validated = False
        in_memory = task.source.family in IN_MEMORY_FAMILIES
        while True:
            try:
                _FileIngest(task, result, validated=validated, in_memory=in_memory).run()
                break
            except ConversionRefused:
                validated = True
            except Unsorted:
                in_memory = True
    except SourceError as e:
        result.status, result.error = e.reason, str(e)
    except StrictRejection as e:
        result.status, result.error = "strict_rejection", str(e)
    except MassRejection as e:
        result.status, result.error = "mass_rejection", str(e)
    except Interrupted:
        result.status, result.error = INTERRUPTED, "interrupted before its commit: nothing written"
    if result.status == "ok" and result.rows_read == 0:
        result.status = "empty"
    result.seconds = round(time.perf_counter() - started, 3)
    return result


class _FileIngest:
    """One attempt at a source file in one reading mode."""

    def __init__(self, task: FileTask, result: FileResult, *, validated: bool, in_memory: bool) -> None:
        self.task = task
        self.result = result
        self.validated = validated
        self.in_memory = in_memory
        self.catalog = Path(task.catalog)
        self.converter: Converter = CONVERTERS[task.source.family](task.spec, task.options)
        token = f"{os.getpid()}"
        self.writers = DayWriters(data_dir(self.catalog, task.source.family, task.spec.instrument_id), self.converter.schema(), token)
        self.quarantine = Quarantine(quarantine_path(self.catalog, task.source), token)
        self.line_map = LineMap(header_lines=0)
        self.rejects: Counter[str] = Counter()
        self.examples: dict[str, tuple[int, str]] = {}
        self.rows_read = 0
        self.unit_mixed = 0
        self.last_key: int | None = None
        self.last_ts: int | None = None
        self.ts_first: int | None = None
        self.ts_last: int | None = None
        days = owned_days(task.source)
        self.bounds = (day_bounds(days[0])[0], day_bounds(days[-1])[1])

    def run(self) -> None:
        try:
            blocks = read_blocks(Path(self.task.source.path), self.task.source, validated=self.validated, line_map=self.line_map, block_size=self.task.block_size)
            if self.in_memory:
                self._process(self._whole_file(blocks), presorted=True)
            else:
                for block in blocks:
                    check_interrupt()
                    self._process(block, presorted=False)
            self._check_mass_rejection()
            # The last safe point: once the commit starts, it finishes (the file counts as done).
            check_interrupt()
            outputs = self.writers.commit(owned_days(self.task.source))
            quarantine = self.quarantine.commit()
        except BaseException:
            self.writers.abort()
            self.quarantine.abort()
            raise
        r = self.result
        r.rows_read = self.rows_read
        r.rows_written = sum(self.writers.rows_by_day.values())
        r.rows_rejected = sum(self.rejects.values())
        r.rejects = dict(sorted(self.rejects.items()))
        r.unit_mixed = self.unit_mixed
        r.ts_first, r.ts_last = self.ts_first, self.ts_last
        r.outputs = [str(p.relative_to(self.catalog)) for p in outputs]
        r.quarantine = str(quarantine.relative_to(self.catalog)) if quarantine else None
        r.mode = f"{'validated' if self.validated else 'typed'}/{'in-memory' if self.in_memory else 'streaming'}"

    def _reject(self, lines: np.ndarray, reason: str, texts: list[str]) -> None:
        if len(lines) == 0:
            return
        if self.task.strict:
            raise StrictRejection(f"{self.task.source.path}: line {int(lines[0])}: rejected ({reason}): {texts[0][:200]}")
        self.rejects[reason] += len(lines)
        self.examples.setdefault(reason, (int(lines[0]), texts[0]))
        self.quarantine.add(lines, reason, texts)

    def _check_mass_rejection(self) -> None:
        reason = mass_rejection_reason(self.rejects, self.rows_read, self.task.max_reject_share)
        if reason is not None:
            raise MassRejection(
                diagnose(self.task.source, self.task.spec, reason, self.rejects[reason], self.rows_read, self.examples[reason], self.converter.price_columns, self.converter.size_columns)
            )

    def _whole_file(self, blocks) -> Block:
        # Ordinals travel with the rows through the sort, so rejects still name their lines.
        batches = []
        for block in blocks:
            check_interrupt()
            self.rows_read += block.batch.num_rows + sum(len(r.lines) for r in block.rejects)
            for r in block.rejects:
                self._reject(r.lines, r.reason, r.texts)
            batch = block.batch
            if batch.num_rows == 0:
                continue
            if ORDINAL_COLUMN not in batch.schema.names:
                batch = batch.append_column(ORDINAL_COLUMN, pa.array(block.ordinals))
            batches.append(batch)
        if not batches:
            return Block(pa.RecordBatch.from_pylist([]), 0, [])
        table = pa.Table.from_batches(batches).combine_chunks()
        return Block(batch=table.to_batches(max_chunksize=table.num_rows)[0] if table.num_rows else pa.RecordBatch.from_pylist([], schema=table.schema), first_ordinal=0, rejects=[])

    def _process(self, block: Block, *, presorted: bool) -> None:
        if not self.in_memory:
            self.rows_read += block.batch.num_rows + sum(len(r.lines) for r in block.rejects)
            for r in block.rejects:
                self._reject(r.lines, r.reason, r.texts)
        batch = block.batch
        if batch.num_rows == 0:
            return
        ordinals = block.ordinals
        prepared = self.converter.prepare(batch)
        self.unit_mixed += prepared.unit_mixed
        reasons = prepared.reasons
        if self.in_memory:
            order = self._sort_and_flag_duplicates(prepared, reasons)
            batch, ordinals = batch.take(pa.array(order)), ordinals[order]
            prepared = prepared.take(order)
            reasons = prepared.reasons
        else:
            self._check_order_and_flag_duplicates(prepared, reasons)
        lo, hi = self.bounds
        outside = (prepared.ts_init < lo) | (prepared.ts_init > hi)
        reasons[outside & (reasons == "")] = "outside_file_period"
        bad = reasons != ""
        if bad.any():
            lines = self.line_map.lines(ordinals[bad])
            texts = row_texts(batch, bad)
            bad_reasons = reasons[bad]
            for reason in dict.fromkeys(bad_reasons):
                sel = bad_reasons == reason
                self._reject(lines[sel], reason, [t for t, s in zip(texts, sel, strict=True) if s])
            keep = ~bad
            batch = batch.filter(pa.array(keep))
            prepared = prepared.take(np.flatnonzero(keep))
        if batch.num_rows == 0:
            return
        table = self.converter.table(batch, prepared)
        self.writers.write(table, prepared.ts_init)
        first, last = int(prepared.ts_init[0]), int(prepared.ts_init[-1])
        self.ts_first = first if self.ts_first is None else min(self.ts_first, first)
        self.ts_last = last if self.ts_last is None else max(self.ts_last, last)

    def _check_order_and_flag_duplicates(self, prepared: Prepared, reasons: np.ndarray) -> None:
        ok = np.flatnonzero(reasons == "")
        if ok.size == 0:
            return
        keys = prepared.key[ok]
        ts = prepared.ts_init[ok]
        prev_keys = np.concatenate(([keys[0] - 1 if self.last_key is None else self.last_key], keys[:-1]))
        prev_ts = np.concatenate(([ts[0] if self.last_ts is None else self.last_ts], ts[:-1]))
        duplicate = keys == prev_keys
        if ((keys < prev_keys) | (ts < prev_ts)).any():
            raise Unsorted()
        reasons[ok[duplicate]] = "duplicate_key"
        self.last_key = int(keys[-1])
        self.last_ts = int(ts[-1])

    def _sort_and_flag_duplicates(self, prepared: Prepared, reasons: np.ndarray) -> np.ndarray:
        # First occurrence (in file order) of a key wins; later ones are duplicates.
        by_key = np.argsort(prepared.key, kind="stable")
        sorted_keys = prepared.key[by_key]
        repeat = np.zeros(len(by_key), dtype=bool)
        repeat[1:] = sorted_keys[1:] == sorted_keys[:-1]
        duplicate = by_key[repeat]
        reasons[duplicate[reasons[duplicate] == ""]] = "duplicate_key"
        return np.lexsort((prepared.key, prepared.ts_init))

