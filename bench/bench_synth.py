"""
Synthetic-market generation: speed at the demo size, and memory and speed at real volume.

Demo size (3 days of BTCUSDT at default sizes): rows/s over wall time and per CPU-second (the
machine is shared, so the CPU figure is the stable one), each family's formatting speed, and the
same for the archive's ZIP form with spot.

Real volume: one day of 2M aggTrades and 20M bookTicker rows (a real BTCUSDT day), then two such
days, each generated in a fresh subprocess that reports its own peak RSS: the peak of one day
(target <= 3 GiB), the ratio of two days' peak to one day's (flat in the number of days: ~1.0),
and rows/s.
"""

import dataclasses
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from etl.synth.config import SynthConfig
from etl.synth.generate import generate
from etl.synth.report import SynthReport

REAL_TRADES_PER_DAY = 2_000_000
REAL_QUOTES_PER_DAY = 20_000_000
RSS_TARGET_GIB = 3.0


def _demo(out: Path) -> SynthConfig:
    return SynthConfig(out=out, symbols=("BTCUSDT",), start=dt.date(2024, 1, 1), days=3, seed=7)


def _run(label: str, **changes: object) -> SynthReport:
    with tempfile.TemporaryDirectory(prefix="bench_synth_") as tmp:
        report = generate(dataclasses.replace(_demo(Path(tmp)), **changes))
    events = report.rows.get("aggTrades", 0) + report.rows.get("bookTicker", 0)
    simulate = report.stage_seconds.get("simulate perp", 0.0)
    print(f"\n-- {label}")
    print(report.summary())
    if simulate:
        print(f"perp book+trade simulation: {events / simulate:,.0f} events per CPU-second")
    return report


def _child(days: int, out: str) -> None:
    """Generate `days` real-volume days into `out` and print the run's figures as JSON."""
    config = SynthConfig(
        out=Path(out),
        symbols=("BTCUSDT",),
        start=dt.date(2024, 1, 1),
        days=days,
        seed=1,
        trades_per_day=REAL_TRADES_PER_DAY,
        quotes_per_day=REAL_QUOTES_PER_DAY,
    )
    report = generate(config)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
    figures = {"rows": report.total_rows, "wall": report.wall_seconds, "cpu": report.cpu_seconds, "peak": peak}
    print(json.dumps(figures))


def _real_volume(days: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench_synth_real_") as tmp:
        # A fresh interpreter: its peak RSS is this run's alone.
        code = f"from bench.bench_synth import _child; _child({days}, {tmp!r})"
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        figures["process_wall"] = time.perf_counter() - t0
    gib = figures["peak"] / 2**30
    print(
        f"\n-- real volume, {days} day(s) of {REAL_TRADES_PER_DAY:,} trades + {REAL_QUOTES_PER_DAY:,} quotes: "
        f"{figures['rows']:,} rows in {figures['wall']:.1f} s = {figures['rows'] / figures['wall']:,.0f} rows/s wall, "
        f"{figures['rows'] / figures['cpu']:,.0f} rows/CPU-s; peak RSS {gib:.2f} GiB"
    )
    return figures


def main() -> None:
    """Run the benchmark and print its figures."""
    with tempfile.TemporaryDirectory(prefix="bench_synth_warm_") as tmp:
        # First calls initialise Arrow kernels and allocator pools; keep them out of the figures.
        warm = dataclasses.replace(_demo(Path(tmp)), days=1, trades_per_day=2_000, quotes_per_day=4_000)
        generate(dataclasses.replace(warm, spot=True, zipped=True))
    csv = _run("demo size, CSV (what `make demo` writes)")
    zipped = _run("demo size with spot, ZIP + CHECKSUM (the archive's form)", spot=True, zipped=True)
    print(
        f"\nsynth: {csv.rows_per_second:,.0f} rows/s wall, {csv.rows_per_cpu_second:,.0f} rows/CPU-s (CSV); "
        f"{zipped.rows_per_second:,.0f} rows/s wall, {zipped.rows_per_cpu_second:,.0f} rows/CPU-s (ZIP + spot)"
    )
    one, two = _real_volume(1), _real_volume(2)
    peak = one["peak"] / 2**30
    print(
        f"\nsynth real volume: peak RSS {peak:.2f} GiB for a {one['rows'] / 1e6:.0f}M-row day "
        f"(target <= {RSS_TARGET_GIB:.0f} GiB: {'met' if peak <= RSS_TARGET_GIB else 'MISSED'}); "
        f"2 days / 1 day peak RSS = {two['peak'] / one['peak']:.2f}; "
        f"{one['rows'] / one['wall']:,.0f} rows/s wall, {one['rows'] / one['cpu']:,.0f} rows/CPU-s (1 day), "
        f"{two['rows'] / two['wall']:,.0f} rows/s wall (2 days)"
    )


if __name__ == "__main__":
    main()
