"""Fixtures of the indicator tests: the synthetic Binance market of ``etl synth``."""

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def make_synthetic_market(tmp_path_factory) -> Callable[..., Path]:
    """
    Return ``make(symbol, days, seed, trades_per_day, quotes_per_day)``, which generates a synthetic
    market in the Binance archive layout (``python -m etl synth``) starting 2024-01-01 and returns
    its folder; each set of arguments is generated once per session.

    Skips the tests that use it when the generator (``etl/synth``) is not present.
    """
    pytest.importorskip(
        "etl.synth.cli", reason="the synthetic generator (etl/synth) is not present"
    )
    made: dict[tuple, Path] = {}

    def make(symbol: str, days: int, seed: int, trades_per_day: int, quotes_per_day: int) -> Path:
        key = (symbol, days, seed, trades_per_day, quotes_per_day)
        if key not in made:
            out = tmp_path_factory.mktemp("synth")
            cmd = [sys.executable, "-m", "etl", "synth", "--out", str(out), "--symbols", symbol]
            cmd += ["--start", "2024-01-01", "--days", str(days), "--seed", str(seed)]
            cmd += ["--trades-per-day", str(trades_per_day)]
            cmd += ["--quotes-per-day", str(quotes_per_day), "--quiet"]
            subprocess.run(cmd, cwd=ROOT, check=True, timeout=300)
            made[key] = out
        return made[key]

    return make
