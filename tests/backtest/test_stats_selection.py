"""Deflated Sharpe ratio and PBO against the papers' worked numbers and brute-force computations."""

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from backtest.statistics.selection import deflated_sharpe
from backtest.statistics.selection import expected_max_sharpe
from backtest.statistics.selection import overfitting_probability
from backtest.statistics.selection import probabilistic_sharpe_ratio


def test_the_deflated_sharpe_ratio_reproduces_the_papers_numerical_example():
    # Arrange: Bailey & López de Prado (2014): 100 trials, the best with an annualised Sharpe of
    # 2.5 over 5 years of daily returns (T = 1250, 250 a year), the trials' annualised Sharpe
    # variance 0.5, skewness -3, kurtosis 10
    sharpe = 2.5 / math.sqrt(250)
    variance = 0.5 / 250

    # Act
    benchmark = expected_max_sharpe(100, variance)
    dsr = probabilistic_sharpe_ratio(sharpe, benchmark, 1250, -3.0, 10.0)

    # Assert: the paper's E[max SR] = 0.1132 (per day) and DSR = 0.9004
    assert benchmark == pytest.approx(0.1132, abs=5e-5)
    assert dsr == pytest.approx(0.9004, abs=5e-4)


def test_the_psr_of_normal_returns_is_the_textbook_z_test():
    # Arrange
    sharpe, benchmark, n = 0.1, 0.02, 400

    # Act
    psr = probabilistic_sharpe_ratio(sharpe, benchmark, n, 0.0, 3.0)

    # Assert: with skew 0 and kurtosis 3 the variance of SR is (1 + SR²/2)/(n - 1)
    z = (sharpe - benchmark) / math.sqrt((1 + sharpe**2 / 2) / (n - 1))
    assert psr == pytest.approx(stats.norm.cdf(z))


@pytest.mark.parametrize("trials", [20, 100])
def test_the_expected_maximum_sharpe_matches_a_monte_carlo_of_the_best_of_n_normals(trials):
    # Arrange: Sharpe estimates of unskilled trials ~ N(0, V)
    variance = 0.04
    draws = np.random.default_rng(trials).normal(0.0, math.sqrt(variance), (20_000, trials))

    # Act
    formula = expected_max_sharpe(trials, variance)

    # Assert: the paper's approximation, within 2% of the simulated mean maximum
    assert formula == pytest.approx(draws.max(axis=1).mean(), rel=0.02)
    assert expected_max_sharpe(1, variance) == 0.0


def test_the_deflated_sharpe_of_trials_uses_the_best_one_against_the_expected_maximum():
    # Arrange
    rng = np.random.default_rng(0)
    trials = [rng.normal(0.0, 0.01, 300) for _ in range(9)] + [rng.normal(0.002, 0.01, 300)]

    # Act
    found = deflated_sharpe(trials)

    # Assert: by hand
    ratios = [r.mean() / r.std(ddof=1) for r in trials]
    best = int(np.argmax(ratios))
    returns = trials[best]
    benchmark = expected_max_sharpe(10, np.var(ratios, ddof=1))
    expected = probabilistic_sharpe_ratio(
        ratios[best], benchmark, 300, stats.skew(returns), stats.kurtosis(returns, fisher=False)
    )
    assert (found.best, found.n_trials, found.n_returns) == (best, 10, 300)
    assert found.expected_max == pytest.approx(benchmark)
    assert found.dsr == pytest.approx(expected)


def brute_force_pbo(matrix: np.ndarray, n_blocks: int) -> float:
    """Return PBO by CSCV with plain loops: concatenate rows, rank by counting."""
    t, n = matrix.shape
    size = t // n_blocks
    blocks = [list(range(b * size, (b + 1) * size)) for b in range(n_blocks)]
    below = 0
    splits = 0
    for chosen in itertools.combinations(range(n_blocks), n_blocks // 2):
        rows_in = [r for b in chosen for r in blocks[b]]
        rows_out = [r for b in range(n_blocks) if b not in chosen for r in blocks[b]]
        in_sharpe = [
            np.mean(matrix[rows_in, j]) / np.std(matrix[rows_in, j], ddof=1) for j in range(n)
        ]
        out_sharpe = [
            np.mean(matrix[rows_out, j]) / np.std(matrix[rows_out, j], ddof=1) for j in range(n)
        ]
        winner = in_sharpe.index(max(in_sharpe))
        mine = out_sharpe[winner]
        rank = (
            1 + sum(x < mine for x in out_sharpe) + 0.5 * (sum(x == mine for x in out_sharpe) - 1)
        )
        omega = rank / (n + 1)
        below += math.log(omega / (1 - omega)) <= 0
        splits += 1
    return below / splits


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pbo_matches_a_brute_force_enumeration_of_every_split(seed):
    # Arrange: 8 blocks of 12 periods, 6 trials of noise, one with a small edge
    rng = np.random.default_rng(seed)
    matrix = rng.normal(0.0, 0.01, (96, 6))
    matrix[:, 0] += 0.002
    blocks = np.repeat(np.arange(8), 12)

    # Act
    found = overfitting_probability(matrix, blocks)

    # Assert
    assert found.n_splits == math.comb(8, 4) == 70
    assert found.pbo == pytest.approx(brute_force_pbo(matrix, 8))


def test_a_persistent_edge_is_not_overfit_and_pure_noise_is_a_coin_flip():
    # Arrange
    rng = np.random.default_rng(11)
    blocks = np.repeat(np.arange(10), 50)
    edge = rng.normal(0.0, 0.01, (500, 20))
    edge[:, 3] += 0.004
    noise = rng.normal(0.0, 0.01, (500, 20))

    # Act
    skilled, lucky = overfitting_probability(edge, blocks), overfitting_probability(noise, blocks)

    # Assert
    assert skilled.pbo == 0.0
    assert 0.25 < lucky.pbo < 0.75


def test_cscv_needs_an_even_number_of_blocks():
    # Arrange, Act, Assert
    with pytest.raises(ValueError, match="even number of blocks"):
        overfitting_probability(np.zeros((9, 3)), np.repeat(np.arange(3), 3))
