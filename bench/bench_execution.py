"""
Execution realism: what each fill model does to a backtest (``python -m bench execution``).

ToxicityConditionedVolatility set B (``configs/toxvol_B.toml``, its shipped latency) runs under
each ``[execution] model`` (``l1``, ``depth``, ``depth+queue``) on two markets, in the same
process one after the other:

1. the demo market (3 synthetic days, seed 7, as ``make demo`` builds it), tick fidelity, with
   ``execution_mode = "MARKET"`` (the shipped demo) and ``"LIMIT"`` (post-only entries, so the
   queue has something to do), and features fidelity (``LIMIT``);
2. one real-volume synthetic day (2M aggTrades + 20M bookTicker rows, the fidelity benchmark's
   market), features fidelity, and tick fidelity with ``BENCH_EXECUTION_TICK_DAY=1`` (22M events
   per model: about 8 minutes each on an idle core, far more on a loaded machine).

Per run it prints: the total return and its difference from ``l1`` on the same market and mode
(Δ return, percentage points), the share of taker quantity filled beyond the touch, the average
distance of taker fills from the touch in ticks (quantity-weighted: the impact per unit), the
impact cost paid, the maker fill rate (post-only orders with a fill / post-only orders sent) and
the events per second of the engine (wall time: on a shared machine it moves with the load, so
the module's own CPU cost per event is measured apart first).
"""

import os
import time
import tomllib
from pathlib import Path

from bench.bench_fidelity import build_market
from catalog.layout import manifest_path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "execution"
MODELS = ("l1", "depth", "depth+queue")
TICK_DAY = os.environ.get("BENCH_EXECUTION_TICK_DAY", "0") == "1"


def demo_catalog() -> Path:
    """Return the demo catalog (``make demo``'s, else built here the same way)."""
    import subprocess
    import sys

    existing = ROOT / "data" / "catalog"
    if manifest_path(existing).exists():
        return existing
    folder = OUT / "demo"
    catalog = folder / "catalog"
    if not manifest_path(catalog).exists():
        raw = folder / "raw"
        for command in (
            [sys.executable, "-m", "etl", "synth", "--out", str(raw), "--symbols", "BTCUSDT",
             "--start", "2024-01-01", "--days", "3", "--seed", "7", "--quiet"],
            [sys.executable, "-m", "etl", "ingest", "--raw", str(raw), "--catalog", str(catalog)],
        ):  # fmt: skip
            subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return catalog


def raw_config(catalog: Path, end: str, model: str, mode: str, fidelity: str) -> dict:
    """Return set B over ``catalog`` until ``end`` with the given model, entry mode and fidelity."""
    raw = tomllib.loads((ROOT / "configs" / "toxvol_B.toml").read_text())
    raw["catalog"]["path"] = str(catalog)
    raw["period"]["end"] = end
    raw["strategy"]["params"]["execution_mode"] = mode
    raw["execution"]["model"] = model
    raw["data"]["fidelity"] = fidelity
    raw["output"] = {"dir": str(OUT / "results"), "progress": False, "report": False}
    return raw


def figures(outcome) -> dict:
    """Return one run's execution figures from its fills and stats."""
    fills, stats = outcome.fills, outcome.stats
    taker = fills[fills["liquidity"] == "TAKER"]
    qty = taker["qty"].sum()
    maker_orders = fills[fills["liquidity"] == "MAKER"]["client_order_id"].nunique()
    sent = stats.get("count.limit_orders", 0) or 0
    return {
        "return": stats["total_return"],
        "beyond": taker.loc[taker["level"] > 0, "qty"].sum() / qty if qty else 0.0,
        "ticks": (taker["level"] * taker["qty"]).sum() / qty if qty else 0.0,
        "impact": taker["impact"].sum(),
        "maker": (maker_orders / sent) if sent else None,
        "sent": sent,
        "events_per_sec": stats["events_per_sec"],
        "fills": len(fills),
    }


def run_row(label: str, catalog: Path, end: str, mode: str, fidelity: str) -> None:
    """Run the three models on one market, entry mode and fidelity; print one line per model."""
    from backtest.config import parse_config
    from backtest.node import run_backtest

    base = None
    for model in MODELS:
        t0 = time.perf_counter()
        outcome = run_backtest(
            parse_config(raw_config(catalog, end, model, mode, fidelity)), progress=False
        )
        wall = time.perf_counter() - t0
        f = figures(outcome)
        base = f["return"] if base is None else base
        maker = f"{f['maker']:.0%} of {f['sent']}" if f["maker"] is not None else "n/a"
        print(
            f"  {label:<22} {mode:<6} {model:<12} return {f['return']:+.3%}  Δ {100 * (f['return'] - base):+.3f} pp  "
            f"beyond touch {f['beyond']:5.1%}  avg impact {f['ticks']:6.2f} ticks  impact paid {f['impact']:9,.2f}  "
            f"maker fill rate {maker:<10}  {f['events_per_sec']:>9,.0f} events/s  ({wall:.0f} s, {f['fills']} fills)",
            flush=True,
        )


def module_cost_us(model: str, events: int = 200_000) -> float:
    """
    Return the CPU µs the execution module adds per market event under ``model``.

    A venue with the module and a resting post-only order (so ``depth+queue`` has a queue to
    update) receives ``events`` alternating quotes and trades through ``pre_process`` alone, timed
    with process CPU time (best of three): the engine's own work is not in it, and the figure
    does not depend on the machine's load the way a run's events per second does.
    """
    from nautilus_trader.backtest.config import FillModelConfig
    from nautilus_trader.backtest.engine import BacktestEngine
    from nautilus_trader.backtest.engine import BacktestEngineConfig
    from nautilus_trader.config import LoggingConfig
    from nautilus_trader.model.currencies import USDT
    from nautilus_trader.model.enums import AccountType
    from nautilus_trader.model.enums import OmsType
    from nautilus_trader.model.identifiers import Venue
    from nautilus_trader.model.objects import Money

    from backtest.execution import ExecutionRealismConfig
    from backtest.execution import ExecutionRealismModule
    from backtest.execution import RealismFillModel
    from backtest.execution.queue import UNKNOWN
    from tests.backtest.fixtures import T0
    from tests.backtest.fixtures import btcusdt_perp
    from tests.backtest.fixtures import quote
    from tests.backtest.fixtures import trade

    engine = BacktestEngine(BacktestEngineConfig(logging=LoggingConfig(bypass_logging=True)))
    module = ExecutionRealismModule(ExecutionRealismConfig(model=model))
    engine.add_venue(
        Venue("BINANCE"), OmsType.NETTING, AccountType.MARGIN, [Money(100_000, USDT)], base_currency=USDT,
        fill_model=RealismFillModel(FillModelConfig()), modules=[module], bar_execution=False,
    )  # fmt: skip
    instrument = btcusdt_perp()
    engine.add_instrument(instrument)
    data = []
    for n in range(events // 2):
        bid = 42_000.0 + 0.1 * (n % 7)
        data.append(quote(T0 + 2 * n, bid, bid + 0.1, 1.0 + n % 5, 2.0))
        data.append(trade(T0 + 2 * n + 1, bid, 0.01, False, n))
    module.pre_process(data[0])
    market = module._markets.get(instrument.id)
    if market is not None and module.queues:
        # A resting bid behind the touch: every event visits its queue entry, none fills it.
        market.queue.join("bench", +1, 419_000, 420_000, 420_001, UNKNOWN, 1.0)
    best = float("inf")
    for _ in range(3):
        t0 = time.process_time()
        for item in data:
            module.pre_process(item)
        best = min(best, time.process_time() - t0)
    engine.dispose()
    return best / len(data) * 1e6


def main() -> None:
    """Run every market × mode × fidelity under the three models and print the figures."""
    print("execution module's own cost per market event (CPU, pre_process only):", flush=True)
    for model in MODELS:
        print(f"  {model:<12} {module_cost_us(model):6.2f} µs/event", flush=True)
    demo = demo_catalog()
    print("ToxicityConditionedVolatility set B; Δ return against l1 on the same row", flush=True)
    run_row("demo 3 days tick", demo, "2024-01-04T00:00:00Z", "MARKET", "tick")
    run_row("demo 3 days tick", demo, "2024-01-04T00:00:00Z", "LIMIT", "tick")
    run_row("demo 3 days features", demo, "2024-01-04T00:00:00Z", "LIMIT", "features")
    day = build_market(1)
    run_row("real-volume day features", day, "2024-01-02T00:00:00Z", "LIMIT", "features")
    if TICK_DAY:
        run_row("real-volume day tick", day, "2024-01-02T00:00:00Z", "LIMIT", "tick")


if __name__ == "__main__":
    main()
