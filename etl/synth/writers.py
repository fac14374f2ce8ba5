"""
Archive file writers: plain CSV, or a single-member ZIP plus its ``.CHECKSUM``, as Binance ships.

Writes are atomic (temp file, then rename) and ZIP entries carry a fixed timestamp derived from
the file's period, so the same content always gives the same bytes. Text formatting, compression
and disk writes run on one background thread (Arrow compute, zlib and file I/O release the GIL),
overlapping the simulation of the next day.
"""

import datetime as dt
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
from pathlib import Path
from pathlib import PurePosixPath

import pyarrow as pa

from etl.archive import checksum_line
from etl.synth.textfmt import csv_chunks

# Binance publishes a day's files some hours after the day ends; any fixed offset will do, it
# only has to be the same on every run.
_PUBLISH_DELAY = dt.timedelta(hours=6, minutes=26, seconds=56)
_UNIX_FILE_MODE = 0o100644 << 16
_MAX_PENDING = 6


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


@dataclass(frozen=True)
class _Job:
    """One queued file (see `ArchiveWriter.submit`)."""

    key: str
    csv_path: PurePosixPath
    header: tuple[str, ...] | None
    period_end: dt.date
    make: Callable[..., list[pa.StringArray]]
    args: tuple[object, ...]


def zip_timestamp(period_end: dt.date) -> tuple[int, int, int, int, int, int]:
    """Return the fixed ZIP entry time for a file whose period ends before `period_end`."""
    t = dt.datetime.combine(period_end, dt.time()) + _PUBLISH_DELAY
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
        self._pending: list[Future[WrittenFile]] = []
        self._slots = threading.BoundedSemaphore(_MAX_PENDING)

    def submit(
        self,
        key: str,
        csv_path: PurePosixPath,
        header: tuple[str, ...] | None,
        period_end: dt.date,
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
        period_end : dt.date
            First day after the file's period (fixes the ZIP entry time).
        make : Callable[..., list[pa.StringArray]]
            Returns the file's text columns.
        *args : object
            Arguments of `make` (numpy arrays are not copied: callers must not mutate them).

        """
        job = _Job(key, csv_path, header, period_end, make, args)
        self._slots.acquire()
        future = self._pool.submit(self._write, job)
        future.add_done_callback(lambda _: self._slots.release())
        self._pending.append(future)

    def _write(self, job: "_Job") -> WrittenFile:
        # Thread CPU time, not wall time: on a shared machine it measures our work, not the load.
        t0 = time.thread_time()
        columns = job.make(*job.args)
        chunks = csv_chunks(columns, job.header)
        t1 = time.thread_time()
        if self.zipped:
            path = job.csv_path.with_suffix(".zip")
            data = zip_bytes(job.csv_path.name, chunks, zip_timestamp(job.period_end), self.level)
            line = checksum_line(hashlib.sha256(data).hexdigest(), path.name)
            size = write_atomic(self.root / path, [data])
            write_atomic(self.root / f"{path}.CHECKSUM", [line.encode()])
        else:
            path = job.csv_path
            size = write_atomic(self.root / path, chunks)
        return WrittenFile(path, job.key, len(columns[0]), size, t1 - t0, time.thread_time() - t1)

    def wait(self) -> list[WrittenFile]:
        """Wait for every queued file, raise the first write error, and return all files so far."""
        pending, self._pending = self._pending, []
        self.files.extend(f.result() for f in pending)
        return self.files

    def close(self) -> None:
        """Finish the queued writes and stop the background thread."""
        try:
            self.wait()
        finally:
            self._pool.shutdown(wait=True)

    def __enter__(self) -> "ArchiveWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
