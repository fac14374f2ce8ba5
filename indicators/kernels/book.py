"""
Numba kernels of the book indicators: top-of-book imbalance, relative spread, Cont–Kukanov–Stoikov
order flow imbalance (OFI) and multi-level depth imbalance from Binance ``bookDepth`` rows.

Same pattern as ``indicators.kernels.flow`` (one float64 state array per indicator, ``READY`` /
``VALUE`` slots and timestamps in two slots from ``kernels.state``, event rings from
``kernels.windows`` for windows, ``*_step_at`` entries on borrowed state for the incremental
indicators).

Quotes an indicator cannot use are *skipped*: the state and the value stay as they were and the
``SKIPPED`` counter goes up. Which quotes those are depends on what the indicator reads:

- imbalance (sizes only): both sizes zero (the ratio is undefined);
- relative spread and OFI (prices): a non-positive price, or a crossed quote (bid > ask). A locked
  quote (bid == ask) is used: the spread is 0. OFI compares each quote with the previous *used*
  one, so a glitch does not book spurious flow twice (once in, once out).

NaN/inf inputs and negative sizes are refused (ValueError) before they reach a kernel, by the
indicator's ``update_raw`` and by the batch twins.
"""

import numpy as np
from numba import njit

from indicators.kernels.layout import Layout
from indicators.kernels.rolling import require_finite_array
from indicators.kernels.state import COMMON_HEADER
from indicators.kernels.state import READY
from indicators.kernels.state import TS_SLOTS
from indicators.kernels.state import VALUE
from indicators.kernels.state import advance_clock
from indicators.kernels.state import borrow
from indicators.kernels.state import borrowed
from indicators.kernels.state import fresh_state
from indicators.kernels.state import get_ts
from indicators.kernels.state import keep_alive
from indicators.kernels.state import set_ts
from indicators.kernels.windows import EVENT_RING_INITIAL
from indicators.kernels.windows import GROW
from indicators.kernels.windows import event_evict_through
from indicators.kernels.windows import event_full
from indicators.kernels.windows import event_pop
from indicators.kernels.windows import event_push
from indicators.kernels.windows import event_ring_grow
from indicators.kernels.windows import event_ring_header_size
from indicators.kernels.windows import event_ring_init
from indicators.kernels.windows import event_sum
from indicators.validation import check_duration
from indicators.validation import require_window

# The header every book state starts with: the common READY / VALUE slots, then a counter.
_book = Layout(COMMON_HEADER)
SKIPPED = _book.slot()  # quotes (rows) skipped as unusable
BOOK_HEADER = _book.size


@njit(cache=True, error_model="numpy")
def require_nonnegative_finite(values: np.ndarray) -> None:
    """Raise ValueError if any value is NaN, infinite or negative (sizes, depths)."""
    for v in values:
        if not (np.isfinite(v) and v >= 0.0):
            raise ValueError("batch input contains a NaN, infinite or negative size")


@njit(cache=True, error_model="numpy", inline="always")
def prices_usable(bid_price: float, ask_price: float) -> bool:
    """Return whether a quote's prices are positive and not crossed (bid <= ask)."""
    return bid_price > 0.0 and ask_price > 0.0 and bid_price <= ask_price


# -------------------------------------------------------------------------------------------------
# Top-of-book imbalance and relative spread
# -------------------------------------------------------------------------------------------------


def simple_state() -> np.ndarray:
    """Build the state of a per-quote book indicator (imbalance, relative spread)."""
    return fresh_state(BOOK_HEADER)


@njit(cache=True, error_model="numpy", inline="always")
def imbalance_step(state: np.ndarray, bid_size: float, ask_size: float) -> float:
    """Update with one quote; return (bid_size - ask_size) / (bid_size + ask_size)."""
    total = bid_size + ask_size
    if total > 0.0:
        state[VALUE] = (bid_size - ask_size) / total
        state[READY] = 1.0
    else:
        state[SKIPPED] += 1.0
    return state[VALUE]


@njit(cache=True, error_model="numpy", inline="always")
def spread_step(state: np.ndarray, bid_price: float, ask_price: float) -> float:
    """Update with one quote; return (ask - bid) / mid with mid = (ask + bid) / 2."""
    if prices_usable(bid_price, ask_price):
        state[VALUE] = 2.0 * (ask_price - bid_price) / (ask_price + bid_price)
        state[READY] = 1.0
    else:
        state[SKIPPED] += 1.0
    return state[VALUE]


@njit(cache=True, error_model="numpy")
def imbalance_batch(state: np.ndarray, bid_size: np.ndarray, ask_size: np.ndarray) -> np.ndarray:
    """Return the imbalance after each quote, advancing ``state`` (twin of ``imbalance_step``)."""
    require_nonnegative_finite(bid_size)
    require_nonnegative_finite(ask_size)
    out = np.empty(bid_size.size)
    view = borrowed(state)
    for t in range(bid_size.size):
        out[t] = imbalance_step(view, bid_size[t], ask_size[t])
    return out


@njit(cache=True, error_model="numpy")
def imbalance_step_at(address: int, slots: int, bid_size: float, ask_size: float) -> float:
    """``imbalance_step`` on a borrowed state (address and size of a float64 array)."""
    return imbalance_step(borrow(address, slots), bid_size, ask_size)


@njit(cache=True, error_model="numpy")
def spread_batch(state: np.ndarray, bid_price: np.ndarray, ask_price: np.ndarray) -> np.ndarray:
    """Return the relative spread after each quote, advancing ``state`` (twin of ``spread_step``)."""
    require_finite_array(bid_price)
    require_finite_array(ask_price)
    out = np.empty(bid_price.size)
    view = borrowed(state)
    for t in range(bid_price.size):
        out[t] = spread_step(view, bid_price[t], ask_price[t])
    return out


@njit(cache=True, error_model="numpy")
def spread_step_at(address: int, slots: int, bid_price: float, ask_price: float) -> float:
    """``spread_step`` on a borrowed state (address and size of a float64 array)."""
    return spread_step(borrow(address, slots), bid_price, ask_price)


# -------------------------------------------------------------------------------------------------
# Cont–Kukanov–Stoikov order flow imbalance
# -------------------------------------------------------------------------------------------------

_ofi = Layout(BOOK_HEADER)
OFI_MODE = _ofi.slot()  # 0: cumulative, 1: last N increments, 2: time window
OFI_INCREMENT = _ofi.slot()  # e_n of the last used quote
OFI_BID = _ofi.slot()  # previous used quote: bid price, bid size, ask price, ask size
OFI_BID_SIZE = _ofi.slot()
OFI_ASK = _ofi.slot()
OFI_ASK_SIZE = _ofi.slot()
OFI_HAS_PREV = _ofi.slot()
OFI_WINDOW_NS = _ofi.slot()  # time mode
OFI_FIRST_TS = _ofi.slot(TS_SLOTS)
OFI_LAST_TS = _ofi.slot(TS_SLOTS)
OFI_STARTED = _ofi.slot()
OFI_WINDOW = _ofi.slot(event_ring_header_size(1))  # event ring header (count and time windows)
OFI_SLOTS = _ofi.size
# Modes.
OFI_CUMULATIVE = 0
OFI_EVENTS = 1
OFI_TIME = 2


def ofi_state(window: int | None = None, window_ns: int | None = None) -> np.ndarray:
    """
    Build the state of an OFI sum: cumulative (no window), over the last ``window`` increments, or
    over a time window of ``window_ns`` nanoseconds (at most one of the two).

    Returns
    -------
    np.ndarray

    """
    if window is not None and window_ns is not None:
        raise ValueError("give at most one of window and window_ns")
    # Both windows keep the increments in an event ring: a count window of N never needs more
    # than N slots, a time window grows its ring as needed; cumulative mode has an empty one.
    state = fresh_state(OFI_SLOTS)
    capacity = 0
    if window is not None:
        require_window("window", window, 1)
        state[OFI_MODE] = OFI_EVENTS
        capacity = window
    elif window_ns is not None:
        check_duration("window_ns", window_ns)
        state[OFI_MODE] = OFI_TIME
        state[OFI_WINDOW_NS] = window_ns
        capacity = EVENT_RING_INITIAL
    event_ring_init(state, OFI_WINDOW, 1, capacity)
    state[OFI_INCREMENT] = np.nan
    return state


@njit(cache=True, error_model="numpy", inline="always")
def ofi_increment(
    bid: float,
    bid_size: float,
    ask: float,
    ask_size: float,
    prev_bid: float,
    prev_bid_size: float,
    prev_ask: float,
    prev_ask_size: float,
) -> float:
    """
    Return the CKS order-flow increment e_n between two consecutive quotes.

    e_n = 1{P^B_n >= P^B_{n-1}} q^B_n - 1{P^B_n <= P^B_{n-1}} q^B_{n-1}
        - 1{P^A_n <= P^A_{n-1}} q^A_n + 1{P^A_n >= P^A_{n-1}} q^A_{n-1}
    """
    e = 0.0
    if bid >= prev_bid:
        e += bid_size
    if bid <= prev_bid:
        e -= prev_bid_size
    if ask <= prev_ask:
        e -= ask_size
    if ask >= prev_ask:
        e += prev_ask_size
    return e


@njit(cache=True, error_model="numpy", inline="always")
def _ofi_take(state: np.ndarray, bid: float, bid_size: float, ask: float, ask_size: float) -> float:
    # The increment against the previous used quote (NaN for the first), then remember this one.
    e = np.nan
    if state[OFI_HAS_PREV] != 0.0:
        e = ofi_increment(
            bid,
            bid_size,
            ask,
            ask_size,
            state[OFI_BID],
            state[OFI_BID_SIZE],
            state[OFI_ASK],
            state[OFI_ASK_SIZE],
        )
        state[OFI_INCREMENT] = e
    state[OFI_BID] = bid
    state[OFI_BID_SIZE] = bid_size
    state[OFI_ASK] = ask
    state[OFI_ASK_SIZE] = ask_size
    state[OFI_HAS_PREV] = 1.0
    return e


@njit(cache=True, error_model="numpy", inline="always")
def ofi_step(
    state: np.ndarray,
    ring: np.ndarray,
    ts: int,
    bid: float,
    bid_size: float,
    ask: float,
    ask_size: float,
) -> float:
    """
    Update the OFI sum with one quote; return it (NaN during warm-up), or ``GROW``.

    Warm-up: cumulative mode is ready after the first increment (second used quote), count mode
    after ``window`` increments, time mode once ``window_ns`` has elapsed since the first used
    quote. ``ring`` is ``event_ring_new(state, OFI_WINDOW)``.
    """
    if not prices_usable(bid, ask):
        state[SKIPPED] += 1.0
        return state[VALUE]
    mode = state[OFI_MODE]
    if mode == OFI_TIME:
        if state[OFI_STARTED] == 0.0:
            set_ts(state, OFI_FIRST_TS, ts)
        advance_clock(state, OFI_STARTED, OFI_LAST_TS, ts)
        event_evict_through(state, OFI_WINDOW, ring, ts - np.int64(state[OFI_WINDOW_NS]))
        if state[OFI_HAS_PREV] != 0.0 and event_full(state, OFI_WINDOW):
            return GROW
    e = _ofi_take(state, bid, bid_size, ask, ask_size)
    if mode == OFI_CUMULATIVE:
        if e == e:
            state[READY] = 1.0
            state[VALUE] = e if state[VALUE] != state[VALUE] else state[VALUE] + e
        return state[VALUE]
    if e == e:
        if event_full(state, OFI_WINDOW):  # count window: the oldest increment leaves
            event_pop(state, OFI_WINDOW, ring)
        event_push(state, OFI_WINDOW, ring, ts, (e,))
    if mode == OFI_TIME:
        ready = ts - get_ts(state, OFI_FIRST_TS) >= np.int64(state[OFI_WINDOW_NS])
    else:
        ready = event_full(state, OFI_WINDOW)
    if ready:
        state[READY] = 1.0
        state[VALUE] = event_sum(state, OFI_WINDOW, 0)
    return state[VALUE]


@njit(cache=True, error_model="numpy")
def ofi_batch(
    state: np.ndarray,
    ring: np.ndarray,
    ts: np.ndarray,
    bid: np.ndarray,
    bid_size: np.ndarray,
    ask: np.ndarray,
    ask_size: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """
    Return the OFI sum after each quote and the ring, advancing ``state`` (twin of ``ofi_step``).

    The ring comes back because it may have grown: a caller that continues from ``state`` later
    must go on with the returned ring, not the one it passed.
    """
    require_finite_array(bid)
    require_finite_array(ask)
    require_nonnegative_finite(bid_size)
    require_nonnegative_finite(ask_size)
    out = np.empty(ts.size)
    view = borrowed(state)
    events = borrowed(ring)
    for t in range(ts.size):
        while True:  # one call site: the step is inlined once
            v = ofi_step(view, events, ts[t], bid[t], bid_size[t], ask[t], ask_size[t])
            if v != GROW:
                break
            ring = event_ring_grow(view, OFI_WINDOW, events)
            events = borrowed(ring)
        out[t] = v
    keep_alive(ring)
    return out, ring


@njit(cache=True, error_model="numpy")
def ofi_step_at(
    address: int,
    slots: int,
    ring_address: int,
    ring_slots: int,
    ts: int,
    bid: float,
    bid_size: float,
    ask: float,
    ask_size: float,
) -> float:
    """``ofi_step`` on borrowed state and ring (addresses and sizes of float64 arrays)."""
    ring = borrow(ring_address, ring_slots)
    return ofi_step(borrow(address, slots), ring, ts, bid, bid_size, ask, ask_size)


# -------------------------------------------------------------------------------------------------
# Multi-level depth imbalance from bookDepth rows
# -------------------------------------------------------------------------------------------------

# Layout after the header: L = number of levels, then blocks of L slots (band, weight, bid
# amount, ask amount), blocks of 2L slots (bid row time, ask row time; two slots per time), the
# last row time (two slots) and the started flag. The blocks' sizes depend on L, so the header
# is declared here and the blocks are addressed by ``_row_time_slot`` / ``_last_time_slot``.
_depth = Layout(BOOK_HEADER)
D_LEVELS = _depth.slot()
D_BLOCKS = _depth.size
# Order of the L-slot blocks after D_BLOCKS.
_depth_blocks = Layout()
D_LEVEL = _depth_blocks.slot()
D_WEIGHT = _depth_blocks.slot()
D_BID = _depth_blocks.slot()
D_ASK = _depth_blocks.slot()
_D_VALUE_BLOCKS = _depth_blocks.size
_LEVEL_TOLERANCE = 1e-9
_NEVER = np.iinfo(np.int64).min  # row time of a band not seen yet


@njit(cache=True, error_model="numpy", inline="always")
def _row_time_slot(n: int, side: int, j: int) -> int:
    # Slot of the time of level j's last row on ``side`` (D_BID or D_ASK).
    return D_BLOCKS + _D_VALUE_BLOCKS * n + (side - D_BID) * TS_SLOTS * n + TS_SLOTS * j


@njit(cache=True, error_model="numpy", inline="always")
def _last_time_slot(n: int) -> int:
    return D_BLOCKS + (_D_VALUE_BLOCKS + 2 * TS_SLOTS) * n


def depth_state(
    levels: tuple[float, ...] = (1.0,), weights: tuple[float, ...] | None = None
) -> np.ndarray:
    """
    Build the state of a depth imbalance over bookDepth percentage bands.

    Parameters
    ----------
    levels : tuple of float
        Band half-widths in percent (e.g. ``(1.0, 2.0, 5.0)``): the rows at ``-level`` (bids)
        and ``+level`` (asks) are used; others are ignored.
    weights : tuple of float, optional
        One non-negative weight per level (default: equal).

    Returns
    -------
    np.ndarray

    """
    levels = tuple(float(x) for x in levels)
    if not levels or any(not (np.isfinite(x) and x > 0) for x in levels):
        raise ValueError(f"levels must be positive percentages, was {levels!r}")
    if len(set(levels)) != len(levels):
        raise ValueError(f"levels must be distinct, was {levels!r}")
    weights = (1.0,) * len(levels) if weights is None else tuple(float(w) for w in weights)
    if len(weights) != len(levels) or any(not (np.isfinite(w) and w >= 0) for w in weights):
        raise ValueError("weights must be one non-negative finite number per level")
    if sum(weights) <= 0:
        raise ValueError("at least one weight must be positive")
    n = len(levels)
    state = fresh_state(_last_time_slot(n) + TS_SLOTS + 1)
    state[D_LEVELS] = n
    state[D_BLOCKS + D_LEVEL * n : D_BLOCKS + (D_LEVEL + 1) * n] = levels
    state[D_BLOCKS + D_WEIGHT * n : D_BLOCKS + (D_WEIGHT + 1) * n] = weights
    for side in (D_BID, D_ASK):
        for j in range(n):
            set_ts(state, _row_time_slot(n, side, j), _NEVER)
    return state


@njit(cache=True, error_model="numpy", inline="always")
def depth_step(state: np.ndarray, ts: int, percentage: float, amount: float) -> float:
    """
    Update with one bookDepth row; return the weighted depth imbalance.

    DI = Σ_k w_k (B_k - A_k) / Σ_k w_k (B_k + A_k), with B_k / A_k the cumulative bid / ask depth
    (or notional) within ``level_k`` percent of the mid. The value changes only when a snapshot is
    complete: every configured level's bid and ask row seen with this row's timestamp. Rows of
    other bands (or percentage 0) are ignored; a complete snapshot with zero total depth is
    skipped.
    """
    n = int(state[D_LEVELS])
    last = _last_time_slot(n)
    advance_clock(state, last + TS_SLOTS, last, ts)
    band = abs(percentage)
    k = -1
    for j in range(n):
        level = state[D_BLOCKS + D_LEVEL * n + j]
        if abs(band - level) <= _LEVEL_TOLERANCE * max(1.0, level):
            k = j
    if k < 0 or percentage == 0.0:
        return state[VALUE]
    side = D_BID if percentage < 0.0 else D_ASK
    state[D_BLOCKS + side * n + k] = amount
    set_ts(state, _row_time_slot(n, side, k), ts)
    numerator = 0.0
    denominator = 0.0
    for j in range(n):
        if (
            get_ts(state, _row_time_slot(n, D_BID, j)) != ts
            or get_ts(state, _row_time_slot(n, D_ASK, j)) != ts
        ):
            return state[VALUE]  # snapshot not complete yet
        w = state[D_BLOCKS + D_WEIGHT * n + j]
        bid = state[D_BLOCKS + D_BID * n + j]
        ask = state[D_BLOCKS + D_ASK * n + j]
        numerator += w * (bid - ask)
        denominator += w * (bid + ask)
    if denominator > 0.0:
        state[VALUE] = numerator / denominator
        state[READY] = 1.0
    else:
        state[SKIPPED] += 1.0
    return state[VALUE]


@njit(cache=True, error_model="numpy")
def depth_batch(
    state: np.ndarray, ts: np.ndarray, percentage: np.ndarray, amount: np.ndarray
) -> np.ndarray:
    """Return the depth imbalance after each row, advancing ``state`` (twin of ``depth_step``)."""
    require_finite_array(percentage)
    require_nonnegative_finite(amount)
    out = np.empty(ts.size)
    view = borrowed(state)
    for t in range(ts.size):
        out[t] = depth_step(view, ts[t], percentage[t], amount[t])
    return out


@njit(cache=True, error_model="numpy")
def depth_step_at(address: int, slots: int, ts: int, percentage: float, amount: float) -> float:
    """``depth_step`` on a borrowed state (address and size of a float64 array)."""
    return depth_step(borrow(address, slots), ts, percentage, amount)
