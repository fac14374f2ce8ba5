"""Returns at a stated frequency, the minimum sample, and the stats.json blocks they feed."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from backtest.config import ConfigError
from backtest.config import StatsSection
from backtest.config import parse_config
from backtest.results import RunOutcome
from backtest.statistics.sample import frequency_label
from backtest.statistics.sample import interval_returns
from backtest.stats import compute_stats
from backtest.stats import flat_stats
from tests.backtest.test_config import GOOD

T0 = pd.Timestamp("2024-01-01", tz="UTC").value
HOUR = 3_600_000_000_000
MINUTE = 60_000_000_000


def brute_force_returns(
    ts: list[int], equity: list[float], start: float, t0: int, stop: int, step: int
) -> list[float]:
    """Return interval returns by a plain loop: the last sample at or before each boundary."""
    boundaries = []
    edge = t0 + step
    while edge < stop:
        boundaries.append(edge)
        edge += step
    boundaries.append(stop)
    closes = [start]
    for boundary in boundaries:
        value = start
        for when, level in zip(ts, equity, strict=True):
            if when <= boundary:
                value = level
        closes.append(value)
    return [closes[i + 1] / closes[i] - 1.0 for i in range(len(boundaries))]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 10 * 60), st.floats(50.0, 150.0)), min_size=1, max_size=40),
    st.integers(1, 10 * 60),
)
def test_interval_returns_match_a_plain_loop_and_compound_to_the_total(points, period_minutes):
    # Arrange: samples at whole minutes (some after the period's end are never reached)
    points = sorted(points)
    ts = [T0 + m * MINUTE for m, _ in points]
    equity = [v for _, v in points]
    end_ns = T0 + period_minutes * MINUTE - 1

    # Act
    sample = interval_returns(np.array(ts), np.array(equity), 100.0, T0, end_ns, 3_600)

    # Assert
    expected = brute_force_returns(ts, equity, 100.0, T0, end_ns + 1, HOUR)
    assert sample.returns == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert sample.count == math.ceil(period_minutes / 60)
    assert sample.days == pytest.approx(period_minutes / 1_440)
    last = [v for t, v in zip(ts, equity, strict=True) if t <= end_ns + 1]
    final = last[-1] if last else 100.0
    assert np.prod(1.0 + sample.returns) == pytest.approx(final / 100.0, rel=1e-9)


@pytest.mark.parametrize(
    ("secs", "label"), [(86_400, "1d"), (3_600, "1h"), (900, "15min"), (90, "90s")]
)
def test_the_frequency_is_named_in_its_largest_whole_unit(secs, label):
    # Arrange, Act, Assert
    assert frequency_label(secs) == label


def curve(hours: int, seed: int = 1) -> pd.DataFrame:
    """Return an equity curve sampled every minute for ``hours`` (a random walk from 1e5)."""
    n = hours * 60 + 1
    steps = np.random.default_rng(seed).normal(0.0, 20.0, n)
    steps[0] = 0.0
    equity = 1e5 + np.cumsum(steps)
    return pd.DataFrame(
        {
            "ts": T0 + np.arange(n, dtype=np.int64) * MINUTE,
            "balance": 1e5,
            "unrealized_pnl": equity - 1e5,
            "equity": equity,
        }
    )


def stats_of(equity: pd.DataFrame, hours: int, **settings: float) -> dict:
    """Return compute_stats of a curve with no trades over ``hours``."""
    empty = pd.DataFrame(columns=["notional", "commission", "realized_pnl", "is_open"])
    return compute_stats(
        equity=equity,
        fills=empty,
        positions=pd.DataFrame(columns=["ts_opened", "ts_closed", "realized_pnl", "is_open"]),
        funding=pd.DataFrame(columns=["ts", "payment"]),
        starting_balance=1e5,
        start_ns=T0,
        end_ns=T0 + hours * HOUR - 1,
        events=0,
        wall_secs=1.0,
        settings=StatsSection(**settings),
    )


def test_below_the_minimum_days_the_annualised_ratios_are_insufficient_not_numbers():
    # Arrange: 72 hourly returns over 3 days, against the default 30 returns and 30 days
    equity = curve(72)

    # Act
    stats = stats_of(equity, 72)

    # Assert
    for key in ("sharpe", "sortino", "calmar", "cagr"):
        assert stats[key] == "insufficient"
    assert stats["sample"]["returns"] == 72 and stats["sample"]["days"] == 3.0
    assert stats["sample"]["sufficient"] is False
    assert stats["intervals"]["sharpe"] == "insufficient"
    assert isinstance(stats["intervals"]["total_return"], dict)
    assert isinstance(stats["max_drawdown"], float)


def test_below_the_minimum_returns_even_the_intervals_are_insufficient():
    # Arrange: 3 daily returns
    equity = curve(72)

    # Act
    stats = stats_of(equity, 72, return_interval_secs=86_400, min_days=0.0)

    # Assert
    assert stats["sample"]["frequency"] == "1d" and stats["sample"]["returns"] == 3
    assert stats["sharpe"] == "insufficient"
    assert stats["intervals"]["total_return"] == "insufficient"
    assert stats["intervals"]["block_length"] is None


def test_with_enough_sample_the_ratios_annualise_hourly_returns_over_365_days():
    # Arrange
    equity = curve(72)
    hourly = equity["equity"].to_numpy()[::60]
    returns = hourly[1:] / hourly[:-1] - 1.0

    # Act
    stats = stats_of(equity, 72, min_days=3.0)

    # Assert
    assert stats["sharpe"] == pytest.approx(returns.mean() / returns.std(ddof=1) * math.sqrt(8760))
    assert stats["sample"]["periods_per_year"] == 8760
    centred = returns - returns.mean()
    assert stats["sample"]["skew"] == pytest.approx(np.mean(centred**3) / np.var(returns) ** 1.5)
    assert stats["sample"]["kurtosis"] == pytest.approx(
        np.mean((returns - returns.mean()) ** 4) / np.var(returns) ** 2
    )
    assert "sqrt(8760)" in stats["sample"]["annualisation"]


def test_intervals_are_reproducible_from_the_seed():
    # Arrange
    equity = curve(72)

    # Act
    first, again = stats_of(equity, 72, seed=3), stats_of(equity, 72, seed=3)
    other = stats_of(equity, 72, seed=4)

    # Assert
    assert first["intervals"] == again["intervals"]
    assert first["intervals"]["total_return"] != other["intervals"]["total_return"]


def test_flat_stats_turn_blocks_into_dotted_columns_and_markers_into_missing():
    # Arrange
    stats = stats_of(curve(72), 72)

    # Act
    flat = flat_stats(stats)

    # Assert
    assert flat["sharpe"] is None and flat["sample.sufficient"] is False
    assert flat["sample.returns"] == 72
    assert flat["intervals.total_return.low"] == stats["intervals"]["total_return"]["low"]
    assert flat["intervals.sharpe"] is None
    assert not any(isinstance(v, dict) for v in flat.values())


def test_the_return_interval_must_be_a_whole_number_of_equity_samples():
    # Arrange
    raw = {**GOOD, "output": {"equity_interval_secs": 600}, "stats": {"return_interval_secs": 900}}

    # Act
    with pytest.raises(ConfigError) as error:
        parse_config(raw)

    # Assert
    assert "stats.return_interval_secs = 900: must be a multiple" in str(error.value)


def test_the_stats_section_takes_part_in_the_config_hash():
    # Arrange
    base = parse_config(GOOD)
    stricter = parse_config({**GOOD, "stats": {"min_days": 90}})

    # Act, Assert
    assert base.config_hash() != stricter.config_hash()
    assert base.resolved()["stats"]["return_interval_secs"] == 3_600


def test_a_run_outcome_follows_the_stats_settings_of_its_config():
    # Arrange: statistics computed with the defaults, a config asking for a 1-day minimum
    equity = curve(72)
    stats = stats_of(equity, 72)
    empty = pd.DataFrame()

    # Act
    outcome = RunOutcome(
        run_id="r-0",
        config={"stats": StatsSection(min_days=1.0).model_dump()},
        start_ns=T0,
        end_ns=T0 + 72 * HOUR - 1,
        currency="USDT",
        stats=stats,
        fills=empty,
        positions=empty,
        equity=equity,
        funding=empty,
        account=empty,
        series=pd.DataFrame(columns=["ts", "name", "value"]),
    )

    # Assert
    assert stats["sharpe"] == "insufficient"
    assert outcome.stats["sharpe"] == stats_of(equity, 72, min_days=1.0)["sharpe"]
    assert outcome.stats["sample"]["min_days"] == 1.0
    assert outcome.stats["trades"] == stats["trades"]
