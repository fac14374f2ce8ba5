"""
Sweep benchmark: N runs on k = 2 pool workers against the same N runs one after another, in one run.

Target (DESIGN §8): speed-up >= 0.8·k for N >= 4k. Here N = 8 runs (a 4 x 2 grid of the example
strategy's EMA periods) over one synthetic day (``python -m etl synth`` + ``ingest``).

- serial: ``backtest.sweep.task.execute`` in this process, one run after another (imports paid
  once, before the clock starts: the honest baseline for "just run them in a loop");
- parallel: ``LocalBackend(k)``, the spawn pool ``run_backtest.py --sweep`` uses, with its default
  recycling (``max_tasks_per_child`` = 4), timed from the first submit to the last result, worker
  start-up and imports included.

Also printed: each worker's peak RSS, whether both gave identical statistics, and the load average
before and after (the machine is shared, so the speed-up is only as good as the idle cores).

"""

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS_GRID = {"fast_period": [5, 10, 15, 20], "slow_period": [60, 120]}
WORKERS = 2
# Columns that differ between two executions of the same run: timing, and where it ran.
VOLATILE = {"wall_secs", "events_per_sec", "task_secs", "worker", "worker_peak_rss_mb"}
VOLATILE |= {"finished_at"}


def _build_catalog(folder: Path) -> Path:
    raw, catalog = folder / "raw", folder / "catalog"
    for args in (
        ["synth", "--out", str(raw), "--symbols", "BTCUSDT", "--start", "2024-01-01", "--days", "1",
         "--seed", "7", "--no-ground-truth"],
        ["ingest", "--raw", str(raw), "--catalog", str(catalog)],
    ):  # fmt: skip
        # A subprocess, so that generating the data does not inflate this process's peak RSS.
        subprocess.run(
            [sys.executable, "-m", "etl", *args, "--quiet"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    return catalog


def _write_spec(folder: Path, catalog: Path) -> Path:
    grid = "\n".join(f"strategy.params.{k} = {v}" for k, v in RUNS_GRID.items())
    base = (ROOT / "configs" / "example_imbalance.toml").resolve()
    spec = folder / "bench.toml"
    spec.write_text(
        f"""
[sweep]
name = "bench"
output_dir = "{folder / "results"}"

[bases]
demo = "{base}"

[overrides]
catalog.path = "{catalog}"
period.start = 2024-01-01T00:00:00Z
period.end = 2024-01-02T00:00:00Z

[grid]
{grid}
""",
    )
    return spec


def _numbers(results: list) -> dict[str, dict]:
    return {r.run_id: {k: v for k, v in r.columns.items() if k not in VOLATILE} for r in results}


def main() -> None:
    """Run the benchmark and print its figures."""
    sys.path.insert(0, str(ROOT))
    from backtest.sweep.backends import LocalBackend
    from backtest.sweep.backends import default_workers
    from backtest.sweep.expand import expand
    from backtest.sweep.runner import make_tasks
    from backtest.sweep.spec import load_spec
    from backtest.sweep.task import execute

    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        folder = Path(tmp)
        catalog = _build_catalog(folder)
        spec_path = _write_spec(folder, catalog)
        spec = load_spec(spec_path)
        tasks = make_tasks(spec, expand(spec, spec_path.parent, str(spec_path)))
        load_before = os.getloadavg()

        t0 = time.perf_counter()
        serial = [execute(task) for task in tasks]
        serial_secs = time.perf_counter() - t0
        serial_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        t0 = time.perf_counter()
        parallel = list(LocalBackend(WORKERS).run(tasks))
        parallel_secs = time.perf_counter() - t0
        load_after = os.getloadavg()

    failed = [r.columns["error"] for r in serial + parallel if not r.ok]
    if failed:
        print(f"  {len(failed)} run(s) failed, figures are meaningless: {failed[0]}")
        return
    per_worker: dict[str, float] = {}
    for result in parallel:
        worker = result.columns["worker"]
        per_worker[worker] = max(per_worker.get(worker, 0.0), result.columns["worker_peak_rss_mb"])
    n = len(tasks)
    speedup = serial_secs / parallel_secs
    events = serial[0].columns["events"]
    identical = _numbers(serial) == _numbers(parallel)
    print(f"  catalog: 1 synthetic day of BTCUSDT, {events:,} events per run")
    print(f"  runs: N = {n} (example strategy, grid {RUNS_GRID})")
    print(f"  serial, one process:        {serial_secs:7.1f} s  ({serial_secs / n:.1f} s/run)")
    print(
        f"  local pool, k = {WORKERS} workers:  {parallel_secs:7.1f} s  (spawn + imports included)"
    )
    print(
        f"  speed-up: {speedup:.2f}x  (target >= {0.8 * WORKERS:.2f}x = 0.8·k; "
        f"{'met' if speedup >= 0.8 * WORKERS else 'NOT met'})"
    )
    print(
        f"  peak RSS per worker: {', '.join(f'{v:.0f}' for v in sorted(per_worker.values()))} MiB "
        f"({len(per_worker)} worker processes, recycled every 4 runs); "
        f"serial process: {serial_rss:.0f} MiB"
    )
    print(f"  identical statistics serial vs pool: {'yes' if identical else 'NO'}")
    print(
        f"  load average (1, 5, 15 min) before: {_load(load_before)}, after: {_load(load_after)}; "
        f"CPUs here: {default_workers()}"
    )


def _load(values: tuple[float, float, float]) -> str:
    return "/".join(f"{v:.2f}" for v in values)
