"""Run many fetches on a few threads, with a progress bar, and stop cleanly on Ctrl-C."""

import sys
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import as_completed
from dataclasses import dataclass

from tqdm import tqdm

from etl.download.fetch import Fetcher
from etl.download.plan import Target
from etl.download.report import Outcome
from etl.download.report import Status


@dataclass(frozen=True)
class RunResult:
    """Every target's outcome, in plan order, and whether the run was interrupted."""

    outcomes: list[Outcome]
    interrupted: bool


def download_all(
    fetcher: Fetcher,
    targets: Sequence[Target],
    workers: int = 4,
    progress: bool | None = None,
) -> RunResult:
    """
    Fetch `targets` on `workers` threads.

    Parameters
    ----------
    fetcher : Fetcher
        Does the work for one file; its client's ``stop`` event is set on Ctrl-C.
    targets : Sequence[Target]
        Files to fetch.
    workers : int
        Threads; downloads are network-bound, so a few beat one without hammering the archive.
    progress : bool | None
        Show a progress bar on stderr; None shows it only when stderr is a terminal.

    Returns
    -------
    RunResult
        On Ctrl-C, files in flight end as failed ("interrupted", their ``.part`` removed) and
        files not yet started as failed ("not started"), so the report stays complete.

    """
    outcomes: dict[int, Outcome] = {}
    futures: dict[Future[Outcome], int] = {}
    interrupted = False
    # Bytes, not files, drive the bar: one day of BTC aggTrades is hundreds of MB, and a bar
    # that only moves per file would look stuck.
    bar = tqdm(
        desc=_files_done(0, len(targets)),
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        disable=None if progress is None else not progress,
    )
    bar_lock = threading.Lock()

    def on_bytes(n: int) -> None:
        # Workers report chunks concurrently; tqdm's counter is not atomic.
        with bar_lock:
            bar.update(n)

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="download")
    try:
        for i, target in enumerate(targets):
            futures[pool.submit(fetcher.fetch, target, on_bytes)] = i
        for future in as_completed(futures):
            outcome = future.result()
            outcomes[futures[future]] = outcome
            with bar_lock:
                bar.set_description_str(_files_done(len(outcomes), len(targets)))
                if outcome.status.is_error:
                    bar.write(
                        f"{outcome.status.value}: {outcome.target.path} [{outcome.detail}]",
                        file=sys.stderr,
                    )
    except BaseException as exc:
        # Without this, shutdown would wait for every queued file to download first.
        fetcher.client.stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        if not isinstance(exc, KeyboardInterrupt):
            raise
        interrupted = True
    finally:
        pool.shutdown(wait=True)
        bar.close()
    for future, i in futures.items():
        if (
            i not in outcomes
            and future.done()
            and not future.cancelled()
            and not future.exception()
        ):
            outcomes[i] = future.result()
    return RunResult(
        [
            outcomes.get(i) or Outcome(t, Status.FAILED, "not started")
            for i, t in enumerate(targets)
        ],
        interrupted,
    )


def _files_done(done: int, total: int) -> str:
    return f"{done}/{total} files"
