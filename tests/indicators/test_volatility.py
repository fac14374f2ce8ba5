"""Volatility indicators against hand-worked cases and independent numpy/pandas computations."""

import math

import numpy as np
import pandas as pd
import pytest

from indicators.kernels.volatility import downside_semivariance_batch
from indicators.kernels.volatility import ewma_variance_batch
from indicators.kernels.volatility import garman_klass_batch
from indicators.kernels.volatility import har_batch
from indicators.kernels.volatility import parkinson_batch
from indicators.kernels.volatility import realized_variance_batch
from indicators.kernels.volatility import rogers_satchell_batch
from indicators.kernels.volatility import yang_zhang_batch
from indicators.volatility import DownsideSemivariance
from indicators.volatility import EwmaVariance
from indicators.volatility import GarmanKlass
from indicators.volatility import HarComposite
from indicators.volatility import Parkinson
from indicators.volatility import RealizedVariance
from indicators.volatility import RogersSatchell
from indicators.volatility import VolatilityCompression
from indicators.volatility import YangZhang
from tests.indicators import MINUTE_NS
from tests.indicators import assert_same_series
from tests.indicators import random_ohlc
from tests.indicators import to_bars

HOUR_NS = 60 * MINUTE_NS
LN2 = math.log(2.0)


@pytest.fixture(scope="module")
def bars() -> dict[str, np.ndarray]:
    return random_ohlc(6_000, seed=11)


def _terms(d: dict[str, np.ndarray]) -> dict[str, pd.Series]:
    """Independent vectorised one-bar terms, written from the papers' formulas."""
    o, h, lo, c = (pd.Series(d[k]) for k in ("open", "high", "low", "close"))
    return {
        "parkinson": np.log(h / lo) ** 2 / (4 * LN2),
        "garman_klass": 0.5 * np.log(h / lo) ** 2 - (2 * LN2 - 1) * np.log(c / o) ** 2,
        "rogers_satchell": np.log(h / c) * np.log(h / o) + np.log(lo / c) * np.log(lo / o),
        "close": np.log(c).diff() ** 2,
    }


# --- hand-worked cases ---------------------------------------------------------------------------


def test_parkinson_with_known_range_matches_closed_form():
    # Arrange
    indicator = Parkinson(1)

    # Act
    value = indicator.update_raw(high=110.0, low=100.0)

    # Assert
    assert value == pytest.approx(math.log(1.1) ** 2 / (4 * math.log(2)), rel=1e-14)
    assert indicator.initialized


def test_parkinson_over_two_bars_averages_the_two_terms():
    # Arrange
    indicator = Parkinson(2)

    # Act
    first = indicator.update_raw(110.0, 100.0)
    second = indicator.update_raw(105.0, 100.0)

    # Assert
    assert math.isnan(first) and not math.isnan(second)
    expected = (math.log(1.1) ** 2 + math.log(1.05) ** 2) / (2 * 4 * math.log(2))
    assert second == pytest.approx(expected, rel=1e-14)


def test_garman_klass_with_known_bar_matches_closed_form():
    # Arrange
    indicator = GarmanKlass(1)

    # Act
    value = indicator.update_raw(open=100.0, high=110.0, low=95.0, close=105.0)

    # Assert
    expected = 0.5 * math.log(110 / 95) ** 2 - (2 * math.log(2) - 1) * math.log(105 / 100) ** 2
    assert value == pytest.approx(expected, rel=1e-14)


def test_rogers_satchell_with_known_bar_matches_closed_form():
    # Arrange
    indicator = RogersSatchell(1)

    # Act
    value = indicator.update_raw(open=100.0, high=110.0, low=95.0, close=105.0)

    # Assert
    expected = math.log(110 / 105) * math.log(110 / 100) + math.log(95 / 105) * math.log(95 / 100)
    assert value == pytest.approx(expected, rel=1e-14)


def test_realized_variance_and_downside_semivariance_of_known_closes():
    # Arrange: returns ln(1.1), ln(1/1.1) -> one up, one down
    rv = RealizedVariance(2)
    down = DownsideSemivariance(2)

    # Act
    for close in (100.0, 110.0, 100.0):
        rv.update_raw(close)
        down.update_raw(close)

    # Assert
    assert rv.value == pytest.approx(2 * math.log(1.1) ** 2, rel=1e-14)
    assert down.value == pytest.approx(math.log(1.1) ** 2, rel=1e-14)


def test_ewma_variance_of_known_returns_with_half_life_one_halves_old_weight():
    # Arrange: lambda = 0.5 with half-life 1 bar
    indicator = EwmaVariance(half_life=1.0, min_periods=1)

    # Act
    for close in (100.0, 110.0, 110.0):
        indicator.update_raw(close)

    # Assert: s1 = r^2, s2 = 0.5 s1 + 0.5 * 0
    assert indicator.value == pytest.approx(0.5 * math.log(1.1) ** 2, rel=1e-14)


def test_yang_zhang_k_follows_yang_zhang_2000():
    # Arrange / Act
    indicator = YangZhang(window=20, session_ns=HOUR_NS)

    # Assert
    assert indicator.k == pytest.approx(0.34 / (1.34 + 21 / 19), rel=1e-15)


def test_yang_zhang_over_two_hand_worked_sessions():
    # Arrange: one-bar sessions (session = bar interval): sessions C0 | (O,H,L,C)1 | (O,H,L,C)2
    indicator = YangZhang(window=2, session_ns=MINUTE_NS)
    sessions = [
        (100.0, 100.0, 100.0, 100.0),
        (101.0, 104.0, 99.0, 103.0),
        (102.0, 105.0, 100.0, 101.0),
    ]

    # Act
    values = [indicator.update_raw((i + 1) * MINUTE_NS, *s) for i, s in enumerate(sessions)]

    # Assert
    overnight = [math.log(101 / 100), math.log(102 / 103)]
    open_close = [math.log(103 / 101), math.log(101 / 102)]
    rs = [
        math.log(104 / 103) * math.log(104 / 101) + math.log(99 / 103) * math.log(99 / 101),
        math.log(105 / 101) * math.log(105 / 102) + math.log(100 / 101) * math.log(100 / 102),
    ]
    k = 0.34 / (1.34 + 3.0)
    expected = np.var(overnight, ddof=1) + k * np.var(open_close, ddof=1) + (1 - k) * np.mean(rs)
    assert math.isnan(values[1])
    assert values[2] == pytest.approx(expected, rel=1e-13)


# --- independent series ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "batch_of"),
    [
        ("parkinson", lambda d, w: parkinson_batch(d["high"], d["low"], w)),
        (
            "garman_klass",
            lambda d, w: garman_klass_batch(d["open"], d["high"], d["low"], d["close"], w),
        ),
        (
            "rogers_satchell",
            lambda d, w: rogers_satchell_batch(d["open"], d["high"], d["low"], d["close"], w),
        ),
    ],
)
def test_range_estimators_match_pandas_rolling_mean_of_terms(bars, name, batch_of):
    # Arrange
    expected = _terms(bars)[name].rolling(30).mean().to_numpy()

    # Act
    series = batch_of(bars, 30)

    # Assert
    assert_same_series(series, expected, rtol=1e-9, atol=1e-18)


def test_realized_variance_matches_pandas_rolling_sum_of_squared_returns(bars):
    # Arrange
    r = np.log(pd.Series(bars["close"])).diff()

    # Act
    rv = realized_variance_batch(bars["close"], 45)
    down = downside_semivariance_batch(bars["close"], 45)

    # Assert
    assert_same_series(rv, (r**2).rolling(45).sum().to_numpy(), rtol=1e-9)
    expected_down = (r**2).where(r < 0, 0.0).where(r.notna()).rolling(45).sum().to_numpy()
    assert_same_series(down, expected_down, rtol=1e-9, atol=1e-18)


@pytest.mark.parametrize("half_life", [1.0, 7.5, 60.0])
def test_ewma_variance_matches_pandas_ewm_with_half_life(bars, half_life):
    # Arrange
    r2 = np.log(pd.Series(bars["close"])).diff().iloc[1:] ** 2
    min_periods = math.ceil(half_life)
    expected = r2.ewm(halflife=half_life, adjust=False, min_periods=min_periods).mean()

    # Act
    series = ewma_variance_batch(bars["close"], half_life, min_periods)

    # Assert
    assert math.isnan(series[0])
    assert_same_series(series[1:], expected.to_numpy(), rtol=1e-9)


def test_har_composite_matches_weighted_pandas_rolling_means(bars):
    # Arrange
    r2 = _terms(bars)["close"]
    horizons, weights, intercept = (5, 60, 240), (0.5, 0.3, 0.2), 1e-9
    expected = intercept + sum(
        w * r2.rolling(h).mean() for h, w in zip(horizons, weights, strict=True)
    )

    # Act
    series = har_batch(bars["close"], np.array(horizons), np.array(weights), intercept)

    # Assert
    assert_same_series(series, expected.to_numpy(), rtol=1e-9)


@pytest.mark.parametrize("estimator", ["close", "parkinson", "garman_klass", "rogers_satchell"])
def test_vol_compression_matches_log_ratio_of_pandas_rolling_means(bars, estimator):
    # Arrange
    term = _terms(bars)[estimator]
    floor = 1e-18
    expected = 0.5 * np.log((term.rolling(30).mean() + floor) / (term.rolling(360).mean() + floor))
    indicator = VolatilityCompression(30, 360, estimator=estimator)

    # Act
    series = [
        indicator.update_raw(*(bars[k][t] for k in ("open", "high", "low", "close")))
        for t in range(2_000)
    ]

    # Assert
    assert_same_series(np.array(series), expected.to_numpy()[:2_000], rtol=1e-9, atol=1e-12)
    assert indicator.var_short == pytest.approx(term.iloc[1970:2000].mean(), rel=1e-9)
    assert indicator.var_long == pytest.approx(term.iloc[1640:2000].mean(), rel=1e-9)


def _yang_zhang_by_sessions(
    d: dict[str, np.ndarray], window: int, session_ns: int, offset_ns: int
) -> np.ndarray:
    """Independent Yang–Zhang: pandas groupby sessions, then the formula; one value per bar."""
    df = pd.DataFrame(d)
    df["sid"] = (df["ts"] - 1 - offset_ns) // session_ns
    s = df.groupby("sid").agg(
        open=("open", "first"),
        high=("high", "max"),
        low=("low", "min"),
        close=("close", "last"),
        last_ts=("ts", "last"),
        last_row=("ts", lambda x: x.index[-1]),
    )
    overnight = np.log(s["open"] / s["close"].shift())
    open_close = np.log(s["close"] / s["open"]).where(overnight.notna())
    rs = (
        np.log(s["high"] / s["close"]) * np.log(s["high"] / s["open"])
        + np.log(s["low"] / s["close"]) * np.log(s["low"] / s["open"])
    ).where(overnight.notna())
    k = 0.34 / (1.34 + (window + 1) / (window - 1))
    yz = (
        overnight.rolling(window).var()
        + k * open_close.rolling(window).var()
        + (1 - k) * rs.rolling(window).mean()
    )
    # A session is complete at its last bar if that bar is stamped on the boundary or at its last
    # nanosecond (boundary - 1 ns, the ETL's kline stamp), else at the next bar.
    phase = (s["last_ts"] - offset_ns) % session_ns
    on_boundary = (phase == 0) | (phase == session_ns - 1)
    done_at = np.where(on_boundary, s["last_row"], s["last_row"] + 1)
    out = pd.Series(np.nan, index=df.index)
    keep = done_at < len(df)
    out.iloc[done_at[keep]] = yz.to_numpy()[keep]
    return out.ffill().to_numpy()


@pytest.mark.parametrize("stamp_ns", [0, -1], ids=["stamped_at_close", "stamped_like_etl"])
@pytest.mark.parametrize(
    ("session_ns", "offset_ns", "drop"),
    [(HOUR_NS, 0, 0.0), (4 * HOUR_NS, 30 * MINUTE_NS, 0.0), (HOUR_NS, 15 * MINUTE_NS, 0.1)],
)
def test_yang_zhang_matches_pandas_session_aggregation(bars, session_ns, offset_ns, drop, stamp_ns):
    # Arrange: `drop` removes bars at random, so some sessions lack their boundary bar;
    # `stamp_ns` -1 stamps each bar at its last nanosecond, as the ETL stamps klines
    keep = np.random.default_rng(12).random(bars["ts"].size) >= drop
    d = {k: v[keep] for k, v in bars.items()}
    d["ts"] = d["ts"] + stamp_ns

    # Act
    series = yang_zhang_batch(
        d["ts"], d["open"], d["high"], d["low"], d["close"], 5, session_ns, offset_ns
    )

    # Assert
    assert_same_series(series, _yang_zhang_by_sessions(d, 5, session_ns, offset_ns), rtol=1e-9)


# --- edge cases ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [lambda: Parkinson(3), lambda: GarmanKlass(3), lambda: RogersSatchell(3)],
)
def test_range_estimators_of_zero_range_bars_are_zero(make):
    # Arrange
    indicator = make()

    # Act
    for _ in range(3):
        if isinstance(indicator, Parkinson):
            indicator.update_raw(100.0, 100.0)
        else:
            indicator.update_raw(100.0, 100.0, 100.0, 100.0)

    # Assert
    assert indicator.initialized and indicator.value == 0.0


def test_vol_compression_of_flat_market_is_zero_and_of_flat_short_window_is_finite():
    # Arrange
    flat = VolatilityCompression(2, 4, estimator="parkinson")
    quieting = VolatilityCompression(2, 4, estimator="parkinson")

    # Act
    for _ in range(4):
        flat.update_raw(100.0, 100.0, 100.0, 100.0)
    for high in (101.0, 101.0, 100.0, 100.0):
        quieting.update_raw(100.0, high, 100.0, 100.0)

    # Assert
    assert flat.value == 0.0
    assert math.isfinite(quieting.value) and quieting.value < -10.0


@pytest.mark.parametrize(
    ("make", "n_to_init"),
    [
        (lambda: Parkinson(4), 4),
        (lambda: GarmanKlass(4), 4),
        (lambda: RogersSatchell(4), 4),
        (lambda: RealizedVariance(4), 5),
        (lambda: DownsideSemivariance(4), 5),
        (lambda: EwmaVariance(3.0), 4),
        (lambda: HarComposite((2, 3, 4)), 5),
        (lambda: VolatilityCompression(2, 4), 5),
        (lambda: VolatilityCompression(2, 4, estimator="garman_klass"), 4),
        (lambda: YangZhang(2, session_ns=MINUTE_NS), 3),
    ],
)
def test_indicator_initializes_only_after_warm_up(make, n_to_init):
    # Arrange
    indicator = make()
    bars_, _ = to_bars(random_ohlc(n_to_init, seed=13))

    # Act
    flags = []
    for bar in bars_:
        indicator.handle_bar(bar)
        flags.append(indicator.initialized)

    # Assert
    assert flags == [False] * (n_to_init - 1) + [True]
    assert indicator.has_inputs and math.isfinite(indicator.value)


@pytest.mark.parametrize(
    ("make", "args"),
    [
        (lambda: Parkinson(2), (101.0, 100.0)),
        (lambda: GarmanKlass(2), (100.0, 101.0, 99.0, 100.5)),
        (lambda: VolatilityCompression(2, 3), (100.0, 101.0, 99.0, 100.5)),
        (lambda: RealizedVariance(2), (100.0,)),
        (lambda: EwmaVariance(2.0), (100.0,)),
        (lambda: HarComposite((1, 2, 3)), (100.0,)),
        (lambda: YangZhang(2, MINUTE_NS), (MINUTE_NS, 100.0, 101.0, 99.0, 100.5)),
    ],
)
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_update_raw_refuses_non_finite_prices(make, args, bad):
    # Arrange
    indicator = make()
    poisoned = (*args[:-1], bad)

    # Act / Assert
    with pytest.raises(ValueError, match="not finite"):
        indicator.update_raw(*poisoned)
    assert not indicator.has_inputs


@pytest.mark.parametrize(
    ("make", "args"),
    [
        (lambda: Parkinson(2), (99.0, 100.0)),  # high < low
        (lambda: Parkinson(2), (1.0, 0.0)),  # zero price
        (lambda: GarmanKlass(2), (102.0, 101.0, 99.0, 100.0)),  # open above high
        (lambda: RogersSatchell(2), (100.0, 101.0, 99.0, 98.0)),  # close below low
        (lambda: RealizedVariance(2), (-1.0,)),
        (lambda: EwmaVariance(2.0), (0.0,)),
    ],
)
def test_update_raw_refuses_inconsistent_or_non_positive_prices(make, args):
    # Arrange
    indicator = make()

    # Act / Assert
    with pytest.raises(ValueError):
        indicator.update_raw(*args)


def test_batch_twin_refuses_nan_like_the_incremental_path():
    # Arrange
    close = np.array([100.0, 101.0, np.nan, 102.0])

    # Act / Assert
    with pytest.raises(ValueError):
        realized_variance_batch(close, 2)


def test_yang_zhang_refuses_bar_older_than_current_session():
    # Arrange
    indicator = YangZhang(2, session_ns=HOUR_NS)
    indicator.update_raw(2 * HOUR_NS, 100.0, 101.0, 99.0, 100.0)  # closes session 1 on its boundary

    # Act / Assert
    with pytest.raises(ValueError, match="out of time order"):
        indicator.update_raw(2 * HOUR_NS - MINUTE_NS, 100.0, 101.0, 99.0, 100.0)


def test_zero_volume_bars_count_as_zero_return_observations():
    # Arrange: after one move, zero-volume flat bars at the same price
    data = random_ohlc(4, seed=14)
    data["open"][1:] = data["high"][1:] = data["low"][1:] = data["close"][1:] = data["close"][0]
    data["volume"][1:] = 0.0
    bars_, held = to_bars(data)
    indicator = RealizedVariance(3)

    # Act
    for bar in bars_:
        indicator.handle_bar(bar)

    # Assert
    assert bars_[-1].volume.as_double() == 0.0
    assert indicator.initialized and indicator.value == 0.0


@pytest.mark.parametrize(
    "make",
    [
        lambda: Parkinson(3),
        lambda: GarmanKlass(3),
        lambda: RogersSatchell(3),
        lambda: YangZhang(2, session_ns=MINUTE_NS),
        lambda: RealizedVariance(3),
        lambda: DownsideSemivariance(3),
        lambda: EwmaVariance(2.0),
        lambda: HarComposite((1, 2, 3)),
        lambda: VolatilityCompression(2, 3),
    ],
)
def test_reset_restores_fresh_state(make):
    # Arrange
    fresh, used = make(), make()
    bars_, _ = to_bars(random_ohlc(10, seed=15))
    for bar in bars_:
        used.handle_bar(bar)

    # Act
    used.reset()

    # Assert
    assert not used.initialized and not used.has_inputs and math.isnan(used.value)
    np.testing.assert_array_equal(used._state, fresh._state)
    replay_used, replay_fresh = [], []
    for bar in bars_:
        used.handle_bar(bar)
        fresh.handle_bar(bar)
        replay_used.append(used.value)
        replay_fresh.append(fresh.value)
    np.testing.assert_array_equal(replay_used, replay_fresh)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Parkinson(0),
        lambda: YangZhang(1),
        lambda: EwmaVariance(0.0),
        lambda: EwmaVariance(math.nan),
        lambda: HarComposite((5, 0, 10)),
        lambda: HarComposite((5, 10)),
        lambda: VolatilityCompression(10, 10),
        lambda: VolatilityCompression(5, 10, estimator="atr"),
        lambda: VolatilityCompression(5, 10, floor=0.0),
    ],
)
def test_invalid_parameters_are_refused(make):
    with pytest.raises(ValueError):
        make()


def test_har_components_expose_per_bar_variances(bars):
    # Arrange
    indicator = HarComposite((5, 10, 20), weights=(1.0, 0.0, 0.0))
    r2 = _terms(bars)["close"]

    # Act
    for close in bars["close"][:100]:
        indicator.update_raw(close)

    # Assert
    expected = [r2.iloc[100 - h : 100].mean() for h in (5, 10, 20)]
    np.testing.assert_allclose(indicator.components, expected, rtol=1e-9)
    assert indicator.value == pytest.approx(expected[0], rel=1e-9)


@pytest.mark.parametrize(
    ("make", "good", "bad"),
    [
        (lambda: Parkinson(3), (101.0, 100.0), (99.0, 100.0)),
        (lambda: GarmanKlass(3), (100.0, 101.0, 99.0, 100.5), (100.0, 101.0, 99.0, 102.0)),
        (lambda: RealizedVariance(3), (100.0,), (0.0,)),
        (lambda: EwmaVariance(2.0), (100.0,), (-5.0,)),
        (lambda: HarComposite((1, 2, 3)), (100.0,), (0.0,)),
        (
            lambda: VolatilityCompression(2, 3),
            (100.0, 101.0, 99.0, 100.5),
            (100.0, 99.0, 101.0, 100.0),
        ),
        (
            lambda: YangZhang(2, MINUTE_NS),
            (MINUTE_NS, 100.0, 101.0, 99.0, 100.5),
            (2 * MINUTE_NS, 0.0, 1.0, 0.0, 1.0),
        ),
    ],
)
def test_refused_input_leaves_state_unchanged(make, good, bad):
    # Arrange
    indicator = make()
    indicator.update_raw(*good)
    before = indicator._state.copy()

    # Act
    with pytest.raises(ValueError):
        indicator.update_raw(*bad)

    # Assert
    np.testing.assert_array_equal(indicator._state, before)
