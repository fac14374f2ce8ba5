"""Shared helpers for the backtest runtime tests: run configs over fixture catalogs, record reading."""

import json
from pathlib import Path
from typing import Any

import pytest

from backtest.config import RunConfig
from backtest.config import parse_config
from backtest.node import run_backtest
from backtest.results import RunOutcome
from tests.backtest.fixtures import BAR_TYPE
from tests.backtest.fixtures import INSTRUMENT_ID
from tests.backtest.fixtures import Market
from tests.backtest.fixtures import write_market

START = "2024-01-01T00:00:00Z"
OBSERVER = ("tests.backtest.strategies:Observer", "tests.backtest.strategies:ObserverConfig")
MOMENTUM = (
    "strategies.examples.imbalance_momentum:ImbalanceMomentum",
    "strategies.examples.imbalance_momentum:ImbalanceMomentumConfig",
)


def make_config(
    catalog: Path,
    output: Path,
    end: str,
    start: str = START,
    strategy: tuple[str, str] = OBSERVER,
    params: dict[str, Any] | None = None,
    families: list[str] | None = None,
    **sections: dict[str, Any],
) -> RunConfig:
    """
    Return a validated run config over a fixture catalog.

    Parameters
    ----------
    catalog, output : Path
        The catalog and the results parent folder.
    end, start : str
        The period (from midnight of the fixtures' first day by default).
    strategy : tuple[str, str]
        The strategy and config class paths.
    params : dict[str, Any], optional
        Strategy parameters (``instrument_id`` is filled in).
    families : list[str], optional
        The data families (default: all five).
    **sections : dict[str, Any]
        Extra or replacement sections (``venue``, ``execution``, ``run``, ...).

    """
    data: dict[str, Any] = {"instruments": [str(INSTRUMENT_ID)], "chunk_size": 5_000}
    if families is not None:
        data["families"] = families
    raw: dict[str, Any] = {
        "run": {"name": "test"},
        "catalog": {"path": str(catalog)},
        "period": {"start": start, "end": end},
        "data": data,
        "strategy": {
            "path": strategy[0],
            "config_path": strategy[1],
            "params": {"instrument_id": str(INSTRUMENT_ID), **(params or {})},
        },
        "output": {"dir": str(output), "progress": False, "log_level": "ERROR"},
    }
    for name, values in sections.items():
        raw[name] = {**raw.get(name, {}), **values}
    return parse_config(raw)


def observe(config: RunConfig) -> tuple[RunOutcome, list[dict]]:
    """Run an Observer config and return the outcome with the strategy's records."""
    outcome = run_backtest(config)
    path = Path(config.strategy.params["record_path"])
    records = [json.loads(line) for line in path.read_text().splitlines()]
    return outcome, records


def observe_market(
    root: Path,
    market: Market,
    end: str,
    families: list[str] | None = None,
    venue: dict[str, Any] | None = None,
    execution: dict[str, Any] | None = None,
    period: dict[str, Any] | None = None,
    **params: Any,
) -> tuple[RunOutcome, list[dict]]:
    """
    Write ``market`` to ``root/catalog``, run the Observer over it and return what it saw.

    Parameters
    ----------
    root : Path
        The test's folder.
    market : Market
        The rows to write.
    end : str
        The period's end (it starts at the fixtures' first midnight).
    families : list[str], optional
        The data families.
    venue, execution, period : dict[str, Any], optional
        ``[venue]``, ``[execution]`` and extra ``[period]`` settings (e.g. ``allow_gaps``).
    **params : Any
        Observer parameters besides ``instrument_id`` and ``record_path``.

    """
    write_market(root / "catalog", market)
    sections = {
        name: values
        for name, values in (("venue", venue), ("execution", execution), ("period", period))
        if values
    }
    config = make_config(
        root / "catalog",
        root / "results",
        end,
        params={"record_path": str(root / "records.jsonl"), **params},
        families=families,
        **sections,
    )
    return observe(config)


@pytest.fixture
def bar_type() -> str:
    """Return the fixture catalogs' bar type."""
    return str(BAR_TYPE)
