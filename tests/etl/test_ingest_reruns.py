"""Re-runs are no-ops, --force rewrites exactly the affected days, and a killed run heals on re-run."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from etl.ingest import ingest
from tests.conftest import ROOT
from tests.etl.rawfiles import DAY_MS
from tests.etl.rawfiles import kline_rows
from tests.etl.rawfiles import quote_rows
from tests.etl.rawfiles import trade_rows
from tests.etl.rawfiles import write_raw

DAY = 86_400_000


def _snapshot(catalog: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(catalog)): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(catalog.rglob("*")) if p.is_file() and p.name != ".lock"}


def _three_days(raw: Path) -> None:
    for d in range(3):
        day = f"2024-01-0{d + 1}"
        write_raw(raw, "aggTrades", day, trade_rows(200, start_id=1 + 1000 * d, start_ms=DAY_MS + d * DAY), zipped=True)
        write_raw(raw, "bookTicker", day, quote_rows(200, start_id=1 + 1000 * d, start_ms=DAY_MS + d * DAY))
        write_raw(raw, "klines", day, kline_rows(1440, start_ms=DAY_MS + d * DAY))


def test_rerun_is_a_no_op_and_leaves_the_catalog_byte_identical(tmp_path):
    # Arrange
    raw, catalog = tmp_path / "raw", tmp_path / "catalog"
    _three_days(raw)
    first = ingest(raw, catalog)
    before = _snapshot(catalog)

    # Act
    second = ingest(raw, catalog)

    # Assert
    assert len(first.results) == 9
    assert second.results == []
    assert len(second.skipped) == 9
    assert _snapshot(catalog) == before


def test_force_reingests_exactly_the_affected_days(tmp_path):
    # Arrange
    raw, catalog = tmp_path / "raw", tmp_path / "catalog"
    _three_days(raw)
    ingest(raw, catalog)
    before = _snapshot(catalog)
    time.sleep(0.01)

    # Act
    day = dt.date(2024, 1, 2)
    summary = ingest(raw, catalog, force=True, start=day, end=day + dt.timedelta(days=1), families=["aggTrades"])

    # Assert
    after = _snapshot(catalog)
    changed = sorted(k for k in after if after[k][1] != before.get(k, (None, None))[1])
    assert [Path(r.source).name for r in summary.results] == ["BTCUSDT-aggTrades-2024-01-02.zip"]
    assert changed == ["_etl/manifest.json", "data/trade_tick/BTCUSDT-PERP.BINANCE/2024-01-02T00-00-00-000000000Z_2024-01-02T23-59-59-999999999Z.parquet"]
    assert all(after[k][0] == before[k][0] for k in before if k != "_etl/manifest.json")  # deterministic writes


def test_changed_source_file_is_reingested(tmp_path):
    # Arrange
    raw, catalog = tmp_path / "raw", tmp_path / "catalog"
    write_raw(raw, "aggTrades", "2024-01-01", trade_rows(10))
    ingest(raw, catalog)

    # Act
    write_raw(raw, "aggTrades", "2024-01-01", trade_rows(20))
    summary = ingest(raw, catalog)

    # Assert
    (result,) = summary.results
    assert result.rows_written == 20


def _big_trade_day(raw: Path, n: int) -> None:
    i = np.arange(n)
    lines = np.char.add(np.char.add((i + 1).astype(str), ",42000.0,0.001,1,1,"), (DAY_MS + i * (DAY // n)).astype(str))
    write_raw(raw, "aggTrades", "2024-01-01", list(np.char.add(lines, ",true")))


def test_killed_run_leaves_a_valid_catalog_and_a_rerun_completes_it(tmp_path):
    # Arrange
    raw, catalog, clean = tmp_path / "raw", tmp_path / "catalog", tmp_path / "clean"
    _big_trade_day(raw, 400_000)
    write_raw(raw, "klines", "2024-01-01", kline_rows(1440))
    code = (
        "import sys; from pathlib import Path; from etl.ingest import ingest; "
        f"ingest(Path({str(raw)!r}), Path({str(catalog)!r}), block_size=1 << 16)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})

    # Act: kill it while the big file is half written
    deadline = time.monotonic() + 60
    while not list(catalog.rglob("trade_tick/**/.*.tmp")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    killed = proc.poll() is None
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    # Assert: nothing half-written is visible, and the re-run heals
    assert killed, "the ingest finished before it could be killed; make the file bigger"
    assert not list((catalog / "data").rglob("trade_tick/**/*.parquet"))
    summary = ingest(raw, catalog)
    assert summary.removed_temp_files >= 1
    assert not list(catalog.rglob("*.tmp"))
    ingest(raw, clean)
    ours = {k: v[0] for k, v in _snapshot(catalog).items()}
    want = {k: v[0] for k, v in _snapshot(clean).items()}
    assert ours.keys() == want.keys()
    assert all(ours[k] == want[k] for k in ours if k != "_etl/manifest.json")


def test_two_workers_write_the_same_catalog_as_one(tmp_path):
    # Arrange
    raw = tmp_path / "raw"
    _three_days(raw)

    # Act
    serial = ingest(raw, tmp_path / "serial", workers=1)
    parallel = ingest(raw, tmp_path / "parallel", workers=2)

    # Assert
    assert [r.rows_written for r in serial.results] == [r.rows_written for r in parallel.results]
    one = {k: v[0] for k, v in _snapshot(tmp_path / "serial").items() if k != "_etl/manifest.json"}
    two = {k: v[0] for k, v in _snapshot(tmp_path / "parallel").items() if k != "_etl/manifest.json"}
    assert one == two
