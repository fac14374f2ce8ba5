"""Fixtures for downloader tests: a fake archive on disk, a local server for it, a CLI runner."""

import hashlib
import io
import itertools
import json
import zipfile
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from etl.__main__ import main
from etl.archive import FAMILIES
from etl.archive import FUTURES_UM
from etl.archive import SPOT
from etl.archive import checksum_line
from etl.download.plan import Target
from tests.download.archive_server import ArchiveServer

# Tests must never wait on real backoff: every CLI run in these tests uses this pause ceiling.
TINY_BACKOFF = "0.001"


class FakeArchive:
    """
    Write archive files into a folder the way Binance publishes them: a zip of one CSV, and a
    ``.CHECKSUM`` beside it, in the archive's folder layout.

    Parameters
    ----------
    root : pathlib.Path
        Folder the server serves below ``/data/``.

    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def publish(
        self,
        family: str,
        label: str,
        symbol: str = "BTCUSDT",
        market: str = FUTURES_UM,
        checksum: str = "good",
    ) -> Target:
        """
        Publish one file and return its target.

        Parameters
        ----------
        checksum : str
            ``good`` (matches), ``wrong`` (sha256 of other bytes), ``absent`` (no ``.CHECKSUM``),
            or ``only`` (a ``.CHECKSUM`` but no zip).

        """
        target = Target(market, family, symbol, label)
        data = real_format_zip(target)
        digest = hashlib.sha256(data if checksum != "wrong" else data + b"tampered").hexdigest()
        if checksum != "only":
            self.write(target.path, data)
        if checksum != "absent":
            self.write(target.checksum_path, checksum_line(digest, target.path.name).encode())
        return target

    def write(self, path: Any, data: bytes) -> None:
        """Write raw bytes at an archive-relative path."""
        file = self.root / str(path)
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(data)

    def read(self, path: Any) -> bytes:
        """Return the served bytes at an archive-relative path."""
        return (self.root / str(path)).read_bytes()


def real_format_zip(target: Target) -> bytes:
    """Return a zip of one small CSV with the family's real columns (spot files carry no header)."""
    columns = FAMILIES[target.family].columns(target.market)
    rows = [
        ",".join(str(1_704_067_200_000 + r * 1000 + c) for c in range(len(columns)))
        for r in range(3)
    ]
    lines = rows if target.market == SPOT else [",".join(columns), *rows]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        member = zipfile.ZipInfo(
            target.path.name.replace(".zip", ".csv"), date_time=(2024, 1, 1, 0, 0, 0)
        )
        archive.writestr(member, "\n".join(lines) + "\n")
    return buffer.getvalue()


@dataclass(frozen=True)
class DownloadRun:
    """What one ``python -m etl download`` run returned, printed and summarised."""

    code: int
    out: str
    err: str
    summary: dict[str, Any]

    def status_of(self, target: Target) -> str:
        """Return the status the JSON summary gives `target`."""
        (entry,) = [f for f in self.summary["files"] if f["path"] == str(target.path)]
        return entry["status"]


@pytest.fixture
def archive(tmp_path: Path) -> FakeArchive:
    """Return an empty fake archive; tests publish what they need."""
    return FakeArchive(tmp_path / "served")


@pytest.fixture
def server(archive: FakeArchive) -> Iterator[ArchiveServer]:
    """Serve the fake archive on 127.0.0.1 (ephemeral port) for the test's duration."""
    with ArchiveServer(archive.root, lifetime=120.0) as running:
        yield running


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    """Return the download destination root."""
    return tmp_path / "raw"


@pytest.fixture
def download(
    server: ArchiveServer, dest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> Callable[..., DownloadRun]:
    """Return a runner of the real CLI against the local server, with a tiny backoff."""
    runs = itertools.count()

    def run(*args: str) -> DownloadRun:
        json_path = tmp_path / f"summary-{next(runs)}.json"
        capsys.readouterr()
        code = main(
            [
                "download",
                "--base-url",
                server.base_url,
                "--dest",
                str(dest),
                "--backoff",
                TINY_BACKOFF,
                "--no-progress",
                "--json",
                str(json_path),
                *args,
            ]
        )
        captured = capsys.readouterr()
        return DownloadRun(code, captured.out, captured.err, json.loads(json_path.read_text()))

    return run
