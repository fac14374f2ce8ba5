"""
ETL throughput and memory against the DESIGN §8 budgets, measured in one run on the same files.

Generates a realistic aggTrades day and bookTicker day in the archive's CSV format (numpy, in a
temporary folder), then times, on the same files: this ETL (``etl.ingest.ingest(workers=1)``, the
whole command path with sha256, manifest and instrument), Nautilus's own path (pandas
``read_csv`` + ``TradeTickDataWrangler`` / ``QuoteTickDataWrangler`` + ``catalog.write_data``) and
a bare pyarrow CSV→Parquet copy (typed ``pyarrow.csv.read_csv`` + ``pq.write_table``). Then the
peak RSS of the ETL on a 5M-row and a 20M-row bookTicker day, and of the bare copy on the 5M-row
file, each in a fresh subprocess.

Sizes come from the environment: ``BENCH_ETL_ROWS`` (rows per throughput file, default 2,000,000),
``BENCH_ETL_REPEAT`` (runs per path, the fastest counts: the machine is shared; default 2),
``BENCH_ETL_RSS_ROWS`` (the two bookTicker sizes, default ``5000000,20000000``; empty skips the
memory part), ``BENCH_ETL_DIR`` (work folder, default a new temporary one, removed at the end
unless ``BENCH_ETL_KEEP=1``).
"""

import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from etl.archive import FAMILIES
from etl.archive import FUTURES_UM
from etl.reader import COLUMN_TYPES
from etl.synth.textfmt import bool_text
from etl.synth.textfmt import csv_chunks
from etl.synth.textfmt import fixed_text
from etl.synth.textfmt import int_text

SYMBOL = "BTCUSDT"
DAY = "2024-01-01"
DAY_MS = 1_704_067_200_000
DAY_LENGTH_MS = 86_400_000
CHUNK_ROWS = 1 << 20
PRICE_DECIMALS, QTY_DECIMALS, QUOTE_TEXT_DECIMALS = 1, 3, 8
MIN_ROWS_PER_S = 1_000_000
MAX_COPY_RATIO = 2.0
MIN_WRANGLER_SPEEDUP = 6.0
# "≈ 1": the 20M-row day may need at most this much more than the 5M-row day.
MAX_RSS_GROWTH = 1.10
# "Far less than the file": at most this share of the 20M-row file's size.
MAX_RSS_FILE_SHARE = 0.25
MB = 1 << 20


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _env_ints(name: str, default: str) -> list[int]:
    return [int(v) for v in os.environ.get(name, default).replace("_", "").split(",") if v.strip()]


# ---------------------------------------------------------------------------------------------
# Realistic raw files, written chunk by chunk so that a 20M-row day needs little memory.


@dataclass
class _Walk:
    """State carried from one generated chunk to the next: ids, prices and time keep going."""

    rng: np.random.Generator
    mean_gap_ms: float
    time_ms: float = float(DAY_MS)
    price_units: int = 420_000  # 42000.0 in 0.1 ticks
    last_id: dict[str, int] = field(default_factory=dict)

    def times(self, n: int) -> np.ndarray:
        # Exponential gaps: bursts of rows in the same millisecond, as in the archive.
        t = self.time_ms + np.cumsum(self.rng.exponential(self.mean_gap_ms, n))
        self.time_ms = float(t[-1])
        return t.astype(np.int64)

    def prices(self, n: int) -> np.ndarray:
        p = self.price_units + np.cumsum(self.rng.choice(np.array([-1, 0, 0, 0, 1]), n))
        self.price_units = int(p[-1])
        return p

    def ids(self, name: str, steps: np.ndarray) -> np.ndarray:
        # Increasing ids of one kind (aggregate trade, trade, book update) continuing across chunks.
        ids = self.last_id.get(name, 0) + np.cumsum(steps)
        self.last_id[name] = int(ids[-1])
        return ids

    def quantities(self, n: int) -> np.ndarray:
        return self.rng.geometric(0.01, n)  # in 0.001 steps: mean 0.1 BTC


def _trade_columns(walk: _Walk, n: int) -> list[pa.Array]:
    fills = walk.rng.geometric(0.5, n)  # trades per aggregate trade
    last = 8_000_000_000 + walk.ids("trade", fills)
    return [
        int_text(3_000_000_000 + walk.ids("agg", np.ones(n, dtype=np.int64))),
        fixed_text(walk.prices(n), PRICE_DECIMALS),
        fixed_text(walk.quantities(n), QTY_DECIMALS),
        int_text(last - fills + 1),
        int_text(last),
        int_text(walk.times(n)),
        bool_text(walk.rng.random(n) < 0.5, "true", "false"),
    ]


def _quote_columns(walk: _Walk, n: int) -> list[pa.Array]:
    bid = walk.prices(n)
    ask = bid + 1 + (walk.rng.random(n) < 0.1) * walk.rng.integers(1, 5, n)
    tx = walk.times(n)
    return [
        int_text(3_800_000_000_000 + walk.ids("update", walk.rng.integers(1, 1000, n))),
        fixed_text(bid, PRICE_DECIMALS, QUOTE_TEXT_DECIMALS),
        fixed_text(walk.quantities(n), QTY_DECIMALS, QUOTE_TEXT_DECIMALS),
        fixed_text(ask, PRICE_DECIMALS, QUOTE_TEXT_DECIMALS),
        fixed_text(walk.quantities(n), QTY_DECIMALS, QUOTE_TEXT_DECIMALS),
        int_text(tx),
        int_text(tx + walk.rng.integers(1, 10, n)),
    ]


_COLUMNS: dict[str, Callable[[_Walk, int], list[pa.Array]]] = {"aggTrades": _trade_columns, "bookTicker": _quote_columns}


def write_day(folder: Path, family: str, rows: int, seed: int) -> Path:
    """
    Write one day of `family` (aggTrades or bookTicker) in the archive's CSV format.

    Parameters
    ----------
    folder : Path
        Where the file goes (created); it is named as the archive names it.
    family : str
        ``aggTrades`` or ``bookTicker``.
    rows : int
        Data rows, spread over the UTC day.
    seed : int
        Random seed: the same arguments write the same bytes.

    Returns
    -------
    Path
        The CSV file.

    """
    folder.mkdir(parents=True, exist_ok=True)
    spec = FAMILIES[family]
    path = folder / f"{spec.file_stem(SYMBOL, DAY)}.csv"
    # 2% short of the whole day: the random total stays inside it (its spread is ~sqrt(rows) gaps).
    walk = _Walk(np.random.default_rng(seed), mean_gap_ms=0.98 * DAY_LENGTH_MS / rows)
    with open(path, "wb") as f:
        for start in range(0, rows, CHUNK_ROWS):
            columns = _COLUMNS[family](walk, min(CHUNK_ROWS, rows - start))
            for chunk in csv_chunks(columns, spec.header if start == 0 else None):
                f.write(chunk)
    return path


# ---------------------------------------------------------------------------------------------
# The three paths.


@dataclass
class Timing:
    """One measured run: rows, wall and CPU seconds."""

    rows: int
    wall: float
    cpu: float

    @property
    def rows_per_s(self) -> float:
        """Return rows per wall-clock second."""
        return self.rows / self.wall

    @property
    def rows_per_cpu_s(self) -> float:
        """Return rows per second of this process's CPU time (what an idle machine would give one thread)."""
        return self.rows / self.cpu


def _fastest(run: Callable[[], int], repeat: int) -> Timing:
    # Other work shares the two cores: the fastest of a few runs is the least disturbed one.
    timings = []
    for _ in range(repeat):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        rows = run()
        timings.append(Timing(rows, time.perf_counter() - wall, time.process_time() - cpu))
    return min(timings, key=lambda t: t.wall)


def run_etl(csv_path: Path, catalog: Path) -> int:
    """Ingest one raw file into a fresh catalog with this ETL on one worker; return rows written."""
    from etl.ingest import ingest

    shutil.rmtree(catalog, ignore_errors=True)
    summary = ingest(csv_path.parent, catalog, workers=1)
    (result,) = summary.results
    if result.status != "ok" or result.rows_rejected:
        raise RuntimeError(f"benchmark file did not ingest cleanly: {result.status} {result.rejects} {result.error}")
    return result.rows_written


def run_wrangler(csv_path: Path, family: str, catalog: Path) -> int:
    """Ingest one raw file the Nautilus way: pandas, the legacy wrangler, ``write_data``."""
    import pandas as pd
    from nautilus_trader.persistence.catalog import ParquetDataCatalog
    from nautilus_trader.persistence.wranglers import QuoteTickDataWrangler
    from nautilus_trader.persistence.wranglers import TradeTickDataWrangler

    from etl.instruments import InstrumentSpecs

    shutil.rmtree(catalog, ignore_errors=True)
    instrument = InstrumentSpecs().get(FUTURES_UM, SYMBOL).to_instrument()
    df = pd.read_csv(csv_path)
    if family == "aggTrades":
        frame = pd.DataFrame({"price": df.price, "quantity": df.quantity, "trade_id": df.agg_trade_id.astype(str), "buyer_maker": df.is_buyer_maker})
        frame.index = pd.to_datetime(df.transact_time, unit="ms", utc=True)
        ticks = TradeTickDataWrangler(instrument).process(frame)
    else:
        frame = pd.DataFrame({"bid_price": df.best_bid_price, "ask_price": df.best_ask_price, "bid_size": df.best_bid_qty, "ask_size": df.best_ask_qty})
        frame.index = pd.to_datetime(df.transaction_time, unit="ms", utc=True)
        ticks = QuoteTickDataWrangler(instrument).process(frame)
    del df, frame
    ParquetDataCatalog(str(catalog)).write_data(ticks)
    return len(ticks)


def run_bare_copy(csv_path: Path, family: str, out: Path, *, threads: bool = True) -> int:
    """Copy a raw CSV to Parquet with pyarrow alone (typed read, snappy write); return rows."""
    header = FAMILIES[family].header
    table = pacsv.read_csv(
        csv_path,
        read_options=pacsv.ReadOptions(use_threads=threads),
        convert_options=pacsv.ConvertOptions(column_types={c: t for c, t in COLUMN_TYPES[family].items() if c in header}),
    )
    pq.write_table(table, out)
    return table.num_rows


# ---------------------------------------------------------------------------------------------
# Peak memory, each measurement in a fresh interpreter.


def _child(argv: list[str]) -> int:
    """Run one job (``etl``, ``copy`` or ``imports``) and print its rows and the process's peak RSS."""
    job, csv_path, out = argv[0], Path(argv[1]), Path(argv[2])
    if job == "etl":
        rows = run_etl(csv_path, out)
    elif job == "copy":
        rows = run_bare_copy(csv_path, "bookTicker", out)
    else:
        import etl.ingest  # noqa: F401  (the interpreter and the ETL's imports: the floor of any run)

        rows = 0
    print(json.dumps({"rows": rows, "peak_rss": _own_peak_rss()}))
    return 0


def _own_peak_rss() -> int:
    # VmHWM is the peak of this process image alone; ru_maxrss would also count the parent's
    # pages the child held between fork and exec (the benchmark parent is large).
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def peak_rss(job: str, csv_path: Path, out: Path) -> int:
    """Return the peak RSS in bytes of one job run in a fresh subprocess."""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-m", "bench.bench_etl", job, str(csv_path), str(out)], cwd=root, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{job} on {csv_path.name} failed:\n{done.stderr[-2000:]}")
    return int(json.loads(done.stdout.strip().splitlines()[-1])["peak_rss"])


# ---------------------------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "[green]PASS[/]" if ok else "[red]MISS[/]"


def main() -> None:
    """Generate the files, run every measurement once, print the figures and PASS/MISS per target."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    rows = _env_int("BENCH_ETL_ROWS", 2_000_000)
    repeat = _env_int("BENCH_ETL_REPEAT", 2)
    rss_rows = _env_ints("BENCH_ETL_RSS_ROWS", "5000000,20000000")
    work = Path(os.environ.get("BENCH_ETL_DIR") or tempfile.mkdtemp(prefix="bench_etl_"))
    keep = os.environ.get("BENCH_ETL_KEEP") == "1"
    try:
        console.print(f"work folder {work}; {rows:,} rows per throughput file, fastest of {repeat} run(s); memory at {', '.join(f'{r:,}' for r in rss_rows) or 'skipped'} bookTicker rows")
        console.print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
        files = {family: write_day(work / "raw" / family, family, rows, seed) for seed, family in enumerate(("aggTrades", "bookTicker"), start=1)}
        # Warm-up on a small file: imports, numba's cached kernels, first-call costs out of the timings.
        small = {family: write_day(work / "warm" / family, family, 20_000, 9) for family in files}
        for family, path in small.items():
            run_etl(path, work / "warm-etl")
            run_wrangler(path, family, work / "warm-wrangler")
            run_bare_copy(path, family, work / "warm.parquet")

        timings: dict[tuple[str, str], Timing] = {}
        for family, path in files.items():
            timings["etl", family] = _fastest(lambda p=path: run_etl(p, work / "cat-etl"), repeat)
            timings["bare copy", family] = _fastest(lambda p=path, f=family: run_bare_copy(p, f, work / "copy.parquet"), repeat)
            timings["bare copy, 1 thread", family] = _fastest(lambda p=path, f=family: run_bare_copy(p, f, work / "copy.parquet", threads=False), repeat)
            timings["wrangler + write_data", family] = _fastest(lambda p=path, f=family: run_wrangler(p, f, work / "cat-wrangler"), repeat)

        table = Table(title="throughput on the same files (one process)")
        for name in ("path", "family", "file MB", "rows", "wall s", "cpu s", "rows/s", "rows/cpu s"):
            table.add_column(name, justify="left" if name in ("path", "family") else "right")
        for (path_name, family), t in timings.items():
            table.add_row(path_name, family, f"{files[family].stat().st_size / MB:,.0f}", f"{t.rows:,}", f"{t.wall:.2f}", f"{t.cpu:.2f}", f"{t.rows_per_s:,.0f}", f"{t.rows_per_cpu_s:,.0f}")
        console.print(table)
        console.print(f"load average after the timings: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

        targets = Table(title="targets (DESIGN §8)")
        for name in ("target", "measured", "budget", "result"):
            targets.add_column(name, justify="left" if name == "target" else "right")
        # Verdicts on wall time; the CPU-time figure beside each says what an idle machine would give.
        for family in files:
            etl, copy = timings["etl", family], timings["bare copy", family]
            wrangler = timings["wrangler + write_data", family]
            copy_ratio, speedup = etl.wall / copy.wall, etl.rows_per_s / wrangler.rows_per_s
            copy_ratio_1 = etl.wall / timings["bare copy, 1 thread", family].wall
            targets.add_row(f"{family}: ETL rows/s, one worker", f"{etl.rows_per_s:,.0f} (cpu: {etl.rows_per_cpu_s:,.0f})", f"≥ {MIN_ROWS_PER_S:,}", _verdict(etl.rows_per_s >= MIN_ROWS_PER_S))
            targets.add_row(f"{family}: ETL time / bare copy time", f"{copy_ratio:.2f} (1 thread: {copy_ratio_1:.2f}; cpu: {etl.cpu / copy.cpu:.2f})", f"≤ {MAX_COPY_RATIO:g}", _verdict(copy_ratio <= MAX_COPY_RATIO))
            targets.add_row(f"{family}: ETL speed / wrangler + write_data", f"{speedup:.1f} (cpu: {wrangler.cpu / etl.cpu:.1f})", f"≥ {MIN_WRANGLER_SPEEDUP:g}", _verdict(speedup >= MIN_WRANGLER_SPEEDUP))

        if rss_rows:
            memory = Table(title="peak RSS, each in a fresh process")
            for name in ("run", "rows", "file MB", "peak RSS MB", "above ETL imports MB"):
                memory.add_column(name, justify="left" if name == "run" else "right")
            floor = peak_rss("imports", files["bookTicker"], work / "none")
            memory.add_row("interpreter + ETL imports only", "-", "-", f"{floor / MB:,.0f}", "0")
            etl_rss: dict[int, tuple[int, int]] = {}
            for n in rss_rows:
                path = write_day(work / f"rss-{n}" / "bookTicker", "bookTicker", n, 3)
                etl_rss[n] = (peak_rss("etl", path, work / "cat-rss"), path.stat().st_size)
                memory.add_row("ETL bookTicker", f"{n:,}", f"{etl_rss[n][1] / MB:,.0f}", f"{etl_rss[n][0] / MB:,.0f}", f"{(etl_rss[n][0] - floor) / MB:,.0f}")
                if n == rss_rows[0]:
                    copy_peak = peak_rss("copy", path, work / "copy-rss.parquet")
                    memory.add_row("bare copy bookTicker (no Nautilus imports)", f"{n:,}", f"{etl_rss[n][1] / MB:,.0f}", f"{copy_peak / MB:,.0f}", "-")
                path.unlink()  # the largest file is ~2 GB: keep one at a time
            console.print(memory)
            small_n, big_n = min(etl_rss), max(etl_rss)
            (small_rss, _), (big_rss, big_size) = etl_rss[small_n], etl_rss[big_n]
            targets.add_row(f"peak RSS {big_n / 1e6:g}M rows / {small_n / 1e6:g}M rows", f"{big_rss / small_rss:.2f}", f"≤ {MAX_RSS_GROWTH:g}", _verdict(big_rss / small_rss <= MAX_RSS_GROWTH))
            targets.add_row(f"peak RSS / file size at {big_n / 1e6:g}M rows", f"{big_rss / big_size:.2f}", f"≤ {MAX_RSS_FILE_SHARE:g}", _verdict(big_rss / big_size <= MAX_RSS_FILE_SHARE))
        console.print(targets)
        console.print("wall figures include waiting for a core when others use the machine; cpu figures are this process's own CPU time")
    finally:
        if keep:
            console.print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
