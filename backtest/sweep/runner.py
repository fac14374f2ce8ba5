"""
Run a sweep: expand the spec, skip what the store has finished, run the rest, summarise.

Resume: a run whose config hash has a completed row in ``runs.parquet`` is not run again (a run
completed under another label, or by an earlier version of the spec, is copied to its new label);
failed runs are run again. Runs with equal configs are run once. Each result is appended to the
store as it arrives, so a sweep stopped at any point (Ctrl-C, a crash, a lost machine) resumes
with only the unfinished runs.

Files in ``<output_dir>/<sweep name>/``: ``runs.parquet`` (the store), ``returns/`` (each run's
return series), ``spec.toml`` (the spec as last run), ``summary.html`` (with ``plotly.min.js``
beside it), for a walk-forward optimisation ``walk_forward.parquet`` and
``walk_forward_oos.parquet`` (``backtest.sweep.walk_forward``), and with ``[sweep] write_runs``
one results folder per run under ``runs/`` (written by this process from the returned outcome, so
it works on a remote cluster too).

A walk-forward optimisation runs in two steps: every run on the train windows, then each fold's
chosen point on its test window (the choice needs the train results).

"""

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn
from rich.progress import MofNCompleteColumn
from rich.progress import Progress
from rich.progress import TextColumn
from rich.progress import TimeElapsedColumn
from rich.progress import TimeRemainingColumn

from backtest.config import RunConfig
from backtest.config import StatsSection
from backtest.report import write_report
from backtest.results import write_results
from backtest.sweep.backends import LocalBackend
from backtest.sweep.backends import RayBackend
from backtest.sweep.confirm import confirmation_display
from backtest.sweep.confirm import confirmation_runs
from backtest.sweep.expand import IDENTITY
from backtest.sweep.expand import SweepRun
from backtest.sweep.expand import expand
from backtest.sweep.expand import results_root
from backtest.sweep.html import heatmaps
from backtest.sweep.html import out_of_sample_figure
from backtest.sweep.html import render_summary
from backtest.sweep.html import write_summary
from backtest.sweep.spec import SweepSpec
from backtest.sweep.spec import load_spec
from backtest.sweep.store import RunStore
from backtest.sweep.summary import Display
from backtest.sweep.summary import overview
from backtest.sweep.summary import print_display
from backtest.sweep.summary import summary_displays
from backtest.sweep.sync import cache_root
from backtest.sweep.task import FAILED
from backtest.sweep.task import RunTask
from backtest.sweep.task import TaskResult
from backtest.sweep.walk_forward import test_runs
from backtest.sweep.walk_forward import walk_forward_result


@dataclass
class SweepOutcome:
    """
    What a call of ``run_sweep`` did.

    Parameters
    ----------
    spec : SweepSpec
        The spec.
    runs : list[SweepRun]
        Every run of the spec.
    table : pd.DataFrame
        The store's rows of those runs, in spec order.
    displays : list[Display]
        The summary tables.
    executed : int
        Backtests this call ran (completed or failed).
    folder : Path
        The sweep's results folder.
    summary : Path
        The HTML summary.

    """

    spec: SweepSpec
    runs: list[SweepRun]
    table: pd.DataFrame
    displays: list[Display]
    executed: int
    folder: Path
    summary: Path

    @property
    def failed(self) -> int:
        """Return how many of the spec's runs have failed."""
        return int((self.table["status"] == FAILED).sum()) if not self.table.empty else 0


def _result_part(row: dict) -> dict:
    # A row's outcome without its identity. Grid columns are dotted keys of the run config, so
    # they start with one of its sections; statistics may be dotted too (count.alpha_a).
    sections = tuple(f"{name}." for name in RunConfig.model_fields)
    return {k: v for k, v in row.items() if k not in IDENTITY and not k.startswith(sections)}


def make_tasks(
    spec: SweepSpec, runs: list[SweepRun], skip: set[str] | None = None
) -> list[RunTask]:
    """
    Return one task per distinct config of ``runs`` (in spec order), leaving out ``skip``.

    Parameters
    ----------
    spec : SweepSpec
        The spec (cache folder, whether runs return their outcome).
    runs : list[SweepRun]
        The runs.
    skip : set[str], optional
        Run ids not to run (finished).

    Returns
    -------
    list[RunTask]

    """
    skip = skip or set()
    first = {}
    for run in runs:
        if run.run_id not in skip:
            first.setdefault(run.run_id, run)
    return [
        RunTask(
            run_id=run_id,
            config=run.config.resolved(),
            workdir=os.getcwd(),
            cache_dir=str(cache_root(spec.sweep.cache_dir)),
            keep_outcome=spec.sweep.write_runs,
        )
        for run_id, run in first.items()
    ]


@contextmanager
def _progress(console: Console, total: int, enabled: bool) -> Iterator:
    columns = [
        TextColumn("[bold]sweep[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=console, disable=not enabled) as progress:
        yield progress, progress.add_task("runs", total=total, failed=0)


def _record(store: RunStore, runs: list[SweepRun], result: TaskResult) -> None:
    columns = dict(result.columns)
    if result.outcome is not None:
        config = runs[0].config
        folder = write_results(result.outcome, config.output.dir)
        if config.output.report:
            write_report(result.outcome, folder)
        columns["results_dir"] = str(folder)
    store.add([{**run.columns(), **columns} for run in runs])


def _execute(
    store: RunStore,
    backend: LocalBackend | RayBackend,
    tasks: list[RunTask],
    by_id: dict[str, list[SweepRun]],
    console: Console,
    progress: bool,
) -> int:
    """Run the tasks, storing each result as it arrives; return how many ran."""
    interactive = console.is_terminal
    executed = failed = 0
    with _progress(console, len(tasks), progress and interactive) as (bar, task_id):
        results = backend.run(tasks)
        try:
            for result in results:
                executed += 1
                failed += not result.ok
                _record(store, by_id[result.run_id], result)
                bar.update(task_id, advance=1, failed=failed)
                if not result.ok or (progress and not interactive):
                    _report_line(console, executed, len(tasks), by_id[result.run_id], result)
        finally:
            results.close()  # stops the workers when the loop ends early (Ctrl-C, an error)
    return executed


def run_sweep(
    spec_path: str | Path,
    backend: LocalBackend | RayBackend,
    console: Console | None = None,
    progress: bool = True,
) -> SweepOutcome:
    """
    Run every unfinished run of a sweep spec, store the results and write the summary.

    Parameters
    ----------
    spec_path : str | Path
        The TOML spec.
    backend : LocalBackend | RayBackend
        Where the runs execute.
    console : Console, optional
        Where progress and tables go (default: stderr for progress, stdout for tables).
    progress : bool, default True
        Show a progress bar with ETA (on a terminal) or one line per finished run (otherwise).

    Returns
    -------
    SweepOutcome

    Raises
    ------
    SpecError
        If the spec or a run config it makes is invalid (nothing has run).
    StoreBusy
        If another process is running the same sweep.

    """
    spec_path = Path(spec_path)
    spec = load_spec(spec_path)
    runs = expand(spec, spec_path.parent, str(spec_path))
    console = console or Console(stderr=True, soft_wrap=True)
    folder = results_root(spec)
    by_id: dict[str, list[SweepRun]] = {}
    for run in runs:
        by_id.setdefault(run.run_id, []).append(run)
    with RunStore(folder) as store:
        shutil.copyfile(spec_path, folder / "spec.toml")
        finished = _adopt_finished(store, runs)
        tasks = make_tasks(spec, runs, skip=set(finished))
        console.print(
            f"sweep {spec.sweep.name}: {len(runs)} runs, {len(by_id)} distinct configs, "
            f"{len(by_id) - len(tasks)} already finished, {len(tasks)} to run on {backend.name}",
            highlight=False,
        )
        executed = _execute(store, backend, tasks, by_id, console, progress)
        tests = test_runs(spec, runs, _current(store, runs))
        if tests:
            for run in tests:
                by_id.setdefault(run.run_id, []).append(run)
            # A test window may equal a later train window: that run is done already.
            tasks = make_tasks(spec, tests, skip=set(_adopt_finished(store, tests)))
            console.print(
                f"walk-forward: {len(tests)} out-of-sample runs of the points chosen on "
                f"{len(spec.windows())} train windows, {len(tasks)} to run",
                highlight=False,
            )
            executed += _execute(store, backend, tasks, by_id, console, progress)
        confirmed = confirmation_runs(spec, runs, _current(store, runs))
        if confirmed:
            for run in confirmed:
                by_id.setdefault(run.run_id, []).append(run)
            finished = store.finished()
            tasks = make_tasks(spec, confirmed, skip=set(finished))
            console.print(
                f"confirming the top {len(confirmed)} by {spec.sweep.metric} in tick fidelity: "
                f"{len(tasks)} to run",
                highlight=False,
            )
            executed += _execute(store, backend, tasks, by_id, console, progress)
    table = _current(store, runs)
    displays = summary_displays(spec, table, runs)
    settings = runs[0].config.stats if runs else None
    walk = walk_forward_result(
        spec, runs, tests, _current(store, runs + tests), folder, settings or StatsSection()
    )
    if walk is not None:
        displays[:0] = walk.displays
    confirmation = confirmation_display(spec, _current(store, runs + confirmed), confirmed)
    if confirmation is not None:
        displays.append(confirmation)
    grid_keys = list(runs[0].grid) if runs else []
    figures = heatmaps(table, grid_keys, spec.sweep.metric) if not table.empty else []
    if walk is not None and walk.curves:
        figures.insert(0, out_of_sample_figure(walk.curves))
    everything = _current(store, runs + tests) if tests else table
    page = render_summary(spec.sweep.name, overview(everything), displays, figures)
    summary = write_summary(folder / "summary.html", page)
    return SweepOutcome(spec, runs + tests, everything, displays, executed, folder, summary)


def _adopt_finished(store: RunStore, runs: list[SweepRun]) -> dict[str, dict]:
    """Store a row for each run whose config has completed under another label; return those."""
    finished = store.finished()
    known = {(row["run_id"], row["label"]) for row in store.rows()}
    store.add(
        [
            {**run.columns(), **_result_part(finished[run.run_id])}
            for run in runs
            if run.run_id in finished and (run.run_id, run.label) not in known
        ],
    )
    return finished


def _report_line(
    console: Console, n: int, total: int, runs: list[SweepRun], result: TaskResult
) -> None:
    status = "[green]ok[/]" if result.ok else "[bold red]failed[/]"
    secs = result.columns["task_secs"]
    # Labels and errors are text: " [oos]", " [tick]" and "[[periods]]" are not rich markup.
    line = f"\\[{n}/{total}] {status} {escape(runs[0].label)} ({secs:.1f} s)"
    if not result.ok:
        line += f": {escape(str(result.columns['error']))}"
    console.print(line, highlight=False)


def _current(store: RunStore, runs: list[SweepRun]) -> pd.DataFrame:
    # The store keeps rows of labels an earlier spec had; the summary is of this spec's runs.
    frame = store.frame()
    if frame.empty:
        return frame
    position = {(run.run_id, run.label): i for i, run in enumerate(runs)}
    order = pd.Series(
        [position.get(key) for key in zip(frame["run_id"], frame["label"], strict=True)],
        index=frame.index,
        dtype=float,
    )
    return frame.loc[order.dropna().sort_values().index].reset_index(drop=True)


def print_summary(outcome: SweepOutcome, console: Console | None = None) -> None:
    """Print the sweep's summary tables and where its files are (stdout by default)."""
    # Off a terminal (a log file, a Ray job's output) rich would squeeze the tables into 80 columns.
    console = console or Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
    for display in outcome.displays:
        print_display(display, console)
    console.print(overview(outcome.table), highlight=False)
    console.print(f"results: {outcome.folder / 'runs.parquet'}", highlight=False)
    console.print(f"summary: {outcome.summary}", highlight=False)
