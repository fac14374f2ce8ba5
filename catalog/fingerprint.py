"""
Content identities of catalog files, so derived data can tell when its sources changed.

A catalog file written by the ETL is identified by the sha256 of the raw source file(s) it came
from, as the ingest manifest (``_etl/manifest.json``) records them, plus its own size: re-ingesting
a day from other bytes changes the identity, and checking it costs one read of the manifest rather
than hashing gigabytes of Parquet. A file the manifest does not know (a catalog written by other
tools) is identified by the sha256 of its own bytes.

Identities do not depend on paths outside the catalog or on modification times, so a catalog
copied to another machine (a sweep's node-local cache) keeps its derived data valid.
"""

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from catalog.layout import manifest_path


def _file_sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class Fingerprints:
    """
    Identify catalog files by the sources they were ingested from.

    Parameters
    ----------
    root : Path
        The catalog folder.

    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._sources: dict[str, list[str]] = {}
        manifest = manifest_path(self.root)
        if manifest.is_file():
            for entry in json.loads(manifest.read_text()).get("files", {}).values():
                for output in entry.get("outputs") or ():
                    self._sources.setdefault(output, []).append(entry["sha256"])

    def identity(self, path: Path) -> str:
        """
        Return the identity of one catalog file.

        Parameters
        ----------
        path : Path
            A file inside the catalog.

        Returns
        -------
        str

        """
        relative = Path(path).resolve().relative_to(self.root.resolve()).as_posix()
        size = Path(path).stat().st_size
        sources = self._sources.get(relative)
        if sources:
            return f"{relative}|{size}|" + ",".join(sorted(sources))
        return f"{relative}|{size}|sha256:{_file_sha256(Path(path))}"

    def combine(self, parent: str, paths: Iterable[Path]) -> str:
        """
        Return the digest of ``parent`` followed by the identities of ``paths``.

        Chained day by day, it identifies everything a stateful derivation has read so far.

        Parameters
        ----------
        parent : str
            The previous digest (or a root key).
        paths : Iterable[Path]
            The files read next.

        Returns
        -------
        str

        """
        digest = hashlib.sha256(parent.encode())
        for path in paths:
            digest.update(b"\0" + self.identity(path).encode())
        return digest.hexdigest()
