"""
Issue 15: Ctrl-C or SIGTERM stops a real ingest cleanly.

One line, exit code 130, every worker stopped promptly, the manifest recording exactly the files
whose day files are in the catalog, no temporary file left, and a re-run completing the rest.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from etl.__main__ import main as etl_main
from tests.conftest import ROOT

# Bounds, not timings: a run that overshoots them fails instead of hanging the suite.
START_DEADLINE_S = 120
STOP_DEADLINE_S = 30
INSTRUMENT_FOLDERS = ("crypto_perpetual", "currency_pair")


@pytest.fixture(scope="module")
def market(tmp_path_factory) -> Path:
    # Two symbols, two days: ~20 files, several of them large enough to be caught mid-way.
    raw = tmp_path_factory.mktemp("interrupt") / "raw"
    subprocess.run(
        [sys.executable, "-m", "etl", "synth", "--out", str(raw), "--symbols", "BTCUSDT", "ETHUSDT", "--start", "2024-01-01", "--days", "2", "--seed", "7", "--trades-per-day", "40000", "--quotes-per-day", "40000", "--no-ground-truth", "--quiet"],
        cwd=ROOT,
        check=True,
        timeout=START_DEADLINE_S,
    )
    return raw


def _manifest(catalog: Path) -> dict:
    path = catalog / "_etl" / "manifest.json"
    return json.loads(path.read_text())["files"] if path.exists() else {}


def _data_files(catalog: Path) -> set[str]:
    files = (catalog / "data").rglob("*.parquet")
    return {str(p.relative_to(catalog)) for p in files if p.relative_to(catalog / "data").parts[0] not in INSTRUMENT_FOLDERS}


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize(("workers", "how"), [(2, "ctrl-c"), (1, "sigterm")])
def test_interrupted_ingest_stops_cleanly_and_a_rerun_completes_it(market, tmp_path, workers, how):
    # Arrange
    catalog = tmp_path / "catalog"
    total = sum(1 for p in market.rglob("*.csv"))
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    with open(out, "w") as stdout, open(err, "w") as stderr:
        # A session of its own: Ctrl-C in a terminal signals the whole process group, workers too.
        proc = subprocess.Popen(
            [sys.executable, "-m", "etl", "ingest", "--raw", str(market), "--catalog", str(catalog), "--workers", str(workers), "--block-size-mb", "0.05"],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )

    # Act: signal once the first file is recorded, while the others are being read
    deadline = time.monotonic() + START_DEADLINE_S
    while not _manifest(catalog) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    running = proc.poll() is None
    if how == "ctrl-c":
        os.killpg(proc.pid, signal.SIGINT)
    else:
        os.kill(proc.pid, signal.SIGTERM)
    try:
        code = proc.wait(timeout=STOP_DEADLINE_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail(f"the ingest did not stop within {STOP_DEADLINE_S} s of the signal")
    deadline = time.monotonic() + STOP_DEADLINE_S
    while _group_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)

    # Assert
    assert running, "the ingest finished before the signal; make the market bigger"
    messages = err.read_text()
    assert code == 130, messages
    assert "Traceback" not in messages
    assert [line for line in messages.splitlines() if "interrupted" in line] == [
        next(line for line in messages.splitlines() if line.startswith("interrupted: "))
    ]
    assert not _group_alive(proc.pid), "a worker outlived the interrupted ingest"
    entries = _manifest(catalog)
    assert 0 < len(entries) < total
    assert all(e["status"] == "ok" for e in entries.values())
    recorded = {o for e in entries.values() for o in e["outputs"]}
    assert _data_files(catalog) == recorded
    assert not list(catalog.rglob("*.tmp"))

    code = etl_main(["ingest", "--raw", str(market), "--catalog", str(catalog), "--quiet"])
    assert code == 0
    assert len(_manifest(catalog)) == total
    assert _data_files(catalog) == {o for e in _manifest(catalog).values() for o in e["outputs"]}
