"""
Clean interrupts: Ctrl-C or SIGTERM asks the work to stop at its next safe point.

The signal handler only sets a flag (it takes no lock and writes nothing), so an interrupt can
never land inside a manifest write or a file commit. Long loops call ``check()`` (or read
``stop_requested()``) between units of work; worker processes ignore the signals themselves and
read a shared event that the parent sets once it sees the flag, so one Ctrl-C in a terminal (sent
to the whole process group) stops every worker at its next block.
"""

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

EXIT_INTERRUPTED = 130
_SIGNALS = (signal.SIGINT, signal.SIGTERM)

# Set by the signal handler in the process that owns the terminal.
_requested = False
# In a worker process: the event its parent sets (an ``mp.Event``); None elsewhere.
_shared: Any = None


class Interrupted(Exception):
    """The user asked to stop (Ctrl-C or SIGTERM); raised at a safe point."""


def stop_requested() -> bool:
    """Return whether Ctrl-C or SIGTERM asked this run to stop."""
    return _requested or (_shared is not None and _shared.is_set())


def check() -> None:
    """
    Raise ``Interrupted`` if the run was asked to stop.

    Raises
    ------
    Interrupted
        If Ctrl-C or SIGTERM was received.

    """
    if stop_requested():
        raise Interrupted()


def _on_signal(signum: int, frame: object) -> None:
    global _requested
    _requested = True


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """
    Turn Ctrl-C and SIGTERM into a stop request for the duration of the block.

    Outside the main thread (where Python cannot install handlers) nothing changes.
    """
    global _requested
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, _on_signal) for s in _SIGNALS}
    _requested = False
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        _requested = False


@contextmanager
def signals_blocked() -> Iterator[None]:
    """
    Hold SIGINT and SIGTERM back while worker processes start.

    A spawned child inherits the blocked mask, so it cannot be killed by a Ctrl-C that lands
    while it is still importing (before ``worker_init`` ignores the signals); the parent gets
    any signal held back here as soon as the block ends.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)


def worker_init(event: Any) -> None:
    """
    Prepare a worker process: ignore the signals and follow the parent's stop event instead.

    Parameters
    ----------
    event : multiprocessing.synchronize.Event
        Set by the parent when the run is asked to stop.

    """
    global _shared
    for s in _SIGNALS:
        signal.signal(s, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
    _shared = event
