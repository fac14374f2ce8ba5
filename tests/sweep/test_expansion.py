"""Sweep specs expand into the intended run configs; unknown names are rejected by name."""

from pathlib import Path

import pytest

from backtest.sweep.expand import SweepRun
from backtest.sweep.expand import expand
from backtest.sweep.spec import SpecError
from backtest.sweep.spec import load_spec
from tests.sweep.conftest import write_spec

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def runs_of(path: Path) -> list[SweepRun]:
    """Return the runs a spec file expands to."""
    return expand(load_spec(path), path.parent, str(path))


def test_grid_and_ablations_expand_to_every_combination_with_its_values(tmp_path):
    # Arrange
    spec = write_spec(
        tmp_path,
        "catalog",
        """
[grid]
strategy.params.fast_period = [5, 10]
strategy.params.slow_period = [20, 40]

[ablations.baseline]
[ablations.small]
strategy.params.trade_notional = 5000.0
""",
    )

    # Act
    runs = runs_of(spec)

    # Assert
    combos = {
        (
            r.ablation,
            r.config.strategy.params["fast_period"],
            r.config.strategy.params["slow_period"],
            r.config.strategy.params.get("trade_notional"),
        )
        for r in runs
    }
    assert len(runs) == 8
    assert combos == {
        (ablation, fast, slow, notional)
        for ablation, notional in (("baseline", None), ("small", 5000.0))
        for fast in (5, 10)
        for slow in (20, 40)
    }
    assert len({r.label for r in runs}) == 8
    assert all(r.run_id == r.config.config_hash() for r in runs)
    assert runs[0].label == "tiny/baseline/fast_period=5,slow_period=20"
    assert runs[0].grid == {"strategy.params.fast_period": 5, "strategy.params.slow_period": 20}


def test_an_ablation_changes_only_its_keys_and_follows_its_baseline(tmp_path):
    # Arrange
    spec = write_spec(
        tmp_path,
        "catalog",
        """
[ablations.baseline]
[ablations.slow_trend]
strategy.params.slow_period = 90
execution.latency_ms = 25.0
""",
    )

    # Act
    baseline, variant = runs_of(spec)

    # Assert
    before, after = baseline.config.resolved(), variant.config.resolved()
    assert (baseline.ablation, variant.ablation) == ("baseline", "slow_trend")
    assert after["strategy"]["params"] == {**before["strategy"]["params"], "slow_period": 90}
    assert after["execution"] == {**before["execution"], "latency_ms": 25.0}
    for section in ("catalog", "period", "venue", "data"):
        assert after[section] == before[section]
    assert variant.overrides == {"strategy.params.slow_period": 90, "execution.latency_ms": 25.0}
    assert variant.run_id != baseline.run_id


def test_quoted_and_nested_dotted_keys_expand_alike(tmp_path):
    # Arrange
    nested = write_spec(tmp_path / "a", "catalog", "[grid]\nstrategy.params.fast_period = [7, 9]")
    quoted = write_spec(tmp_path / "b", "catalog", '[grid]\n"strategy.params.fast_period" = [7, 9]')

    # Act
    from_nested = [r.config.strategy.params["fast_period"] for r in runs_of(nested)]
    from_quoted = [r.config.strategy.params["fast_period"] for r in runs_of(quoted)]

    # Assert
    assert from_nested == from_quoted == [7, 9]


@pytest.mark.parametrize(
    ("body", "sweep", "expected"),
    [
        pytest.param(
            "[ablations.baseline]\n[ablations.no_gate]\nstrategy.params.use_toxicity_gaet = false",
            "",
            "tiny/no_gate: strategy.params.use_toxicity_gaet = False: unknown parameter of "
            "CountedMomentumConfig (its parameters: bar_type, count_dir,",
            id="unknown strategy parameter in an ablation: named, with its run",
        ),
        pytest.param(
            "[grid]\nexecution.latency = [1.0, 2.0]",
            "",
            "execution.latency = 1.0: unknown key",
            id="unknown config key in the grid: named by its dotted key",
        ),
        pytest.param(
            "",
            "metrc = 'sharpe'",
            "sweep.metrc = 'sharpe': unknown key",
            id="unknown key of the spec itself",
        ),
        pytest.param(
            "[grid]\nstrategy.params.fast_period = [5, 10]\n"
            "[ablations.baseline]\n[ablations.fast]\nstrategy.params.fast_period = 3",
            "",
            "ablations.fast.strategy.params.fast_period: also set by grid",
            id="key set by both the grid and an ablation",
        ),
        pytest.param(
            "[grid]\nstrategy.params.fast_period = 5",
            "",
            "grid.strategy.params.fast_period = 5: must be a non-empty list",
            id="grid value that is not a list",
        ),
    ],
)
def test_a_spec_with_a_bad_key_is_rejected_naming_it(tmp_path, body, sweep, expected):
    # Arrange
    spec = write_spec(tmp_path, "catalog", body, sweep=sweep)

    # Act
    with pytest.raises(SpecError) as caught:
        runs_of(spec)

    # Assert
    assert expected in "\n".join(caught.value.problems)


def test_periods_and_seeds_set_the_period_and_the_execution_seed(tmp_path):
    # Arrange
    spec = write_spec(
        tmp_path,
        "catalog",
        """
[[periods]]
name = "first"
start = 2024-01-01T00:00:00Z
end = 2024-01-01T02:00:00Z

[[periods]]
start = 2024-01-01T02:00:00Z
end = 2024-01-01T04:00:00Z
""",
        sweep="seeds = [1, 2]",
    )

    # Act
    runs = runs_of(spec)

    # Assert
    got = [
        (
            r.period,
            r.seed,
            r.config.execution.seed,
            r.config.period.start.hour,
            r.config.period.end.hour,
        )
        for r in runs
    ]
    assert got == [
        ("first", 1, 1, 0, 2),
        ("first", 2, 2, 0, 2),
        ("2024-01-01T02:00..2024-01-01T04:00", 1, 1, 2, 4),
        ("2024-01-01T02:00..2024-01-01T04:00", 2, 2, 2, 4),
    ]


def test_walk_forward_makes_rolling_windows_that_fit_the_span(tmp_path):
    # Arrange
    spec = write_spec(
        tmp_path,
        "catalog",
        """
[walk_forward]
start = 2024-01-01T00:00:00Z
end = 2024-01-01T04:00:00Z
window = "PT2H"
step = "PT1H"
""",
    )

    # Act
    runs = runs_of(spec)

    # Assert
    assert [(r.config.period.start.hour, r.config.period.end.hour) for r in runs] == [
        (0, 2),
        (1, 3),
        (2, 4),
    ]


def test_ablations_with_equal_configs_share_a_run_id_but_keep_their_labels(tmp_path):
    # Arrange: 20 is the base's own slow period
    spec = write_spec(
        tmp_path,
        "catalog",
        "[ablations.baseline]\n[ablations.same]\nstrategy.params.slow_period = 20",
    )

    # Act
    baseline, same = runs_of(spec)

    # Assert
    assert baseline.run_id == same.run_id
    assert baseline.label != same.label


def test_the_demo_sweep_expands_to_its_grid_and_fee_ablation():
    # Arrange
    spec = CONFIGS / "sweep_demo.toml"

    # Act
    runs = runs_of(spec)

    # Assert
    assert len(runs) == 8
    assert {r.ablation for r in runs} == {"baseline", "high_fees"}
    assert {str(r.config.venue.fees.taker) for r in runs if r.ablation == "high_fees"} == {"0.0007"}
    assert all(r.config.venue.fees is None for r in runs if r.ablation == "baseline")
    assert {
        (r.config.strategy.params["fast_period"], r.config.strategy.params["slow_period"])
        for r in runs
    } == {(10, 60), (10, 120), (20, 60), (20, 120)}


def test_the_ablation_sweep_declares_the_factor_ablations_over_a_b_c():
    # Arrange
    path = CONFIGS / "ablation.toml"

    # Act
    spec = load_spec(path)

    # Assert
    assert list(spec.bases) == ["A", "B", "C"]
    assert list(spec.ablation_sets()) == [
        "baseline",
        "no_toxicity_gate",
        "no_regime_filter",
        "alpha_a_only",
        "alpha_b_only",
        "no_obi",
        "no_svi",
        "no_ofi",
        "limit_execution",
    ]


def test_the_ablation_sweep_expands_against_the_toxvol_configs():
    # Arrange
    path = CONFIGS / "ablation.toml"
    missing = [
        b for b in ("toxvol_A.toml", "toxvol_B.toml", "toxvol_C.toml") if not (CONFIGS / b).exists()
    ]
    if missing:
        pytest.skip(f"the strategy's configs are not there yet: {', '.join(missing)}")

    # Act
    runs = runs_of(path)

    # Assert
    assert len(runs) == 27
    assert len({r.run_id for r in runs}) == 27
