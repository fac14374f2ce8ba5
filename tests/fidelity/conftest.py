"""The demo market (3 days of BTCUSDT, seed 7, as ``make demo`` builds it), once per session."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def demo_raw_and_catalog(tmp_path_factory) -> tuple[Path, Path]:
    """Synthesize and ingest the demo market; return the raw folder and the catalog."""
    root = tmp_path_factory.mktemp("fidelity_market")
    raw, catalog = root / "raw", root / "catalog"
    synth = [sys.executable, "-m", "etl", "synth", "--out", str(raw), "--quiet", "--no-ground-truth"]
    synth += ["--symbols", "BTCUSDT", "--start", "2024-01-01", "--days", "3", "--seed", "7"]
    ingest = [sys.executable, "-m", "etl", "ingest", "--raw", str(raw), "--catalog", str(catalog)]
    for command in (synth, ingest):
        subprocess.run(command, cwd=ROOT, check=True, timeout=600, capture_output=True)
    return raw, catalog
