"""Run configs: validation names the bad key and value; the config becomes a BacktestRunConfig."""

import copy
import subprocess
import sys
from pathlib import Path

import pytest

from backtest.config import ConfigError
from backtest.config import load_config
from backtest.config import parse_config
from backtest.node import build_run_config

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "run": {"name": "cfg"},
    "catalog": {"path": "data/catalog"},
    "period": {"start": "2024-01-01", "end": "2024-01-02T12:00:00Z"},
    "venue": {
        "starting_balance": 50_000,
        "leverage": 5,
        "fees": {"maker": 0.0001, "taker": 0.0004},
    },
    "data": {"instruments": ["BTCUSDT-PERP.BINANCE"], "chunk_size": 50_000},
    "strategy": {
        "path": "strategies.examples.imbalance_momentum:ImbalanceMomentum",
        "config_path": "strategies.examples.imbalance_momentum:ImbalanceMomentumConfig",
        "params": {
            "instrument_id": "BTCUSDT-PERP.BINANCE",
            "bar_type": "BTCUSDT-PERP.BINANCE-1-MINUTE-LAST-EXTERNAL",
        },
    },
}


def with_change(path: str, value) -> dict:
    """Return ``GOOD`` with the dotted key set (or removed when ``value`` is ``...``)."""
    raw = copy.deepcopy(GOOD)
    *parents, key = path.split(".")
    node = raw
    for part in parents:
        node = node.setdefault(part, {})
    if value is ...:
        del node[key]
    else:
        node[key] = value
    return raw


def problems_of(raw: dict) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(raw)
    return info.value.problems


def test_a_good_config_resolves_every_default():
    # Arrange, Act
    config = parse_config(GOOD)

    # Assert
    resolved = config.resolved()
    assert resolved["period"]["start"] == "2024-01-01T00:00:00Z"
    assert resolved["venue"]["oms_type"] == "NETTING"
    assert resolved["data"]["families"] == ["trades", "quotes", "bars", "funding", "metrics"]
    assert config.period.end_ns - config.period.start_ns == 36 * 3600 * 10**9 - 1


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("venue.balance", 5, "venue.balance = 5: unknown key"),
        ("typo_section", {"a": 1}, "typo_section = {'a': 1}: unknown key"),
        ("venue.starting_balance", -10, "venue.starting_balance = -10: "),
        ("venue.leverage", 500, "venue.leverage = 500: "),
        ("venue.fees.taker", 0.5, "venue.fees.taker = 0.5: "),
        ("data.families", ["trades", "ticks"], "data.families.1 = 'ticks': "),
        ("data.chunk_size", 0, "data.chunk_size = 0: "),
        ("data.instruments", ["BTCUSDT"], "data.instruments = ['BTCUSDT']: "),
        ("run.name", "bad name!", "run.name = 'bad name!': "),
        ("period.end", "2023-12-31", "period: end (2023-12-31T00:00:00+00:00) must be after start"),
        ("strategy.path", ..., "strategy.path: required key is missing"),
    ],
)
def test_a_bad_key_or_value_fails_naming_the_key_and_the_value(path, value, expected):
    # Arrange
    raw = with_change(path, value)

    # Act
    problems = problems_of(raw)

    # Assert
    assert any(p.startswith(expected) for p in problems), problems


def test_an_unknown_strategy_parameter_is_named_with_the_known_ones():
    # Arrange
    raw = with_change("strategy.params.fast_perod", 10)

    # Act
    problems = problems_of(raw)

    # Assert
    assert problems[0].startswith(
        "strategy.params.fast_perod = 10: unknown parameter of ImbalanceMomentumConfig"
    )
    assert "fast_period" in problems[0]


def test_a_strategy_parameter_of_the_wrong_type_is_named_with_its_value():
    # Arrange
    raw = with_change("strategy.params.fast_period", "fast")

    # Act
    problems = problems_of(raw)

    # Assert
    assert problems == [
        "strategy.params.fast_period = 'fast': Expected `int`, got `str` - at `$.fast_period`"
    ]


def test_a_strategy_on_an_instrument_outside_the_data_fails():
    # Arrange
    raw = with_change("strategy.params.instrument_id", "ETHUSDT-PERP.BINANCE")

    # Act
    problems = problems_of(raw)

    # Assert
    assert problems == [
        "strategy.params.instrument_id = 'ETHUSDT-PERP.BINANCE': not in data.instruments ['BTCUSDT-PERP.BINANCE']",
    ]


def test_an_instrument_on_another_venue_is_named():
    # Arrange
    raw = with_change("data.instruments", ["BTCUSDT-PERP.OKX"])

    # Act
    problems = problems_of(raw)

    # Assert
    assert problems == ["data.instruments: BTCUSDT-PERP.OKX is not on venue.name = 'BINANCE'"]


def test_an_unimportable_strategy_is_named():
    # Arrange
    raw = with_change("strategy.path", "strategies.nowhere:Nothing")

    # Act
    problems = problems_of(raw)

    # Assert
    assert problems[0].startswith("strategy.path = 'strategies.nowhere:Nothing': cannot import")


def test_charging_funding_needs_the_funding_rows():
    # Arrange
    raw = with_change("data.families", ["trades", "quotes"])

    # Act
    problems = problems_of(raw)

    # Assert
    assert problems[0].startswith(
        "data.families must include 'funding' while venue.charge_funding is true"
    )


def test_the_config_hash_ignores_the_name_and_presentation_but_not_the_numbers():
    # Arrange
    base = parse_config(GOOD)
    renamed = parse_config(with_change("run.name", "other"))
    quiet = parse_config(
        with_change("output", {"progress": False, "report": False, "dir": "elsewhere"})
    )
    cheaper = parse_config(with_change("venue.fees.taker", 0.0003))

    # Act
    hashes = [c.config_hash() for c in (base, renamed, quiet, cheaper)]

    # Assert
    assert hashes[0] == hashes[1] == hashes[2] != hashes[3]
    assert base.run_id() == f"cfg-{hashes[0]}"


def test_the_config_becomes_a_streaming_backtest_run_config():
    # Arrange
    config = parse_config(GOOD)

    # Act
    run = build_run_config(config)

    # Assert
    venue = run.venues[0]
    assert run.chunk_size == 50_000
    assert (run.start, run.end) == (config.period.start_ns, config.period.end_ns)
    assert [d.data_cls.rsplit(":", 1)[1] for d in run.data] == ["TradeTick", "QuoteTick", "Bar"]
    assert run.data[2].bar_types == ["BTCUSDT-PERP.BINANCE-1-MINUTE-LAST-EXTERNAL"]
    assert venue.bar_execution is False and venue.trade_execution is True
    assert venue.starting_balances == ["50000 USDT"] and venue.default_leverage == 5.0
    assert venue.fee_model.config == {"maker_fee": "0.0001", "taker_fee": "0.0004"}
    # Funding settles before the execution module may fill a resting order at the same event.
    assert [m.actor_path for m in venue.modules] == [
        "backtest.funding:FundingSettlementModule",
        "backtest.execution:ExecutionRealismModule",
    ]
    assert venue.fill_model.fill_model_path == "backtest.execution:RealismFillModel"
    assert [a.actor_path for a in run.engine.actors] == [
        "backtest.replay:CustomDataReplay",
        "backtest.sampler:EquitySampler",
    ]
    assert run.engine.strategies[0].config == GOOD["strategy"]["params"]


def test_every_shipped_run_config_is_valid():
    # Arrange: every TOML in configs/ except the instrument specs and the sweep specs
    paths = sorted(
        p
        for p in (ROOT / "configs").glob("*.toml")
        if p.name != "instruments.toml" and "[sweep]" not in p.read_text()
    )

    # Act
    configs = {p.name: load_config(p) for p in paths}

    # Assert
    assert {"demo.toml", "example_imbalance.toml", "example_imbalance_costs.toml", "toxvol_A.toml", "toxvol_B.toml", "toxvol_C.toml", "carry.toml"} <= configs.keys()
    assert configs["demo.toml"].catalog.path == "data/catalog"
    # The demo is parameter set B on the demo market: the same run, so the same results folder hash.
    assert configs["demo.toml"].config_hash() == configs["toxvol_B.toml"].config_hash()


def test_the_cli_prints_a_bad_config_without_a_traceback(tmp_path: Path):
    # Arrange
    bad = tmp_path / "bad.toml"
    bad.write_text(
        (ROOT / "configs" / "demo.toml")
        .read_text()
        .replace("starting_balance =", "starting_balanse =")
    )

    # Act
    result = subprocess.run(
        [sys.executable, str(ROOT / "run_backtest.py"), str(bad)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )

    # Assert
    assert result.returncode == 2
    assert "venue.starting_balanse = 100000: unknown key" in result.stderr
    assert "Traceback" not in result.stderr
