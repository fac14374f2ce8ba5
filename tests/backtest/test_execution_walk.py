"""Book walks, depth profiles and trailing calibration, against hand-computed books."""

import numpy as np
import pytest

from backtest.execution.profiles import TrailingBars
from backtest.execution.profiles import band_capacity
from backtest.execution.profiles import square_root_capacity
from backtest.execution.walk import LevelFill
from backtest.execution.walk import levels_reached
from backtest.execution.walk import walk


def flat(lots_per_tick: float):
    """Return a book holding the same size at every tick behind the touch."""
    return lambda k: lots_per_tick * k.astype(float)


def test_an_order_within_the_touch_fills_at_the_touch_only():
    # Arrange, Act
    fills = walk(0, 1_500, 2_000, flat(1_000))

    # Assert
    assert fills == [LevelFill(0, 1_500)]


def test_an_order_beyond_the_touch_fills_at_the_walks_exact_average():
    # Arrange: 2 lots displayed, 1 per tick behind; 5 lots take 2 at the touch and 1 at each of
    # ticks 1, 2, 3 (average 2 ticks).

    # Act
    fills = walk(0, 5, 2, flat(1))

    # Assert
    assert fills == [LevelFill(0, 2), LevelFill(2, 3)]


def test_an_average_between_two_ticks_splits_the_part_beyond_the_touch_across_them():
    # Arrange: 1 lot displayed, 2 per tick behind; 6 lots: 1 at the touch, 2 at tick 1, 2 at
    # tick 2, 1 at tick 3 → beyond average (2 + 4 + 3) / 5 = 1.8 ticks: 4 lots at 2, 1 at 1.

    # Act
    fills = walk(0, 6, 1, flat(2))

    # Assert
    assert fills == [LevelFill(0, 1), LevelFill(1, 1), LevelFill(2, 4)]
    beyond = fills[1:]
    assert sum(f.ticks * f.lots for f in beyond) / sum(f.lots for f in beyond) == pytest.approx(1.8)


def test_what_an_earlier_walk_took_is_not_there_for_the_next_one():
    # Arrange: 2 displayed + 1 per tick; 3 lots were taken already (the touch and tick 1).

    # Act
    fills = walk(3, 2, 2, flat(1))

    # Assert: ticks 2 and 3.
    assert fills == [LevelFill(2, 1), LevelFill(3, 1)]


def test_levels_reached_counts_each_level_once():
    # Arrange, Act
    ticks, sizes = levels_reached(1.0, 4.5, 2.0, flat(1.0))

    # Assert: [1, 5.5) over touch [0, 2), tick 1 [2, 3), tick 2 [3, 4), tick 3 [4, 5), tick 4 [5, 6)
    assert list(ticks) == [0, 1, 2, 3, 4]
    assert list(sizes) == pytest.approx([1.0, 1.0, 1.0, 1.0, 0.5])


def test_the_square_root_book_gives_the_laws_impact_for_any_quantity():
    # Arrange: Y = 0.8, σ = 3 %, V = 6,000 BTC/day, P = 40,000, tick 0.1, lot 0.001.
    capacity = square_root_capacity(0.8, 0.03, 6_000.0, 40_000.0, 0.1, 0.001)

    # Act: the size the book holds within Δ = Y·σ·P·√(Q/V) of the touch, for Q = 2.5 BTC.
    delta = 0.8 * 0.03 * 40_000.0 * np.sqrt(2.5 / 6_000.0)
    held = capacity(np.array([delta / 0.1]))[0] * 0.001

    # Assert
    assert held == pytest.approx(2.5)


def test_a_book_depth_snapshot_interpolates_between_the_touch_and_the_bands():
    # Arrange: mid 1000, touch 1000.1 (0.1 away) with 2 BTC; 101 BTC within 1 % (10.0 away),
    # 151 within 2 % (20.0 away). Lot 0.001.
    capacity = band_capacity(1000.0, 1000.1, 2.0, [(2.0, 151.0), (1.0, 101.0)], 0.1, 0.001)

    # Act
    held = capacity(np.array([1, 50, 99, 199, 299])) * 0.001

    # Assert: 10 BTC per unit of price to 1 %, 5 per unit to 2 %, and 5 per unit past the last band.
    assert held == pytest.approx([1.0, 50.0, 99.0, 149.0, 199.0])


def test_trailing_bars_estimate_daily_volatility_and_volume_from_the_window_only():
    # Arrange
    rng = np.random.default_rng(3)
    closes = 40_000 * np.exp(np.cumsum(rng.normal(0, 1e-3, 200)))
    volumes = rng.uniform(1, 9, 200)
    trailing = TrailingBars(window=50)

    # Act
    for c, v in zip(closes, volumes, strict=True):
        trailing.update(float(c), float(v))

    # Assert: the last 50 returns and the last 50 volumes, scaled to a day.
    r = np.diff(np.log(closes))[-50:]
    assert trailing.sigma_daily == pytest.approx(r.std(ddof=1) * np.sqrt(1_440))
    assert trailing.volume_daily == pytest.approx(volumes[-50:].mean() * 1_440)
    assert trailing.ready
