"""The destination folder: local verification, temporary ``.part`` files and atomic renames."""

import hashlib
import os
from pathlib import Path

from etl.archive import parse_checksum

_CHUNK = 1 << 20


def part_path(path: Path) -> Path:
    """Return the temporary file a download of `path` is written to before it is verified."""
    return path.with_name(path.name + ".part")


def sha256_file(path: Path) -> str:
    """Return the sha256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def local_checksum(checksum_file: Path, zip_name: str) -> str | None:
    """
    Return the sha256 a local ``.CHECKSUM`` promises for `zip_name`.

    Returns
    -------
    str | None
        None when the file is absent, unreadable, malformed or names another zip: any of which
        means the local pair cannot prove anything and must be checked against the archive.

    """
    try:
        sha256, name = parse_checksum(checksum_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return sha256 if name == zip_name else None


def verified_locally(zip_file: Path, checksum_file: Path) -> bool:
    """Return whether `zip_file` exists and matches the ``.CHECKSUM`` beside it."""
    expected = local_checksum(checksum_file, zip_file.name)
    return expected is not None and matches(zip_file, expected)


def matches(zip_file: Path, sha256: str) -> bool:
    """Return whether `zip_file` exists and has the given sha256."""
    return zip_file.is_file() and sha256_file(zip_file) == sha256


def commit(part: Path, path: Path) -> None:
    """Move a verified temporary file into place atomically (same folder, so one rename)."""
    os.replace(part, path)


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a ``.part`` file, so readers never see a half file."""
    part = part_path(path)
    try:
        with part.open("wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        commit(part, path)
    finally:
        discard(part)


def discard(*paths: Path) -> None:
    """Remove files if they exist."""
    for path in paths:
        path.unlink(missing_ok=True)
