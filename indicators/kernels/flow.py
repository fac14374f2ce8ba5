"""
Numba kernels of the trade-flow indicators: signed volume imbalance, VPIN, Kyle's lambda, Hawkes.

Every kernel works on one float64 *state* array built by a plain-Python ``*_state(...)`` function
(parameters, scalars and the rolling windows of ``indicators.kernels.rolling`` packed together).
The *step* functions update a state with one event and return the indicator's value; the
``*_batch`` twins loop the same step over numpy arrays, starting from (and advancing) a state the
caller built the same way; the ``*_step_at`` entries run the same step for the incremental
indicators.

Conventions shared by all kernels:

- slot ``READY`` is 1.0 once the indicator is initialized, slot ``VALUE`` holds its value (NaN
  until initialized);
- timestamps are int64 nanoseconds; float64 cannot hold epoch nanoseconds exactly, so a
  timestamp takes two slots (high and low 32 bits, ``get_ts`` / ``set_ts``); durations take one
  (exact below 2**53 ns, about 104 days); timestamps must not decrease (ValueError);
- trade sides are NautilusTrader ``AggressorSide`` codes: 1 buyer, 2 seller, 0 no aggressor (its
  volume counts, half to each side, with no sign); any other code raises ValueError;
- a trade of zero size moves the clock (closing periods, bars, windows) but carries no flow.

Reference counting: numba increments and decrements (atomically) the reference count of every
array a compiled function receives, ~35 ns per call that LLVM does not inline. The batch twins
and the ``*_step_at`` entries used by the incremental indicators therefore work on *borrowed*
views (``borrow``): arrays over the same memory without a reference count, which the caller keeps
alive. A ``*_step_at`` entry takes ``(address, size)`` pairs instead of arrays, which is also
cheaper to pass from Python than an array.

Windows of a variable number of events (a time window, a volume window) live in an *event ring*:
a separate growable float64 array (``event_ring_new(state, offset)``). A step whose ring is full
returns ``GROW`` without changing anything; the caller enlarges the ring with ``event_ring_grow``
and calls the step again. That keeps windows exact with memory bounded by the busiest window.

Errors (ValueError) are raised before a step changes its state, so a refused event leaves the
indicator as it was.
"""

import math

import numpy as np
from numba import carray
from numba import njit
from numba import types
from numba.extending import intrinsic

from indicators.kernels.rolling import ranked_init
from indicators.kernels.rolling import ranked_push
from indicators.kernels.rolling import ranked_quantile
from indicators.kernels.rolling import ranked_size
from indicators.kernels.rolling import require_finite_array
from indicators.kernels.rolling import rolling_count
from indicators.kernels.rolling import rolling_full
from indicators.kernels.rolling import rolling_init
from indicators.kernels.rolling import rolling_mean
from indicators.kernels.rolling import rolling_push
from indicators.kernels.rolling import rolling_size
from indicators.kernels.rolling import rolling_std
from indicators.kernels.rolling import rolling_sum
from indicators.kernels.rolling import rolling_var
from indicators.kernels.rolling import rolling_view
from indicators.kernels.rolling import rolling_window
from indicators.rolling import require_window

READY = 0
VALUE = 1
COMMON_HEADER = 2

# Returned by a ring-backed step whose event ring is full; the caller grows the ring and retries.
GROW = -np.inf

BUYER = 1
SELLER = 2

# Fills within this fraction of a bucket's size close the bucket: decimal trade sizes
# (0.001 BTC) do not add up exactly in binary, and a bucket should not stay open for 1e-17.
BUCKET_EDGE = 1e-9


def fresh_state(size: int) -> np.ndarray:
    """Return a zeroed state of ``size`` slots with a NaN value (not initialized)."""
    state = np.zeros(size, dtype=np.float64)
    state[VALUE] = np.nan
    return state


def check_positive(name: str, value: float) -> None:
    """Refuse a parameter that is not a finite positive number (ValueError)."""
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be finite and > 0, was {value!r}")


def check_duration(name: str, value: int, minimum: int = 1) -> None:
    """Refuse a duration (ns) that is not an integer in [minimum, 2**53] (ValueError)."""
    # Durations live in one float64 slot: exact up to 2**53 ns (~104 days).
    require_window(name, value, minimum)
    if value > 2**53:
        raise ValueError(f"{name} must be at most 2**53 ns, was {value!r}")


# -------------------------------------------------------------------------------------------------
# Small shared pieces
# -------------------------------------------------------------------------------------------------


@intrinsic
def _float64_pointer(typingctx, address):
    # The int64 address as a float64* (numba has no built-in int-to-pointer conversion).
    pointer = types.CPointer(types.float64)

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], context.get_value_type(pointer))

    return pointer(types.int64), codegen


@intrinsic
def _int64_pointer(typingctx, address):
    # The int64 address as an int64*.
    pointer = types.CPointer(types.int64)

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], context.get_value_type(pointer))

    return pointer(types.int64), codegen


@njit(cache=True, error_model="numpy", inline="always")
def borrow(address: int, size: int) -> np.ndarray:
    """Return the ``size`` float64 values at ``address`` as an array without reference count."""
    return carray(_float64_pointer(address), size)


@njit(cache=True, error_model="numpy", inline="always")
def borrowed(array: np.ndarray) -> np.ndarray:
    """Return a view of a float64 array without reference count (the caller keeps it alive)."""
    return borrow(array.ctypes.data, array.size)


@njit(cache=True, error_model="numpy")
def keep_alive(array: np.ndarray) -> None:
    """
    Use ``array``, so that numba keeps a reference to it up to this point.

    Numba releases an array right after its last use; an array only reached through a borrowed
    view needs a later use (an array allocated inside a loop, e.g. a grown ring).
    """


# An int64 split in two float64 slots (high 32 bits, low 32 bits), both exact. Plain arithmetic:
# a ``view(np.int64)`` of a slot costs ~20 ns in numba (a new array per access).
TS_SLOTS = 2


@njit(cache=True, error_model="numpy", inline="always")
def get_ts(state: np.ndarray, slot: int) -> int:
    """Return the int64 stored by ``set_ts`` in ``state[slot : slot + 2]``."""
    return (np.int64(state[slot]) << 32) + np.int64(state[slot + 1])


@njit(cache=True, error_model="numpy", inline="always")
def set_ts(state: np.ndarray, slot: int, ts: int) -> None:
    """Store the int64 ``ts`` exactly in ``state[slot : slot + 2]``."""
    state[slot] = ts >> 32
    state[slot + 1] = ts & 0xFFFFFFFF


@njit(cache=True, error_model="numpy", inline="always")
def side_sign(side: float) -> float:
    """
    Return the sign of an ``AggressorSide`` code: +1 buyer (1), -1 seller (2), 0 none (0).

    Raises
    ------
    ValueError
        For any other code.

    """
    if side == BUYER:
        return 1.0
    if side == SELLER:
        return -1.0
    if side == 0:
        return 0.0
    raise ValueError("aggressor side must be 0 (none), 1 (buyer) or 2 (seller)")


@njit(cache=True, error_model="numpy", inline="always")
def advance_clock(state: np.ndarray, started_slot: int, ts_slot: int, ts: int) -> None:
    """Record ``ts`` as the latest event time, refusing a timestamp earlier than the last one."""
    if state[started_slot] != 0.0 and ts < get_ts(state, ts_slot):
        raise ValueError("timestamps must not decrease")
    state[started_slot] = 1.0
    set_ts(state, ts_slot, ts)


@njit(cache=True, error_model="numpy", inline="always")
def normal_cdf(z: float) -> float:
    """Return the standard normal CDF Φ(z) (Φ(±inf) = 1 or 0)."""
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


@njit(cache=True, error_model="numpy", inline="always")
def bvc_buy_fraction(dp: float, sigma: float) -> float:
    """
    Return the bulk-volume buy fraction Φ(ΔP/σ) of a bar whose price changed by ``dp``.

    With ``sigma`` = 0 (a flat trailing window) the fraction is 1/2 for an unchanged price and
    all-buy or all-sell for a move (the limit of Φ(ΔP/σ) as σ → 0).
    """
    if sigma > 0.0:
        return normal_cdf(dp / sigma)
    if dp > 0.0:
        return 1.0
    if dp < 0.0:
        return 0.0
    return 0.5


# -------------------------------------------------------------------------------------------------
# Event ring: exact windows over a variable number of events (time window, volume window)
# -------------------------------------------------------------------------------------------------

# Header slots of an event ring inside a state array (at an offset).
E_HEAD = 0  # ring index of the oldest event
E_COUNT = 1  # events held
E_COLS = 2  # value columns per event
E_CAP = 3  # capacity of the ring array (kept here: deriving it costs an integer division)
E_POPS = 4  # evictions since the sums were last recomputed exactly
E_SUMS = 5  # running sum of each column
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
    return carray(_int64_pointer(ring.ctypes.data), cap)


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


# -------------------------------------------------------------------------------------------------
# Group accumulator: trades gathered into time bars or fixed-count groups (BVC, Kyle's lambda)
# -------------------------------------------------------------------------------------------------

G_OPEN = 0
G_KEY = 1  # int64 bar key (ts // bar length), two slots
G_TRADES = 3
G_VOLUME = 4
G_SIGNED = 5
G_LAST = 6
G_OUT_VOLUME = 7  # the last closed group
G_OUT_SIGNED = 8
G_OUT_LAST = 9
GROUP_SLOTS = 10


@njit(cache=True, error_model="numpy", inline="always")
def group_close(state: np.ndarray, offset: int) -> None:
    """Close the open group, copying its totals to the ``G_OUT_*`` slots."""
    state[offset + G_OUT_VOLUME] = state[offset + G_VOLUME]
    state[offset + G_OUT_SIGNED] = state[offset + G_SIGNED]
    state[offset + G_OUT_LAST] = state[offset + G_LAST]
    state[offset + G_OPEN] = 0.0


@njit(cache=True, error_model="numpy", inline="always")
def group_roll(state: np.ndarray, offset: int, key: int) -> bool:
    """Close the open group if it belongs to another bar than ``key``; return whether it closed."""
    if state[offset + G_OPEN] != 0.0 and get_ts(state, offset + G_KEY) != key:
        group_close(state, offset)
        return True
    return False


@njit(cache=True, error_model="numpy", inline="always")
def group_add(
    state: np.ndarray, offset: int, key: int, price: float, volume: float, signed: float
) -> None:
    """Add a trade to the open group (opening one for bar ``key`` if none is open)."""
    if state[offset + G_OPEN] == 0.0:
        state[offset + G_OPEN] = 1.0
        set_ts(state, offset + G_KEY, key)
        state[offset + G_TRADES] = 0.0
        state[offset + G_VOLUME] = 0.0
        state[offset + G_SIGNED] = 0.0
    state[offset + G_TRADES] += 1.0
    state[offset + G_VOLUME] += volume
    state[offset + G_SIGNED] += signed
    state[offset + G_LAST] = price


# -------------------------------------------------------------------------------------------------
# Signed volume imbalance over a time window or a volume window
# -------------------------------------------------------------------------------------------------

SVI_VOLUME_MODE = 2  # 0: time window, 1: volume window
SVI_WINDOW = 3  # volume window (volume mode)
SVI_WINDOW_NS = 4  # window length (time mode)
SVI_FIRST_TS = 5  # two slots
SVI_LAST_TS = 7  # two slots
SVI_STARTED = 9
SVI_CUM = 10  # volume seen since start (volume-mode warm-up)
SVI_RING = 11  # event ring header; columns: signed volume, volume
SVI_SLOTS = SVI_RING + event_ring_header_size(2)


def svi_state(window_ns: int | None = None, window_volume: float | None = None) -> np.ndarray:
    """
    Build the state of a signed volume imbalance over a time window or a volume window.

    Parameters
    ----------
    window_ns : int, optional
        The time window in nanoseconds: trades with ``ts > now - window_ns`` count.
    window_volume : float, optional
        The volume window: the most recent ``window_volume`` units of traded volume count (the
        oldest trade only in part). Give exactly one of the two.

    Returns
    -------
    np.ndarray

    """
    if (window_ns is None) == (window_volume is None):
        raise ValueError("give exactly one of window_ns and window_volume")
    state = fresh_state(SVI_SLOTS)
    if window_ns is not None:
        check_duration("window_ns", window_ns)
        state[SVI_WINDOW_NS] = window_ns
    else:
        check_positive("window_volume", window_volume)
        state[SVI_VOLUME_MODE] = 1.0
        state[SVI_WINDOW] = window_volume
    event_ring_init(state, SVI_RING, 2, EVENT_RING_INITIAL)
    return state


@njit(cache=True, error_model="numpy", inline="always")
def svi_step(state: np.ndarray, ring: np.ndarray, ts: int, size: float, side: float) -> float:
    """
    Update the signed volume imbalance with one trade; return it (or ``GROW``).

    Parameters
    ----------
    state : np.ndarray
        From ``svi_state``.
    ring : np.ndarray
        From ``event_ring_new(state, SVI_RING)``.
    ts : int
        Trade time (ns).
    size : float
        Trade size (>= 0).
    side : float
        ``AggressorSide`` code.

    Returns
    -------
    float
        The imbalance in [-1, 1] (0 for a window without volume), NaN during warm-up, or
        ``GROW`` when the ring must be enlarged first (nothing was changed).

    """
    sign = side_sign(side)
    if state[SVI_STARTED] == 0.0:
        set_ts(state, SVI_FIRST_TS, ts)
    # Recording the time first is safe on the retry after GROW: the same ts is accepted again.
    advance_clock(state, SVI_STARTED, SVI_LAST_TS, ts)
    if state[SVI_VOLUME_MODE] == 0.0:
        window_ns = np.int64(state[SVI_WINDOW_NS])
        event_evict_through(state, SVI_RING, ring, ts - window_ns)
        if size > 0.0:
            if event_full(state, SVI_RING):
                return GROW
            event_push(state, SVI_RING, ring, ts, (sign * size, size))
        if ts - get_ts(state, SVI_FIRST_TS) >= window_ns:
            state[READY] = 1.0
        volume = event_sum(state, SVI_RING, 1)
        signed = event_sum(state, SVI_RING, 0)
    else:
        if size > 0.0:
            if event_full(state, SVI_RING):
                return GROW
            event_push(state, SVI_RING, ring, ts, (sign * size, size))
            state[SVI_CUM] += size
        window = state[SVI_WINDOW]
        while (
            event_count(state, SVI_RING) > 1
            and event_sum(state, SVI_RING, 1) - event_oldest(state, SVI_RING, ring, 1) >= window
        ):
            event_pop(state, SVI_RING, ring)
        if state[SVI_CUM] >= window:
            state[READY] = 1.0
        volume = event_sum(state, SVI_RING, 1)
        signed = event_sum(state, SVI_RING, 0)
        excess = volume - window
        if excess > 0.0:
            # The oldest trade straddles the window's start: keep only its part inside.
            oldest = event_oldest(state, SVI_RING, ring, 1)
            signed -= event_oldest(state, SVI_RING, ring, 0) / oldest * excess
            volume = window
    if state[READY] == 0.0:
        return state[VALUE]
    state[VALUE] = signed / volume if volume > 0.0 else 0.0
    return state[VALUE]


@njit(cache=True, error_model="numpy")
def svi_batch(
    state: np.ndarray, ring: np.ndarray, ts: np.ndarray, size: np.ndarray, side: np.ndarray
) -> np.ndarray:
    """Return the imbalance after each trade, advancing ``state`` (the batch twin of ``svi_step``)."""
    require_finite_array(size)
    out = np.empty(ts.size)
    view = borrowed(state)
    events = borrowed(ring)
    for t in range(ts.size):
        while True:  # one call site: the step is inlined once
            v = svi_step(view, events, ts[t], size[t], side[t])
            if v != GROW:
                break
            ring = event_ring_grow(view, SVI_RING, events)
            events = borrowed(ring)
        out[t] = v
    keep_alive(ring)
    return out


@njit(cache=True, error_model="numpy")
def svi_step_at(
    address: int, slots: int, ring_address: int, ring_slots: int, ts: int, size: float, side: float
) -> float:
    """``svi_step`` on borrowed state and ring (addresses and sizes of float64 arrays)."""
    return svi_step(borrow(address, slots), borrow(ring_address, ring_slots), ts, size, side)


# -------------------------------------------------------------------------------------------------
# VPIN over equal-volume buckets
# -------------------------------------------------------------------------------------------------

AGGRESSOR = 0
BVC = 1
BAR_SIGN = 2
BAR_TAKER = 3
CLASSIFIERS = {"aggressor": AGGRESSOR, "bvc": BVC, "bar_sign": BAR_SIGN, "bar_taker": BAR_TAKER}

V_CLASSIFIER = 2
V_QUOTE = 3  # 1: volume in quote units (price * size)
V_SIZE = 4  # target volume of the bucket being filled (NaN: none open)
V_NEXT = 5  # target volume of buckets opened from now on (NaN: not known yet)
V_FILL = 6
V_FILL_BUY = 7
V_BUCKETS = 8  # buckets completed since the start
V_LAST_IMB = 9  # |S - B| / V of the last completed bucket
V_DONE = 10  # buckets completed by the last update
V_LAST_TS = 11  # two slots
V_STARTED = 13
V_PERIOD_NS = 14  # period of the bucket-size statistic (0: fixed bucket size)
V_PERIOD_KEY = 15  # key (ts // period) of the open period, two slots
V_PERIOD_OPEN = 17
V_PERIOD_VOL = 18
V_STAT_MEAN = 19  # 1: mean of the period volumes, 0: median
V_FRACTION = 20  # bucket size = statistic * fraction
V_MIN_PERIODS = 21
V_SIGMA = 22  # BVC: sigma used for the last classified group
V_PREV_CLOSE = 23  # BVC: close of the previous group (NaN: none)
V_GROUP_TRADES = 24  # BVC: trades per group (0: time bars)
V_GROUP_NS = 25  # BVC: bar length
V_O_IMB = 26  # offsets of the rolling buffers
V_O_VOL = 27
V_O_PERIOD = 28
V_O_SIGMA = 29
V_WINDOW = 30  # m (also in the bucket buffers' headers; a copy here avoids slicing per trade)
V_GROUP = 31
V_SLOTS = V_GROUP + GROUP_SLOTS


def vpin_state(
    window: int = 50,
    classifier: str = "aggressor",
    bucket_volume: float | None = None,
    quote_volume: bool = False,
    period_ns: int = 60_000_000_000,
    lookback_periods: int = 1440,
    min_periods: int | None = None,
    statistic: str = "median",
    fraction: float = 1.0,
    bar_ns: int = 60_000_000_000,
    group_trades: int = 0,
    sigma_window: int = 100,
) -> np.ndarray:
    """
    Build the state of a VPIN estimator (see ``indicators.flow.VPIN`` for the parameters).

    Returns
    -------
    np.ndarray

    """
    require_window("window", window, 1)
    if classifier not in CLASSIFIERS:
        raise ValueError(f"classifier must be one of {sorted(CLASSIFIERS)}, was {classifier!r}")
    if statistic not in ("median", "mean"):
        raise ValueError(f"statistic must be 'median' or 'mean', was {statistic!r}")
    dynamic = bucket_volume is None
    if dynamic:
        check_duration("period_ns", period_ns)
        require_window("lookback_periods", lookback_periods, 1)
        min_periods = lookback_periods if min_periods is None else min_periods
        require_window("min_periods", min_periods, 1)
        if min_periods > lookback_periods:
            raise ValueError("min_periods must not exceed lookback_periods")
        check_positive("fraction", fraction)
    else:
        check_positive("bucket_volume", bucket_volume)
    bvc = CLASSIFIERS[classifier] == BVC
    if bvc:
        require_window("group_trades", group_trades, 0)
        require_window("sigma_window", sigma_window, 2)
        if group_trades == 0:
            check_duration("bar_ns", bar_ns)
    sizes = [rolling_size(window), rolling_size(window)]
    sizes.append(ranked_size(lookback_periods) if dynamic else 0)
    sizes.append(rolling_size(sigma_window) if bvc else 0)
    offsets = np.cumsum([V_SLOTS] + sizes)
    state = fresh_state(int(offsets[-1]))
    state[V_CLASSIFIER] = CLASSIFIERS[classifier]
    state[V_WINDOW] = window
    state[V_QUOTE] = 1.0 if quote_volume else 0.0
    state[V_SIZE] = np.nan
    state[V_NEXT] = np.nan if dynamic else bucket_volume
    state[V_LAST_IMB] = np.nan
    state[V_SIGMA] = np.nan
    state[V_PREV_CLOSE] = np.nan
    for slot, offset in zip((V_O_IMB, V_O_VOL, V_O_PERIOD, V_O_SIGMA), offsets[:-1], strict=True):
        state[slot] = offset
    rolling_init(state[offsets[0] :], window)
    rolling_init(state[offsets[1] :], window)
    if dynamic:
        state[V_PERIOD_NS] = period_ns
        state[V_STAT_MEAN] = 1.0 if statistic == "mean" else 0.0
        state[V_FRACTION] = fraction
        state[V_MIN_PERIODS] = min_periods
        ranked_init(state[offsets[2] :], lookback_periods)
    if bvc:
        state[V_GROUP_TRADES] = group_trades
        state[V_GROUP_NS] = bar_ns
        rolling_init(state[offsets[3] :], sigma_window)
    return state


@njit(cache=True, error_model="numpy", inline="always")
def _buffer(state: np.ndarray, offset_slot: int) -> np.ndarray:
    # The rolling buffer whose offset is stored in ``state[offset_slot]``.
    return rolling_view(state, int(state[offset_slot]))


@njit(cache=True, error_model="numpy", inline="always")
def _close_bucket(state: np.ndarray, size: float, buy: float) -> None:
    imbalance = abs(size - 2.0 * buy)  # |S - B| with S = size - B
    rolling_push(_buffer(state, V_O_IMB), imbalance)
    rolling_push(_buffer(state, V_O_VOL), size)
    state[V_BUCKETS] += 1.0
    state[V_DONE] += 1.0
    state[V_LAST_IMB] = imbalance / size
    state[V_SIZE] = np.nan
    state[V_FILL] = 0.0
    state[V_FILL_BUY] = 0.0


@njit(cache=True, error_model="numpy", inline="always")
def vpin_fill(state: np.ndarray, buy: float, sell: float) -> None:
    """
    Pour classified volume into the equal-volume buckets, closing as many as it fills.

    The volume keeps its buy share across bucket edges, so an event larger than several buckets
    completes several. Volume arriving before the bucket size is known is discarded.
    """
    total = buy + sell
    if not total > 0.0:
        return
    share = buy / total
    rest = total
    m = state[V_WINDOW]
    while rest > 0.0:
        size = state[V_SIZE]
        if size != size:
            size = state[V_NEXT]
            if size != size:
                return
            state[V_SIZE] = size
            whole = np.floor(rest / size) - m
            if state[V_FILL] == 0.0 and whole > 0.0:
                # Buckets this event fills beyond the last m would leave the window unseen.
                state[V_BUCKETS] += whole
                state[V_DONE] += whole
                rest -= whole * size
        room = size - state[V_FILL]
        if rest < room - BUCKET_EDGE * size:
            state[V_FILL] += rest
            state[V_FILL_BUY] += rest * share
            return
        _close_bucket(state, size, state[V_FILL_BUY] + room * share)
        rest = max(rest - room, 0.0)


@njit(cache=True, error_model="numpy", inline="always")
def _vpin_period(state: np.ndarray, ts: int, volume: float) -> None:
    # Trailing bucket-size statistic: a period's volume enters the statistic only once the period
    # is over, and the new size applies to the next bucket opened, so nothing looks ahead.
    period_ns = np.int64(state[V_PERIOD_NS])
    if period_ns == 0:
        return
    key = ts // period_ns
    if state[V_PERIOD_OPEN] == 0.0:
        state[V_PERIOD_OPEN] = 1.0
        set_ts(state, V_PERIOD_KEY, key)
    current = get_ts(state, V_PERIOD_KEY)
    if key != current:
        periods = _buffer(state, V_O_PERIOD)
        ranked_push(periods, state[V_PERIOD_VOL])
        for _ in range(min(key - current - 1, rolling_window(periods))):
            ranked_push(periods, 0.0)  # periods without trades
        state[V_PERIOD_VOL] = 0.0
        set_ts(state, V_PERIOD_KEY, key)
        if rolling_count(periods) >= state[V_MIN_PERIODS]:
            if state[V_STAT_MEAN] != 0.0:
                stat = rolling_mean(periods)
            else:
                stat = ranked_quantile(periods, 0.5)
            if stat > 0.0:
                state[V_NEXT] = stat * state[V_FRACTION]
    state[V_PERIOD_VOL] += volume


@njit(cache=True, error_model="numpy", inline="always")
def _vpin_bvc(state: np.ndarray, close: float, volume: float) -> None:
    # Bulk volume classification of one bar: buy share Φ(ΔP/σ), σ from the trailing window of
    # earlier bars' price changes (this bar's change joins the window after it is classified).
    previous = state[V_PREV_CLOSE]
    state[V_PREV_CLOSE] = close
    if previous != previous:
        return
    dp = close - previous
    changes = _buffer(state, V_O_SIGMA)
    if rolling_full(changes):
        sigma = rolling_std(changes, 1)
        state[V_SIGMA] = sigma
        share = bvc_buy_fraction(dp, sigma)
        vpin_fill(state, volume * share, volume * (1.0 - share))
    rolling_push(changes, dp)


@njit(cache=True, error_model="numpy", inline="always")
def _vpin_start(state: np.ndarray, ts: int, volume: float) -> None:
    advance_clock(state, V_STARTED, V_LAST_TS, ts)
    state[V_DONE] = 0.0
    _vpin_period(state, ts, volume)


@njit(cache=True, error_model="numpy", inline="always")
def _vpin_value(state: np.ndarray) -> float:
    if state[V_DONE] > 0.0 and state[V_BUCKETS] >= state[V_WINDOW]:
        state[VALUE] = rolling_sum(_buffer(state, V_O_IMB)) / rolling_sum(_buffer(state, V_O_VOL))
        state[READY] = 1.0
    return state[VALUE]


@njit(cache=True, error_model="numpy", inline="always")
def vpin_trade_step(state: np.ndarray, ts: int, price: float, size: float, side: float) -> float:
    """
    Update VPIN with one trade (classifier ``aggressor`` or ``bvc``); return VPIN.

    Parameters
    ----------
    state : np.ndarray
        From ``vpin_state``.
    ts : int
        Trade time (ns).
    price, size : float
        Trade price and size (>= 0).
    side : float
        ``AggressorSide`` code (``bvc`` checks it but does not use it).

    Returns
    -------
    float
        VPIN, NaN until ``window`` buckets are complete.

    """
    sign = side_sign(side)
    classifier = state[V_CLASSIFIER]
    if classifier != AGGRESSOR and classifier != BVC:
        raise ValueError("VPIN with a bar classifier is updated with bars")
    volume = size * price if state[V_QUOTE] != 0.0 else size
    _vpin_start(state, ts, volume)
    if classifier == AGGRESSOR:
        if volume > 0.0:
            buy = volume * (0.5 + 0.5 * sign)
            vpin_fill(state, buy, volume - buy)
    else:
        trades = state[V_GROUP_TRADES]
        key = 0
        if trades == 0.0:
            key = ts // np.int64(state[V_GROUP_NS])
            if group_roll(state, V_GROUP, key):
                _vpin_bvc(state, state[V_GROUP + G_OUT_LAST], state[V_GROUP + G_OUT_VOLUME])
        if volume > 0.0:
            group_add(state, V_GROUP, key, price, volume, 0.0)
            if trades > 0.0 and state[V_GROUP + G_TRADES] >= trades:
                group_close(state, V_GROUP)
                _vpin_bvc(state, price, state[V_GROUP + G_OUT_VOLUME])
    return _vpin_value(state)


@njit(cache=True, error_model="numpy", inline="always")
def vpin_bar_step(
    state: np.ndarray, ts: int, open_: float, close: float, volume: float, taker_buy: float
) -> float:
    """
    Update VPIN with one bar (classifier ``bar_sign``, ``bar_taker`` or ``bvc``); return VPIN.

    ``bar_sign`` puts the whole bar volume on the side of ``close - open`` (half each way for an
    unchanged bar); ``bar_taker`` splits it into ``taker_buy`` and ``volume - taker_buy``; ``bvc``
    treats the bar as one group (price change from the previous bar's close). With quote units
    the bar's volume is valued at its close (a bar carries no quote volume).

    Returns
    -------
    float
        VPIN, NaN until ``window`` buckets are complete.

    """
    classifier = state[V_CLASSIFIER]
    if classifier == AGGRESSOR:
        raise ValueError("VPIN with the aggressor classifier is updated with trades")
    if classifier == BAR_TAKER and not (taker_buy >= 0.0 and taker_buy <= volume):
        # Also refuses NaN: the bar has no taker volume.
        raise ValueError("bar_taker needs the bar's taker buy volume, in [0, volume]")
    scale = close if state[V_QUOTE] != 0.0 else 1.0
    amount = volume * scale
    _vpin_start(state, ts, amount)
    if classifier == BAR_SIGN:
        share = 1.0 if close > open_ else (0.0 if close < open_ else 0.5)
        vpin_fill(state, amount * share, amount * (1.0 - share))
    elif classifier == BAR_TAKER:
        vpin_fill(state, taker_buy * scale, (volume - taker_buy) * scale)
    elif amount > 0.0:  # BVC: the bar is one group
        _vpin_bvc(state, close, amount)
    return _vpin_value(state)


@njit(cache=True, error_model="numpy")
def vpin_trade_batch(
    state: np.ndarray, ts: np.ndarray, price: np.ndarray, size: np.ndarray, side: np.ndarray
) -> np.ndarray:
    """Return VPIN after each trade, advancing ``state`` (batch twin of ``vpin_trade_step``)."""
    require_finite_array(price)
    require_finite_array(size)
    out = np.empty(ts.size)
    view = borrowed(state)
    for t in range(ts.size):
        out[t] = vpin_trade_step(view, ts[t], price[t], size[t], side[t])
    return out


@njit(cache=True, error_model="numpy")
def vpin_trade_step_at(
    address: int, slots: int, ts: int, price: float, size: float, side: float
) -> float:
    """``vpin_trade_step`` on a borrowed state (address and size of a float64 array)."""
    return vpin_trade_step(borrow(address, slots), ts, price, size, side)


@njit(cache=True, error_model="numpy")
def vpin_bar_batch(
    state: np.ndarray,
    ts: np.ndarray,
    open_: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    taker_buy: np.ndarray,
) -> np.ndarray:
    """Return VPIN after each bar, advancing ``state`` (batch twin of ``vpin_bar_step``)."""
    for values in (open_, close, volume, taker_buy):
        require_finite_array(values)
    out = np.empty(ts.size)
    view = borrowed(state)
    for t in range(ts.size):
        out[t] = vpin_bar_step(view, ts[t], open_[t], close[t], volume[t], taker_buy[t])
    return out


@njit(cache=True, error_model="numpy")
def vpin_bar_step_at(
    address: int, slots: int, ts: int, open_: float, close: float, volume: float, taker: float
) -> float:
    """``vpin_bar_step`` on a borrowed state (address and size of a float64 array)."""
    return vpin_bar_step(borrow(address, slots), ts, open_, close, volume, taker)


# -------------------------------------------------------------------------------------------------
# Kyle's lambda: rolling OLS slope of price change on signed volume
# -------------------------------------------------------------------------------------------------

K_BAR_NS = 2  # bar length (0: one observation per trade)
K_PREV = 3  # price of the previous observation (NaN: none)
K_LAST_TS = 4  # two slots
K_STARTED = 6
K_O_X = 7
K_O_Y = 8
K_O_XY = 9
K_GROUP = 10
K_SLOTS = K_GROUP + GROUP_SLOTS


def kyle_state(window: int = 100, bar_ns: int = 0) -> np.ndarray:
    """
    Build the state of Kyle's lambda over the last ``window`` observations.

    Parameters
    ----------
    window : int
        Observations in the regression (>= 3).
    bar_ns : int
        0 for one observation per trade, else the bar length (ns) trades are aggregated into.

    Returns
    -------
    np.ndarray

    """
    require_window("window", window, 3)
    check_duration("bar_ns", bar_ns, 0)
    size = rolling_size(window)
    state = fresh_state(K_SLOTS + 3 * size)
    state[K_BAR_NS] = bar_ns
    state[K_PREV] = np.nan
    for k, slot in enumerate((K_O_X, K_O_Y, K_O_XY)):
        state[slot] = K_SLOTS + k * size
        rolling_init(state[K_SLOTS + k * size :], window)
    return state


@njit(cache=True, error_model="numpy", inline="always")
def _kyle_observe(state: np.ndarray, price: float, signed: float) -> None:
    previous = state[K_PREV]
    state[K_PREV] = price
    if previous != previous:
        return
    dp = price - previous
    xs = _buffer(state, K_O_X)
    ys = _buffer(state, K_O_Y)
    xys = _buffer(state, K_O_XY)
    rolling_push(xs, signed)
    rolling_push(ys, dp)
    rolling_push(xys, signed * dp)
    if not rolling_full(xs):
        return
    state[READY] = 1.0
    n = rolling_count(xs)
    var = rolling_var(xs, 1)
    if var > 0.0:
        cov = (rolling_sum(xys) - rolling_sum(xs) * rolling_sum(ys) / n) / (n - 1)
        state[VALUE] = cov / var
    else:
        state[VALUE] = np.nan  # no spread in signed volume: the slope is undefined


@njit(cache=True, error_model="numpy", inline="always")
def kyle_step(state: np.ndarray, ts: int, price: float, size: float, side: float) -> float:
    """
    Update Kyle's lambda with one trade; return the slope (NaN until ``window`` observations).

    Per trade, an observation is (signed size, price - previous trade price); per bar it is (the
    bar's net signed volume, bar close - previous bar close), taken when the next bar's first
    trade arrives.
    """
    sign = side_sign(side)
    advance_clock(state, K_STARTED, K_LAST_TS, ts)
    bar_ns = np.int64(state[K_BAR_NS])
    if bar_ns == 0:
        if size > 0.0:
            _kyle_observe(state, price, sign * size)
        return state[VALUE]
    key = ts // bar_ns
    if group_roll(state, K_GROUP, key):
        _kyle_observe(state, state[K_GROUP + G_OUT_LAST], state[K_GROUP + G_OUT_SIGNED])
    if size > 0.0:
        group_add(state, K_GROUP, key, price, size, sign * size)
    return state[VALUE]


@njit(cache=True, error_model="numpy")
def kyle_batch(
    state: np.ndarray, ts: np.ndarray, price: np.ndarray, size: np.ndarray, side: np.ndarray
) -> np.ndarray:
    """Return Kyle's lambda after each trade, advancing ``state`` (twin of ``kyle_step``)."""
    require_finite_array(price)
    require_finite_array(size)
    out = np.empty(ts.size)
    view = borrowed(state)
    for t in range(ts.size):
        out[t] = kyle_step(view, ts[t], price[t], size[t], side[t])
    return out


@njit(cache=True, error_model="numpy")
def kyle_step_at(
    address: int, slots: int, ts: int, price: float, size: float, side: float
) -> float:
    """``kyle_step`` on a borrowed state (address and size of a float64 array)."""
    return kyle_step(borrow(address, slots), ts, price, size, side)


# -------------------------------------------------------------------------------------------------
# Hawkes intensity with an exponential kernel
# -------------------------------------------------------------------------------------------------

H_MU = 2
H_ALPHA = 3
H_BETA = 4  # per second
H_SIDE = 5  # 0: every trade is an event, else only trades with this aggressor code
H_EXCITATION = 6  # sum of alpha * exp(-beta (t_last - t_i)) over past events
H_LAST_TS = 7  # two slots
H_STARTED = 9
H_SLOTS = 10


def hawkes_state(mu: float, alpha: float, beta: float, side: int = 0) -> np.ndarray:
    """
    Build the state of a Hawkes intensity (rates per second, ``beta`` in 1/s).

    Returns
    -------
    np.ndarray

    """
    check_positive("mu", mu)
    check_positive("beta", beta)
    if not (math.isfinite(alpha) and alpha >= 0):
        raise ValueError(f"alpha must be finite and >= 0, was {alpha!r}")
    if side not in (0, BUYER, SELLER):
        raise ValueError(f"side must be 0 (all trades), 1 (buyer) or 2 (seller), was {side!r}")
    state = fresh_state(H_SLOTS)
    state[H_MU] = mu
    state[H_ALPHA] = alpha
    state[H_BETA] = beta
    state[H_SIDE] = side
    return state


@njit(cache=True, error_model="numpy", inline="always")
def _hawkes_decayed(state: np.ndarray, ts: int) -> float:
    if state[H_STARTED] == 0.0:
        return 0.0
    dt = ts - get_ts(state, H_LAST_TS)
    if dt < 0:
        raise ValueError("timestamps must not decrease")
    if dt == 0:
        return state[H_EXCITATION]
    return state[H_EXCITATION] * math.exp(-state[H_BETA] * (dt * 1e-9))


@njit(cache=True, error_model="numpy", inline="always")
def hawkes_step(state: np.ndarray, ts: int, size: float, side: float) -> float:
    """
    Update the intensity with one trade; return λ just after it (the trade included).

    λ(t) = μ + Σ_{t_i <= t} α·exp(-β (t - t_i)); the sum decays by one factor per update.
    """
    side_sign(side)
    excitation = _hawkes_decayed(state, ts)
    state[H_STARTED] = 1.0  # _hawkes_decayed refused a decreasing ts
    set_ts(state, H_LAST_TS, ts)
    if size > 0.0 and (state[H_SIDE] == 0.0 or state[H_SIDE] == side):
        excitation += state[H_ALPHA]
    state[H_EXCITATION] = excitation
    state[VALUE] = state[H_MU] + excitation
    state[READY] = 1.0
    return state[VALUE]


@njit(cache=True, error_model="numpy", inline="always")
def hawkes_intensity_at(state: np.ndarray, ts: int) -> float:
    """Return λ(ts) at a time not before the last event, without recording an event."""
    return state[H_MU] + _hawkes_decayed(state, ts)


@njit(cache=True, error_model="numpy")
def hawkes_batch(
    state: np.ndarray, ts: np.ndarray, size: np.ndarray, side: np.ndarray
) -> np.ndarray:
    """Return the intensity after each trade, advancing ``state`` (twin of ``hawkes_step``)."""
    require_finite_array(size)
    out = np.empty(ts.size)
    view = borrowed(state)
    for t in range(ts.size):
        out[t] = hawkes_step(view, ts[t], size[t], side[t])
    return out


@njit(cache=True, error_model="numpy")
def hawkes_step_at(address: int, slots: int, ts: int, size: float, side: float) -> float:
    """``hawkes_step`` on a borrowed state (address and size of a float64 array)."""
    return hawkes_step(borrow(address, slots), ts, size, side)
