"""F1, F2 and F3 are the indicator library's values, z-scored at the decisions as DESIGN §6 says."""

import math

import numpy as np
import pytest

from indicators.rolling import RollingPercentileRank
from indicators.rolling import RollingZScore
from strategies.toxvol.features import ToxVolFeatures
from tests.strategies.conftest import toxvol_config

SECOND = 1_000_000_000
MINUTE = 60 * SECOND
T0 = 1_704_067_200 * SECOND
WINDOW = 6
SMALL = {
    "cadence_minutes": 1,
    "compression_short_minutes": 2,
    "compression_long_minutes": 4,
    "har_horizons_minutes": (2, 3, 4),
    "vpin_window": 2,
    "vpin_bucket_notional": 20_000.0,
    "ofi_bars": 1,
    "zscore_window": WINDOW,
    "toxicity_window": WINDOW,
    "toxicity_quantile": 0.6,
    "funding_window": 2,
    "metrics_window": 3,
    "oi_lag": 1,
}


def feed_minute(features: ToxVolFeatures, minute: int, rng: np.random.Generator) -> None:
    """Feed one minute of quotes, trades and its closing bar to the features' indicators."""
    price = 42_000.0 + 10.0 * math.sin(minute / 3.0)
    for k in range(20):
        ts = T0 + minute * MINUTE + k * 3 * SECOND
        bid = round(price + rng.normal(0.0, 2.0), 1)
        bid_size, ask_size = rng.uniform(0.1, 5.0, 2)
        for indicator in features.quote_indicators:
            if indicator is features.ofi:
                indicator.update_raw(ts, bid, bid_size, bid + 0.1, ask_size)
            elif indicator is features.spread:
                indicator.update_raw(bid, bid + 0.1)
            else:
                indicator.update_raw(bid_size, ask_size)
        size, side = rng.uniform(0.01, 0.5), int(rng.integers(1, 3))
        features.vpin.update_raw(ts, bid, size, side)
        if features.svi is not None:
            features.svi.update_raw(ts, size, side)
    close = round(price, 1)
    features.compression.update_raw(close - 1.0, close + 3.0, close - 4.0, close)
    features.har.update_raw(close)
    if minute % 5 == 0:
        features.crowding.update_raw(open_interest=80_000.0 + minute, long_short_ratio=1.1)
    if minute % 8 == 0:
        features.crowding.update_raw(funding_rate=1e-4 * (1 + minute % 3))


def test_the_features_are_z_scores_of_the_library_indicators_sampled_at_decisions():
    # Arrange: the same indicator values z-scored by independent rolling statistics
    features = ToxVolFeatures(toxvol_config(**SMALL))
    rng = np.random.default_rng(5)
    expected = {
        name: RollingZScore(WINDOW) for name in ("f1", "obi", "svi", "ofi", "vpin", "spread")
    }
    rank = RollingPercentileRank(WINDOW)
    sources = {
        "f1": lambda: -features.compression.value,
        "obi": lambda: features.obi.value,
        "svi": lambda: features.svi.value,
        "ofi": lambda: features.ofi.value,
        "vpin": lambda: features.vpin.value,
        "spread": lambda: features.spread.value,
    }

    # Act
    snapshots, expectations = [], []
    for minute in range(40):
        feed_minute(features, minute, rng)
        for name, source in sources.items():
            if math.isfinite(source()):
                expected[name].update_raw(source())
        z = {name: statistic.value for name, statistic in expected.items()}
        toxicity = z["vpin"] + z["spread"]
        threshold = rank.quantile(0.6) if rank.initialized else math.nan
        if math.isfinite(toxicity):
            rank.update_raw(toxicity)
        snapshots.append(features.sample())
        expectations.append((z["f1"], z["obi"] + z["svi"] + z["ofi"], toxicity, threshold))

    # Assert
    last = snapshots[-1]
    assert last.ready
    for snapshot, (f1, pressure, toxicity, threshold) in zip(snapshots, expectations, strict=True):
        s = snapshot.signals
        assert s.compression == pytest.approx(f1, nan_ok=True)
        assert s.pressure == pytest.approx(pressure, nan_ok=True)
        assert s.toxicity == pytest.approx(toxicity, nan_ok=True)
        assert s.toxicity_threshold == pytest.approx(threshold, nan_ok=True)
    assert last.signals.regime == features.crowding.regime(1.25)
    assert last.sigma == pytest.approx(math.sqrt(features.har.value))


def test_switched_off_pressure_components_are_not_built_nor_summed():
    # Arrange
    features = ToxVolFeatures(toxvol_config(use_obi=False, use_ofi=False, **SMALL))
    rng = np.random.default_rng(5)

    # Act
    for minute in range(30):
        feed_minute(features, minute, rng)
        snapshot = features.sample()

    # Assert
    assert features.obi is None and features.ofi is None
    assert features.quote_indicators == [features.spread]
    assert snapshot.ready
    assert math.isfinite(snapshot.signals.pressure)


def test_the_crowding_index_is_not_awaited_without_the_regime_filter():
    # Arrange: no funding or metrics rows at all
    with_filter = ToxVolFeatures(toxvol_config(**SMALL))
    without = ToxVolFeatures(toxvol_config(use_regime_filter=False, **SMALL))
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)

    # Act
    for minute in range(30):
        for features, rng in ((with_filter, rng_a), (without, rng_b)):
            feed_minute(features, minute, rng)
            features.crowding.reset()
        snapshots = with_filter.sample(), without.sample()

    # Assert
    assert [s.ready for s in snapshots] == [False, True]
