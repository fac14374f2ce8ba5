"""
Archive file writers: plain CSV, or a single-member ZIP plus its ``.CHECKSUM``, as Binance ships.

Writes are atomic (temp file, then rename) and ZIP entries carry a fixed timestamp derived from
the file's period, so the same content always gives the same bytes. Text formatting, compression
and disk writes run on one background thread (Arrow compute, zlib and file I/O release the GIL),
overlapping the simulation of the next day.
"""

import hashlib
import io
import os
import threading
import time
import zipfile
from collections.abc import Callable
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time as day_time
from datetime import timedelta
from pathlib import Path
from pathlib import PurePosixPath
from typing import BinaryIO

import pyarrow as pa

from etl.archive import checksum_line
from etl.synth.rowtext import CsvRows
from etl.synth.textfmt import csv_chunks

# Binance publishes a day's files some hours after the day ends; any fixed offset will do, it
# only has to be the same on every run.
_PUBLISH_DELAY = timedelta(hours=6, minutes=26, seconds=56)
_UNIX_FILE_MODE = 0o100644 << 16
# Queued jobs (file parts); each holds its part's numbers until formatted, so this bounds memory.
_MAX_PENDING = 6
_COPY_BYTES = 16 << 20
_FORMAT_THREADS = 2


@dataclass(frozen=True)
class WrittenFile:
    """
    One archive file on disk.

    Parameters
    ----------
    path : PurePosixPath
        Path relative to the output root (the ZIP's, when zipped).
    key : str
        Report key (the family, with spot files told apart).
    rows : int
        Data rows.
    size : int
        Bytes on disk (of the ZIP, when zipped).
    format_seconds : float
        CPU time spent turning the numbers into CSV text.
    write_seconds : float
        CPU time spent compressing (when zipped), hashing and writing.

    """

    path: PurePosixPath
    key: str
    rows: int
    size: int
    format_seconds: float
    write_seconds: float


@dataclass
class _OpenFile:
    """One file being written part by part on the writer thread (see `ArchiveWriter.open`)."""

    key: str
    csv_path: PurePosixPath
    header: tuple[str, ...] | None
    period_end: date
    tmp: Path
    handle: BinaryIO | None = None
    rows: int = 0
    format_seconds: float = 0.0
    write_seconds: float = 0.0


@dataclass(frozen=True)
class _Text:
    """One formatted part: its bytes, rows and the CPU seconds formatting took."""

    chunks: Sequence[memoryview | bytes]
    rows: int
    seconds: float


def _format(make: Callable[..., list[pa.StringArray] | CsvRows], args: tuple[object, ...], header: tuple[str, ...] | None) -> _Text:
    # Thread CPU time, not wall time: on a shared machine it measures our work, not the load.
    t0 = time.thread_time()
    text = make(*args)
    if isinstance(text, CsvRows):
        chunks, rows = [*csv_chunks([pa.array([], pa.string())], header), text.data], text.rows
    else:
        chunks, rows = csv_chunks(text, header), len(text[0])
    return _Text(chunks, rows, time.thread_time() - t0)


def zip_timestamp(period_end: date) -> tuple[int, int, int, int, int, int]:
    """Return the fixed ZIP entry time for a file whose period ends before `period_end`."""
    t = datetime.combine(period_end, day_time()) + _PUBLISH_DELAY
    return (t.year, t.month, t.day, t.hour, t.minute, t.second)


def zip_bytes(member: str, chunks: Sequence[memoryview], date_time: tuple[int, ...], level: int) -> bytes:
    """
    Return a deterministic single-member ZIP archive of `chunks`.

    Parameters
    ----------
    member : str
        Member file name (the CSV name, without folders, as in the archive).
    chunks : Sequence[memoryview]
        The member's bytes in order.
    date_time : tuple[int, ...]
        Fixed entry timestamp (year, month, day, hour, minute, second).
    level : int
        zlib compression level.

    """
    info = zipfile.ZipInfo(member, date_time=date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = _UNIX_FILE_MODE
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(info, b"".join(chunks), compresslevel=level)
    return buf.getvalue()


def zip_file(member: str, source: Path, dest: Path, date_time: tuple[int, ...], level: int) -> None:
    """
    Write a deterministic single-member ZIP of the file `source` to `dest`, streaming.

    The same bytes as `zip_bytes` of the file's content: the member's size is known before its
    header is written (so ZIP64 is chosen as for an in-memory member) and deflate's output does not
    depend on how its input is cut.
    """
    info = zipfile.ZipInfo(member, date_time=date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = _UNIX_FILE_MODE
    info.file_size = source.stat().st_size
    info._compresslevel = level  # what ZipFile.writestr(..., compresslevel=level) sets
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as zf, open(source, "rb") as f:
        with zf.open(info, "w") as out:
            while chunk := f.read(_COPY_BYTES):
                out.write(chunk)


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of a file, read in bounded chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_COPY_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def write_atomic(path: Path, chunks: Sequence[memoryview | bytes]) -> int:
    """Write `chunks` to `path` through a temp file and a rename; return the byte count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    size = 0
    with open(tmp, "wb") as f:
        for chunk in chunks:
            size += f.write(chunk)
    os.replace(tmp, path)
    return size


class ArchiveWriter:
    """
    Write archive files under one root, as CSV or ZIP + CHECKSUM, in the background.

    Parameters
    ----------
    root : Path
        Output root; files go to their archive-relative paths below it.
    zipped : bool
        Write ``<name>.zip`` and ``<name>.zip.CHECKSUM`` instead of ``<name>.csv``.
    level : int
        zlib level for ZIP members.

    """

    def __init__(self, root: Path, zipped: bool, level: int) -> None:
        self.root = Path(root)
        self.zipped = zipped
        self.level = level
        self.files: list[WrittenFile] = []
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="synth-writer")
        # Parts are formatted on their own threads (Arrow kernels and the row writer release the
        # GIL) and appended in order by the writer thread: while the simulation waits for a
        # day's parts to drain, both cores format.
        self._formatters = ThreadPoolExecutor(max_workers=_FORMAT_THREADS, thread_name_prefix="synth-format")
        self._pending: list[Future[WrittenFile | None]] = []
        self._slots = threading.BoundedSemaphore(_MAX_PENDING)

    def submit(
        self,
        key: str,
        csv_path: PurePosixPath,
        header: tuple[str, ...] | None,
        period_end: date,
        make: Callable[..., list[pa.StringArray]],
        *args: object,
    ) -> None:
        """
        Queue one file: its text columns are ``make(*args)``, formatted on the writer thread.

        Parameters
        ----------
        key : str
            Report key.
        csv_path : PurePosixPath
            Archive-relative path of the CSV (``.../BTCUSDT-aggTrades-2024-01-01.csv``).
        header : tuple[str, ...] | None
            Header row, or None (spot files have none).
        period_end : date
            First day after the file's period (fixes the ZIP entry time).
        make : Callable[..., list[pa.StringArray]]
            Returns the file's text columns.
        *args : object
            Arguments of `make` (numpy arrays are not copied: callers must not mutate them).

        """
        stream = self.open(key, csv_path, header, period_end)
        stream.write(make, *args)
        stream.close()

    def open(self, key: str, csv_path: PurePosixPath, header: tuple[str, ...] | None, period_end: date) -> "FileParts":
        """Return a file to queue part by part (arguments as in `submit`); close it to finish it."""
        return FileParts(self, _OpenFile(key, csv_path, header, period_end, self.root / f"{csv_path}.part"))

    def _queue(self, job: Callable[..., object], *args: object, slot_taken: bool = False) -> None:
        if not slot_taken:
            self._slots.acquire()
        future = self._pool.submit(job, *args)
        future.add_done_callback(lambda _: self._slots.release())
        self._pending.append(future)

    def _write_part(self, file: _OpenFile, formatted: "Future[_Text]") -> None:
        text = formatted.result()
        t0 = time.thread_time()
        self._append(file, text.chunks)
        file.rows += text.rows
        file.format_seconds += text.seconds
        file.write_seconds += time.thread_time() - t0

    def _append(self, file: _OpenFile, chunks: Sequence[memoryview | bytes]) -> None:
        if file.handle is None:
            file.tmp.parent.mkdir(parents=True, exist_ok=True)
            file.handle = open(file.tmp, "wb")
        for chunk in chunks:
            file.handle.write(chunk)

    def _finish(self, file: _OpenFile) -> WrittenFile:
        t0 = time.thread_time()
        if file.handle is None:
            # A file without a part is its header alone.
            self._append(file, csv_chunks([pa.array([], pa.string())], file.header))
        file.handle.close()
        if self.zipped:
            path = file.csv_path.with_suffix(".zip")
            target = self.root / path
            tmp = target.with_name(target.name + ".tmp")
            zip_file(file.csv_path.name, file.tmp, tmp, zip_timestamp(file.period_end), self.level)
            line = checksum_line(sha256_file(tmp), path.name)
            os.replace(tmp, target)
            write_atomic(self.root / f"{path}.CHECKSUM", [line.encode()])
            file.tmp.unlink()
        else:
            path = file.csv_path
            target = self.root / path
            os.replace(file.tmp, target)
        size = target.stat().st_size
        seconds = file.write_seconds + time.thread_time() - t0
        return WrittenFile(path, file.key, file.rows, size, file.format_seconds, seconds)

    def wait(self) -> list[WrittenFile]:
        """Wait for every queued job, raise the first write error, and return all files so far."""
        pending, self._pending = self._pending, []
        results = [f.result() for f in pending]
        self.files.extend(r for r in results if isinstance(r, WrittenFile))
        return self.files

    def close(self) -> None:
        """Finish the queued writes and stop the background thread."""
        try:
            self.wait()
        finally:
            self._pool.shutdown(wait=True)
            self._formatters.shutdown(wait=True)

    def __enter__(self) -> "ArchiveWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class FileParts:
    """
    One archive file queued part by part: rows in order, formatted and appended on the writer thread.

    Parts go to ``<name>.csv.part``; `close` renames it into place, or zips it (member size known,
    so the ZIP bytes are those of an in-memory file) and writes the ``.CHECKSUM``.
    """

    def __init__(self, writer: ArchiveWriter, file: _OpenFile) -> None:
        self._writer = writer
        self._file = file
        self._header = file.header

    def write(self, make: Callable[..., list[pa.StringArray] | CsvRows], *args: object) -> None:
        """Queue the next rows: text columns or lines ``make(*args)`` (arrays are not copied)."""
        header, self._header = self._header, None
        # The slot is taken before formatting starts: queued parts bound the memory.
        self._writer._slots.acquire()
        formatted = self._writer._formatters.submit(_format, make, args, header)
        self._writer._queue(self._writer._write_part, self._file, formatted, slot_taken=True)

    def close(self) -> None:
        """Queue the file's completion."""
        self._writer._queue(self._writer._finish, self._file)
