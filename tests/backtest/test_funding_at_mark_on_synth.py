"""The synthetic market through the ETL and a backtest: every settlement at the mark kline in force (issue 12)."""

import csv
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from etl.ingest import ingest
from tests.backtest.conftest import make_config
from tests.backtest.conftest import observe

ROOT = Path(__file__).resolve().parents[2]
MS = 1_000_000


def _raw_marks(raw: Path) -> list[tuple[int, Decimal]]:
    """(open_time ms, close) of every raw mark kline, read with the csv module."""
    rows = []
    for path in sorted(raw.rglob("markPriceKlines/**/*.csv")):
        with open(path) as f:
            reader = csv.reader(f)
            next(reader)
            rows += [(int(r[0]), Decimal(r[4])) for r in reader]
    return sorted(rows)


def _raw_calc_times(raw: Path) -> list[int]:
    (path,) = raw.rglob("fundingRate/**/*.csv")
    with open(path) as f:
        return [int(r["calc_time"]) for r in csv.DictReader(f)]


@pytest.fixture(scope="module")
def synthetic_run(tmp_path_factory):
    pytest.importorskip("etl.synth.cli", reason="the synthetic generator (etl/synth) is not present")
    root = tmp_path_factory.mktemp("mark_funding")
    raw = root / "raw"
    cmd = [sys.executable, "-m", "etl", "synth", "--out", str(raw), "--symbols", "BTCUSDT", "--start", "2024-01-01", "--days", "2", "--seed", "3"]
    cmd += ["--trades-per-day", "2000", "--quotes-per-day", "5000", "--no-ground-truth", "--quiet"]
    subprocess.run(cmd, cwd=ROOT, check=True, timeout=300)
    summary = ingest(raw, root / "catalog")
    assert summary.exit_code == 0 and all(r.rows_rejected == 0 for r in summary.results)
    config = make_config(
        root / "catalog",
        root / "results",
        "2024-01-02T23:59:00Z",
        params={"record_path": str(root / "records.jsonl"), "orders": [[1_704_067_200_000 * MS + 3_600 * 10**9, "BUY", "0.010"]]},
        families=["quotes", "funding"],
    )
    outcome, _ = observe(config)
    return raw, outcome


def test_each_settlement_marks_at_the_last_raw_mark_kline_closed_by_its_calc_time(synthetic_run):
    # Arrange
    raw, outcome = synthetic_run
    marks = _raw_marks(raw)
    ledger = outcome.funding

    # Act: independently, the close of the last kline with open + 1 min <= calc_time
    expected = {}
    for calc_ms in _raw_calc_times(raw):
        closed = [close for open_ms, close in marks if open_ms + 60_000 <= calc_ms]
        if closed:
            expected[calc_ms * MS] = closed[-1]

    # Assert: the first settlement (00:00, before any kline closed) falls back to the book
    assert len(ledger) == 6
    settled = dict(zip(ledger["ts"], ledger["mark"], strict=True))
    assert sorted(expected) == sorted(settled)[1:]
    for ts, close in expected.items():
        assert Decimal(repr(float(settled[ts]))) == close
    assert (ledger["payment"].iloc[1:] != 0).all()  # long 0.010 from 01:00: every later settlement pays
    assert list(ledger["mark_source"]) == ["quote_mid"] + ["mark_kline"] * 5
    assert "funding marks: 5 at the exchange's mark price (mark klines), 1 at the book mid" in outcome.notes
