"""Stationary block bootstrap intervals against hand formulas and a brute-force resampling loop."""

import math

import numpy as np
import pytest
from arch.bootstrap import optimal_block_length

from backtest.statistics.bootstrap import block_length
from backtest.statistics.bootstrap import max_drawdown_rows
from backtest.statistics.bootstrap import paired_intervals
from backtest.statistics.bootstrap import run_intervals
from backtest.statistics.bootstrap import sharpe_rows
from backtest.statistics.bootstrap import stationary_indices
from backtest.statistics.bootstrap import total_return_rows
from backtest.stats import sharpe_ratio
from tests.backtest.test_stats import brute_force_max_drawdown

PPY = 8760.0


def test_row_statistics_match_the_single_series_formulas():
    # Arrange
    rows = np.random.default_rng(0).normal(0.0, 0.01, (5, 40))

    # Act
    totals, sharpes, drawdowns = (
        total_return_rows(rows),
        sharpe_rows(rows, PPY),
        max_drawdown_rows(rows),
    )

    # Assert
    for i, row in enumerate(rows):
        curve = np.r_[1.0, np.cumprod(1.0 + row)]
        assert totals[i] == pytest.approx(curve[-1] - 1.0)
        assert sharpes[i] == pytest.approx(sharpe_ratio(row, PPY))
        assert drawdowns[i] == pytest.approx(brute_force_max_drawdown(list(curve)), abs=1e-12)


def test_resamples_are_joined_blocks_of_geometric_length_with_the_chosen_mean():
    # Arrange
    n, block = 400, 8.0

    # Act
    indices = stationary_indices(n, block, 300, np.random.default_rng(1))

    # Assert: a block continues where the next position is the previous one plus 1 (wrapping)
    continues = indices[:, 1:] == (indices[:, :-1] + 1) % n
    assert indices.shape == (300, n) and indices.min() >= 0 and indices.max() < n
    assert 1.0 / (1.0 - continues.mean()) == pytest.approx(block, rel=0.05)


def test_the_block_length_is_politis_white_clipped_to_at_least_one():
    # Arrange: an AR(1) series has dependence to keep; a constant one has none
    rng = np.random.default_rng(2)
    ar = np.zeros(500)
    for t in range(1, 500):
        ar[t] = 0.7 * ar[t - 1] + rng.normal()

    # Act
    dependent, flat = block_length(ar), block_length(np.zeros(50))

    # Assert
    assert dependent == pytest.approx(optimal_block_length(ar)["stationary"].iloc[0])
    assert dependent > 3.0
    assert flat == 1.0
    assert block_length(ar, np.zeros(500)) == dependent  # a pair: the longer length


def test_interval_widths_match_the_normal_theory_for_independent_returns():
    # Arrange: iid returns, where the bootstrap should agree with textbook standard errors
    rng = np.random.default_rng(3)
    returns = rng.normal(0.0005, 0.01, 2_000)
    n = len(returns)
    logs = np.log1p(returns)
    sr = returns.mean() / returns.std(ddof=1)

    # Act
    _, found = run_intervals(returns, PPY, 2_000, 0.95, seed=0)

    # Assert: log growth is a sum of n returns; the Sharpe ratio's SE is Lo's (2002)
    total = found["total_return"]
    log_width = math.log1p(total.high) - math.log1p(total.low)
    assert log_width == pytest.approx(2 * 1.96 * logs.std(ddof=1) * math.sqrt(n), rel=0.1)
    sharpe = found["sharpe"]
    lo_se = math.sqrt((1 + sr**2 / 2) / n) * math.sqrt(PPY)
    assert sharpe.high - sharpe.low == pytest.approx(2 * 1.96 * lo_se, rel=0.1)
    assert total.low < total.estimate < total.high


def test_a_paired_interval_is_the_quantile_of_differences_on_the_same_resampled_blocks():
    # Arrange
    rng = np.random.default_rng(4)
    base = rng.normal(0.0, 0.01, 120)
    variant = 0.5 * base + rng.normal(0.0003, 0.004, 120)
    block = block_length(base, variant)

    # Act
    found = paired_intervals([[(base, variant)]], PPY, 500, 0.9, seed=7)

    # Assert: the same draw, by a plain loop over resamples
    indices = stationary_indices(120, block, 500, np.random.default_rng(7))
    deltas = []
    for rows in indices:
        b, v = base[rows], variant[rows]
        deltas.append(sharpe_ratio(v, PPY) - sharpe_ratio(b, PPY))
    low, high = np.quantile(deltas, [0.05, 0.95])
    assert found["sharpe"].low == pytest.approx(low)
    assert found["sharpe"].high == pytest.approx(high)
    assert found["sharpe"].estimate == pytest.approx(
        sharpe_ratio(variant, PPY) - sharpe_ratio(base, PPY)
    )


def test_pairing_cancels_the_common_path_that_an_unpaired_comparison_keeps():
    # Arrange: the variant is the base plus a small steady edge
    rng = np.random.default_rng(5)
    base = rng.normal(0.0, 0.01, 500)
    variant = base + 0.0002

    # Act
    paired = paired_intervals([[(base, variant)]], PPY, 500, 0.95, seed=0)["total_return"]
    _, alone = run_intervals(base, PPY, 500, 0.95, seed=0)

    # Assert
    assert paired.excludes_zero and paired.low > 0
    assert paired.high - paired.low < 0.2 * (alone["total_return"].high - alone["total_return"].low)


def test_identical_runs_have_a_zero_difference_that_does_not_exclude_zero():
    # Arrange
    base = np.random.default_rng(6).normal(0.0, 0.01, 100)

    # Act
    found = paired_intervals([[(base, base.copy())]], PPY, 200, 0.95, seed=0)

    # Assert
    for interval in found.values():
        assert (interval.estimate, interval.low, interval.high) == (0.0, 0.0, 0.0)
        assert not interval.excludes_zero


def test_differences_over_several_periods_are_averaged_within_each_resample():
    # Arrange: two periods of different lengths, each resampled with its own draw
    rng = np.random.default_rng(8)
    first = [(rng.normal(0, 0.01, 80), rng.normal(0, 0.01, 80))]
    second = [(rng.normal(0, 0.01, 50), rng.normal(0, 0.01, 50))]

    # Act
    found = paired_intervals([first, second], PPY, 300, 0.95, seed=2, names=("total_return",))

    # Assert: by hand, the draws in the same order from one generator
    rng = np.random.default_rng(2)
    draws = []
    for pairs in (first, second):
        ((b, v),) = pairs
        rows = stationary_indices(len(b), block_length(b, v), 300, rng)
        draws.append(total_return_rows(v[rows]) - total_return_rows(b[rows]))
    mean = (draws[0] + draws[1]) / 2
    assert found["total_return"].low == pytest.approx(np.quantile(mean, 0.025))
    assert found["total_return"].high == pytest.approx(np.quantile(mean, 0.975))


def test_a_short_series_takes_the_cube_root_rule():
    # Arrange
    short = np.random.default_rng(9).normal(0.0, 0.01, 8)

    # Act, Assert
    assert block_length(short) == pytest.approx(8 ** (1 / 3))
