"""Regime indicators: funding z-score, Δlog open interest, log long/short ratio, crowding index."""

import math

import numpy as np
import pandas as pd
import pytest

from data_types import FundingRate
from data_types import FuturesMetrics
from indicators.regime import CrowdingIndex
from indicators.regime import DeltaLogOpenInterest
from indicators.regime import FundingZScore
from indicators.regime import LogLongShortRatio
from tests.indicators import assert_same_series

FIVE_MIN_NS = 300_000_000_000
EIGHT_HOURS_NS = 96 * FIVE_MIN_NS


def _pandas_zscore(s: pd.Series, window: int) -> pd.Series:
    return (s - s.rolling(window).mean()) / s.rolling(window).std()


def _random_streams(n_metrics: int, seed: int) -> dict[str, np.ndarray]:
    """Metrics every 5 min, funding every 8 h (a few ms late, as Binance publishes it)."""
    rng = np.random.default_rng(seed)
    metrics_ts = (np.arange(n_metrics, dtype=np.int64) + 1) * FIVE_MIN_NS
    n_funding = int(metrics_ts[-1] // EIGHT_HOURS_NS)
    return {
        "metrics_ts": metrics_ts,
        "oi": 1e5 * np.exp(np.cumsum(rng.normal(0.0, 2e-3, n_metrics))),
        "ls": np.exp(0.3 * np.sin(np.arange(n_metrics) / 500.0) + rng.normal(0.0, 0.05, n_metrics)),
        "funding_ts": (np.arange(n_funding, dtype=np.int64) + 1) * EIGHT_HOURS_NS + 3_000_000,
        "funding": 1e-4 + rng.normal(0.0, 1e-4, n_funding),
    }


def _pandas_crowding(
    d: dict[str, np.ndarray], fw: int, mw: int, lag: int, weights: tuple
) -> np.ndarray:
    """Independent crowding index: pandas z-scores per stream, forward-filled on the merged clock."""
    zf = _pandas_zscore(pd.Series(d["funding"]), fw)
    dlog = np.log(pd.Series(d["oi"])).diff(lag)
    zoi = _pandas_zscore(dlog.dropna(), mw).reindex(dlog.index)
    zls = _pandas_zscore(np.log(pd.Series(d["ls"])), mw)
    events = pd.concat(
        [
            pd.DataFrame({"ts": d["funding_ts"], "zf": zf.to_numpy(), "first": 0}),
            pd.DataFrame(
                {"ts": d["metrics_ts"], "zoi": zoi.to_numpy(), "zls": zls.to_numpy(), "first": 1}
            ),
        ],
        ignore_index=True,
    ).sort_values(["ts", "first"], kind="stable")
    filled = events[["zf", "zoi", "zls"]].ffill()
    return (
        weights[0] * filled["zf"] + weights[1] * filled["zoi"] + weights[2] * filled["zls"]
    ).to_numpy()


# --- funding z-score ------------------------------------------------------------------------------


def test_funding_zscore_matches_pandas_rolling_zscore_through_funding_rate_objects():
    # Arrange
    rates = np.random.default_rng(31).normal(1e-4, 2e-4, 500)
    indicator = FundingZScore(21)

    # Act
    values = []
    for t, rate in enumerate(rates):
        indicator.handle_funding_rate(
            FundingRate(ts_event=t, ts_init=t, last_funding_rate=float(rate))
        )
        values.append(indicator.value)

    # Assert
    assert_same_series(np.array(values), _pandas_zscore(pd.Series(rates), 21).to_numpy(), rtol=1e-9)


def test_funding_zscore_of_constant_funding_is_zero():
    # Arrange
    indicator = FundingZScore(3)

    # Act
    for _ in range(5):
        indicator.update_raw(1e-4)

    # Assert
    assert indicator.initialized and indicator.value == 0.0


# --- Δlog open interest and log long/short ---------------------------------------------------------


def test_delta_log_open_interest_of_known_rows():
    # Arrange
    indicator = DeltaLogOpenInterest(lag=2)

    # Act
    values = [indicator.update_raw(oi) for oi in (100.0, 110.0, 121.0, 100.0)]

    # Assert
    assert math.isnan(values[0]) and math.isnan(values[1])
    assert values[2] == pytest.approx(math.log(1.21), rel=1e-14)
    assert values[3] == pytest.approx(math.log(100 / 110), rel=1e-14)


def test_delta_log_open_interest_handle_metrics_matches_numpy_log_diff():
    # Arrange
    oi = 1e5 * np.exp(np.cumsum(np.random.default_rng(32).normal(0.0, 1e-3, 2_000)))
    indicator = DeltaLogOpenInterest(lag=3)

    # Act
    values = []
    for t, x in enumerate(oi):
        indicator.handle_metrics(FuturesMetrics(ts_event=t, ts_init=t, sum_open_interest=float(x)))
        values.append(indicator.value)

    # Assert
    expected = np.r_[np.full(3, np.nan), np.log(oi[3:]) - np.log(oi[:-3])]
    assert_same_series(np.array(values), expected, rtol=1e-9, atol=1e-15)


def test_log_long_short_ratio_reads_configured_field():
    # Arrange
    row = FuturesMetrics(
        ts_event=0, ts_init=0, count_long_short_ratio=2.0, sum_toptrader_long_short_ratio=0.5
    )
    by_count = LogLongShortRatio()
    by_top = LogLongShortRatio("sum_toptrader_long_short_ratio")

    # Act
    by_count.handle_metrics(row)
    by_top.handle_metrics(row)

    # Assert
    assert by_count.value == pytest.approx(math.log(2.0)) and by_count.initialized
    assert by_top.value == pytest.approx(-math.log(2.0))


@pytest.mark.parametrize("bad", [0.0, -1.0])
def test_non_positive_open_interest_or_ratio_is_refused(bad):
    with pytest.raises(ValueError):
        DeltaLogOpenInterest().update_raw(bad)
    with pytest.raises(ValueError):
        LogLongShortRatio().update_raw(bad)
    with pytest.raises(ValueError):
        CrowdingIndex(2, 2).update_raw(open_interest=bad, long_short_ratio=1.0)


@pytest.mark.parametrize(
    "make", [lambda: FundingZScore(3), lambda: DeltaLogOpenInterest(), lambda: LogLongShortRatio()]
)
@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_regime_update_raw_refuses_non_finite(make, bad):
    # Arrange
    indicator = make()

    # Act / Assert
    with pytest.raises(ValueError, match="not finite"):
        indicator.update_raw(bad)
    assert not indicator.has_inputs


def test_handle_funding_rate_with_nan_rate_is_refused():
    # Arrange: custom data fields are plain floats, nothing upstream guarantees them finite
    indicator = CrowdingIndex(2, 2)

    # Act / Assert
    with pytest.raises(ValueError, match="not finite"):
        indicator.handle_funding_rate(
            FundingRate(ts_event=0, ts_init=0, last_funding_rate=math.nan)
        )


def test_invalid_long_short_field_is_refused():
    with pytest.raises(ValueError, match="long/short field"):
        LogLongShortRatio("sum_open_interest")


# --- crowding index --------------------------------------------------------------------------------


def test_crowding_index_through_nautilus_objects_matches_independent_pandas_computation():
    # Arrange
    d = _random_streams(6_000, seed=33)
    weights = (1.0, 0.5, 0.8)
    indicator = CrowdingIndex(
        funding_window=5, metrics_window=144, oi_lag=2, a1=1.0, a2=0.5, a3=0.8
    )
    objects = [
        (t, 0, FundingRate(ts_event=int(t), ts_init=int(t), last_funding_rate=float(f)))
        for t, f in zip(d["funding_ts"], d["funding"], strict=True)
    ] + [
        (
            t,
            1,
            FuturesMetrics(
                ts_event=int(t),
                ts_init=int(t),
                sum_open_interest=float(oi),
                count_long_short_ratio=float(ls),
            ),
        )
        for t, oi, ls in zip(d["metrics_ts"], d["oi"], d["ls"], strict=True)
    ]
    objects.sort(key=lambda x: (x[0], x[1]))

    # Act
    values = []
    for _, _, obj in objects:
        if isinstance(obj, FundingRate):
            indicator.handle_funding_rate(obj)
        else:
            indicator.handle_metrics(obj)
        values.append(indicator.value)

    # Assert
    expected = _pandas_crowding(d, 5, 144, 2, weights)
    assert_same_series(np.array(values), expected, rtol=1e-9, atol=1e-12)
    assert indicator.initialized
    assert indicator.value == pytest.approx(
        1.0 * indicator.z_funding + 0.5 * indicator.z_open_interest + 0.8 * indicator.z_long_short
    )


def test_crowding_index_stays_uninitialized_until_every_zscore_is_full():
    # Arrange
    indicator = CrowdingIndex(funding_window=2, metrics_window=3, oi_lag=1)

    # Act: plenty of metrics, one funding settlement
    for t in range(10):
        indicator.update_raw(open_interest=100.0 + t, long_short_ratio=1.0 + 0.1 * (t % 3))
    indicator.update_raw(funding_rate=1e-4)
    before = indicator.initialized
    indicator.update_raw(funding_rate=2e-4)

    # Assert
    assert not before and indicator.initialized


def test_crowding_index_update_raw_argument_errors():
    indicator = CrowdingIndex(2, 2)
    with pytest.raises(ValueError, match="come together"):
        indicator.update_raw(open_interest=1.0)
    with pytest.raises(ValueError, match="needs"):
        indicator.update_raw()


def test_crowding_regime_thresholds():
    # Arrange
    indicator = CrowdingIndex(2, 2)

    # Act / Assert
    assert indicator.regime(1.0) == 0  # NaN while warming up
    indicator.value = 1.5
    assert indicator.regime(1.0) == 1 and indicator.regime(2.0) == 0
    indicator.value = -1.5
    assert indicator.regime(1.0) == -1


def test_crowding_index_reset_restores_fresh_state():
    # Arrange
    d = _random_streams(400, seed=34)
    fresh, used = CrowdingIndex(2, 20), CrowdingIndex(2, 20)
    for oi, ls in zip(d["oi"], d["ls"], strict=True):
        used.update_raw(funding_rate=1e-4 * oi / 1e5, open_interest=oi, long_short_ratio=ls)

    # Act
    used.reset()

    # Assert
    assert not used.initialized and not used.has_inputs and math.isnan(used.value)
    np.testing.assert_array_equal(used._state, fresh._state)


# --- parity: batch twins vs incremental on 100k events ----------------------------------------------


def test_refused_metrics_row_leaves_crowding_state_unchanged():
    # Arrange
    indicator = CrowdingIndex(2, 3)
    indicator.update_raw(funding_rate=1e-4, open_interest=100.0, long_short_ratio=1.2)
    before = indicator._state.copy()

    # Act
    with pytest.raises(ValueError):
        indicator.update_raw(open_interest=-1.0, long_short_ratio=1.2)

    # Assert
    np.testing.assert_array_equal(indicator._state, before)
