"""A stand-in for data.binance.vision on 127.0.0.1: serves a folder, counts requests, injects faults."""

import sys
import threading
import time
from collections import Counter
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path
from pathlib import PurePosixPath
from types import TracebackType

URL_PREFIX = "/data/"


@dataclass(frozen=True)
class Fault:
    """
    One injected misbehaviour for one request.

    Parameters
    ----------
    status : int | None
        Answer with this HTTP status and an empty body instead of the file.
    truncate : bool
        Announce the full ``Content-Length`` but send only half the body, then close.
    headers : tuple[tuple[str, str], ...]
        Extra response headers (e.g. ``Retry-After``).

    """

    status: int | None = None
    truncate: bool = False
    headers: tuple[tuple[str, str], ...] = ()


class ArchiveServer:
    """
    Serve `root` below ``/data/`` like the archive, in a background thread.

    Bounded: it stops itself after `lifetime` seconds even if a test never stops it, and each
    connection times out, so a broken client cannot hang the test run.

    Parameters
    ----------
    root : pathlib.Path
        Folder laid out like the archive (``futures/um/daily/...``).
    lifetime : float
        Seconds after `start` at which the server shuts itself down.
    delay : float
        Seconds to wait before answering each zip GET (to make parallel downloads overlap).

    """

    def __init__(self, root: Path, lifetime: float = 60.0, delay: float = 0.0) -> None:
        self.root = root
        self.lifetime = lifetime
        self.delay = delay
        self.requests: Counter[tuple[str, str]] = Counter()
        self.max_in_flight = 0
        self._in_flight = 0
        self._faults: dict[str, deque[Fault]] = {}
        self._lock = threading.Lock()
        self._httpd = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._timer = threading.Timer(lifetime, self.stop)
        self._timer.daemon = True
        self._stopped = False

    @property
    def base_url(self) -> str:
        """Return the URL to pass as ``--base-url``."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}{URL_PREFIX}"

    def start(self) -> "ArchiveServer":
        """Start serving; return self."""
        self._thread.start()
        self._timer.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port (idempotent)."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._timer.cancel()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "ArchiveServer":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def inject(self, path: PurePosixPath | str, *faults: Fault) -> None:
        """Queue `faults` for the next requests of archive path `path`, one fault per request."""
        with self._lock:
            self._faults.setdefault(str(path), deque()).extend(faults)

    def count(self, path: PurePosixPath | str, method: str = "GET") -> int:
        """Return how many `method` requests archive path `path` received."""
        with self._lock:
            return self.requests[(method, str(path))]

    def _next_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            self.requests[(method, path)] += 1
            queue = self._faults.get(path)
            return queue.popleft() if queue else None

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up mid-body (interrupt and truncation tests) is expected here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler_for(server: ArchiveServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = 10

        def do_GET(self) -> None:
            self._answer(send_body=True)

        def do_HEAD(self) -> None:
            self._answer(send_body=False)

        def log_message(self, format: str, *args: object) -> None:
            """Keep test output clean."""

        def _answer(self, send_body: bool) -> None:
            server._enter()
            try:
                self._respond(send_body)
            finally:
                server._leave()

        def _respond(self, send_body: bool) -> None:
            if not self.path.startswith(URL_PREFIX):
                self._status(404, ())
                return
            path = self.path[len(URL_PREFIX) :]
            fault = server._next_fault(self.command, path)
            if fault is not None and fault.status is not None:
                self._status(fault.status, fault.headers)
                return
            file = server.root / path
            if not file.is_file():
                self._status(404, ())
                return
            body = file.read_bytes()
            if send_body and path.endswith(".zip") and server.delay:
                time.sleep(server.delay)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            for name, value in fault.headers if fault else ():
                self.send_header(name, value)
            self.end_headers()
            if send_body:
                self.wfile.write(body[: len(body) // 2] if fault and fault.truncate else body)
            if fault and fault.truncate:
                self.close_connection = True

        def _status(self, status: int, headers: tuple[tuple[str, str], ...]) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()

    return Handler
