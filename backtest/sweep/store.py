"""
The sweep's results table: ``<output dir>/<sweep name>/runs.parquet``, one row per run.

A row holds the run's identity (``run_id``, the hash of its resolved config, and ``label``), where
it sits in the sweep (base, ablation, period, seed, one column per grid key, the overrides as
JSON), how it went (``status`` ``ok`` or ``failed``, ``error``, ``traceback``, ``task_secs``,
``worker``, ``worker_peak_rss_mb``, ``finished_at``) and every statistic of its ``stats.json``.

Each completed run's return series (``ts``, ``ret`` at the ``[stats]`` frequency) is kept beside
the table in ``returns/<run id>.parquet``, written once when its row arrives (``load_returns``
reads them back): the paired bootstrap of the summary needs whole series, which would make the
table, rewritten after every run, heavy.

Writes are atomic: the whole table is written to a temporary file and renamed over the old one,
after each finished run (at most once a second; always when the sweep ends or is interrupted), so
the file on disk is always a complete table, whatever kills the process. A lock file keeps two
sweep processes from writing one store at once.

"""

import fcntl
import json
import numbers
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from backtest.sweep.task import OK
from backtest.sweep.task import RETURNS_KEY

TABLE = "runs.parquet"
RETURNS_FOLDER = "returns"
KEY = ["run_id", "label"]


class StoreBusy(RuntimeError):
    """Another process is writing this sweep's results."""


def _kind(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, numbers.Integral):
        return "int"
    if isinstance(value, numbers.Real):
        return "float"
    return "str" if isinstance(value, str) else "other"


def _missing(value: Any) -> bool:
    # pd.isna is elementwise on lists, which a grid column may hold.
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _arrow_safe(frame: pd.DataFrame) -> pd.DataFrame:
    # Parquet needs one type per column: whole-number columns become nullable integers (a failed
    # run's row has no stats), and a column of lists or of mixed kinds (a grid over values of
    # several types) becomes JSON text.
    frame = frame.copy()
    for column in frame.columns:
        kinds = {_kind(v) for v in frame[column] if not _missing(v)}
        if kinds == {"int"}:
            frame[column] = frame[column].astype("Int64")
        elif kinds == {"int", "float"}:
            frame[column] = frame[column].astype(float)
        elif len(kinds) > 1 or kinds == {"other"}:
            frame[column] = frame[column].map(
                lambda v: None if _missing(v) else json.dumps(v, default=str)
            )
    return frame.infer_objects()


class RunStore:
    """
    A sweep's results table, resumable and written atomically.

    Use it as a context manager: entering takes the lock and reads the table, leaving writes what
    is pending and releases the lock.

    Parameters
    ----------
    folder : Path
        The sweep's results folder.
    min_flush_secs : float, default 1.0
        The least time between two writes while runs keep finishing.

    """

    def __init__(self, folder: Path, min_flush_secs: float = 1.0) -> None:
        self.folder = Path(folder)
        self.path = self.folder / TABLE
        self.min_flush_secs = min_flush_secs
        self._rows: list[dict[str, Any]] = []
        self._pending: list[dict[str, Any]] = []
        self._last_flush = 0.0
        self._lock = None

    def __enter__(self) -> "RunStore":
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.folder / ".lock", "a")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise StoreBusy(f"another sweep process is writing {self.folder}") from None
        for leftover in self.folder.glob(f".{TABLE}.*.tmp"):
            leftover.unlink()  # a write interrupted before its rename
        for leftover in (self.folder / RETURNS_FOLDER).glob(".*.tmp"):
            leftover.unlink()
        if self.path.exists():
            self._rows = pd.read_parquet(self.path).to_dict("records")
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.flush()
        finally:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()

    def rows(self) -> list[dict[str, Any]]:
        """Return every row, written or pending, the latest per (run id, label)."""
        latest = {(row["run_id"], row["label"]): row for row in self._rows + self._pending}
        return list(latest.values())

    def finished(self) -> dict[str, dict[str, Any]]:
        """Return a completed row of each run id that has one."""
        return {row["run_id"]: row for row in self.rows() if row.get("status") == OK}

    def frame(self) -> pd.DataFrame:
        """Return the table as it would be written now."""
        # object columns keep each value's Python type: 3 stays an int beside a missing value
        return _arrow_safe(pd.DataFrame(self.rows(), dtype=object))

    def add(self, rows: list[dict[str, Any]]) -> None:
        """
        Add rows (a row with the key of an existing one replaces it) and write when due.

        A row's return series (under ``RETURNS_KEY``) is written to its own file at once and left
        out of the table.
        """
        series = {}
        for row in rows:
            value = row.get(RETURNS_KEY)
            if value is not None:
                series[row["run_id"]] = value
        for run_id, frame in series.items():
            write_returns(self.folder, run_id, frame)
        self._pending += [{k: v for k, v in row.items() if k != RETURNS_KEY} for row in rows]
        if time.monotonic() - self._last_flush >= self.min_flush_secs:
            self.flush()

    def flush(self) -> None:
        """Write the table atomically, if anything is pending."""
        if not self._pending:
            return
        frame = self.frame()
        partial = self.folder / f".{TABLE}.{os.getpid()}.tmp"
        frame.to_parquet(partial, index=False)
        os.replace(partial, self.path)
        self._rows = self.rows()
        self._pending = []
        self._last_flush = time.monotonic()


def returns_path(folder: Path, run_id: str) -> Path:
    """Return the file that holds a run's return series."""
    return Path(folder) / RETURNS_FOLDER / f"{run_id}.parquet"


def write_returns(folder: Path, run_id: str, frame: pd.DataFrame) -> Path:
    """Write a run's returns (``ts``, ``ret``) atomically and return the file's path."""
    path = returns_path(folder, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame[["ts", "ret"]].to_parquet(partial, index=False)
    os.replace(partial, path)
    return path


def load_returns(folder: Path, run_ids: list[str]) -> dict[str, pd.DataFrame]:
    """
    Return the stored return series of the given runs, by run id.

    Parameters
    ----------
    folder : Path
        The sweep's results folder.
    run_ids : list[str]
        The runs wanted.

    Returns
    -------
    dict[str, pd.DataFrame]
        ``ts`` (each interval's end, ns) and ``ret``; runs without a file (failed, or stored by a
        version that kept none) are left out.

    """
    found = {}
    for run_id in dict.fromkeys(run_ids):
        path = returns_path(folder, run_id)
        if path.exists():
            found[run_id] = pd.read_parquet(path)
    return found
