"""
Numba kernels of the trade-flow indicators: signed volume imbalance, Kyle's lambda, Hawkes.

VPIN's kernels are in ``indicators.kernels.vpin``, the event ring in ``kernels.windows``, the
side codes and the group accumulator in ``kernels.trades`` and the state conventions in
``kernels.state``; every public name that used to live here is re-exported, so
``from indicators.kernels.flow import X`` keeps working.

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

The batch twins and the ``*_step_at`` entries work on *borrowed* views of the state (no reference
counting per call; see ``kernels.state``). Windows of a variable number of events live in an
*event ring* (``kernels.windows``): a step whose ring is full returns ``GROW`` and is called again
once the ring has grown.

Errors (ValueError) are raised before a step changes its state, so a refused event leaves the
indicator as it was.
"""

import math

import numpy as np
from numba import njit

from indicators.kernels.layout import Layout
from indicators.kernels.rolling import ranked_init as ranked_init
from indicators.kernels.rolling import ranked_push as ranked_push
from indicators.kernels.rolling import ranked_quantile as ranked_quantile
from indicators.kernels.rolling import ranked_size as ranked_size
from indicators.kernels.rolling import require_finite_array
from indicators.kernels.rolling import rolling_count
from indicators.kernels.rolling import rolling_full
from indicators.kernels.rolling import rolling_init
from indicators.kernels.rolling import rolling_mean as rolling_mean
from indicators.kernels.rolling import rolling_push
from indicators.kernels.rolling import rolling_size
from indicators.kernels.rolling import rolling_std as rolling_std
from indicators.kernels.rolling import rolling_sum
from indicators.kernels.rolling import rolling_var
from indicators.kernels.rolling import rolling_view as rolling_view
from indicators.kernels.rolling import rolling_view_slot
from indicators.kernels.rolling import rolling_window as rolling_window
from indicators.kernels.state import COMMON_HEADER as COMMON_HEADER
from indicators.kernels.state import READY
from indicators.kernels.state import TS_SLOTS as TS_SLOTS
from indicators.kernels.state import VALUE
from indicators.kernels.state import advance_clock
from indicators.kernels.state import borrow
from indicators.kernels.state import borrowed
from indicators.kernels.state import fresh_state
from indicators.kernels.state import get_ts
from indicators.kernels.state import keep_alive
from indicators.kernels.state import set_ts
from indicators.kernels.trades import BUYER
from indicators.kernels.trades import G_KEY as G_KEY
from indicators.kernels.trades import G_LAST as G_LAST
from indicators.kernels.trades import G_OPEN as G_OPEN
from indicators.kernels.trades import G_OUT_LAST
from indicators.kernels.trades import G_OUT_SIGNED
from indicators.kernels.trades import G_OUT_VOLUME as G_OUT_VOLUME
from indicators.kernels.trades import G_SIGNED as G_SIGNED
from indicators.kernels.trades import G_TRADES as G_TRADES
from indicators.kernels.trades import G_VOLUME as G_VOLUME
from indicators.kernels.trades import GROUP_SLOTS
from indicators.kernels.trades import SELLER
from indicators.kernels.trades import group_add
from indicators.kernels.trades import group_close as group_close
from indicators.kernels.trades import group_roll
from indicators.kernels.trades import side_sign
from indicators.kernels.vpin import AGGRESSOR as AGGRESSOR
from indicators.kernels.vpin import BAR_SIGN as BAR_SIGN
from indicators.kernels.vpin import BAR_TAKER as BAR_TAKER
from indicators.kernels.vpin import BUCKET_BUY as BUCKET_BUY
from indicators.kernels.vpin import BUCKET_EDGE as BUCKET_EDGE
from indicators.kernels.vpin import BUCKET_EVENT as BUCKET_EVENT
from indicators.kernels.vpin import BUCKET_VOLUME as BUCKET_VOLUME
from indicators.kernels.vpin import BVC as BVC
from indicators.kernels.vpin import CLASSIFIERS as CLASSIFIERS
from indicators.kernels.vpin import V_BUCKETS as V_BUCKETS
from indicators.kernels.vpin import V_CLASSIFIER as V_CLASSIFIER
from indicators.kernels.vpin import V_DONE as V_DONE
from indicators.kernels.vpin import V_FILL as V_FILL
from indicators.kernels.vpin import V_FILL_BUY as V_FILL_BUY
from indicators.kernels.vpin import V_FIRST_BUY as V_FIRST_BUY
from indicators.kernels.vpin import V_FIRST_SIZE as V_FIRST_SIZE
from indicators.kernels.vpin import V_FRACTION as V_FRACTION
from indicators.kernels.vpin import V_GROUP as V_GROUP
from indicators.kernels.vpin import V_GROUP_NS as V_GROUP_NS
from indicators.kernels.vpin import V_GROUP_TRADES as V_GROUP_TRADES
from indicators.kernels.vpin import V_LAST_BUY as V_LAST_BUY
from indicators.kernels.vpin import V_LAST_IMB as V_LAST_IMB
from indicators.kernels.vpin import V_LAST_SIZE as V_LAST_SIZE
from indicators.kernels.vpin import V_LAST_TS as V_LAST_TS
from indicators.kernels.vpin import V_MIN_PERIODS as V_MIN_PERIODS
from indicators.kernels.vpin import V_NEXT as V_NEXT
from indicators.kernels.vpin import V_O_IMB as V_O_IMB
from indicators.kernels.vpin import V_O_PERIOD as V_O_PERIOD
from indicators.kernels.vpin import V_O_SIGMA as V_O_SIGMA
from indicators.kernels.vpin import V_O_VOL as V_O_VOL
from indicators.kernels.vpin import V_PERIOD_KEY as V_PERIOD_KEY
from indicators.kernels.vpin import V_PERIOD_NS as V_PERIOD_NS
from indicators.kernels.vpin import V_PERIOD_OPEN as V_PERIOD_OPEN
from indicators.kernels.vpin import V_PERIOD_VOL as V_PERIOD_VOL
from indicators.kernels.vpin import V_PREV_CLOSE as V_PREV_CLOSE
from indicators.kernels.vpin import V_QUOTE as V_QUOTE
from indicators.kernels.vpin import V_SIGMA as V_SIGMA
from indicators.kernels.vpin import V_SIZE as V_SIZE
from indicators.kernels.vpin import V_SLOTS as V_SLOTS
from indicators.kernels.vpin import V_STARTED as V_STARTED
from indicators.kernels.vpin import V_STAT_MEAN as V_STAT_MEAN
from indicators.kernels.vpin import V_WINDOW as V_WINDOW
from indicators.kernels.vpin import bvc_buy_fraction as bvc_buy_fraction
from indicators.kernels.vpin import normal_cdf as normal_cdf
from indicators.kernels.vpin import vpin_bar_batch as vpin_bar_batch
from indicators.kernels.vpin import vpin_bar_bucket_batch as vpin_bar_bucket_batch
from indicators.kernels.vpin import vpin_bar_step as vpin_bar_step
from indicators.kernels.vpin import vpin_bar_step_at as vpin_bar_step_at
from indicators.kernels.vpin import vpin_fill as vpin_fill
from indicators.kernels.vpin import vpin_state as vpin_state
from indicators.kernels.vpin import vpin_trade_batch as vpin_trade_batch
from indicators.kernels.vpin import vpin_trade_bucket_batch as vpin_trade_bucket_batch
from indicators.kernels.vpin import vpin_trade_step as vpin_trade_step
from indicators.kernels.vpin import vpin_trade_step_at as vpin_trade_step_at
from indicators.kernels.windows import E_CAP as E_CAP
from indicators.kernels.windows import E_COLS as E_COLS
from indicators.kernels.windows import E_COUNT as E_COUNT
from indicators.kernels.windows import E_HEAD as E_HEAD
from indicators.kernels.windows import E_POPS as E_POPS
from indicators.kernels.windows import E_SUMS as E_SUMS
from indicators.kernels.windows import EVENT_RING_INITIAL
from indicators.kernels.windows import GROW
from indicators.kernels.windows import event_count
from indicators.kernels.windows import event_evict_through
from indicators.kernels.windows import event_full
from indicators.kernels.windows import event_oldest
from indicators.kernels.windows import event_oldest_ts as event_oldest_ts
from indicators.kernels.windows import event_pop
from indicators.kernels.windows import event_push
from indicators.kernels.windows import event_ring_grow
from indicators.kernels.windows import event_ring_header_size
from indicators.kernels.windows import event_ring_init
from indicators.kernels.windows import event_ring_new as event_ring_new
from indicators.kernels.windows import event_sum
from indicators.validation import check_duration
from indicators.validation import check_positive
from indicators.validation import require_window

# -------------------------------------------------------------------------------------------------
# Signed volume imbalance over a time window or a volume window
# -------------------------------------------------------------------------------------------------

_svi = Layout(COMMON_HEADER)
SVI_VOLUME_MODE = _svi.slot()  # 0: time window, 1: volume window
SVI_WINDOW = _svi.slot()  # volume window (volume mode)
SVI_WINDOW_NS = _svi.slot()  # window length (time mode)
SVI_FIRST_TS = _svi.slot(TS_SLOTS)
SVI_LAST_TS = _svi.slot(TS_SLOTS)
SVI_STARTED = _svi.slot()
SVI_CUM = _svi.slot()  # volume seen since start (volume-mode warm-up)
SVI_RING = _svi.slot(event_ring_header_size(2))  # event ring header; columns: signed volume, volume
SVI_SLOTS = _svi.size


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
) -> tuple[np.ndarray, np.ndarray]:
    """
    Return the imbalance after each trade and the ring, advancing ``state`` (twin of ``svi_step``).

    The ring comes back because it may have grown (see ``kernels.book.ofi_batch``).
    """
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
    return out, ring


@njit(cache=True, error_model="numpy")
def svi_step_at(
    address: int, slots: int, ring_address: int, ring_slots: int, ts: int, size: float, side: float
) -> float:
    """``svi_step`` on borrowed state and ring (addresses and sizes of float64 arrays)."""
    return svi_step(borrow(address, slots), borrow(ring_address, ring_slots), ts, size, side)


# -------------------------------------------------------------------------------------------------
# Kyle's lambda: rolling OLS slope of price change on signed volume
# -------------------------------------------------------------------------------------------------

_kyle = Layout(COMMON_HEADER)
K_BAR_NS = _kyle.slot()  # bar length (0: one observation per trade)
K_PREV = _kyle.slot()  # price of the previous observation (NaN: none)
K_LAST_TS = _kyle.slot(TS_SLOTS)
K_STARTED = _kyle.slot()
K_O_X = _kyle.slot()  # offsets of the rolling buffers of x, y and x*y (they follow K_SLOTS)
K_O_Y = _kyle.slot()
K_O_XY = _kyle.slot()
K_GROUP = _kyle.slot(GROUP_SLOTS)  # per-bar observations: the group accumulator
K_SLOTS = _kyle.size


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
    xs = rolling_view_slot(state, K_O_X)
    ys = rolling_view_slot(state, K_O_Y)
    xys = rolling_view_slot(state, K_O_XY)
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

_hawkes = Layout(COMMON_HEADER)
H_MU = _hawkes.slot()
H_ALPHA = _hawkes.slot()
H_BETA = _hawkes.slot()  # per second
H_SIDE = _hawkes.slot()  # 0: every trade is an event, else only trades with this aggressor code
H_EXCITATION = _hawkes.slot()  # sum of alpha * exp(-beta (t_last - t_i)) over past events
H_LAST_TS = _hawkes.slot(TS_SLOTS)
H_STARTED = _hawkes.slot()
H_SLOTS = _hawkes.size


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
