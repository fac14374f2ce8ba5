"""Sweeps end to end on worker processes: resume, failures, interruption, local vs Ray."""

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

import run_backtest
from backtest.sweep.backends import WORKER_DIED
from backtest.sweep.backends import LocalBackend
from backtest.sweep.backends import RayBackend
from backtest.sweep.runner import SweepOutcome
from backtest.sweep.runner import run_sweep
from tests.sweep.conftest import write_spec
from tests.sweep.strategies import runs_started

pytestmark = pytest.mark.slow  # each test starts worker processes

ROOT = Path(__file__).resolve().parents[2]
# Statistics and columns that differ between two executions of the same run.
VOLATILE = {"wall_secs", "events_per_sec", "task_secs", "worker", "worker_peak_rss_mb"}
VOLATILE |= {"finished_at", "run_id", "overrides", "traceback", "error"}
GRID = "[grid]\nstrategy.params.fast_period = [{}]"
ABLATIONS = "[ablations.baseline]\n[ablations.small]\nstrategy.params.trade_notional = 5000.0"


def sweep(
    spec: Path, workers: int = 2, backend: LocalBackend | RayBackend | None = None
) -> SweepOutcome:
    """Run a sweep quietly."""
    quiet = Console(file=io.StringIO(), width=200)
    return run_sweep(spec, backend or LocalBackend(workers, 2), console=quiet, progress=False)


def stored(folder: Path, name: str = "tiny") -> pd.DataFrame:
    """Return the sweep's results table as written."""
    return pd.read_parquet(folder / "results" / name / "runs.parquet")


def test_resume_skips_finished_runs_and_runs_only_new_ones(tiny_catalog, tmp_path):
    # Arrange
    spec = write_spec(
        tmp_path, tiny_catalog, f"{GRID.format('5, 10')}\n{ABLATIONS}", sweep="write_runs = true"
    )
    first = sweep(spec)
    written = stored(tmp_path)

    # Act
    again = sweep(spec)
    write_spec(
        tmp_path,
        tiny_catalog,
        f"{GRID.format('5, 10, 15')}\n{ABLATIONS}",
        sweep="write_runs = true",
    )
    grown = sweep(spec)

    # Assert
    assert (first.executed, again.executed, grown.executed) == (4, 0, 2)
    assert runs_started(tmp_path / "count") == 6
    assert stored(tmp_path).set_index("label").loc[written["label"], "finished_at"].tolist() == (
        written["finished_at"].tolist()
    )
    assert len(grown.table) == 6 and (grown.table["status"] == "ok").all()
    assert grown.table["trades"].gt(0).all()
    for folder, total_return in zip(
        grown.table["results_dir"], grown.table["total_return"], strict=True
    ):
        assert json.loads((Path(folder) / "stats.json").read_text())["total_return"] == total_return


def test_labels_with_equal_configs_run_once_and_a_new_one_reuses_the_result(tiny_catalog, tmp_path):
    # Arrange: 20 is the base's own slow period, so "same" is the baseline's config
    same = "[ablations.baseline]\n[ablations.same]\nstrategy.params.slow_period = 20"
    spec = write_spec(tmp_path, tiny_catalog, same)
    first = sweep(spec)

    # Act
    write_spec(
        tmp_path, tiny_catalog, f"{same}\n[ablations.again]\nstrategy.params.fast_period = 5"
    )
    second = sweep(spec)

    # Assert
    table = second.table.set_index("ablation")
    assert (first.executed, second.executed) == (1, 0)
    assert runs_started(tmp_path / "count") == 1
    assert table["run_id"].nunique() == 1 and len(table) == 3
    assert table["total_return"].nunique() == 1
    assert table["count.starts"].tolist() == [1, 1, 1]


def test_failed_runs_are_recorded_with_their_error_and_run_again_on_resume(tiny_catalog, tmp_path):
    # Arrange: an EMA period of 0 makes the strategy raise; February is not in the catalog
    spec = write_spec(
        tmp_path,
        tiny_catalog,
        """
[ablations.baseline]
[ablations.broken]
strategy.params.fast_period = 0
[ablations.no_data]
period.start = 2024-02-01T00:00:00Z
period.end = 2024-02-01T04:00:00Z
""",
    )

    # Act
    code = run_backtest.main(["--sweep", str(spec), "--workers", "2", "--no-progress"])
    table = stored(tmp_path).set_index("ablation")
    resumed = sweep(spec)

    # Assert
    assert code == run_backtest.EXIT_RUNS_FAILED
    assert table.loc["baseline", "status"] == "ok"
    assert table.loc["broken", "status"] == "failed"
    assert table.loc["broken", "error"].startswith("ValueError: 'period' not a positive integer")
    assert "Traceback (most recent call last)" in table.loc["broken", "traceback"]
    assert table.loc["no_data", "status"] == "failed"
    assert table.loc["no_data", "error"].startswith("DataError: data.families: the catalog at")
    assert "does not cover 2024-02-01" in table.loc["no_data", "error"]
    assert resumed.executed == 2 and resumed.failed == 2
    assert runs_started(tmp_path / "count") == 1


def test_a_run_that_kills_its_worker_is_recorded_and_the_runs_beside_it_complete(
    tiny_catalog, tmp_path
):
    # Arrange
    spec = write_spec(
        tmp_path,
        tiny_catalog,
        f"{GRID.format('5, 10')}\n[ablations.baseline]\n"
        "[ablations.killer]\nstrategy.params.kill_worker = true",
    )

    # Act
    outcome = sweep(spec)

    # Assert
    table = outcome.table.set_index("label")
    assert (
        table.loc[["tiny/baseline/fast_period=5", "tiny/baseline/fast_period=10"], "status"] == "ok"
    ).all()
    for label in ("tiny/killer/fast_period=5", "tiny/killer/fast_period=10"):
        assert table.loc[label, "status"] == "failed"
        assert table.loc[label, "error"] == WORKER_DIED


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize(
    ("signum", "whole_group"),
    [
        pytest.param(signal.SIGINT, True, id="Ctrl-C to the terminal's process group"),
        pytest.param(signal.SIGTERM, False, id="SIGTERM to the driver alone"),
    ],
)
def test_an_interrupted_sweep_leaves_a_consistent_store_and_resumes_the_rest(
    tiny_catalog, tmp_path, signum, whole_group
):
    # Arrange: six runs of over a second each on two workers
    spec = write_spec(tmp_path, tiny_catalog, GRID.format("3, 4, 5, 6, 7, 8"), delay_secs=1.5)
    table = tmp_path / "results" / "tiny" / "runs.parquet"
    command = [sys.executable, "run_backtest.py", "--sweep", str(spec), "--workers", "2"]
    driver = subprocess.Popen(
        command, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while not table.exists() and driver.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)

    # Act
    if whole_group:
        os.killpg(driver.pid, signum)
    else:
        driver.send_signal(signum)
    _, stderr = driver.communicate(timeout=60)
    interrupted = pd.read_parquet(table)
    workers = {int(p.name.split("-")[0]) for p in (tmp_path / "count").iterdir()}
    resumed = sweep(spec)

    # Assert
    assert driver.returncode == run_backtest.EXIT_INTERRUPTED, stderr.decode()
    assert 1 <= len(interrupted) < 6 and (interrupted["status"] == "ok").all()
    assert not list(table.parent.glob(".*.tmp"))
    assert not any(_alive(pid) for pid in workers)
    assert resumed.executed == 6 - len(interrupted)
    assert len(resumed.table) == 6 and (resumed.table["status"] == "ok").all()


def test_local_and_ray_backends_give_the_same_results(tiny_catalog, tmp_path):
    # Arrange
    pytest.importorskip("ray", reason="ray is not installed: pip install -e '.[ray]'")
    body = f"{GRID.format('5, 10')}\n{ABLATIONS}"
    on_local = write_spec(tmp_path / "local", tiny_catalog, body)
    on_ray = write_spec(tmp_path / "ray", tiny_catalog, body)

    # Act
    local = sweep(on_local).table
    ray = sweep(on_ray, backend=RayBackend(workers=2, max_tasks_per_child=2)).table

    # Assert: the runs differ only in count_dir, which is in the run ids and the overrides
    columns = [c for c in local.columns if c not in VOLATILE]
    assert len(local) == 4 and (local["status"] == "ok").all()
    pd.testing.assert_frame_equal(
        local[columns].set_index("label").sort_index(),
        ray[columns].set_index("label").sort_index(),
    )
    assert local["trades"].gt(0).all()
