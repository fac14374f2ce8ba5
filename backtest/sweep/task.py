"""
One sweep run as a task: plain data in, plain data out.

``execute`` is what every backend runs (a spawned pool worker, a Ray worker on another machine,
or the calling process): it validates the config again where it runs (so a strategy that does not
import there fails that run, not the sweep), points it at a local catalog (syncing a remote
catalog's slice), runs the backtest with Nautilus logging bypassed (logging is process-global),
and returns the run's statistics (flat: ``backtest.stats.flat_stats``) with its return series at the
``[stats]`` frequency under ``RETURNS_KEY`` (the store keeps it beside the table, for the summary's
paired bootstrap and selection statistics). Any exception becomes a ``failed`` result carrying the
error and its traceback text: a run is never lost.

"""

import os
import resource
import socket
import time
import traceback
from dataclasses import dataclass
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from backtest.config import parse_config
from backtest.node import run_backtest
from backtest.results import RunOutcome
from backtest.stats import equity_returns
from backtest.stats import flat_stats
from backtest.sweep.sync import localize

OK = "ok"
FAILED = "failed"
# Not a column: the run's returns (a ``ts``, ``ret`` table) on their way to the store.
RETURNS_KEY = "_returns"


@dataclass(frozen=True)
class RunTask:
    """
    What a worker needs to run one backtest.

    Parameters
    ----------
    run_id : str
        The hash of the resolved config (the run's identity in the store).
    config : dict[str, Any]
        The resolved run config (``RunConfig.resolved()``).
    workdir : str
        The folder a relative catalog path is relative to.
    cache_dir : str
        The local cache for remote catalogs.
    keep_outcome : bool, default False
        Return the whole ``RunOutcome`` (the caller writes the run's results folder).

    """

    run_id: str
    config: dict[str, Any]
    workdir: str
    cache_dir: str
    keep_outcome: bool = False


@dataclass
class TaskResult:
    """
    A finished task.

    Parameters
    ----------
    run_id : str
        The task's run id.
    columns : dict[str, Any]
        ``status``, ``error``, ``traceback``, ``task_secs``, ``worker``, ``worker_peak_rss_mb``,
        ``finished_at`` and, for a run that completed, every statistic of ``stats.json`` (nested
        blocks as dotted keys) and its returns under ``RETURNS_KEY``.
    outcome : RunOutcome | None
        The run, when the task asked for it and the run completed.

    """

    run_id: str
    columns: dict[str, Any]
    outcome: RunOutcome | None = None

    @property
    def ok(self) -> bool:
        """Return whether the run completed."""
        return self.columns["status"] == OK


def peak_rss_mb() -> float:
    """Return this process's peak resident set size so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def failure(run_id: str, error: str, trace: str | None = None, secs: float = 0.0) -> TaskResult:
    """Return the result of a run that did not complete."""
    return TaskResult(run_id, _columns(FAILED, secs, error=error, traceback=trace))


def _columns(status: str, secs: float, **values: Any) -> dict[str, Any]:
    return {
        "status": status,
        "error": None,
        "traceback": None,
        "task_secs": secs,
        "worker": f"{socket.gethostname()}:{os.getpid()}",
        "worker_peak_rss_mb": peak_rss_mb(),
        "finished_at": datetime.now(UTC).isoformat(),
        **values,
    }


def execute(task: RunTask) -> TaskResult:
    """
    Run one backtest and return its statistics, or its error if it failed.

    Parameters
    ----------
    task : RunTask
        The run.

    Returns
    -------
    TaskResult

    """
    t0 = time.perf_counter()
    try:
        config = parse_config(task.config, source=task.run_id)
        local = localize(config, Path(task.cache_dir), Path(task.workdir))
        outcome = run_backtest(local, progress=False, bypass_logging=True)
    except Exception as e:
        return failure(
            task.run_id,
            f"{type(e).__name__}: {e}",
            traceback.format_exc(),
            time.perf_counter() - t0,
        )
    columns = _columns(OK, time.perf_counter() - t0, **flat_stats(outcome.stats))
    # The run's own settings: RunOutcome makes its statistics follow them too.
    columns[RETURNS_KEY] = equity_returns(
        outcome.equity,
        float(config.venue.starting_balance),
        config.period.start_ns,
        config.period.end_ns,
        config.stats,
    ).frame()
    if not task.keep_outcome:
        return TaskResult(task.run_id, columns)
    # Named after the config as written (a remote catalog's URL, not the local cache).
    outcome = replace(outcome, run_id=config.run_id(), config=config.resolved())
    return TaskResult(task.run_id, columns, outcome)
