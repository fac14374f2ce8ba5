"""Look-ahead analysis in features fidelity (issue 17): cut catalogs get their own derived features."""

import subprocess
import sys
from pathlib import Path

import pytest

from backtest.lookahead import analyse
from etl.ingest import ingest
from tests.backtest.conftest import make_config

ROOT = Path(__file__).resolve().parents[2]
PLANTED = "tests.backtest.lookahead_strategies"
INSTRUMENT = "BTCUSDT-PERP.BINANCE"


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> Path:
    """A small synthetic market through the ETL (klines stamped at their last nanosecond)."""
    pytest.importorskip("etl.synth.cli", reason="the synthetic generator (etl/synth) is not present")
    root = tmp_path_factory.mktemp("lookahead_features")
    cmd = [sys.executable, "-m", "etl", "synth", "--out", str(root / "raw"), "--symbols", "BTCUSDT"]
    cmd += ["--start", "2024-01-01", "--days", "1", "--seed", "5", "--trades-per-day", "2000"]
    cmd += ["--quotes-per-day", "4000", "--no-ground-truth", "--quiet"]
    subprocess.run(cmd, cwd=ROOT, check=True, timeout=300)
    summary = ingest(root / "raw", root / "catalog")
    assert summary.exit_code == 0
    return root / "catalog"


def _config(catalog: Path, tmp_path: Path, name: str):
    return make_config(
        catalog,
        tmp_path / "results",
        "2024-01-02T00:00:00Z",
        strategy=(f"{PLANTED}:{name}", f"{PLANTED}:CatalogReaderConfig"),
        params={"bar_type": f"{INSTRUMENT}-1-MINUTE-LAST-EXTERNAL", "catalog_path": str(catalog)},
        families=["quotes", "bars", "funding"],
        data={"fidelity": "features", "instruments": [INSTRUMENT], "chunk_size": 5_000},
    )


def test_features_fidelity_flags_the_peek_and_not_the_precomputed_series(catalog, tmp_path):
    # Act
    report = analyse(_config(catalog, tmp_path, "PeekNextClose"), cuts=2)

    # Assert: the precomputed imbalance of each cut catalog equals the full catalog's up to the cut
    assert report.offending_series() == ["peek.next_close"]
    assert "honest.obi" in report.series


def test_features_fidelity_passes_an_honest_strategy(catalog, tmp_path):
    # Act
    report = analyse(_config(catalog, tmp_path, "BookSide"), cuts=2)

    # Assert
    assert report.orders >= 2
    assert report.clean, report.to_dict()
