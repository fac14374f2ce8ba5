"""The ``flow`` report's series: Kyle's lambda and Hawkes read at interval ends, daily sessions."""

import numpy as np
import pytest

from bench.bench_indicators_flow import random_trades
from research.compute.flow import FlowConfig
from research.compute.flow import clocked_series
from research.compute.flow import hawkes_mu
from research.compute.flow import interval_ends
from research.compute.flow import session_tables
from research.period import Period

SECOND = 1_000_000_000
MINUTE = 60 * SECOND
DAY = 86_400 * SECOND


def minute_trades(minutes: int, seed: int) -> dict[str, np.ndarray]:
    """Return random trades over whole minutes from a midnight (sides 1/2 only)."""
    trades = random_trades(minutes * 400, seed=seed)
    start = trades["ts"][0] // DAY * DAY
    trades["ts"] = start + np.sort(
        np.random.default_rng(seed).integers(0, minutes * MINUTE, trades["ts"].size)
    )
    trades["side"] = np.where(trades["side"] == 0, 1.0, trades["side"])
    return trades


def test_kyle_lambda_at_each_minute_end_is_the_ols_slope_over_the_last_minute_bars():
    # Arrange: per-minute observations (net signed volume, change of the last price), window 5
    trades = minute_trades(30, seed=1)
    start = int(trades["ts"][0] // DAY * DAY)
    config = FlowConfig(kyle_window=5, kyle_bar_ns=MINUTE)
    ends = interval_ends(trades["ts"], Period(start, start + DAY), MINUTE)
    # Act
    series = clocked_series(trades, ends, hawkes_mu(trades, 1800.0, config), config)
    # Assert: recompute by hand from the bars that closed before each end
    minute = (trades["ts"] - start) // MINUTE
    signed = np.where(trades["side"] == 1, 1.0, -1.0) * trades["size"]
    net = np.bincount(minute, weights=signed, minlength=30)
    last = np.array([trades["price"][minute == m][-1] for m in range(30)])
    checked = 0
    for k, end in enumerate(ends):
        closed = (end - start) // MINUTE  # bars 0 .. closed-1 are complete
        if closed - 1 < 5:  # 5 observations need 6 closed bars (a change needs a previous close)
            assert np.isnan(series["kyle_lambda"][k])
            continue
        x, y = net[closed - 5 : closed], np.diff(last[closed - 6 : closed])
        assert series["kyle_lambda"][k] == pytest.approx(np.polyfit(x, y, 1)[0], rel=1e-9)
        checked += 1
    assert checked == 30 - 6 + 1  # ends after bars 6 .. 30


def test_hawkes_intensity_at_each_end_sums_the_decayed_jumps_of_earlier_trades():
    # Arrange
    trades = minute_trades(5, seed=2)
    start = int(trades["ts"][0] // DAY * DAY)
    config = FlowConfig(hawkes_beta=0.5, hawkes_branching=0.6, hawkes_mu=0.7)
    ends = interval_ends(trades["ts"], Period(start, start + DAY), MINUTE)
    # Act
    series = clocked_series(trades, ends, hawkes_mu(trades, 300.0, config), config)
    # Assert: λ(end) = μ + Σ_{t_i < end} α exp(-β (end - t_i)), α = 0.6 x 0.5
    for k, end in enumerate(ends):
        for name, sides in (("hawkes", (1, 2)), ("hawkes_buy", (1,)), ("hawkes_sell", (2,))):
            past = (trades["ts"] < end) & np.isin(trades["side"], sides)
            expected = 0.7 + np.sum(0.3 * np.exp(-0.5 * (end - trades["ts"][past]) / SECOND))
            assert series[name][k] == pytest.approx(expected, rel=1e-9)


def test_hawkes_baseline_defaults_to_the_unexplained_share_of_the_mean_rate():
    # Arrange: 3 buys and 1 sell over 10 s, branching 0.5
    trades = {
        "ts": np.arange(4),
        "price": np.ones(4),
        "size": np.ones(4),
        "side": np.array([1, 1, 2, 1]),
    }
    # Act
    mu = hawkes_mu(trades, 10.0, FlowConfig(hawkes_branching=0.5))
    # Assert
    assert mu == pytest.approx({"hawkes": 0.2, "hawkes_buy": 0.15, "hawkes_sell": 0.05})


def test_session_tables_profile_each_utc_day_separately():
    # Arrange: two trades before midnight, three after
    start = 19_723 * DAY  # 2024-01-01
    trades = {
        "ts": np.array([start - 2, start - 1, start, start + 1, start + 2]),
        "price": np.array([100.0, 101.0, 102.0, 102.0, 104.0]),
        "size": np.array([1.0, 3.0, 2.0, 2.0, 1.0]),
        "side": np.array([1, 2, 1, 1, 2]),
    }
    # Act
    profile, sessions = session_tables(trades, 1.0, FlowConfig())
    # Assert
    assert [str(d) for d in sessions["day"]] == ["2023-12-31", "2024-01-01"]
    assert sessions["volume"].tolist() == [4.0, 5.0]
    assert sessions["poc"].tolist() == [101.5, 102.5]
    assert sessions["open"].tolist() == [100.0, 102.0] and sessions["close"].tolist() == [
        101.0,
        104.0,
    ]
    day2 = profile[profile["day"].astype(str) == "2024-01-01"]
    assert day2["volume"].tolist() == [4.0, 0.0, 1.0]
    assert day2["buy_volume"].tolist() == [4.0, 0.0, 0.0]
    assert day2["poc"].tolist() == [True, False, False]
