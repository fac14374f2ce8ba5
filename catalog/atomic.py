"""
Atomic file writes into a catalog: a hidden temporary file, then a rename into place.

Every writer of the catalog (the ETL's day files, its manifest and reports, the derived data)
goes through here, so a killed process never leaves a partial file under a final name, and
every leftover temporary file matches ``.*.tmp`` (``remove_stale_temp_files``).
"""

import os
from collections.abc import Callable
from pathlib import Path

TMP_SUFFIX = ".tmp"


def temp_path(final: Path, token: str) -> Path:
    """Return the hidden temporary path a file is written to before its rename into ``final``."""
    return final.with_name(f".{final.name}.{token}{TMP_SUFFIX}")


def atomic_write(final: Path, write: Callable[[Path], None], token: str | None = None) -> None:
    """
    Call ``write(temporary_path)``, then rename the temporary file to ``final``.

    Parameters
    ----------
    final : Path
        The file to create or replace.
    write : Callable[[Path], None]
        Writes the complete file at the path it is given.
    token : str, optional
        Makes the temporary name unique to a writer (default: the process id).

    """
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(final, token or str(os.getpid()))
    try:
        write(tmp)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_bytes(final: Path, data: bytes, token: str | None = None) -> None:
    """Write ``data`` to ``final`` atomically, synced to disk before the rename."""

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    atomic_write(final, write, token)


def remove_stale_temp_files(root: Path) -> int:
    """Delete temporary files an interrupted run left under ``root``; return how many."""
    if not root.exists():
        return 0
    removed = 0
    for path in root.rglob(f".*{TMP_SUFFIX}"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed
