"""HTTP access to the archive: GET and HEAD with retries, exponential backoff and jitter."""

import datetime as dt
import hashlib
import http.client
import os
import random
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from pathlib import PurePosixPath
from typing import TypeVar

DEFAULT_BASE_URL = "https://data.binance.vision/data/"
USER_AGENT = "binance-toxvol-downloader/0.1"
_CHUNK = 1 << 20
# A CHECKSUM line is ~100 bytes; anything much larger is not one, so never read it whole.
_MAX_CHECKSUM_BYTES = 4096
_T = TypeVar("_T")


class NotFound(Exception):
    """Raised when the archive answers 404: the file is not published (Binance has gaps)."""


class FetchFailed(Exception):
    """Raised when a request fails for good: retries exhausted, or an error not worth retrying."""


class Cancelled(Exception):
    """Raised inside a worker when the run was interrupted; partial work is discarded."""


class _Transient(Exception):
    """An error worth retrying (connection, timeout, truncated body, 5xx, 408, 429)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RetryPolicy:
    """
    How often and how patiently to retry a request.

    Parameters
    ----------
    retries : int
        Retries after the first attempt (``0`` tries once).
    backoff : float
        Ceiling of the first pause, in seconds; it doubles with each retry.
    max_backoff : float
        Cap on any pause, including a server's ``Retry-After``.

    """

    retries: int = 5
    backoff: float = 1.0
    max_backoff: float = 60.0

    def delay(self, retry: int, rng: random.Random | None = None) -> float:
        """
        Return the pause before retry number `retry` (1-based).

        Uses "equal jitter": half of the exponential ceiling is fixed, the other half random, so
        parallel workers that failed together do not retry in lock-step yet still back off.
        """
        ceiling = min(self.max_backoff, self.backoff * 2 ** (retry - 1))
        return ceiling / 2 + (rng or random).uniform(0.0, ceiling / 2)


@dataclass(frozen=True)
class Download:
    """What one zip download wrote to its temporary file."""

    sha256: str
    size: int


class ArchiveClient:
    """
    Fetch files below a base URL, retrying transient failures.

    Thread-safe: workers share one client. Setting `stop` makes every request in flight (and
    every pause between retries) end promptly with `Cancelled`.

    Parameters
    ----------
    base_url : str
        URL of the archive root, e.g. ``https://data.binance.vision/data/``.
    policy : RetryPolicy
        Retry and backoff settings.
    timeout : float
        Socket timeout per request, in seconds (connect and each read).
    stop : threading.Event | None
        Shared cancellation flag; a fresh one when None.

    """

    def __init__(
        self,
        base_url: str,
        policy: RetryPolicy,
        timeout: float = 60.0,
        stop: threading.Event | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.policy = policy
        self.timeout = timeout
        self.stop = stop or threading.Event()
        self._lock = threading.Lock()
        self.retried = 0
        # Our own opener, not urlopen's global one: proxy settings are read from the environment
        # now, and nothing another module installed globally leaks in.
        self._opener = urllib.request.build_opener()

    def url(self, path: PurePosixPath) -> str:
        """Return the absolute URL of an archive-relative path."""
        return self.base_url + str(path)

    def get_small(self, path: PurePosixPath) -> bytes:
        """
        Return the body of a small file (a ``.CHECKSUM``).

        Raises
        ------
        NotFound
            On 404.
        FetchFailed
            When retries are exhausted or the error is not retryable.
        Cancelled
            When `stop` is set.

        """

        def once() -> bytes:
            with self._open(path, "GET") as response:
                return self._read(response, _MAX_CHECKSUM_BYTES + 1)

        return self._with_retries(path, once)

    def exists(self, path: PurePosixPath) -> bool:
        """Return whether the archive publishes `path` (a HEAD request; 404 means no)."""

        def once() -> bool:
            with self._open(path, "HEAD"):
                return True

        try:
            return self._with_retries(path, once)
        except NotFound:
            return False

    def download(
        self, path: PurePosixPath, part: Path, on_bytes: Callable[[int], None] | None = None
    ) -> Download:
        """
        Stream `path` into the file `part`, hashing it on the way.

        Each attempt rewrites `part` from the start; the caller verifies and renames it. A body
        shorter than its ``Content-Length`` counts as a transient failure and is retried.

        Parameters
        ----------
        path : PurePosixPath
            Archive-relative path of the zip.
        part : pathlib.Path
            Temporary file to write (created or truncated).
        on_bytes : Callable[[int], None] | None
            Called with the size of each chunk received, for progress display.

        Returns
        -------
        Download
            The sha256 and size of what `part` now holds (flushed to disk).

        Raises
        ------
        NotFound, FetchFailed, Cancelled
            As for `get_small`.

        """

        def once() -> Download:
            digest = hashlib.sha256()
            size = 0
            with self._open(path, "GET") as response, part.open("wb") as out:
                declared = response.headers.get("Content-Length")
                while chunk := self._read(response, _CHUNK):
                    if self.stop.is_set():
                        raise Cancelled(str(path))
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                    if on_bytes is not None:
                        on_bytes(len(chunk))
                if declared is not None and declared.isdigit() and size != int(declared):
                    raise _Transient(f"truncated body: {size} of {declared} bytes")
                out.flush()
                os.fsync(out.fileno())
            return Download(digest.hexdigest(), size)

        return self._with_retries(path, once)

    def _with_retries(self, path: PurePosixPath, once: Callable[[], _T]) -> _T:
        attempt = 0
        while True:
            if self.stop.is_set():
                raise Cancelled(str(path))
            attempt += 1
            try:
                return once()
            except _Transient as exc:
                if attempt > self.policy.retries:
                    raise FetchFailed(f"{exc} (gave up after {attempt} attempts)") from exc
                pause = self.policy.delay(attempt)
                if exc.retry_after is not None:
                    pause = max(pause, min(exc.retry_after, self.policy.max_backoff))
                with self._lock:
                    self.retried += 1
                if self.stop.wait(pause):
                    raise Cancelled(str(path)) from exc

    def _open(self, path: PurePosixPath, method: str) -> http.client.HTTPResponse:
        request = urllib.request.Request(
            self.url(path), method=method, headers={"User-Agent": USER_AGENT}
        )
        try:
            return self._opener.open(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 404:
                raise NotFound(self.url(path)) from None
            if exc.code >= 500 or exc.code in (408, 429):
                raise _Transient(
                    f"HTTP {exc.code} {exc.reason}", _retry_after(exc.headers)
                ) from None
            raise FetchFailed(f"HTTP {exc.code} {exc.reason} (not retried)") from None
        except (OSError, http.client.HTTPException) as exc:
            # URLError, timeouts, refused/reset connections: the network, not the request.
            raise _Transient(_describe(exc)) from exc

    @staticmethod
    def _read(response: http.client.HTTPResponse, size: int) -> bytes:
        try:
            return response.read(size)
        except (OSError, http.client.HTTPException) as exc:
            raise _Transient(_describe(exc)) from exc


def _retry_after(headers: http.client.HTTPMessage | None) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _describe(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return f"{type(exc).__name__}: {reason if reason is not None else exc}"
