"""The ``book`` report's rows, imbalance columns and depth imbalance, worked by hand."""

import numpy as np
import pytest

from research.compute.book import BookConfig
from research.compute.book import book_series
from research.period import Period

SECOND = 1_000_000_000
EMPTY_DEPTH = {
    "ts": np.empty(0, dtype=np.int64),
    "percentage": np.empty(0),
    "depth": np.empty(0),
    "notional": np.empty(0),
}


def quotes(rows: list[tuple[float, float, float, float, float]]) -> dict[str, np.ndarray]:
    """Return quote columns from (seconds, bid, ask, bid size, ask size) rows."""
    t, bid, ask, bid_size, ask_size = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
    return {
        "ts": (t * SECOND).astype(np.int64),
        "bid_price": bid,
        "ask_price": ask,
        "bid_size": bid_size,
        "ask_size": ask_size,
    }


HAND_QUOTES = quotes(
    [
        (0.2, 100.0, 100.1, 3.0, 1.0),  # OBI 0.5
        (0.7, 100.0, 100.1, 1.0, 1.0),  # OBI 0; OFI: bid size 3 -> 1 (-2), ask unchanged (0)
        (1.5, 100.2, 100.1, 1.0, 1.0),  # crossed: dropped
        (2.0, 100.1, 100.2, 2.0, 2.0),  # OBI 0; OFI: bid up (+2), ask up (+1 left) = 3
        (2.5, 100.1, 100.2, 4.0, 1.0),  # OBI 0.6; OFI: bid 2 -> 4 (+2), ask 2 -> 1 (+1) = 3
    ]
)


def test_book_rows_show_the_book_at_each_interval_end_as_worked_by_hand():
    # Arrange: 1 s rows over [0, 4 s); z over 2 rows, extreme at |z| >= 0.5, EWMA half-life 1 s
    config = BookConfig(
        interval_ns=SECOND,
        ewma_halflife_ns=SECOND,
        z_window=2,
        extreme_z=0.5,
        horizons_ns=(SECOND,),
    )
    # Act
    frame, counts, _ = book_series(HAND_QUOTES, EMPTY_DEPTH, Period(0, 4 * SECOND), config)
    # Assert
    assert counts == {"quotes": 4, "dropped_quotes": 1}
    assert (frame["time"].astype("int64") // SECOND).tolist() == [1, 2, 3, 4]
    assert frame["quotes"].tolist() == [2, 1, 1, 0]
    assert frame["mid"].tolist() == pytest.approx([100.05, 100.15, 100.15, 100.15])
    assert frame["spread"][0] == pytest.approx(0.1 / 100.05)
    assert frame["obi"].tolist() == pytest.approx([0.0, 0.0, 0.6, 0.6])
    assert frame["ofi"].tolist() == [-2.0, 3.0, 3.0, 0.0]
    # EWMA with time weights 1, 0.5, 0.25, 0.125 going back from the row (adjusted)
    ewma = [0.0, 0.0, 0.6 / 1.75, (0.6 + 0.3) / 1.875]
    assert frame["obi_ewma"].tolist() == pytest.approx(ewma)
    # z of the EWMA within the last 2 rows: NaN, 0 (no spread), then 1/sqrt(2) twice (with two
    # values, z is ±1/sqrt(2) whatever they are)
    np.testing.assert_allclose(frame["obi_z"], [np.nan, 0.0, 2**-0.5, 2**-0.5])
    assert frame["extreme"].tolist() == [0, 0, 1, 1]
    # forward 1 s mid return; unknown once the end is after the last quote (2.5 s)
    np.testing.assert_allclose(
        frame["fwd_ret_1s"], [np.log(100.15 / 100.05), np.nan, np.nan, np.nan]
    )


def test_book_per_quote_rows_carry_each_quotes_ofi_increment():
    # Arrange
    config = BookConfig(interval_ns=None, horizons_ns=(SECOND,))
    # Act
    frame, _, _ = book_series(HAND_QUOTES, EMPTY_DEPTH, Period(0, 4 * SECOND), config)
    # Assert
    assert frame["quotes"].tolist() == [1, 1, 1, 1]
    assert frame["ofi"].tolist() == [0.0, -2.0, 3.0, 3.0]
    assert frame["obi"].tolist() == pytest.approx([0.5, 0.0, 0.0, 0.6])


def test_depth_imbalance_equal_and_price_weighted_as_worked_by_hand():
    # Arrange: one snapshot at 0.5 s: 1 %: bids 10, asks 6; 2 %: bids 30, asks 10 (cumulative)
    depth = {
        "ts": np.full(4, SECOND // 2, dtype=np.int64),
        "percentage": np.array([-1.0, 1.0, -2.0, 2.0]),
        "depth": np.array([10.0, 6.0, 30.0, 10.0]),
        "notional": np.zeros(4),
    }
    config = BookConfig(interval_ns=SECOND, horizons_ns=(SECOND,), depth_levels=(1.0, 2.0))
    # Act
    frame, _, _ = book_series(HAND_QUOTES, depth, Period(0, 4 * SECOND), config)
    # Assert: equal weights (4 + 20) / (16 + 40); weights 1, 1/2: (4 + 10) / (16 + 20)
    assert frame["depth_imbalance"].tolist() == pytest.approx([24 / 56] * 4)
    assert frame["depth_imbalance_weighted"].tolist() == pytest.approx([14 / 36] * 4)
