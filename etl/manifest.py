"""The catalog's ingest manifest: one entry per source file, saved atomically after each file."""

import fcntl
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from catalog.atomic import atomic_write_bytes
from catalog.layout import ETL_DIR
from catalog.layout import manifest_path as catalog_manifest_path

MANIFEST_VERSION = 1
SKIPPABLE_STATUSES = frozenset({"ok", "empty"})


def manifest_path(catalog: Path) -> Path:
    """Return the manifest file of a catalog."""
    return catalog_manifest_path(catalog)


class Manifest:
    """
    What has been ingested into a catalog, keyed by source identity.

    Entries hold the source path, size, sha256, rows read/written/rejected (with reasons), the
    time range and the catalog files written.
    """

    def __init__(self, catalog: Path) -> None:
        self.catalog = Path(catalog)
        self.path = manifest_path(self.catalog)
        self.entries: dict[str, dict] = {}
        if self.path.exists():
            data = json.loads(self.path.read_text())
            if data.get("version") != MANIFEST_VERSION:
                raise ValueError(f"{self.path}: unsupported manifest version {data.get('version')!r}")
            self.entries = data["files"]

    def is_current(self, key: str, sha256: str, rules: str | None = None) -> bool:
        """
        Return whether `key` was ingested from exactly these bytes and its outputs still exist.

        With `rules` (the instrument's rules fingerprint), also whether it was validated against
        the same rules: a dated rule added later re-ingests the files it could change.
        """
        entry = self.entries.get(key)
        if entry is None or entry["sha256"] != sha256 or entry["status"] not in SKIPPABLE_STATUSES:
            return False
        if rules is not None and entry.get("rules", "") != rules:
            return False
        return all((self.catalog / output).exists() for output in entry["outputs"])

    def record(self, entry: dict) -> None:
        """Add or replace one entry and save the manifest atomically."""
        self.entries[entry["key"]] = entry
        self.save()

    def save(self) -> None:
        """Write the manifest atomically (sorted, so that an unchanged manifest is byte-identical)."""
        payload = {"version": MANIFEST_VERSION, "files": dict(sorted(self.entries.items()))}
        atomic_write_bytes(self.path, (json.dumps(payload, indent=1, sort_keys=True) + "\n").encode())


class CatalogBusy(RuntimeError):
    """Another process holds the catalog's writer lock."""


@contextmanager
def catalog_lock(catalog: Path) -> Iterator[None]:
    """
    Hold the catalog's writer lock: two ingests into one catalog at once would race.

    Raises
    ------
    CatalogBusy
        If another process holds the lock.

    """
    lock_path = Path(catalog) / ETL_DIR / ".lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CatalogBusy(f"another ingest is writing to {catalog} (lock {lock_path})") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
