"""Volatility-target sizing equals N = b·E/(σ̂·√H) and respects every cap."""

import math

import pytest

from strategies.toxvol.sizing import position_size
from strategies.toxvol.sizing import shrunk_risk_fraction
from tests.strategies.conftest import toxvol_config

STEP = 0.001
UNCAPPED = {"max_quantity": 1e9, "max_notional": 1e12, "max_leverage": 1e6}


def test_the_size_is_b_equity_over_sigma_sqrt_h_divided_by_price():
    # Arrange: b 1%, E 100k, σ̂ 10 bp a minute, H 25 minutes: N = 1000 / 0.005 = 200k
    config = toxvol_config(risk_fraction=0.01, vol_horizon_minutes=25, **UNCAPPED)

    # Act
    size = position_size(100_000.0, 40_000.0, 0.001, 0.0, 0.0, STEP, config)

    # Assert
    assert size.target_notional == pytest.approx(200_000.0)
    assert size.quantity == pytest.approx(5.0)
    assert size.notional == pytest.approx(200_000.0)
    assert size.cap is None


def test_the_quantity_is_rounded_down_to_the_lot_step():
    # Arrange: N/P = 200,000 / 42,000 = 4.7619... BTC
    config = toxvol_config(risk_fraction=0.01, vol_horizon_minutes=25, **UNCAPPED)

    # Act
    size = position_size(100_000.0, 42_000.0, 0.001, 0.0, 0.0, STEP, config)

    # Assert
    assert size.quantity == pytest.approx(4.761)


@pytest.mark.parametrize(
    ("cap", "limits", "expected_qty"),
    [
        ("max_quantity", {"max_quantity": 1.234}, 1.234),
        ("max_notional", {"max_notional": 60_000.0}, 1.5),
        ("max_leverage", {"max_leverage": 0.5}, 1.25),
    ],
)
def test_each_cap_binds_when_it_is_the_tightest(cap, limits, expected_qty):
    # Arrange: the uncapped target is 5 BTC (200k at 40k); equity 100k
    config = toxvol_config(risk_fraction=0.01, vol_horizon_minutes=25, **{**UNCAPPED, **limits})

    # Act
    size = position_size(100_000.0, 40_000.0, 0.001, 0.0, 0.0, STEP, config)

    # Assert
    assert size.cap == cap
    assert size.quantity == pytest.approx(expected_qty)
    assert size.quantity <= config.max_quantity
    assert size.notional <= config.max_notional + 1e-9
    assert size.notional <= config.max_leverage * 100_000.0 + 1e-9


def test_the_tightest_of_several_caps_wins():
    # Arrange: quantity cap 3 BTC, notional cap 100k (2.5 BTC), leverage cap 1.2x (3 BTC)
    config = toxvol_config(
        risk_fraction=0.01,
        vol_horizon_minutes=25,
        max_quantity=3.0,
        max_notional=100_000.0,
        max_leverage=1.2,
    )

    # Act
    size = position_size(100_000.0, 40_000.0, 0.001, 0.0, 0.0, STEP, config)

    # Assert
    assert (size.cap, size.quantity) == ("max_notional", pytest.approx(2.5))


def test_b_shrinks_with_a_high_spread_or_vpin_and_never_grows_when_they_are_low():
    # Arrange
    config = toxvol_config(risk_fraction=0.01, spread_penalty=0.5, vpin_penalty=0.25)

    # Act
    calm = shrunk_risk_fraction(-2.0, -1.0, config)
    wide = shrunk_risk_fraction(2.0, 0.0, config)
    toxic = shrunk_risk_fraction(0.0, 2.0, config)
    both = shrunk_risk_fraction(2.0, 2.0, config)
    unknown = shrunk_risk_fraction(math.nan, math.nan, config)

    # Assert
    assert calm == unknown == 0.01
    assert wide == pytest.approx(0.01 / 2.0)
    assert toxic == pytest.approx(0.01 / 1.5)
    assert both == pytest.approx(0.01 / 2.5)


def test_the_shrunk_b_scales_the_size():
    # Arrange: z_spread 2 halves b
    config = toxvol_config(
        risk_fraction=0.01, vol_horizon_minutes=25, spread_penalty=0.5, **UNCAPPED
    )

    # Act
    size = position_size(100_000.0, 40_000.0, 0.001, 2.0, 0.0, STEP, config)

    # Assert
    assert size.risk_fraction == pytest.approx(0.005)
    assert size.quantity == pytest.approx(2.5)


@pytest.mark.parametrize(
    ("equity", "price", "sigma"),
    [(100_000.0, 40_000.0, 0.0), (100_000.0, 40_000.0, math.nan), (0.0, 40_000.0, 0.001)],
    ids=["zero-sigma", "unknown-sigma", "no-equity"],
)
def test_no_size_without_a_positive_volatility_and_equity(equity, price, sigma):
    # Arrange
    config = toxvol_config()

    # Act
    size = position_size(equity, price, sigma, 0.0, 0.0, STEP, config)

    # Assert
    assert size.quantity == 0.0
