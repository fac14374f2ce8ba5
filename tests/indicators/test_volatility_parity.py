"""Batch twin vs ``handle_bar`` on 100k Nautilus bars (``update_raw``: ``test_registry.py``)."""

import numpy as np
import pytest

from indicators.kernels.volatility import ESTIMATORS
from indicators.kernels.volatility import downside_semivariance_batch
from indicators.kernels.volatility import ewma_variance_batch
from indicators.kernels.volatility import garman_klass_batch
from indicators.kernels.volatility import har_batch
from indicators.kernels.volatility import parkinson_batch
from indicators.kernels.volatility import realized_variance_batch
from indicators.kernels.volatility import rogers_satchell_batch
from indicators.kernels.volatility import vol_compression_batch
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

N = 100_000
SESSION_NS = 60 * MINUTE_NS
OFFSET_NS = 7 * MINUTE_NS
HORIZONS = (15, 60, 240)
WEIGHTS = (0.5, 0.3, 0.2)

# name -> (indicator factory, update_raw inputs, batch twin); inputs name keys of the bar data.
CASES = {
    "parkinson": (
        lambda: Parkinson(20),
        ("high", "low"),
        lambda d: parkinson_batch(d["high"], d["low"], 20),
    ),
    "garman_klass": (
        lambda: GarmanKlass(20),
        ("open", "high", "low", "close"),
        lambda d: garman_klass_batch(d["open"], d["high"], d["low"], d["close"], 20),
    ),
    "rogers_satchell": (
        lambda: RogersSatchell(20),
        ("open", "high", "low", "close"),
        lambda d: rogers_satchell_batch(d["open"], d["high"], d["low"], d["close"], 20),
    ),
    "yang_zhang": (
        lambda: YangZhang(10, SESSION_NS, OFFSET_NS),
        ("ts", "open", "high", "low", "close"),
        lambda d: yang_zhang_batch(
            d["ts"], d["open"], d["high"], d["low"], d["close"], 10, SESSION_NS, OFFSET_NS
        ),
    ),
    "realized_variance": (
        lambda: RealizedVariance(60),
        ("close",),
        lambda d: realized_variance_batch(d["close"], 60),
    ),
    "downside_semivariance": (
        lambda: DownsideSemivariance(60),
        ("close",),
        lambda d: downside_semivariance_batch(d["close"], 60),
    ),
    "ewma_variance": (
        lambda: EwmaVariance(30.0),
        ("close",),
        lambda d: ewma_variance_batch(d["close"], 30.0, 30),
    ),
    "har": (
        lambda: HarComposite(HORIZONS, WEIGHTS, 1e-9),
        ("close",),
        lambda d: har_batch(d["close"], np.array(HORIZONS), np.array(WEIGHTS), 1e-9),
    ),
    "vol_compression": (
        lambda: VolatilityCompression(30, 360, estimator="parkinson"),
        ("open", "high", "low", "close"),
        lambda d: vol_compression_batch(
            d["open"], d["high"], d["low"], d["close"], 30, 360, ESTIMATORS["parkinson"], 1e-18
        ),
    ),
}

# Driven through real Nautilus Bar objects as well.
HANDLE_BAR_CASES = [
    "parkinson",
    "garman_klass",
    "yang_zhang",
    "realized_variance",
    "ewma_variance",
    "vol_compression",
]


@pytest.fixture(scope="module")
def nautilus_bars() -> tuple[list, dict[str, np.ndarray]]:
    return to_bars(random_ohlc(N, seed=23))


@pytest.mark.parametrize("name", HANDLE_BAR_CASES)
def test_handle_bar_matches_batch_twin_on_100k_nautilus_bars(nautilus_bars, name):
    # Arrange
    bars, held = nautilus_bars
    make, _, batch = CASES[name]
    indicator = make()

    # Act
    incremental = np.empty(len(bars))
    for t, bar in enumerate(bars):
        indicator.handle_bar(bar)
        incremental[t] = indicator.value

    # Assert
    assert_same_series(incremental, batch(held), rtol=1e-9)
