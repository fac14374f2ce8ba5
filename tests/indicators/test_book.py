"""Top-of-book imbalance, relative spread and bookDepth depth imbalance: by hand and edge cases."""

import math

import numpy as np
import pandas as pd
import pytest
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity

from bench.bench_indicators_flow import INSTRUMENT
from data_types.book_depth import BookDepth
from indicators.book import DepthImbalance
from indicators.book import RelativeSpread
from indicators.book import TopOfBookImbalance


def quote(bid: float, bid_size: float, ask: float, ask_size: float) -> QuoteTick:
    return QuoteTick(
        INSTRUMENT, Price(bid, 1), Price(ask, 1), Quantity(bid_size, 3), Quantity(ask_size, 3), 0, 0
    )


def test_top_of_book_imbalance_by_hand():
    # Arrange
    obi = TopOfBookImbalance()
    # Act / Assert
    assert math.isnan(obi.value) and not obi.initialized
    obi.update_raw(3.0, 1.0)
    assert obi.value == pytest.approx(0.5) and obi.initialized
    obi.handle_quote_tick(quote(100.0, 1.0, 100.1, 4.0))
    assert obi.value == pytest.approx(-0.6)


def test_top_of_book_imbalance_skips_a_quote_with_both_sizes_zero():
    # Arrange
    obi = TopOfBookImbalance()
    obi.update_raw(2.0, 2.0)
    # Act
    obi.update_raw(0.0, 0.0)
    obi.update_raw(0.0, 5.0)  # one empty side is a valid (extreme) imbalance
    # Assert
    assert obi.skipped == 1
    assert obi.value == -1.0


def test_relative_spread_by_hand():
    # Arrange
    spread = RelativeSpread()
    # Act
    spread.handle_quote_tick(quote(99.0, 1.0, 101.0, 1.0))
    # Assert: (101 - 99) / 100
    assert spread.value == pytest.approx(0.02)


def test_relative_spread_skips_crossed_and_non_positive_quotes_and_accepts_locked_ones():
    # Arrange
    spread = RelativeSpread()
    spread.update_raw(99.0, 101.0)
    # Act / Assert
    spread.update_raw(101.0, 99.0)  # crossed
    spread.update_raw(0.0, 99.0)  # zero price
    spread.update_raw(-1.0, 99.0)  # negative price
    assert spread.skipped == 3
    assert spread.value == pytest.approx(0.02)
    spread.update_raw(100.0, 100.0)  # locked
    assert spread.value == 0.0


@pytest.mark.parametrize(("bid_size", "ask_size"), [(math.nan, 1.0), (1.0, -1.0), (math.inf, 1.0)])
def test_top_of_book_imbalance_refuses_invalid_sizes(bid_size, ask_size):
    # Act / Assert
    with pytest.raises(ValueError):
        TopOfBookImbalance().update_raw(bid_size, ask_size)


def test_relative_spread_refuses_nan_and_the_batch_too():
    # Act / Assert
    with pytest.raises(ValueError):
        RelativeSpread().update_raw(math.nan, 1.0)
    with pytest.raises(ValueError):
        RelativeSpread().batch([1.0, math.nan], [2.0, 2.0])
    with pytest.raises(ValueError):
        TopOfBookImbalance().batch([1.0, -1.0], [2.0, 2.0])


# -------------------------------------------------------------------------------------------------
# Depth imbalance from bookDepth rows
# -------------------------------------------------------------------------------------------------


def snapshot(ts: int, depths: dict[float, float]) -> list[tuple[int, float, float]]:
    return [(ts, pct, depth) for pct, depth in depths.items()]


def test_depth_imbalance_single_level_by_hand():
    # Arrange
    depth = DepthImbalance(levels=(1.0,))
    rows = snapshot(10, {-2.0: 50.0, -1.0: 30.0, 1.0: 10.0, 2.0: 70.0})
    # Act
    values = []
    for row in rows:
        depth.update_raw(*row)
        values.append(depth.value)
    # Assert: (30 - 10) / (30 + 10), known once both ±1 rows of the snapshot arrived
    assert (
        math.isnan(values[1])
        and values[2] == pytest.approx(0.5)
        and values[3] == pytest.approx(0.5)
    )


def test_depth_imbalance_weighted_levels_by_hand():
    # Arrange
    depth = DepthImbalance(levels=(1.0, 5.0), weights=(2.0, 1.0), field="notional")
    rows = snapshot(10, {-5.0: 100.0, -1.0: 30.0, 1.0: 10.0, 5.0: 60.0})
    # Act
    for row in rows:
        depth.update_raw(*row)
    # Assert: (2 (30 - 10) + (100 - 60)) / (2 (30 + 10) + (100 + 60))
    assert depth.value == pytest.approx(80.0 / 240.0)


def test_depth_imbalance_never_mixes_two_snapshots():
    # Arrange
    depth = DepthImbalance(levels=(1.0,))
    for row in snapshot(10, {-1.0: 30.0, 1.0: 10.0}):
        depth.update_raw(*row)
    # Act: the next snapshot's bid row alone leaves the value of the complete snapshot
    depth.update_raw(20, -1.0, 90.0)
    mid_snapshot = depth.value
    depth.update_raw(20, 1.0, 10.0)
    # Assert
    assert mid_snapshot == pytest.approx(0.5)
    assert depth.value == pytest.approx(0.8)


def test_depth_imbalance_skips_an_empty_snapshot_and_ignores_other_bands():
    # Arrange
    depth = DepthImbalance(levels=(2.0,))
    # Act
    for row in snapshot(10, {-2.0: 0.0, 2.0: 0.0, -0.2: 5.0, 0.0: 1.0, 3.0: 4.0}):
        depth.update_raw(*row)
    # Assert
    assert depth.skipped == 1 and math.isnan(depth.value) and not depth.initialized


def test_depth_imbalance_reads_the_real_binance_bookdepth_sample(shared_data):
    # Arrange: the sample holds bid rows (-5, -4, -3 %) of one snapshot and no ask rows.
    frame = pd.read_csv(next((shared_data / "futures/um/daily/bookDepth").glob("*.csv")))
    ts = pd.to_datetime(frame["timestamp"], utc=True).astype("int64").to_numpy()
    rows = [
        BookDepth(ts_event=int(t), ts_init=int(t), percentage=p, depth=d, notional=n)
        for t, p, d, n in zip(
            ts, frame["percentage"], frame["depth"], frame["notional"], strict=True
        )
    ]
    bids_only = DepthImbalance(levels=(3.0, 4.0, 5.0))
    completed = DepthImbalance(levels=(3.0,), field="notional")
    # Act
    for row in rows:
        bids_only.handle_book_depth(row)
        completed.handle_book_depth(row)
    completed.handle_book_depth(
        BookDepth(
            ts_event=int(ts[0]),
            ts_init=int(ts[0]),
            percentage=3.0,
            depth=1.0,
            notional=494014091.2318,
        )
    )
    # Assert
    assert bids_only.has_inputs and not bids_only.initialized and math.isnan(bids_only.value)
    assert completed.value == pytest.approx(0.0)  # the -3 % notional against an equal +3 % row


def test_depth_imbalance_refuses_bad_parameters_and_input():
    # Act / Assert
    for kwargs in (
        {"levels": ()},
        {"levels": (1.0, 1.0)},
        {"levels": (-1.0,)},
        {"levels": (1.0,), "weights": (1.0, 2.0)},
        {"levels": (1.0,), "weights": (0.0,)},
        {"field": "price"},
    ):
        with pytest.raises(ValueError):
            DepthImbalance(**kwargs)
    depth = DepthImbalance()
    depth.update_raw(5, -1.0, 1.0)
    with pytest.raises(ValueError):
        depth.update_raw(6, -1.0, -1.0)
    with pytest.raises(ValueError):
        depth.update_raw(6, math.nan, 1.0)
    with pytest.raises(ValueError, match="decrease"):
        depth.update_raw(4, 1.0, 1.0)
    assert np.isnan(depth.batch([1], [1.0], [2.0])).all()
