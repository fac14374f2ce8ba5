"""A remote (fsspec) catalog: each run syncs its slice to a local cache once, safely, and runs there."""

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import fsspec
import pytest

from backtest.config import RunConfig
from backtest.node import run_backtest
from backtest.sweep import sync
from backtest.sweep.sync import cache_folder
from backtest.sweep.sync import sync_catalog_slice
from backtest.sweep.task import RunTask
from backtest.sweep.task import execute
from tests.backtest.conftest import MOMENTUM
from tests.backtest.conftest import make_config
from tests.backtest.fixtures import BAR_TYPE
from tests.backtest.fixtures import T0
from tests.backtest.fixtures import random_walk_market
from tests.backtest.fixtures import write_market

# Timing statistics differ between any two runs.
TIMING = {"wall_secs", "events_per_sec"}


@pytest.fixture(scope="module")
def three_days(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a sparse three-day catalog (one quote and one trade a minute), one file per day."""
    root = tmp_path_factory.mktemp("remote") / "catalog"
    market = random_walk_market(T0, 72.0, seed=5, quote_every_ms=60_000, trade_every_ms=60_000)
    write_market(root, market)
    return root


@pytest.fixture
def remote(three_days: Path, request: pytest.FixtureRequest) -> str:
    """Return a ``memory://`` copy of the three-day catalog (the stand-in for S3)."""
    url = f"memory://{request.node.name}/catalog"
    fs = fsspec.filesystem("memory")
    fs.put(str(three_days), url, recursive=True)
    yield url
    fs.rm(f"memory://{request.node.name}", recursive=True)


@pytest.fixture(autouse=True)
def _fresh_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each test syncs as a new worker process would.
    monkeypatch.setattr(sync, "_synced", {})


def day_config(catalog: str, tmp_path: Path, day: int = 3) -> RunConfig:
    """Return a run of the example strategy over day ``day`` (1-based) of the catalog."""
    return make_config(
        catalog,
        tmp_path / "results",
        start=f"2024-01-0{day}T00:00:00Z",
        end=f"2024-01-0{day + 1}T00:00:00Z",
        strategy=MOMENTUM,
        params={"bar_type": str(BAR_TYPE), "fast_period": 5, "slow_period": 20},
    )


def local_files(root: Path) -> set[str]:
    """Return the catalog's Parquet files as ``<family folder>/<file date>``."""
    return {f"{p.parent.parent.name}/{p.name[:10]}" for p in root.rglob("*.parquet")}


def test_the_slice_holds_the_instrument_and_only_the_days_the_run_reads(remote, tmp_path):
    # Arrange
    config = day_config(remote, tmp_path, day=3)

    # Act
    local = sync_catalog_slice(config, tmp_path / "cache")

    # Assert: market data of day 3 only; custom data also of day 2, where the last row before
    # the start is (its replay publishes that row at the start)
    assert local_files(local) == {
        "crypto_perpetual/2023-12-31",
        "quote_tick/2024-01-03",
        "trade_tick/2024-01-03",
        "bar/2024-01-03",
        "custom_funding_rate/2024-01-03",
        "custom_funding_rate/2024-01-02",
        "custom_futures_metrics/2024-01-03",
        "custom_futures_metrics/2024-01-02",
    }
    assert local == cache_folder(remote, tmp_path / "cache") / "catalog"


def test_a_resync_reuses_unchanged_files_fetches_changed_ones_and_drops_removed_ones(
    remote, tmp_path, monkeypatch
):
    # Arrange
    config = day_config(remote, tmp_path, day=3)
    local = sync_catalog_slice(config, tmp_path / "cache")
    quotes = next(local.glob("data/quote_tick/*/2024-01-03*.parquet"))
    funding = next(local.glob("data/custom_funding_rate/*/2024-01-03*.parquet"))
    metrics_day2 = next(local.glob("data/custom_futures_metrics/*/2024-01-02*.parquet"))
    inode = quotes.stat().st_ino
    fs = fsspec.filesystem("memory")
    changed = f"{remote}/{funding.relative_to(local)}"
    new_bytes = fs.cat(f"{remote}/{metrics_day2.relative_to(local)}")
    fs.pipe(changed, new_bytes)
    fs.rm(f"{remote}/{metrics_day2.relative_to(local)}")
    monkeypatch.setattr(sync, "_synced", {})  # a new worker process

    # Act
    sync_catalog_slice(config, tmp_path / "cache")

    # Assert
    assert quotes.stat().st_ino == inode
    assert funding.read_bytes() == new_bytes
    assert not metrics_day2.exists()


def _sync_in_worker(config: RunConfig, cache: str) -> list[str]:
    root = sync_catalog_slice(config, Path(cache))
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.parquet"))


def test_two_workers_syncing_the_same_slice_at_once_both_get_all_of_it(three_days, tmp_path):
    # Arrange: a file:// URL is remote to the sync, and visible to other processes
    config = day_config(f"file://{three_days}", tmp_path, day=2)
    cache = str(tmp_path / "cache")
    context = multiprocessing.get_context("spawn")

    # Act
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        futures = [pool.submit(_sync_in_worker, config, cache) for _ in range(2)]
        first, second = (f.result(timeout=120) for f in futures)

    # Assert
    folder = cache_folder(config.catalog.path, Path(cache))
    assert first == second and len(first) == 8
    assert not list((folder / "tmp").iterdir())
    for relative in first:
        assert (folder / "catalog" / relative).stat().st_size == os.path.getsize(
            three_days / relative
        )


def test_a_run_on_a_remote_catalog_matches_the_run_on_the_local_one(remote, three_days, tmp_path):
    # Arrange
    on_remote = day_config(remote, tmp_path, day=2)
    on_local = day_config(str(three_days), tmp_path, day=2)
    task = RunTask(
        run_id=on_remote.config_hash(),
        config=on_remote.resolved(),
        workdir=str(tmp_path),
        cache_dir=str(tmp_path / "cache"),
        keep_outcome=True,
    )

    # Act
    result = execute(task)
    expected = run_backtest(on_local, progress=False, bypass_logging=True)

    # Assert
    assert result.ok, result.columns["traceback"]
    assert {k: v for k, v in result.outcome.stats.items() if k not in TIMING} == {
        k: v for k, v in expected.stats.items() if k not in TIMING
    }
    assert result.outcome.stats["trades"] > 0
    assert result.outcome.run_id == on_remote.run_id()
    assert result.outcome.config["catalog"]["path"] == remote
