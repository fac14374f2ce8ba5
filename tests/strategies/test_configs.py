"""The shipped strategy configs: valid, faithful to DESIGN §6, and the demo is parameter set B."""

import json
import tomllib
from pathlib import Path

import pytest

from backtest.config import ConfigError
from backtest.config import load_config
from backtest.config import parse_config
from strategies.toxvol.config import ToxVolConfig

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "configs"
ABLATION_SWITCHES = (
    "use_toxicity_gate",
    "use_regime_filter",
    "enable_alpha_a",
    "enable_alpha_b",
    "use_obi",
    "use_svi",
    "use_ofi",
)


def params(name: str) -> dict:
    """Return the resolved strategy parameters of a shipped config."""
    config = load_config(CONFIGS / f"{name}.toml")
    resolved = config.strategy_config_class().parse(json.dumps(config.strategy.params).encode())
    return {f: getattr(resolved, f) for f in resolved.__struct_fields__}


@pytest.mark.parametrize(
    "name", ["toxvol_A", "toxvol_B", "toxvol_C", "carry", "demo", "example_imbalance"]
)
def test_every_shipped_strategy_config_is_valid(name):
    # Arrange, Act
    config = load_config(CONFIGS / f"{name}.toml")

    # Assert
    assert config.data.instruments


def test_the_parameter_sets_follow_the_design_table():
    # Arrange
    sets = {name: params(f"toxvol_{name}") for name in "ABC"}

    # Act
    table = {
        name: (
            p["cadence_minutes"],
            (p["compression_short_minutes"], p["compression_long_minutes"]),
            p["vpin_bucket_notional"] or f"median {p['vpin_bucket_minutes']}m volume",
            p["toxicity_quantile"],
            p["crowding_threshold"],
        )
        for name, p in sets.items()
    }

    # Assert
    assert table == {
        "A": (1, (30, 360), "median 1m volume", 0.7, 1.0),
        "B": (5, (60, 720), "median 5m volume", 0.6, 1.25),
        "C": (15, (120, 1440), 250_000.0, 0.5, 1.5),
    }
    assert all(p["execution_mode"] == "MARKET" for p in sets.values())
    assert all(p[s] is True for p in sets.values() for s in ABLATION_SWITCHES)


def test_the_demo_runs_parameter_set_b_on_the_demo_catalog():
    # Arrange
    demo, b = (load_config(CONFIGS / f"{n}.toml") for n in ("demo", "toxvol_B"))

    # Act, Assert: the same numbers-changing settings, hence the same config hash
    assert demo.strategy == b.strategy
    assert demo.config_hash() == b.config_hash()
    assert demo.catalog.path == "data/catalog"
    assert (demo.period.start.isoformat(), demo.period.end.isoformat()) == (
        "2024-01-01T00:00:00+00:00",
        "2024-01-04T00:00:00+00:00",
    )


def test_the_config_defaults_are_parameter_set_b():
    # Arrange
    b = params("toxvol_B")

    # Act
    defaults = ToxVolConfig(instrument_id=b["instrument_id"], bar_type=b["bar_type"])

    # Assert
    assert {f: getattr(defaults, f) for f in b} == b


def test_the_example_strategy_keeps_its_own_config():
    # Arrange, Act
    config = load_config(CONFIGS / "example_imbalance.toml")

    # Assert
    assert config.strategy.path == "strategies.examples.imbalance_momentum:ImbalanceMomentum"


@pytest.mark.parametrize("switch", ABLATION_SWITCHES)
def test_each_ablation_switch_can_be_turned_off_in_a_run_config(switch):
    # Arrange
    raw = _raw("toxvol_B")
    raw["strategy"]["params"][switch] = False

    # Act
    config = parse_config(raw)

    # Assert
    assert config.strategy.params[switch] is False


def test_an_unknown_execution_mode_is_a_config_error_naming_the_parameter():
    # Arrange
    raw = _raw("toxvol_B")
    raw["strategy"]["params"]["execution_mode"] = "ICEBERG"

    # Act
    with pytest.raises(ConfigError) as error:
        parse_config(raw)

    # Assert
    assert "execution_mode must be one of ['MARKET', 'LIMIT'], was 'ICEBERG'" in str(error.value)


def _raw(name: str) -> dict:
    return tomllib.loads((CONFIGS / f"{name}.toml").read_text())
