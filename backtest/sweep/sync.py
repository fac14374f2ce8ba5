"""
Copy the slice of a remote catalog that a run needs into a local cache, once, and run there.

The pinned Nautilus cannot stream reliably from a remote filesystem, so a run whose
``[catalog] path`` is an fsspec URL (``s3://bucket/catalog``, ``gs://...``, ``file:///...``) runs
on a local copy of just what it reads:

- each instrument's definition (``data/<instrument class>/<instrument id>/``);
- for trades, quotes, bars and mark klines: the files whose time range meets the run's period
  (with its warm-up);
- for funding and metrics: those, and earlier files newest first until one holds a row (the
  replay publishes the latest row at or before the start, wherever it is).

The cache lives in ``<cache dir>/<catalog name>-<hash of the URL>/`` and is shared by every run
and worker on the machine: a file is downloaded again only when its remote size or timestamp
(or ETag) changed, local files of a synced folder that vanished remotely are removed (so a
consolidated remote folder never leaves overlapping days behind), and a lock file serialises
syncs of one catalog, so two workers syncing at once download each file once. Downloads go to a
temporary file and are renamed into place: a killed worker never leaves a partial file. The cache
folder must be on a local disk (``flock`` is not reliable over NFS).

"""

import fcntl
import hashlib
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import fsspec
import pyarrow.parquet as pq
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.instruments import Instrument

from backtest.config import CUSTOM_FAMILIES
from backtest.config import CatalogSection
from backtest.config import RunConfig
from backtest.fidelity.prepare import run_feature_sets
from backtest.node import CUSTOM_TYPES
from backtest.node import MARKET_TYPES
from catalog.derived import conflated_root
from catalog.derived import features_dir
from catalog.layout import MANIFEST
from catalog.layout import family_dir
from catalog.layout import file_bounds
from catalog.layout import relative_family_dir

CACHE_ENV = "BACKTEST_CATALOG_CACHE"
DEFAULT_CACHE = "~/.cache/binance-toxvol/catalogs"
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# Fields of an fsspec file listing that change when a file is rewritten, by backend.
_VERSION_FIELDS = ("ETag", "etag", "md5Hash", "generation", "mtime", "LastModified", "created")
# Slices this process has synced: a worker runs many tasks on the same data.
_synced: dict[tuple, Path] = {}


def is_remote(path: str) -> bool:
    """Return whether a catalog path is an fsspec URL (``scheme://...``) rather than a local path."""
    return bool(_URL.match(path))


def cache_root(configured: str | None = None) -> Path:
    """Return the cache folder: ``configured``, else ``$BACKTEST_CATALOG_CACHE``, else ``~/.cache``."""
    return Path(configured or os.environ.get(CACHE_ENV) or DEFAULT_CACHE).expanduser()


def cache_folder(url: str, cache: Path) -> Path:
    """Return the folder that caches the catalog at ``url``."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", url.rstrip("/").rsplit("/", 1)[-1]) or "catalog"
    return cache / f"{name}-{hashlib.sha256(url.encode()).hexdigest()[:12]}"


def _version(info: dict[str, Any]) -> str:
    fields = {key: info[key] for key in _VERSION_FIELDS if key in info}
    return json.dumps({"size": info.get("size"), **fields}, sort_keys=True, default=str)


def _listing(
    fs: fsspec.AbstractFileSystem, folder: str, suffixes: tuple[str, ...] = (".parquet",)
) -> dict[str, dict[str, Any]]:
    try:
        entries = fs.ls(folder, detail=True)
    except FileNotFoundError:
        return {}
    return {
        entry["name"].rstrip("/").rsplit("/", 1)[-1]: entry
        for entry in entries
        if entry["name"].endswith(suffixes)
    }


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class _Syncer:
    """Mirror files of one remote catalog into its cache folder (used under the cache lock)."""

    def __init__(self, url: str, folder: Path) -> None:
        self.fs, root = fsspec.core.url_to_fs(url)
        self.root = root.rstrip("/")
        self.local = folder / "catalog"
        self.tmp = folder / "tmp"
        self.manifest_path = folder / "manifest.json"
        self.manifest: dict[str, str] = (
            json.loads(self.manifest_path.read_text()) if self.manifest_path.exists() else {}
        )
        self.downloaded = 0

    def source(
        self, relative: str, suffixes: tuple[str, ...] = (".parquet",)
    ) -> dict[str, dict[str, Any]]:
        """Return a remote folder's files (by suffix), and drop local ones it no longer has."""
        remote = _listing(self.fs, f"{self.root}/{relative}", suffixes)
        folder = self.local / relative
        if folder.is_dir():
            for stale in (p for p in folder.iterdir() if p.name.endswith(suffixes)):
                if stale.name not in remote:
                    stale.unlink()
                    self.manifest.pop(f"{relative}/{stale.name}", None)
        return remote

    def fetch(self, relative: str, name: str, info: dict[str, Any]) -> Path:
        """Download one file unless the cached copy is of the same version; return its path."""
        key = f"{relative}/{name}"
        target = self.local / relative / name
        version = _version(info)
        if target.exists() and self.manifest.get(key) == version:
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        partial = self.tmp / f"{os.getpid()}-{name}"
        self.fs.get_file(info["name"], str(partial))
        size = partial.stat().st_size
        if info.get("size") is not None and size != info["size"]:
            partial.unlink()
            raise OSError(f"{info['name']}: downloaded {size} bytes, expected {info['size']}")
        os.replace(partial, target)
        self.manifest[key] = version
        self.downloaded += 1
        return target

    def save(self) -> None:
        """Write the manifest atomically."""
        partial = self.manifest_path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(self.manifest, indent=1, sort_keys=True))
        os.replace(partial, self.manifest_path)


def _data_sources(config: RunConfig) -> list[tuple[str, str]]:
    # (family, folder relative to the catalog root) for every family and instrument of the run
    types = {**MARKET_TYPES, **CUSTOM_TYPES}
    sources = []
    for instrument_id, bar_type, mark_type in zip(
        config.data.instruments,
        config.data.bar_types(),
        config.data.mark_bar_types(),
        strict=True,
    ):
        for family in config.data.families:
            identifier = {"bars": bar_type, "mark": mark_type}.get(family, instrument_id)
            folder = relative_family_dir(types[family], identifier)
            sources.append((family, folder))
    return sources


def _sync_instruments(syncer: _Syncer, instrument_ids: list[str]) -> None:
    folders = {relative_family_dir(cls, "x").split("/")[1]: cls for cls in Instrument.__subclasses__()}
    present = {
        path.rstrip("/").rsplit("/", 1)[-1]
        for path in syncer.fs.ls(f"{syncer.root}/data", detail=False)
    }
    for instrument_id in instrument_ids:
        for name in sorted(set(folders) & present):
            relative = relative_family_dir(folders[name], instrument_id)
            for file, info in syncer.source(relative).items():
                syncer.fetch(relative, file, info)


def _sync_family(syncer: _Syncer, family: str, relative: str, start: int, end: int) -> None:
    files = syncer.source(relative)
    spans = {name: file_bounds(name) for name in files}
    spans = {name: span for name, span in spans.items() if span is not None}
    for name, (lo, hi) in spans.items():
        if lo <= end and hi >= start:
            syncer.fetch(relative, name, files[name])
    if family in CUSTOM_FAMILIES:
        earlier = sorted((n for n, s in spans.items() if s[1] < start), key=spans.get)
        for name in reversed(earlier):
            if pq.ParquetFile(syncer.fetch(relative, name, files[name])).metadata.num_rows > 0:
                break


def _sync_derived(syncer: _Syncer, config: RunConfig) -> None:
    # A features-fidelity run also reads the catalog's derived data (prepared once, e.g. by
    # ``run_backtest.py --prepare`` on the shared catalog) and the ingest manifest its
    # fingerprints come from: with both, the node validates instead of rebuilding.
    folder, name = MANIFEST.rsplit("/", 1)
    manifest = syncer.source(folder, (".json",))
    if name in manifest:
        syncer.fetch(folder, name, manifest[name])
    for feature_set in run_feature_sets(config):
        folder = features_dir(
            Path("."), feature_set.instrument_id, feature_set.key, config.period.stream_start_ns
        )
        relative = folder.as_posix()
        for name, info in syncer.source(relative, (".parquet", ".npz")).items():
            syncer.fetch(relative, name, info)
    interval = config.data.conflation_ms
    if interval:
        for instrument_id in config.data.instruments:
            folder = family_dir(conflated_root(Path("."), interval), QuoteTick, instrument_id)
            relative = folder.as_posix()
            _sync_family(
                syncer, "quotes", relative, config.period.stream_start_ns, config.period.end_ns
            )


def sync_catalog_slice(config: RunConfig, cache: Path) -> Path:
    """
    Copy what ``config`` reads from its remote catalog into the local cache; return the local root.

    Parameters
    ----------
    config : RunConfig
        A run whose ``[catalog] path`` is an fsspec URL.
    cache : Path
        The cache folder (``cache_root()``).

    Returns
    -------
    Path
        A local catalog holding the run's slice (and whatever earlier runs synced into it).

    """
    url = config.catalog.path
    data = config.data
    key = (url, tuple(data.instruments), tuple(data.families), data.bar_spec, str(config.period))
    key += (data.fidelity, data.conflation_ms, config.strategy.model_dump_json())
    if key not in _synced:
        folder = cache_folder(url, cache)
        with _locked(folder / ".lock"):
            syncer = _Syncer(url, folder)
            try:
                _sync_instruments(syncer, data.instruments)
                for family, relative in _data_sources(config):
                    _sync_family(
                        syncer, family, relative, config.period.stream_start_ns, config.period.end_ns
                    )
                if data.fidelity == "features":
                    _sync_derived(syncer, config)
            finally:
                syncer.save()
        _synced[key] = syncer.local
    return _synced[key]


def localize(config: RunConfig, cache: Path, workdir: Path) -> RunConfig:
    """
    Return ``config`` reading a local catalog: a remote one's synced slice, a relative path resolved.

    Parameters
    ----------
    config : RunConfig
        The run.
    cache : Path
        The cache folder for remote catalogs.
    workdir : Path
        The folder a relative catalog path is relative to (the sweep driver's working directory).

    Returns
    -------
    RunConfig
        The same run with ``[catalog] path`` local and absolute (its ``config_hash`` changes with
        the path: keep the original's for the run's identity).

    """
    path = config.catalog.path
    if is_remote(path):
        local = sync_catalog_slice(config, cache)
    else:
        local = (workdir / Path(path).expanduser()).resolve()
    return config.model_copy(update={"catalog": CatalogSection(path=str(local))})
