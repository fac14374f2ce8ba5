"""
Synthetic-market generation speed at the demo size (3 days of BTCUSDT at default sizes).

Prints rows/s over wall time and per CPU-second (the machine is shared, so the CPU figure is the
stable one), each family's formatting speed, and the same for the archive's ZIP form with spot.
"""

import dataclasses
import datetime as dt
import tempfile
from pathlib import Path

from etl.synth.config import SynthConfig
from etl.synth.generate import generate
from etl.synth.report import SynthReport


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


if __name__ == "__main__":
    main()
