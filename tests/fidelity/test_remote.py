"""A features-fidelity run on a remote catalog syncs the derived data too, and validates it."""

from pathlib import Path

import fsspec
import pandas as pd
import pytest

from backtest.config import parse_config
from backtest.node import run_backtest
from backtest.sweep import sync
from backtest.sweep.task import RunTask
from backtest.sweep.task import execute
from tests.backtest.fixtures import T0
from tests.backtest.fixtures import random_walk_market
from tests.backtest.fixtures import write_market
from tests.fidelity.test_sweep_confirm import config


@pytest.fixture
def prepared_remote(tmp_path, request):
    local = tmp_path / "catalog"
    write_market(local, random_walk_market(T0, 30.0, seed=2, quote_every_ms=900, trade_every_ms=1_300))
    outcome = run_backtest(parse_config(config(local, fidelity="features") | {"period": {
        "start": "2024-01-01T00:00:00Z", "end": "2024-01-02T06:00:00Z"}}))
    url = f"memory://{request.node.name}/catalog"
    fsspec.filesystem("memory").put(str(local), url, recursive=True)
    yield local, url, outcome
    fsspec.filesystem("memory").rm(f"memory://{request.node.name}", recursive=True)


def test_a_remote_features_run_reuses_the_prepared_derived_data(prepared_remote, tmp_path, monkeypatch):
    # Arrange
    monkeypatch.setattr(sync, "_synced", {})
    local, url, expected = prepared_remote
    remote = parse_config(config(Path(url), fidelity="features") | {"period": {
        "start": "2024-01-01T00:00:00Z", "end": "2024-01-02T06:00:00Z"}})
    remote = remote.model_copy(update={"catalog": remote.catalog.model_copy(update={"path": url})})
    task = RunTask(
        run_id=remote.config_hash(),
        config=remote.resolved(),
        workdir=str(tmp_path),
        cache_dir=str(tmp_path / "cache"),
        keep_outcome=True,
    )

    # Act
    result = execute(task)

    # Assert: the prepared days travel with the slice and validate, nothing is rebuilt.
    assert result.ok, result.columns["traceback"]
    assert expected.stats["feature_days_built"] == 2
    assert result.outcome.stats["feature_days_built"] == 0
    key = ["ts", "side", "qty", "price"]
    assert len(expected.fills) > 5
    pd.testing.assert_frame_equal(result.outcome.fills[key], expected.fills[key])
