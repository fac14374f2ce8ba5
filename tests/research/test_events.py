"""Order-flow event detectors on crafted prints."""

import numpy as np
import pytest

from research.compute.events import EVENT_COLUMNS
from research.compute.events import absorption_flags
from research.compute.events import block_trades
from research.compute.events import icebergs
from research.compute.events import interval_bars
from research.compute.events import sweeps

MS = 1_000_000
SECOND = 1_000_000_000


def tape(rows: list[tuple[float, float, float, int]]) -> tuple[np.ndarray, ...]:
    """Return (ts, price, size, side) arrays from (ms, price, size, side) rows."""
    ms, price, size, side = (np.array(col) for col in zip(*rows, strict=True))
    return (
        (ms * MS).astype(np.int64),
        price.astype(float),
        size.astype(float),
        side.astype(np.int64),
    )


def test_block_trade_threshold_includes_a_trade_of_exactly_the_threshold():
    # Arrange: notionals 499,999.9, 500,000 and 500,100 at price 100
    ts, price, size, side = tape(
        [(0, 100.0, 4999.999, 1), (1, 100.0, 5000.0, 2), (2, 100.0, 5001.0, 1)]
    )
    # Act
    blocks = block_trades(ts, price, size, side, 500_000.0)
    # Assert
    assert list(blocks.columns) == EVENT_COLUMNS
    assert blocks["start"].tolist() == [1 * MS, 2 * MS]
    assert blocks["side"].tolist() == [-1, 1]
    assert blocks["notional"].tolist() == [500_000.0, 500_100.0]
    assert blocks["score"].tolist() == pytest.approx([1.0, 1.0002])


def test_sweeps_are_same_side_runs_moving_one_way_through_enough_levels():
    # Arrange (gap 50 ms, 3 levels):
    #   A  buys 100.0, 100.1, 100.1, 100.3 within 10 ms    -> 3 levels: a sweep
    #   B  a buy 170 ms later (gap too long)                -> alone
    #   C  buys 100.2 (below the previous: a new run), 100.5 -> 2 levels
    #   D  sells 100.5, 100.4, 100.3                        -> 3 levels: a sweep
    ts, price, size, side = tape(
        [
            (0, 100.0, 1.0, 1),
            (10, 100.1, 1.0, 1),
            (20, 100.1, 2.0, 1),
            (30, 100.3, 1.0, 1),
            (200, 100.4, 1.0, 1),
            (210, 100.2, 1.0, 1),
            (220, 100.5, 1.0, 1),
            (230, 100.5, 1.0, 2),
            (240, 100.4, 1.0, 2),
            (250, 100.3, 3.0, 2),
        ]
    )
    # Act
    found = sweeps(ts, price, size, side, max_gap_ns=50 * MS, min_levels=3)
    # Assert
    assert found["start"].tolist() == [0, 230 * MS]
    assert found["end"].tolist() == [30 * MS, 250 * MS]
    assert found["side"].tolist() == [1, -1]
    assert found["levels"].tolist() == [3, 3]
    assert found["trades"].tolist() == [4, 3]
    assert found["volume"].tolist() == [5.0, 5.0]
    assert found["price_end"].tolist() == [100.3, 100.3]
    # The move in the taker's direction, in bps of the first price
    assert found["score"].tolist() == pytest.approx([0.3 / 100 * 1e4, 0.2 / 100.5 * 1e4])


def test_interval_bars_hold_the_trades_before_each_end_like_klines():
    # Arrange: ends at 60 s, 120 s, 180 s; a trade at exactly 60 s opens the second interval,
    # the third interval is empty, a trade at 180 s is past the last end
    ts, price, size, side = tape(
        [
            (10_000, 100.0, 1.0, 1),
            (59_999, 101.0, 2.0, 2),
            (60_000, 102.0, 1.0, 1),
            (180_000, 99.0, 1.0, 2),
        ]
    )
    ends = np.array([60, 120, 180]) * SECOND
    # Act
    bars = interval_bars(ts, price, size, side, ends)
    # Assert
    assert bars["trades"].tolist() == [2, 1, 0]
    assert bars["volume"].tolist() == [3.0, 1.0, 0.0]
    assert bars["buy_volume"].tolist() == [1.0, 1.0, 0.0]
    assert bars["sell_volume"].tolist() == [2.0, 0.0, 0.0]
    assert bars["close"].tolist() == [101.0, 102.0, 102.0]
    assert bars["vwap"][:2].tolist() == pytest.approx([302 / 3, 102.0]) and np.isnan(
        bars["vwap"][2]
    )
    assert bars["move_bps"].tolist() == pytest.approx([0.0, np.log(102 / 101) * 1e4, 0.0])


def test_absorption_is_large_volume_with_a_small_move_among_the_trailing_intervals():
    # Arrange: window 5; interval 4 trades 10x the usual volume but barely moves; interval 5
    # trades as much and moves the most
    volume = np.array([1.0, 1.2, 0.9, 1.1, 10.0, 10.0])
    move = np.array([5.0, 6.0, 4.0, 5.0, 0.5, 9.0])
    # Act
    vol_rank, move_rank, flag = absorption_flags(
        volume, move, window=5, volume_rank=0.9, move_rank=0.5
    )
    # Assert: ranks in (0, 1] within the trailing 5 (ties averaged), NaN before 5 intervals
    assert np.isnan(vol_rank[:4]).all()
    assert vol_rank[4] == 1.0 and move_rank[4] == pytest.approx(0.2)
    assert vol_rank[5] == pytest.approx(0.9) and move_rank[5] == 1.0
    assert flag.tolist() == [False, False, False, False, True, False]


def test_iceberg_heuristic_finds_repeated_similar_prints_at_one_price():
    # Arrange:
    #   sellers hit 100.0 seven times a second apart, six of them clips of ~0.5 (one 3.0 print
    #   among them), with other trades in between -> a hidden bid, clip 0.5
    #   buyers lift 101.0 five times with 0.5, but 20 s apart (longer than the 10 s gap) -> none
    #   sellers hit 99.0 five times with scattered sizes -> none
    rows = []
    for k, clip in enumerate([0.5, 0.5, 0.52, 3.0, 0.49, 0.5, 0.5]):
        rows.append((k * 1_000, 100.0, clip, 2))
        rows.append((k * 1_000 + 500, 100.1, 0.2 + 0.1 * k, 1))
    rows += [(10_000 + k * 20_000, 101.0, 0.5, 1) for k in range(5)]
    rows += [(200_000 + k * 1_000, 99.0, s, 2) for k, s in enumerate([0.1, 0.9, 2.0, 0.3, 1.5])]
    rows.sort()
    ts, price, size, side = tape(rows)
    # Act
    found = icebergs(
        ts,
        price,
        size,
        side,
        max_gap_ns=10 * SECOND,
        min_prints=5,
        tolerance=0.1,
        min_clip_notional=10.0,
    )
    # Assert
    assert list(found.columns) == EVENT_COLUMNS
    assert len(found) == 1
    iceberg = found.iloc[0]
    assert (iceberg["type"], iceberg["side"], iceberg["price"]) == ("iceberg", -1, 100.0)
    assert iceberg["trades"] == 6
    assert iceberg["volume"] == pytest.approx(3.01)
    assert iceberg["score"] == 0.5
    assert (iceberg["start"], iceberg["end"]) == (0, 6 * SECOND)


def test_iceberg_needs_a_clip_worth_the_minimum_notional():
    # Arrange: six equal clips of 0.01 at 100 (notional 1 each)
    ts, price, size, side = tape([(k * 1_000, 100.0, 0.01, 1) for k in range(6)])
    # Act / Assert
    assert len(icebergs(ts, price, size, side, 10 * SECOND, 5, 0.1, min_clip_notional=10.0)) == 0
    assert len(icebergs(ts, price, size, side, 10 * SECOND, 5, 0.1, min_clip_notional=1.0)) == 1
