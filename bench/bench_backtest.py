"""
Backtest runtime benchmark: strategy cost and streaming memory, measured in one run.

1. events/s of a full strategy vs the idle baseline (``strategies.examples.idle``) on the same
   10-day catalog; target ratio >= 0.6. Each is run twice, alternating, and the better run of each
   counts, because the machine is shared and noisy.
2. peak RSS of a 10-day run vs a 1-day run of the full strategy (streaming); target <= 1.2.

Every run is a fresh subprocess that reports its own ``ru_maxrss``. The catalog is built once in a
temporary folder with ``python -m etl synth`` + ``python -m etl ingest`` when they work, else with
Nautilus's own API (``tests.backtest.fixtures``).

"""

import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DAYS = 10
START = "2024-01-01"
INSTRUMENT = "BTCUSDT-PERP.BINANCE"
BAR_TYPE = f"{INSTRUMENT}-1-MINUTE-LAST-EXTERNAL"
TRADES_PER_DAY = 40_000
QUOTES_PER_DAY = 100_000
STRATEGIES = {
    "idle": ("strategies.examples.idle:Idle", "strategies.examples.idle:IdleConfig"),
    # ToxVolConfig's defaults are parameter set B.
    "full": (
        "strategies.toxvol:ToxicityConditionedVolatility",
        "strategies.toxvol:ToxVolConfig",
    ),
}
FULL_STRATEGY_NOTE = "full strategy = ToxicityConditionedVolatility, parameter set B (ToxVolConfig defaults)"


def _etl(*args: str) -> bool:
    result = subprocess.run(
        [sys.executable, "-m", "etl", *args, "--quiet"], cwd=ROOT, capture_output=True, text=True
    )
    if result.returncode != 0:
        print(
            f"  python -m etl {args[0]} failed ({result.returncode}): {result.stderr.strip()[-300:]}"
        )
    return result.returncode == 0


def build_catalog(folder: Path) -> str:
    """Write the bench catalog into ``folder/catalog`` and return how it was made."""
    raw, catalog = folder / "raw", folder / "catalog"
    synth = [
        "synth", "--out", str(raw), "--symbols", "BTCUSDT", "--start", START, "--days", str(DAYS), "--seed", "7",
        "--trades-per-day", str(TRADES_PER_DAY), "--quotes-per-day", str(QUOTES_PER_DAY), "--no-ground-truth",
    ]  # fmt: skip
    if _etl(*synth) and _etl("ingest", "--raw", str(raw), "--catalog", str(catalog)):
        return "python -m etl synth + ingest"
    sys.path.insert(0, str(ROOT))
    from tests.backtest.fixtures import T0
    from tests.backtest.fixtures import write_random_walk_catalog

    write_random_walk_catalog(
        catalog,
        T0,
        DAYS,
        seed=7,
        quote_every_ms=86_400_000 // QUOTES_PER_DAY,
        trade_every_ms=86_400_000 // TRADES_PER_DAY,
    )
    return "tests.backtest.fixtures (Nautilus API)"


def _run_child(catalog: Path, strategy: str, days: int) -> dict:
    spec = json.dumps({"catalog": str(catalog), "strategy": strategy, "days": days})
    result = subprocess.run(
        [sys.executable, "-m", "bench.bench_backtest", "--child", spec],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"bench child {strategy}/{days}d failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def child(spec: dict) -> None:
    """Run one backtest in this process and print its figures as a JSON line."""
    from backtest.config import parse_config
    from backtest.node import run_backtest

    path, config_path = STRATEGIES[spec["strategy"]]
    end = (date.fromisoformat(START) + timedelta(days=spec["days"])).isoformat()
    config = parse_config(
        {
            "run": {"name": f"bench-{spec['strategy']}"},
            "catalog": {"path": spec["catalog"]},
            "period": {"start": START, "end": end},
            "data": {"instruments": [INSTRUMENT], "chunk_size": 50_000},
            "strategy": {
                "path": path,
                "config_path": config_path,
                "params": {"instrument_id": INSTRUMENT, "bar_type": BAR_TYPE},
            },
            "output": {"progress": False, "log_level": "ERROR"},
        },
    )
    outcome = run_backtest(config)
    stats = outcome.stats
    print(
        json.dumps(
            {
                "events": stats["events"],
                "wall_secs": stats["wall_secs"],
                "events_per_sec": stats["events_per_sec"],
                "trades": stats["trades"],
                "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            },
        ),
    )


def main() -> None:
    """Build the catalog, run the five backtests and print the two ratios."""
    with tempfile.TemporaryDirectory(prefix="bench_backtest_") as tmp:
        t0 = time.perf_counter()
        source = build_catalog(Path(tmp))
        catalog = Path(tmp) / "catalog"
        print(f"catalog: {DAYS} days of BTCUSDT from {source} in {time.perf_counter() - t0:.1f} s")
        print(FULL_STRATEGY_NOTE)
        runs: dict[str, list[dict]] = {"idle": [], "full": []}
        for strategy in ("idle", "full", "idle", "full"):
            run = _run_child(catalog, strategy, DAYS)
            runs[strategy].append(run)
            print(
                f"  {strategy:<5} {DAYS:>2}d  {run['events']:>10,} events  {run['wall_secs']:6.1f} s  "
                f"{run['events_per_sec']:>9,.0f} ev/s  peak RSS {run['maxrss_mib']:6.0f} MiB",
            )
        one_day = _run_child(catalog, "full", 1)
        print(
            f"  full   1d  {one_day['events']:>10,} events  {one_day['wall_secs']:6.1f} s  "
            f"{one_day['events_per_sec']:>9,.0f} ev/s  peak RSS {one_day['maxrss_mib']:6.0f} MiB",
        )
    best = {name: max(r["events_per_sec"] for r in rs) for name, rs in runs.items()}
    speed = best["full"] / best["idle"]
    memory = min(r["maxrss_mib"] for r in runs["full"]) / one_day["maxrss_mib"]
    print(
        f"events/s full / idle      = {speed:.2f}  (target >= 0.6)  {'OK' if speed >= 0.6 else 'MISSED'}"
    )
    print(
        f"peak RSS 10 days / 1 day  = {memory:.2f}  (target <= 1.2)  {'OK' if memory <= 1.2 else 'MISSED'}"
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(json.loads(sys.argv[2]))
    else:
        main()
