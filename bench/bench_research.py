"""
Research reports over a month of synthetic data: input rows per second of each report.

Builds a 30-day BTCUSDT catalog once in a temporary folder (``python -m etl synth`` at the
generator's default 150k trades a day, 100k quotes a day instead of 400k to keep the build short,
then ``python -m etl ingest``), runs each report once on its first day (numba caches, imports),
then times it on the month in three parts: reading the catalog, computing (twins, tables, metrics,
figures) and writing (CSV, Parquet, JSON, HTML). Rows are the report's input rows: trades for
``vpin`` and ``flow``, quotes for ``book``; "rows out" counts the rows of its tables (``book`` at
its default 1-second rows writes a month of 2.6M rows, ~0.7 GB of CSV: writing dominates).
"""

import importlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DAYS = 30
START = "2024-01-01"
END = "2024-01-31"
INSTRUMENT = "BTCUSDT-PERP.BINANCE"
QUOTES_PER_DAY = 100_000


def build_catalog(folder: Path) -> Path:
    """Generate and ingest the month; return the catalog folder."""
    raw, catalog = folder / "raw", folder / "catalog"
    synth = [
        "synth",
        "--out",
        str(raw),
        "--symbols",
        "BTCUSDT",
        "--start",
        START,
        "--days",
        str(DAYS),
    ]
    synth += [
        "--seed",
        "7",
        "--quotes-per-day",
        str(QUOTES_PER_DAY),
        "--no-ground-truth",
        "--quiet",
    ]
    for args in (synth, ["ingest", "--raw", str(raw), "--catalog", str(catalog)]):
        subprocess.run(
            [sys.executable, "-m", "etl", *args], cwd=ROOT, check=True, capture_output=True
        )
    return catalog


def time_report(report: str, catalog: Path, start: str, end: str, out: Path) -> dict[str, float]:
    """Run one report in its three parts; return the input rows and the seconds of each part."""
    from research.catalog import CatalogReader
    from research.cli import build_parser
    from research.options import config_from_args
    from research.output import write_report
    from research.period import Period
    from research.progress import Progress

    args = build_parser().parse_args(
        [
            report,
            "--catalog",
            str(catalog),
            "--instrument",
            INSTRUMENT,
            "--start",
            start,
            "--end",
            end,
        ]
    )
    module = importlib.import_module(f"research.reports.{report}")
    config = config_from_args(module.CONFIG, args)
    period = Period(args.start, args.end)
    t0 = time.perf_counter()
    inputs = module.read_inputs(CatalogReader(catalog, INSTRUMENT), period, config)
    t1 = time.perf_counter()
    result = module.report(inputs, period, config, Progress(False))
    t2 = time.perf_counter()
    write_report(result, out)
    t3 = time.perf_counter()
    written = sum(len(frame) for frame in result.tables.values())
    return {
        "rows": result.metrics["input"]["rows"],
        "out": written,
        "read": t1 - t0,
        "compute": t2 - t1,
        "write": t3 - t2,
    }


def main() -> None:
    """Build the month, time each report, print rows/s."""
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="bench_research_") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        catalog = build_catalog(folder)
        print(
            f"catalog: {DAYS} days of synthetic BTCUSDT (150k trades, {QUOTES_PER_DAY // 1000}k quotes a day) built in {time.perf_counter() - t0:.1f} s"
        )
        print(
            f"{'report':<6} {'input rows':>11} {'rows out':>10} {'read s':>7} {'compute s':>9} {'write s':>8} "
            f"{'total s':>8} {'rows/s total':>13} {'rows/s compute':>15}"
        )
        for report in ("vpin", "book", "flow"):
            time_report(report, catalog, START, "2024-01-02", folder / "warm" / report)
            t = time_report(report, catalog, START, END, folder / "out" / report)
            compute = t["compute"]
            total = t["read"] + compute + t["write"]
            print(
                f"{report:<6} {t['rows']:>11,} {t['out']:>10,} {t['read']:>7.2f} {compute:>9.2f} {t['write']:>8.2f} {total:>8.2f} "
                f"{t['rows'] / total:>13,.0f} {t['rows'] / compute:>15,.0f}"
            )


if __name__ == "__main__":
    main()
