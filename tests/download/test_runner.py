"""Running many fetches: order of outcomes, Ctrl-C, exit codes."""

import signal
import threading

from etl.download.client import ArchiveClient
from etl.download.client import RetryPolicy
from etl.download.plan import Target
from etl.download.report import Outcome
from etl.download.report import Status
from etl.download.report import exit_code
from etl.download.runner import download_all

TARGETS = [Target("futures/um", "metrics", "BTCUSDT", f"2024-01-{d:02d}") for d in range(1, 9)]


class ScriptedFetcher:
    """Stands in for `Fetcher`: the first file is missing, the third presses Ctrl-C, all others hang."""

    def __init__(self) -> None:
        self.client = ArchiveClient("http://127.0.0.1:9/data/", RetryPolicy())
        self.started: list[Target] = []
        self._lock = threading.Lock()

    def fetch(self, target: Target, on_bytes: object = None) -> Outcome:
        with self._lock:
            self.started.append(target)
        if target is TARGETS[0]:
            return Outcome(target, Status.MISSING)
        if target is TARGETS[2]:
            # A real SIGINT, so it reaches the main thread where Ctrl-C would.
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
        interrupted = self.client.stop.wait(5)  # "downloading" until told to stop
        return Outcome(target, Status.FAILED, "interrupted" if interrupted else "never stopped")


def test_ctrl_c_stops_the_workers_and_still_reports_every_file_in_plan_order() -> None:
    # Arrange
    fetcher = ScriptedFetcher()

    # Act
    result = download_all(fetcher, TARGETS, workers=3, progress=False)  # type: ignore[arg-type]

    # Assert
    assert result.interrupted
    assert fetcher.client.stop.is_set()
    assert [o.target for o in result.outcomes] == TARGETS
    assert result.outcomes[0].status is Status.MISSING
    assert {o.detail for o in result.outcomes[1:]} == {"interrupted", "not started"}
    assert len(fetcher.started) < len(TARGETS), "files not started yet were cancelled"
    assert exit_code(result.outcomes, result.interrupted) == 130


def test_exit_code_is_zero_with_missing_and_unverified_files_and_one_with_corrupt_or_failed() -> (
    None
):
    # Arrange
    ok = [
        Outcome(TARGETS[0], Status.FETCHED),
        Outcome(TARGETS[1], Status.SKIPPED),
        Outcome(TARGETS[2], Status.MISSING),
        Outcome(TARGETS[3], Status.UNVERIFIED),
    ]

    # Act / Assert
    assert exit_code(ok) == 0
    assert exit_code([*ok, Outcome(TARGETS[4], Status.CORRUPT)]) == 1
    assert exit_code([*ok, Outcome(TARGETS[4], Status.FAILED)]) == 1
