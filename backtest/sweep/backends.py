"""
Where sweep tasks run: ``local`` (a spawn-based process pool) or ``ray`` (a local or remote cluster).

Both run ``backtest.sweep.task.execute``, one backtest per task, and yield each ``TaskResult`` as
it finishes. Both keep only a few tasks in flight (twice the workers), so an interrupted sweep
loses at most those and a resumed one starts where it stopped; closing the generator (which a
Ctrl-C in the caller does) stops the workers.

Workers are recycled after ``max_tasks_per_child`` runs: memory grows ~10 MiB per run in one
process. A pool worker that dies (killed, out of memory, a crash in native code) takes down every
run in flight with it, so those are run again one at a time in a fresh single-worker pool: the
run that kills its worker again is recorded as failed, the others complete.

"""

import importlib.util
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Generator
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED
from concurrent.futures import Future
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import wait
from concurrent.futures.process import BrokenProcessPool

from backtest.sweep.task import RunTask
from backtest.sweep.task import TaskResult
from backtest.sweep.task import execute
from backtest.sweep.task import failure

BACKENDS = ("local", "ray")
MAX_TASKS_PER_CHILD = 4
WORKER_DIED = (
    "the worker process died while running this backtest (killed, out of memory, or a crash in "
    "native code); it died again when run alone"
)


class BackendError(RuntimeError):
    """A backend that cannot be used as asked (ray missing, an option it does not take)."""


def default_workers() -> int:
    """Return the number of CPUs this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _ignore_sigint() -> None:
    # Ctrl-C reaches the whole process group: the driver handles it and stops the workers, so a
    # worker must not die mid-run on its own and look like a crashed backtest.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class LocalBackend:
    """
    Run tasks on a spawn-based process pool on this machine.

    Parameters
    ----------
    workers : int
        The number of worker processes.
    max_tasks_per_child : int, default 4
        Runs per worker process before it is replaced.

    """

    name = "local"

    def __init__(self, workers: int, max_tasks_per_child: int = MAX_TASKS_PER_CHILD) -> None:
        self.workers = max(workers, 1)
        self.max_tasks_per_child = max_tasks_per_child

    def run(self, tasks: Iterable[RunTask]) -> Generator[TaskResult, None, None]:
        """Yield each task's result as it finishes; close the generator to stop the workers."""
        queue = deque(tasks)
        while queue:
            lost = yield from self._drain(queue, self.workers)
            for task in lost:
                if (yield from self._drain(deque([task]), 1)):
                    yield failure(task.run_id, WORKER_DIED)

    def _drain(
        self, queue: deque[RunTask], workers: int
    ) -> Generator[TaskResult, None, list[RunTask]]:
        """Run queued tasks on one pool; return the tasks in flight when a worker died."""
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_ignore_sigint,
            max_tasks_per_child=self.max_tasks_per_child,
        )
        in_flight: dict[Future, RunTask] = {}
        try:
            while queue or in_flight:
                while queue and len(in_flight) < 2 * workers:
                    task = queue.popleft()
                    in_flight[pool.submit(execute, task)] = task
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                lost = []
                for future in done:
                    task = in_flight.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        lost.append(task)
                        continue
                    except Exception as e:  # the result did not make it back (pickling)
                        result = failure(task.run_id, f"{type(e).__name__}: {e}")
                    yield result
                if lost:
                    # The pool is dead: every run still in flight went with it.
                    lost += in_flight.values()
                    in_flight.clear()
                    return lost
            return []
        finally:
            if in_flight:
                # Interrupted: Python 3.11 has no public way to stop busy pool workers.
                for process in list(getattr(pool, "_processes", {}).values()):
                    process.terminate()
            pool.shutdown(wait=True, cancel_futures=True)


class RayBackend:
    """
    Run tasks as Ray remote functions.

    Parameters
    ----------
    workers : int | None
        On a local cluster (no address), its number of CPUs; on a remote one, the most tasks in
        flight (default: twice the cluster's CPUs).
    max_tasks_per_child : int, default 4
        Runs per Ray worker process before it is replaced (``max_calls``).
    address : str | None
        A cluster to connect to (``auto``, ``ray://head:10001``); ``None``: ``$RAY_ADDRESS`` if
        set (as inside a Ray job), else a local cluster is started for the sweep.

    """

    name = "ray"

    def __init__(
        self,
        workers: int | None,
        max_tasks_per_child: int = MAX_TASKS_PER_CHILD,
        address: str | None = None,
    ) -> None:
        self.workers = workers
        self.max_tasks_per_child = max_tasks_per_child
        self.address = address

    def run(self, tasks: Iterable[RunTask]) -> Generator[TaskResult, None, None]:
        """Yield each task's result as it finishes; close the generator to cancel the rest."""
        import ray

        queue = deque(tasks)
        if not queue:
            return
        # Inside a Ray job RAY_ADDRESS names the cluster: connect to it rather than start one.
        address = self.address or os.environ.get("RAY_ADDRESS")
        started = not ray.is_initialized()
        if started:
            try:
                ray.init(
                    address=address,
                    num_cpus=(self.workers or default_workers()) if address is None else None,
                    include_dashboard=False,
                    log_to_driver=False,
                    logging_level="WARNING",
                )
            except (ConnectionError, RuntimeError, ValueError) as e:
                where = f"the cluster at {address}" if address else "a local cluster"
                raise BackendError(f"cannot start or reach {where}: {e}") from e
        # One retry covers a lost node; a run that kills its worker twice is recorded as failed.
        remote = ray.remote(num_cpus=1, max_calls=self.max_tasks_per_child, max_retries=1)(execute)
        cpus = int(ray.cluster_resources().get("CPU", 1))
        limit = self.workers if address is not None and self.workers else 2 * max(cpus, 1)
        in_flight: dict = {}
        try:
            while queue or in_flight:
                while queue and len(in_flight) < limit:
                    task = queue.popleft()
                    in_flight[remote.remote(task)] = task
                ready, _ = ray.wait(list(in_flight), num_returns=1)
                for ref in ready:
                    task = in_flight.pop(ref)
                    try:
                        result = ray.get(ref)
                    except ray.exceptions.RayError as e:
                        result = failure(task.run_id, f"{type(e).__name__}: {e}")
                    yield result
        finally:
            for ref in in_flight:
                ray.cancel(ref, force=True)
            if started:
                ray.shutdown()


def make_backend(
    name: str,
    workers: int | None = None,
    max_tasks_per_child: int = MAX_TASKS_PER_CHILD,
    address: str | None = None,
) -> LocalBackend | RayBackend:
    """
    Return the backend called ``name``.

    Parameters
    ----------
    name : str
        ``local`` or ``ray``.
    workers : int, optional
        Worker processes (default: the CPUs available here).
    max_tasks_per_child : int, default 4
        Runs per worker process before it is replaced.
    address : str, optional
        The Ray cluster to connect to (``ray`` only).

    Returns
    -------
    LocalBackend | RayBackend

    Raises
    ------
    BackendError
        For an unknown name, an address given to the local backend, or ray not installed.

    """
    if name == "local":
        if address is not None:
            raise BackendError("--ray-address needs --backend ray")
        return LocalBackend(workers or default_workers(), max_tasks_per_child)
    if name == "ray":
        if importlib.util.find_spec("ray") is None:
            raise BackendError("the ray backend needs ray: pip install -e '.[ray]'")
        return RayBackend(workers, max_tasks_per_child, address)
    raise BackendError(f"unknown backend {name!r}: one of {', '.join(BACKENDS)}")
