"""Volume profile rules on small profiles computed by hand."""

import numpy as np
import pytest

from research.compute.profile import histogram
from research.compute.profile import nice_step
from research.compute.profile import point_of_control
from research.compute.profile import session_profile
from research.compute.profile import value_area


def hand_profile_trades() -> tuple[np.ndarray, np.ndarray]:
    # Bins of 1: 100 -> 2, 101 -> 5, 102 -> 4 + 5 = 9, 103 -> 4, 104 -> 0, 105 -> 6, 106 -> 1
    price = np.array([100.4, 101.2, 102.0, 102.9, 103.5, 105.0, 106.7])
    volume = np.array([2.0, 5.0, 4.0, 5.0, 4.0, 6.0, 1.0])
    return price, volume


def test_poc_value_area_and_hvns_of_a_small_profile_as_worked_by_hand():
    # Arrange: total 27, value area target 0.7 x 27 = 18.9. From the POC (102: 9): add 101 (5 > 4)
    # -> 14, add 103 (4 > 2) -> 18, add 100 (2 > 0) -> 20 >= 18.9. HVN floor 1.5 x 27/6 = 6.75:
    # of the peaks 102 (9) and 105 (6) only 102 qualifies.
    price, volume = hand_profile_trades()
    # Act
    profile = session_profile(price, volume, bin_size=1.0, share=0.7, hvn_factor=1.5)
    # Assert
    assert profile.low.tolist() == [100, 101, 102, 103, 104, 105, 106]
    assert profile.volume.tolist() == [2, 5, 9, 4, 0, 6, 1]
    assert profile.poc_price == 102.5
    assert profile.value_area == (0, 3)
    assert (profile.val, profile.vah) == (100.0, 104.0)
    assert profile.hvn_prices == [102.5]
    # A lower floor (1.0 x 4.5) lets the second peak in
    assert session_profile(price, volume, 1.0, hvn_factor=1.0).hvn_prices == [102.5, 105.5]


def test_value_area_adds_both_neighbours_when_they_are_equal():
    # Arrange: POC 10, target 0.7 x 20 = 14; the neighbours tie at 2, both join -> 14
    volume = np.array([3.0, 2.0, 10.0, 2.0, 3.0])
    # Act / Assert
    assert value_area(volume, 2, 0.7) == (1, 3)


def test_value_area_grows_on_the_only_side_left_at_an_edge():
    # Arrange: POC at the lowest bin
    volume = np.array([10.0, 1.0, 1.0, 8.0])
    # Act / Assert: 10 -> 11 -> 12 -> 20 >= 14
    assert value_area(volume, 0, 0.7) == (0, 3)


def test_poc_tie_goes_to_the_bin_nearest_the_vwap():
    # Arrange: bins 0 and 2 hold 5 each; VWAP = (0.1·5 + 1.9·1 + 2.9·5) / 11 = 1.536, nearer 2.5
    price = np.array([0.1, 1.9, 2.9])
    volume = np.array([5.0, 1.0, 5.0])
    # Act
    profile = session_profile(price, volume, 1.0)
    # Assert
    assert profile.poc == 2
    assert (
        point_of_control(np.array([5.0, 1.0, 5.0]), np.array([0.5, 1.5, 2.5]), 1.5) == 0
    )  # equidistant: lower


def test_histogram_puts_decimal_prices_in_their_own_bin():
    # 42000.3 / 0.1 is 420002.999... in binary; it still belongs to bin 420003
    low, volume, _ = histogram(np.array([42000.3, 42000.4]), np.array([1.0, 2.0]), 0.1)
    assert volume.tolist() == [1.0, 2.0]
    assert low[0] == pytest.approx(42000.3)


@pytest.mark.parametrize(
    ("x", "step"), [(0.3, 0.5), (7.0, 10.0), (1.0, 1.0), (0.012, 0.02), (2.0, 2.0), (26.0, 50.0)]
)
def test_nice_step_is_the_next_one_two_or_five(x, step):
    assert nice_step(x) == pytest.approx(step)
