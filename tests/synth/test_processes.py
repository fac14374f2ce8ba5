"""Latent-model building blocks: interval painting, regime chains, noises and look-ahead."""

import numpy as np

from etl.synth.processes import ahead
from etl.synth.processes import ou
from etl.synth.processes import paint
from etl.synth.processes import runs
from etl.synth.processes import semi_markov


def test_paint_lets_later_intervals_win_where_they_overlap() -> None:
    # Arrange
    starts, ends, values = np.array([0, 3, 8]), np.array([5, 6, 20]), np.array([1, -1, 2])

    # Act
    out = paint(10, starts, ends, values)

    # Assert
    assert out.tolist() == [1, 1, 1, -1, -1, -1, 0, 0, 2, 2]


def test_semi_markov_holds_each_state_at_least_the_minimum_and_follows_the_jump_matrix() -> None:
    # Arrange
    rng = np.random.default_rng(1)
    jump = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])

    # Act
    labels = semi_markov(rng, 50_000, jump, np.array([100.0, 50.0, 30.0]), 3.0, 10)
    starts, ends, values = runs(labels)

    # Assert: 0 -> 2 -> 1 -> 0 ..., and every run but the first and last lasts >= 10 steps.
    assert all((b - a) % 3 == 2 for a, b in zip(values[:-1], values[1:], strict=True))
    assert ((ends - starts)[1:-1] >= 10).all()


def test_ou_is_stationary_with_the_requested_spread_and_memory() -> None:
    # Arrange
    rng = np.random.default_rng(2)

    # Act
    path = ou(rng, 200_000, tau=20.0, sd=0.5)

    # Assert
    assert abs(path.std() - 0.5) < 0.03
    assert abs(np.corrcoef(path[:-20], path[20:])[0, 1] - np.exp(-1.0)) < 0.03


def test_ahead_sums_only_future_shocks_with_unit_variance() -> None:
    # Arrange
    shocks = np.random.default_rng(3).standard_normal(200_000)

    # Act
    lead = ahead(shocks, tau=10.0)

    # Assert
    assert abs(lead.std() - 1.0) < 0.03
    assert abs(np.corrcoef(lead[:-1], shocks[1:])[0, 1] - np.sqrt(1 - np.exp(-0.2))) < 0.02
    assert abs(np.corrcoef(lead, shocks)[0, 1]) < 0.01
