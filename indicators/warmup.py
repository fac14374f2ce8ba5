"""
``python -m indicators.warmup``: compile every indicator kernel once, so no run starts silent.

numba compiles a kernel the first time it is called and caches the machine code on disk
(``indicators.kernels.cache``); a cold first backtest or research report would otherwise spend
a minute compiling with nothing on the screen, and its throughput figures would include it. This
runs every registry entry (``indicators.registry.REGISTRY``) through its three public update paths
(one event at a time, the batch twin and, for tick-fed indicators, ``advance``) on a small
synthetic stream, which compiles and caches every kernel they call. ``make install`` and
``make demo`` run it; ``ensure_warm`` runs it from a command, saying so, when the cache is cold.
"""

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

import numpy as np

from indicators.kernels.cache import HERE as KERNEL_DIR
from indicators.kernels.cache import sources_digest
from indicators.kernels.regime import crowding_events
from indicators.registry import REGISTRY
from indicators.registry import Entry

COMPILING_MESSAGE = "compiling numba kernels, once, ~1 min (later runs start at once)"
# Enough rows for every indicator to leave its warm-up branch; compile time, not data, dominates.
ROWS = 2_000
MINUTE_NS = 60_000_000_000


@dataclass
class WarmupReport:
    """How long compiling took, apart from any run's figures."""

    seconds: float = 0.0
    entries: int = 0
    # Entry name -> the error that stopped its warm-up (the run would compile it itself).
    failed: dict[str, str] = field(default_factory=dict)


def cache_is_warm() -> bool:
    """Return whether numba's cache holds kernels compiled from the current kernel sources."""
    folder = KERNEL_DIR / "__pycache__" / f"numba-{sources_digest()}"
    return folder.is_dir() and any(folder.glob("*.nbi"))


def streams(rows: int = ROWS, seed: int = 0) -> dict[str, dict[str, np.ndarray]]:
    """
    Return a small synthetic example of every registry stream.

    Parameters
    ----------
    rows : int
        Rows of the tick and bar streams (funding and metrics get fewer, as in a market).
    seed : int
        The random seed.

    Returns
    -------
    dict[str, dict[str, np.ndarray]]
        Stream name -> column name -> values (``indicators.registry.STREAMS``).

    """
    rng = np.random.default_rng(seed)
    ts = 1_704_067_200_000_000_000 + MINUTE_NS * np.arange(1, rows + 1, dtype=np.int64)
    close = 42_000.0 * np.exp(np.cumsum(rng.normal(0.0, 1e-3, rows)))
    open_ = np.concatenate(([close[0]], close[:-1]))
    spread = np.abs(rng.normal(0.0, 5e-4, rows)) * close
    volume = rng.lognormal(2.0, 0.5, rows)
    tick_ts = ts[0] + np.cumsum(rng.integers(1, 50_000_000, rows)).astype(np.int64)
    mid = close
    half = np.maximum(0.05, 1e-5 * mid)
    n_slow = max(rows // 20, 10)
    slow_ts = ts[0] + 5 * MINUTE_NS * np.arange(n_slow, dtype=np.int64)
    open_interest = 1e5 * np.exp(np.cumsum(rng.normal(0.0, 2e-3, n_slow)))
    long_short = rng.lognormal(0.0, 0.2, n_slow)
    funding_ts, funding_rate = slow_ts[::8] + 1, rng.normal(1e-4, 1e-4, slow_ts[::8].size)
    _, kind, x1, x2 = crowding_events(funding_ts, funding_rate, slow_ts, open_interest, long_short)
    return {
        "bars": {
            "ts": ts,
            "open": open_,
            "high": np.maximum(open_, close) + spread,
            "low": np.minimum(open_, close) - spread,
            "close": close,
            "volume": volume,
            "taker_buy_volume": volume * rng.random(rows),
        },
        "trades": {
            "ts": tick_ts,
            "price": mid + rng.choice([-1.0, 1.0], rows) * half,
            "size": rng.lognormal(-3.0, 1.0, rows),
            "side": rng.integers(1, 3, rows).astype(np.int64),
        },
        "quotes": {
            "ts": tick_ts,
            "bid_price": mid - half,
            "bid_size": rng.lognormal(0.0, 1.0, rows),
            "ask_price": mid + half,
            "ask_size": rng.lognormal(0.0, 1.0, rows),
        },
        "depth": {
            "ts": np.repeat(slow_ts, 10)[:rows],
            "percentage": np.tile(np.array([-5.0, -4.0, -3.0, -2.0, -1.0, 1.0, 2.0, 3.0, 4.0, 5.0]), n_slow)[:rows],
            "depth": rng.lognormal(5.0, 0.5, min(rows, 10 * n_slow)),
        },
        "funding": {"ts": funding_ts, "rate": funding_rate},
        "metrics": {"ts": slow_ts, "open_interest": open_interest, "long_short_ratio": long_short},
        "crowding": {"kind": kind, "x1": x1, "x2": x2},
    }


def _warm_entry(entry: Entry, data: dict[str, np.ndarray]) -> None:
    # Each path calls its own kernels: incremental steps, the batch twin, the block update.
    short = {c: v[:50] for c, v in data.items()}
    entry.run_incremental(entry.make(), short)
    entry.run_batch(entry.make(), data)
    indicator = entry.make()
    # A bar-fed twin of a tick indicator (VPIN on klines) has a tick feed its stream lacks.
    if indicator.feed is not None and set(indicator.feed_columns) <= set(data):
        indicator.advance(data)


def warm_up(progress: Callable[[str], None] | None = None) -> WarmupReport:
    """
    Compile and cache every indicator kernel.

    Parameters
    ----------
    progress : Callable[[str], None], optional
        Called with each entry's name once it is compiled (a progress display).

    Returns
    -------
    WarmupReport
        The compile time, to be kept apart from any throughput figure, and entries that failed.

    """
    started = time.perf_counter()
    examples = streams()
    report = WarmupReport()
    for entry in REGISTRY:
        try:
            _warm_entry(entry, examples[entry.stream])
        except Exception as e:  # noqa: BLE001 - a kernel left cold compiles on first use instead
            report.failed[entry.name] = f"{type(e).__name__}: {e}"
        report.entries += 1
        if progress is not None:
            progress(entry.name)
    report.seconds = time.perf_counter() - started
    return report


def ensure_warm(show_progress: bool | None = None) -> WarmupReport | None:
    """
    Compile the kernels now, saying so on stderr with a progress bar, when the cache is cold.

    Parameters
    ----------
    show_progress : bool | None
        Show a bar: True always, False never, None when stderr is a terminal. The one-line
        message is printed in every case.

    Returns
    -------
    WarmupReport | None
        None when the cache was already warm (nothing compiled).

    """
    if cache_is_warm():
        return None
    from tqdm import tqdm

    print(COMPILING_MESSAGE, file=sys.stderr, flush=True)
    disable = None if show_progress is None else not show_progress
    with tqdm(total=len(REGISTRY), desc="numba", unit="indicator", disable=disable, file=sys.stderr) as bar:

        def step(name: str) -> None:
            bar.set_postfix_str(name, refresh=False)
            bar.update(1)

        report = warm_up(step)
    print(f"compiled numba kernels in {report.seconds:.0f} s (cached for later runs)", file=sys.stderr)
    return report


def main(argv: list[str] | None = None) -> int:
    """
    Compile every indicator kernel; exit 0, or 1 if some could not be compiled (named).

    Returns
    -------
    int
        The exit code.

    """
    parser = argparse.ArgumentParser(
        prog="python -m indicators.warmup",
        description="Compile every indicator kernel once (numba caches them on disk).",
        epilog="Exit codes: 0 ok; 1 some kernels could not be compiled (named); 130 interrupted.",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        warm = cache_is_warm()
        report = ensure_warm(False if args.no_progress else None) or WarmupReport()
    except KeyboardInterrupt:
        print("interrupted: kernels compiled so far stay cached", file=sys.stderr)
        return 130
    if warm:
        print("numba kernels already compiled for these sources", file=sys.stderr)
    for name, error in report.failed.items():
        print(f"could not compile {name}: {error}", file=sys.stderr)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
