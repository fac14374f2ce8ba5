"""Retry policy, server hints, refused connections and cancellation, at the client and fetcher level."""

import random
import socket
import time
from pathlib import Path

import pytest

from etl.download.client import ArchiveClient
from etl.download.client import FetchFailed
from etl.download.client import RetryPolicy
from etl.download.fetch import Fetcher
from etl.download.plan import Target
from tests.download.archive_server import ArchiveServer
from tests.download.archive_server import Fault
from tests.download.conftest import FakeArchive


def test_backoff_doubles_per_retry_within_equal_jitter_bounds_and_respects_the_cap() -> None:
    # Arrange
    policy = RetryPolicy(retries=8, backoff=0.5, max_backoff=4.0)
    rng = random.Random(7)

    # Act
    delays = [[policy.delay(retry, rng) for _ in range(200)] for retry in range(1, 8)]

    # Assert
    ceilings = [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0]
    for ceiling, samples in zip(ceilings, delays, strict=True):
        assert all(ceiling / 2 <= d <= ceiling for d in samples)
        assert max(samples) - min(samples) > ceiling / 4, "jitter spreads the retries"


def test_retry_after_from_the_server_lengthens_the_pause_up_to_the_cap(
    archive: FakeArchive, server: ArchiveServer
) -> None:
    # Arrange
    target = archive.publish("metrics", "2024-01-01")
    server.inject(target.checksum_path, Fault(status=429, headers=(("Retry-After", "30"),)))
    client = ArchiveClient(server.base_url, RetryPolicy(retries=1, backoff=0.001, max_backoff=0.3))

    # Act
    started = time.monotonic()
    body = client.get_small(target.checksum_path)
    elapsed = time.monotonic() - started

    # Assert
    assert body == archive.read(target.checksum_path)
    assert 0.3 <= elapsed < 5.0


def test_refused_connection_is_retried_then_reported_as_failed(tmp_path: Path) -> None:
    # Arrange: a port that was free a moment ago, with nothing listening on it
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = ArchiveClient(f"http://127.0.0.1:{port}/data/", RetryPolicy(retries=2, backoff=0.001))
    target = Target("futures/um", "metrics", "BTCUSDT", "2024-01-01")

    # Act
    outcome = Fetcher(client, tmp_path).fetch(target)

    # Assert
    assert outcome.status.value == "failed"
    assert "gave up after 3 attempts" in outcome.detail
    assert client.retried == 2
    assert list(tmp_path.rglob("*")) == []


def test_client_error_is_not_retried(archive: FakeArchive, server: ArchiveServer) -> None:
    # Arrange
    target = archive.publish("metrics", "2024-01-01")
    server.inject(target.checksum_path, Fault(status=401))
    client = ArchiveClient(server.base_url, RetryPolicy(retries=5, backoff=0.001))

    # Act / Assert
    with pytest.raises(FetchFailed, match="HTTP 401"):
        client.get_small(target.checksum_path)
    assert server.count(target.checksum_path) == 1


def test_interrupt_during_a_download_discards_the_part_file_and_keeps_nothing(
    archive: FakeArchive, server: ArchiveServer, tmp_path: Path
) -> None:
    # Arrange: a zip bigger than one read chunk, and a stop request after the first chunk
    target = archive.publish("aggTrades", "2024-01-01", checksum="wrong")
    archive.write(target.path, random.Random(1).randbytes(3 << 20))
    client = ArchiveClient(server.base_url, RetryPolicy(retries=0, backoff=0.001))
    dest = tmp_path / "raw"
    chunks: list[int] = []

    def stop_after_first_chunk(n: int) -> None:
        chunks.append(n)
        client.stop.set()

    # Act
    outcome = Fetcher(client, dest).fetch(target, on_bytes=stop_after_first_chunk)

    # Assert
    assert outcome.status.value == "failed"
    assert outcome.detail == "interrupted"
    assert len(chunks) == 1
    assert [p for p in dest.rglob("*") if p.is_file()] == []
