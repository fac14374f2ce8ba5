"""
Event rings: exact windows over a variable number of events (a time window, a volume window).

An event ring is a separate growable float64 array (``event_ring_new(state, offset)``) whose
header (head, count, columns, capacity, running sums) lives at an offset inside a kernel's state
array. A step whose ring is full returns ``GROW`` without changing anything; the caller enlarges
the ring with ``event_ring_grow`` and calls the step again (``indicators.base.RingIndicator`` does
so for the incremental indicators; the batch twins loop, and ``keep_alive`` the grown ring). That
keeps windows exact with memory bounded by the busiest window. Used by the signed volume
imbalance (``kernels.flow``) and the order flow imbalance (``kernels.book``); the fixed-length
rolling buffers are in ``kernels.rolling``.
"""

import numpy as np
from numba import njit

from indicators.kernels.layout import Layout
from indicators.kernels.state import borrow_int64

# Returned by a ring-backed step whose event ring is full; the caller grows the ring and retries.
GROW = -np.inf

# Header slots of an event ring inside a state array (relative to the header's offset).
_ring_header = Layout()
E_HEAD = _ring_header.slot()  # ring index of the oldest event
E_COUNT = _ring_header.slot()  # events held
E_COLS = _ring_header.slot()  # value columns per event
E_CAP = _ring_header.slot()  # ring capacity (kept here: deriving it costs an integer division)
E_POPS = _ring_header.slot()  # evictions since the sums were last recomputed exactly
E_SUMS = _ring_header.slot(0)  # running sum of each column: one slot per column, to the end
EVENT_RING_INITIAL = 64
_RESUM_SLACK = 64


def event_ring_header_size(cols: int) -> int:
    """Return the state slots an event ring's header with ``cols`` value columns needs."""
    return E_SUMS + cols


def event_ring_init(state: np.ndarray, offset: int, cols: int, capacity: int) -> None:
    """Set up an empty event ring header (``cols`` value columns) at ``offset`` in ``state``."""
    state[offset : offset + event_ring_header_size(cols)] = 0.0
    state[offset + E_COLS] = cols
    state[offset + E_CAP] = capacity


def event_ring_new(state: np.ndarray, offset: int) -> np.ndarray:
    """
    Allocate the ring array for the event ring whose header is at ``offset`` in ``state``.

    The ring is ``capacity * (1 + cols)`` float64 slots: a block of int64 timestamps (the same
    bytes read through an int64 view), then one block per value column.
    """
    cols = int(state[offset + E_COLS])
    return np.zeros(int(state[offset + E_CAP]) * (1 + cols), dtype=np.float64)


@njit(cache=True, error_model="numpy", inline="always")
def _ring_stamps(ring: np.ndarray, cap: int) -> np.ndarray:
    # The ring's first block as int64, without a reference count (the ring outlives it).
    return borrow_int64(ring.ctypes.data, cap)


@njit(cache=True, error_model="numpy", inline="always")
def event_full(state: np.ndarray, offset: int) -> bool:
    """Return whether the ring has no room for another event."""
    return state[offset + E_COUNT] >= state[offset + E_CAP]


@njit(cache=True, error_model="numpy", inline="always")
def event_count(state: np.ndarray, offset: int) -> int:
    """Return the number of events the ring holds."""
    return int(state[offset + E_COUNT])


@njit(cache=True, error_model="numpy", inline="always")
def event_sum(state: np.ndarray, offset: int, col: int) -> float:
    """Return the sum of column ``col`` over the events held."""
    return state[offset + E_SUMS + col]


@njit(cache=True, error_model="numpy", inline="always")
def event_push(state: np.ndarray, offset: int, ring: np.ndarray, ts: int, values) -> None:
    """Append an event with a tuple of column ``values`` (the caller checked ``event_full``)."""
    cap = int(state[offset + E_CAP])
    n = int(state[offset + E_COUNT])
    i = int(state[offset + E_HEAD]) + n
    if i >= cap:
        i -= cap
    _ring_stamps(ring, cap)[i] = ts
    for c in range(len(values)):
        ring[(1 + c) * cap + i] = values[c]
        state[offset + E_SUMS + c] += values[c]
    state[offset + E_COUNT] = n + 1


@njit(cache=True, error_model="numpy", inline="always")
def event_oldest_ts(state: np.ndarray, offset: int, ring: np.ndarray) -> int:
    """Return the timestamp of the oldest event (the ring must not be empty)."""
    return _ring_stamps(ring, int(state[offset + E_CAP]))[int(state[offset + E_HEAD])]


@njit(cache=True, error_model="numpy", inline="always")
def event_oldest(state: np.ndarray, offset: int, ring: np.ndarray, col: int) -> float:
    """Return column ``col`` of the oldest event (the ring must not be empty)."""
    return ring[(1 + col) * int(state[offset + E_CAP]) + int(state[offset + E_HEAD])]


@njit(cache=True, error_model="numpy", inline="always")
def _event_resum(state: np.ndarray, offset: int, ring: np.ndarray) -> None:
    # Subtracting evicted values leaves rounding residue in the running sums; an exact refresh
    # after as many evictions as there are events keeps it bounded at O(1) amortized cost.
    cap = int(state[offset + E_CAP])
    n = int(state[offset + E_COUNT])
    head = int(state[offset + E_HEAD])
    for c in range(int(state[offset + E_COLS])):
        block = (1 + c) * cap
        total = 0.0
        for k in range(n):
            i = head + k
            total += ring[block + (i - cap if i >= cap else i)]
        state[offset + E_SUMS + c] = total
    state[offset + E_POPS] = 0.0


@njit(cache=True, error_model="numpy", inline="always")
def event_pop(state: np.ndarray, offset: int, ring: np.ndarray) -> None:
    """Evict the oldest event (the ring must not be empty)."""
    cap = int(state[offset + E_CAP])
    cols = int(state[offset + E_COLS])
    head = int(state[offset + E_HEAD])
    for c in range(cols):
        state[offset + E_SUMS + c] -= ring[(1 + c) * cap + head]
    n = int(state[offset + E_COUNT]) - 1
    state[offset + E_COUNT] = n
    state[offset + E_HEAD] = head + 1 if head + 1 < cap else 0
    state[offset + E_POPS] += 1.0
    if n == 0:
        for c in range(cols):
            state[offset + E_SUMS + c] = 0.0
        state[offset + E_POPS] = 0.0
    elif state[offset + E_POPS] >= n + _RESUM_SLACK:
        _event_resum(state, offset, ring)


@njit(cache=True, error_model="numpy", inline="always")
def event_evict_through(state: np.ndarray, offset: int, ring: np.ndarray, cutoff: int) -> None:
    """Evict every event with a timestamp <= ``cutoff``."""
    while state[offset + E_COUNT] > 0 and event_oldest_ts(state, offset, ring) <= cutoff:
        event_pop(state, offset, ring)


@njit(cache=True, error_model="numpy")
def event_ring_grow(state: np.ndarray, offset: int, ring: np.ndarray) -> np.ndarray:
    """Return a ring of twice the capacity holding the same events, oldest first."""
    cap = int(state[offset + E_CAP])
    head = int(state[offset + E_HEAD])
    n = int(state[offset + E_COUNT])
    new_cap = max(2 * cap, EVENT_RING_INITIAL)
    blocks = 1 + int(state[offset + E_COLS])
    out = np.zeros(new_cap * blocks, dtype=np.float64)
    stamps = _ring_stamps(ring, cap)
    new_stamps = _ring_stamps(out, new_cap)
    for k in range(n):
        i = head + k
        new_stamps[k] = stamps[i - cap if i >= cap else i]
    for b in range(1, blocks):
        for k in range(n):
            i = head + k
            out[b * new_cap + k] = ring[b * cap + (i - cap if i >= cap else i)]
    state[offset + E_HEAD] = 0.0
    state[offset + E_CAP] = new_cap
    return out
