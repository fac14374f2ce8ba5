"""
ToxicityConditionedVolatility on the synthetic demo market (3 days of BTCUSDT, seed 7, as
``make demo`` builds it): every parameter set completes, trades, and fires both alphas.
"""

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from backtest.config import parse_config
from backtest.node import run_backtest
from backtest.results import RunOutcome
from backtest.results import write_results

ROOT = Path(__file__).resolve().parents[2]
PARAMETER_SETS = ("A", "B", "C")


@pytest.fixture(scope="module")
def demo_catalog(tmp_path_factory) -> Path:
    """Build the demo market's catalog once for this module."""
    root = tmp_path_factory.mktemp("demo_market")
    synth = [sys.executable, "-m", "etl", "synth", "--out", str(root / "raw"), "--quiet"]
    synth += ["--symbols", "BTCUSDT", "--start", "2024-01-01", "--days", "3", "--seed", "7"]
    ingest = [sys.executable, "-m", "etl", "ingest", "--raw", str(root / "raw")]
    ingest += ["--catalog", str(root / "catalog")]
    for command in (synth, ingest):
        subprocess.run(command, cwd=ROOT, check=True, timeout=600, capture_output=True)
    return root / "catalog"


@pytest.fixture(scope="module")
def runs(demo_catalog, tmp_path_factory):
    """Run a parameter set (with parameter overrides) once; return its outcome and stats.json."""
    output = tmp_path_factory.mktemp("results")
    done: dict[tuple, tuple[RunOutcome, dict[str, Any]]] = {}

    def run(parameter_set: str, **params: Any) -> tuple[RunOutcome, dict[str, Any]]:
        key = (parameter_set, *sorted(params.items()))
        if key not in done:
            raw = tomllib.loads((ROOT / "configs" / f"toxvol_{parameter_set}.toml").read_text())
            raw["catalog"]["path"] = str(demo_catalog)
            raw["output"].update(dir=str(output), progress=False, report=False)
            raw["strategy"]["params"].update(params)
            outcome = run_backtest(parse_config(raw))
            folder = write_results(outcome, output)
            done[key] = outcome, json.loads((folder / "stats.json").read_text())
        return done[key]

    return run


@pytest.mark.slow
@pytest.mark.parametrize("parameter_set", PARAMETER_SETS)
def test_each_parameter_set_makes_twenty_round_trips_and_fires_both_alphas(runs, parameter_set):
    # Arrange, Act
    outcome, stats = runs(parameter_set)

    # Assert
    assert stats["trades"] >= 20
    assert stats["count.alpha_a"] > 0
    assert stats["count.alpha_b"] > 0
    exits = sum(stats[f"count.exit_{r}"] for r in ("stop", "take_profit", "time", "regime_flip"))
    assert exits == stats["trades"]  # every round trip closed by one of the four exits
    assert stats["count.alpha_a"] + stats["count.alpha_b"] == len(outcome.positions)


@pytest.mark.slow
def test_turning_the_toxicity_gate_off_changes_the_trade_list(runs):
    # Arrange
    gated, gated_stats = runs("B")

    # Act
    ungated, ungated_stats = runs("B", use_toxicity_gate=False)

    # Assert
    trades = [
        list(zip(o.fills["ts"], o.fills["side"], o.fills["qty"], strict=True))
        for o in (gated, ungated)
    ]
    assert trades[0] != trades[1]
    assert gated_stats["count.gate_blocked"] > 0
    assert ungated_stats["count.gate_blocked"] == 0


@pytest.mark.slow
def test_trades_carry_their_alpha_regime_and_exit_and_reconcile_with_the_positions(runs):
    # Arrange
    outcome, stats = runs("B")

    # Act
    trades = outcome.trades
    by_alpha = stats["attribution"]["by_alpha"]
    by_exit = stats["attribution"]["by_exit"]

    # Assert: the tags the strategy put on its orders are the counts it published
    assert by_alpha["A"]["trades"] == stats["count.alpha_a"]
    assert by_alpha["B"]["trades"] == stats["count.alpha_b"]
    for reason in ("stop", "take_profit", "time", "regime_flip"):
        assert by_exit.get(reason, {"trades": 0})["trades"] == stats[f"count.exit_{reason}"]
    assert set(trades["regime"]) <= {"crowded_long", "crowded_short", "neutral"}
    # Alpha A trades in the neutral regime, alpha B fades a crowd (DESIGN §6)
    assert set(trades.loc[trades["alpha"] == "A", "regime"]) == {"neutral"}
    assert "neutral" not in set(trades.loc[trades["alpha"] == "B", "regime"])
    # Nautilus's own lifecycles (net of fees) against the fills-only trade table
    closed = outcome.positions[~outcome.positions["is_open"]]
    assert len(closed) == len(trades)
    assert closed["ts_opened"].tolist() == trades["entry_ts"].tolist()
    assert closed["realized_pnl"].to_numpy() == pytest.approx(
        (trades["gross_pnl"] - trades["fees"]).to_numpy(), abs=1e-6
    )
    assert trades["funding"].sum() == pytest.approx(stats["funding_net"], abs=1e-9)
    assert trades["gross_pnl"].sum() == pytest.approx(stats["realized_pnl"], abs=1e-6)
