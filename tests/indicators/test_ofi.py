"""Cont–Kukanov–Stoikov order flow imbalance: every bid/ask case by hand, windows, bad quotes."""

import math

import numpy as np
import pandas as pd
import pytest

from bench.bench_indicators_flow import random_quotes
from indicators.book import OrderFlowImbalance

# Previous quote of the hand-worked cases: bid 100 x 5, ask 101 x 7.
PREVIOUS = (100.0, 5.0, 101.0, 7.0)
# (new bid, new bid size, bid contribution) worked by hand from the CKS definition.
BID_CASES = {
    "bid_up": (100.5, 3.0, +3.0),  # a better bid: its whole size is new demand
    "bid_unchanged": (100.0, 8.0, +3.0),  # same level: the size change (8 - 5)
    "bid_down": (99.5, 4.0, -5.0),  # the old best bid queue (5) is gone
}
ASK_CASES = {
    "ask_down": (100.8, 2.0, -2.0),  # a better ask: its whole size is new supply
    "ask_unchanged": (101.0, 9.0, -2.0),  # same level: minus the size change (9 - 7)
    "ask_up": (101.5, 6.0, +7.0),  # the old best ask queue (7) is gone
}


@pytest.mark.parametrize("bid_case", sorted(BID_CASES))
@pytest.mark.parametrize("ask_case", sorted(ASK_CASES))
def test_ofi_increment_for_each_bid_and_ask_case_worked_by_hand(bid_case, ask_case):
    # Arrange
    bid, bid_size, bid_part = BID_CASES[bid_case]
    ask, ask_size, ask_part = ASK_CASES[ask_case]
    ofi = OrderFlowImbalance()
    ofi.update_raw(0, *PREVIOUS)
    # Act
    ofi.update_raw(1, bid, bid_size, ask, ask_size)
    # Assert
    assert ofi.increment == bid_part + ask_part
    assert ofi.value == bid_part + ask_part


def test_ofi_sequence_cumulative_event_and_time_windows_by_hand():
    # Arrange: quotes (ts, bid, bid size, ask, ask size) and their increments by hand.
    quotes = [
        (0, 100.0, 5.0, 101.0, 7.0),  # first quote: no increment
        (10, 100.0, 6.0, 101.0, 7.0),  # bid size +1           -> e = +1
        (20, 100.5, 2.0, 101.0, 4.0),  # bid up 2; ask size -3   -> e = +2 + 3 = +5
        (30, 100.5, 2.0, 100.8, 1.0),  # ask down 1              -> e = -1
        (40, 100.0, 3.0, 100.8, 1.0),  # bid down: old queue 2   -> e = -2
    ]
    cumulative, events, timed = (
        OrderFlowImbalance(),
        OrderFlowImbalance(window=2),
        OrderFlowImbalance(window_ns=20),
    )
    # Act
    seen = {"cumulative": [], "events": [], "timed": []}
    for q in quotes:
        for name, ofi in (("cumulative", cumulative), ("events", events), ("timed", timed)):
            ofi.update_raw(*q)
            seen[name].append(ofi.value)
    # Assert
    np.testing.assert_array_equal(seen["cumulative"], [np.nan, 1.0, 6.0, 5.0, 3.0])
    np.testing.assert_array_equal(seen["events"], [np.nan, np.nan, 6.0, 4.0, -3.0])
    # Time window (t - 20, t]: ready once 20 ns have passed since the first quote.
    np.testing.assert_array_equal(seen["timed"], [np.nan, np.nan, 6.0, 4.0, -3.0])


def test_ofi_skips_crossed_and_non_positive_quotes():
    # Arrange
    ofi = OrderFlowImbalance()
    ofi.update_raw(0, 100.0, 5.0, 101.0, 7.0)
    # Act
    ofi.update_raw(1, 102.0, 5.0, 101.0, 7.0)  # crossed: skipped
    ofi.update_raw(2, 0.0, 5.0, 101.0, 7.0)  # zero price: skipped
    ofi.update_raw(3, 100.0, 9.0, 101.0, 7.0)  # against the last used quote: +4
    # Assert
    assert ofi.skipped == 2
    assert ofi.value == 4.0


def test_ofi_locked_quote_and_zero_sizes_are_used():
    # Arrange
    ofi = OrderFlowImbalance()
    ofi.update_raw(0, 100.0, 5.0, 101.0, 7.0)
    # Act
    ofi.update_raw(1, 101.0, 0.0, 101.0, 7.0)  # locked, empty bid queue: bid up 0, ask same 0
    # Assert
    assert ofi.skipped == 0
    assert ofi.value == 0.0


def vectorized_increments(q: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """CKS increments of the usable quotes with numpy (independent of the kernel's loop)."""
    usable = (q["bid"] > 0) & (q["ask"] > 0) & (q["bid"] <= q["ask"])
    b, bq, a, aq = (q[k][usable] for k in ("bid", "bid_size", "ask", "ask_size"))
    e = (
        np.where(b[1:] >= b[:-1], bq[1:], 0.0)
        - np.where(b[1:] <= b[:-1], bq[:-1], 0.0)
        - np.where(a[1:] <= a[:-1], aq[1:], 0.0)
        + np.where(a[1:] >= a[:-1], aq[:-1], 0.0)
    )
    return np.flatnonzero(usable)[1:], e


def test_ofi_windows_match_pandas_and_brute_force_sums():
    # Arrange
    q = random_quotes(6000, seed=21, bad_share=0.05)
    where, e = vectorized_increments(q)
    ts = q["ts"][where]
    window_ns = 300_000_000
    # Act
    cumulative = OrderFlowImbalance().batch(
        *(q[k] for k in ("ts", "bid", "bid_size", "ask", "ask_size"))
    )
    events = OrderFlowImbalance(window=40).batch(
        *(q[k] for k in ("ts", "bid", "bid_size", "ask", "ask_size"))
    )
    timed = OrderFlowImbalance(window_ns=window_ns).batch(
        *(q[k] for k in ("ts", "bid", "bid_size", "ask", "ask_size"))
    )
    # Assert: at each quote that produced an increment
    np.testing.assert_allclose(cumulative[where], np.cumsum(e), rtol=1e-9, atol=1e-9)
    expected_events = pd.Series(e).rolling(40).sum().to_numpy()
    np.testing.assert_allclose(events[where], expected_events, rtol=1e-9, atol=1e-9)
    first = q["ts"][where[0] - 1]  # the first usable quote
    expected_time = np.array(
        [
            e[(ts > t - window_ns) & (ts <= t)].sum() if t - first >= window_ns else np.nan
            for t in ts
        ]
    )
    np.testing.assert_allclose(timed[where], expected_time, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize(
    "quote",
    [
        (0, math.nan, 1.0, 101.0, 1.0),
        (0, 100.0, math.inf, 101.0, 1.0),
        (0, 100.0, -1.0, 101.0, 1.0),
        (math.nan, 100.0, 1.0, 101.0, 1.0),
    ],
)
def test_ofi_refuses_invalid_input(quote):
    # Arrange
    ofi = OrderFlowImbalance(window_ns=10)
    # Act / Assert
    with pytest.raises(ValueError):
        ofi.update_raw(*quote)


def test_ofi_time_window_refuses_decreasing_time_and_bad_windows():
    # Arrange
    ofi = OrderFlowImbalance(window_ns=10)
    ofi.update_raw(5, 100.0, 1.0, 101.0, 1.0)
    # Act / Assert
    with pytest.raises(ValueError, match="decrease"):
        ofi.update_raw(4, 100.0, 1.0, 101.0, 1.0)
    for kwargs in ({"window": 0}, {"window_ns": 0}, {"window": 5, "window_ns": 5}):
        with pytest.raises(ValueError):
            OrderFlowImbalance(**kwargs)
