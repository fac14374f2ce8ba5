"""
Volatility kernels over bars: per-bar variance terms, their rolling estimators, and batch twins.

Each estimator has a ``*_new(...)`` allocating its float64 state, a ``*_step(state, ...)``
updating it with one bar and returning the new value (NaN until warmed up), a ``*_batch``
twin looping the same step over arrays, and a ``*_step_at(address, slots, ...)`` entry running
the step on a borrowed state for the incremental indicator (see ``kernels.state``). Windowed state packs its rolling buffers (see
``kernels.rolling``) after a small header, so every step takes exactly one array.

Input contract, enforced inside the steps so both paths refuse the same bars with ValueError (and
leave the state as it was): prices positive and finite, ``low <= open, close <= high``. Bars must
arrive in time order.
Log returns are close-to-close, ``r_t = ln(C_t / C_{t-1})``; the first bar has none.
Compile options follow ``kernels.rolling``: ``error_model="numpy"`` everywhere (divisions are
guarded), ``inline="always"`` on helpers and steps so each batch loop compiles to one function.
"""

import math

import numpy as np
from numba import njit

from indicators.kernels.layout import Layout
from indicators.kernels.rolling import rolling_full
from indicators.kernels.rolling import rolling_init
from indicators.kernels.rolling import rolling_mean
from indicators.kernels.rolling import rolling_new
from indicators.kernels.rolling import rolling_push
from indicators.kernels.rolling import rolling_size
from indicators.kernels.rolling import rolling_sum
from indicators.kernels.rolling import rolling_var
from indicators.kernels.rolling import rolling_view
from indicators.kernels.rolling import rolling_window
from indicators.kernels.state import borrow

LN2 = math.log(2.0)

# Codes of the one-bar variance terms volatility compression can average.
EST_CLOSE = 0
EST_PARKINSON = 1
EST_GARMAN_KLASS = 2
EST_ROGERS_SATCHELL = 3
ESTIMATORS = {
    "close": EST_CLOSE,
    "parkinson": EST_PARKINSON,
    "garman_klass": EST_GARMAN_KLASS,
    "rogers_satchell": EST_ROGERS_SATCHELL,
}


# --- input checks -------------------------------------------------------------------------------
# Steps test their input first, leave the state untouched when it is invalid (a NaN term or
# return is skipped by the rolling pushes), and raise only after their last use of the state
# array: a raise *before* that use splits the array's lifetime and costs ~9 ns of atomic
# reference counting per event in the batch loops (see kernels.rolling on inlined kernels).


@njit(cache=True, error_model="numpy", inline="always")
def is_positive(x: float) -> bool:
    """Return whether ``0 < x < inf`` (prices, open interest, ratios)."""
    return 0.0 < x < np.inf


@njit(cache=True, error_model="numpy", inline="always")
def is_range(high: float, low: float) -> bool:
    """Return whether ``0 < low <= high < inf``."""
    return 0.0 < low <= high < np.inf


@njit(cache=True, error_model="numpy", inline="always")
def is_bar(open_: float, high: float, low: float, close: float) -> bool:
    """Return whether ``0 < low <= open, close <= high < inf``."""
    return is_range(high, low) and low <= open_ <= high and low <= close <= high


@njit(cache=True, error_model="numpy", inline="always")
def refuse_bar(ok: bool) -> None:
    """Raise ValueError unless ``ok`` (the result of ``is_bar``)."""
    if not ok:
        raise ValueError("bar must satisfy 0 < low <= open, close <= high < inf")


@njit(cache=True, error_model="numpy", inline="always")
def refuse_positive(ok: bool) -> None:
    """Raise ValueError unless ``ok`` (the result of ``is_positive``)."""
    if not ok:
        raise ValueError("input must be positive and finite")


# --- per-bar terms ------------------------------------------------------------------------------


@njit(cache=True, error_model="numpy", inline="always")
def log_return(state: np.ndarray, slot: int, close: float, ok: bool) -> float:
    """
    Return ``ln(close / previous close)`` kept at ``state[slot]``; store ``close``.

    NaN the first time, and when ``ok`` is false (invalid input: the stored close is kept).
    """
    prev = state[slot]
    state[slot] = close if ok else prev
    return math.log(close / prev) if (ok and prev > 0.0) else np.nan


@njit(cache=True, error_model="numpy", inline="always")
def parkinson_term(high: float, low: float) -> float:
    """Return Parkinson's one-bar variance ``(ln H/L)^2 / (4 ln 2)``."""
    u = math.log(high / low)
    return u * u / (4.0 * LN2)


@njit(cache=True, error_model="numpy", inline="always")
def garman_klass_term(open_: float, high: float, low: float, close: float) -> float:
    """Return Garman–Klass's one-bar variance ``0.5 (ln H/L)^2 - (2 ln 2 - 1)(ln C/O)^2``."""
    u = math.log(high / low)
    c = math.log(close / open_)
    return 0.5 * u * u - (2.0 * LN2 - 1.0) * c * c


@njit(cache=True, error_model="numpy", inline="always")
def rogers_satchell_term(open_: float, high: float, low: float, close: float) -> float:
    """Return Rogers–Satchell's one-bar variance ``ln(H/C) ln(H/O) + ln(L/C) ln(L/O)``."""
    # The same sum as u(u - c) + d(d - c) with u, d, c the logs of H, L, C over O: three logs, not four.
    u = math.log(high / open_)
    d = math.log(low / open_)
    c = math.log(close / open_)
    return u * (u - c) + d * (d - c)


@njit(cache=True, error_model="numpy", inline="always")
def _mean_when_full(buf: np.ndarray, term: float) -> float:
    # A NaN term (no return yet on the first bar) is skipped. Reads come before the branch (see
    # kernels.rolling on inlined kernels), and the clamp removes rounding residue: terms are >= 0.
    if term == term:
        rolling_push(buf, term)
    full = rolling_full(buf)
    mean = rolling_mean(buf)
    return max(mean, 0.0) if full else np.nan


@njit(cache=True, error_model="numpy", inline="always")
def range_variance_new(window: int) -> np.ndarray:
    """Return a fresh state for Parkinson, Garman–Klass or Rogers–Satchell over ``window`` bars."""
    return rolling_new(window)


@njit(cache=True, error_model="numpy", inline="always")
def range_term(estimator: int, open_: float, high: float, low: float, close: float) -> float:
    """Return the one-bar term of a range ``estimator`` (``EST_PARKINSON`` reads high and low only)."""
    if estimator == EST_PARKINSON:
        return parkinson_term(high, low)
    if estimator == EST_GARMAN_KLASS:
        return garman_klass_term(open_, high, low, close)
    return rogers_satchell_term(open_, high, low, close)


@njit(cache=True, error_model="numpy", inline="always")
def range_variance_step(
    state: np.ndarray, estimator: int, open_: float, high: float, low: float, close: float
) -> float:
    """Add one bar; return the mean one-bar term of ``estimator`` over the window (NaN until full)."""
    ok = is_bar(open_, high, low, close)
    value = _mean_when_full(state, range_term(estimator, open_, high, low, close) if ok else np.nan)
    refuse_bar(ok)
    return value


@njit(cache=True, error_model="numpy", inline="always")
def parkinson_step(state: np.ndarray, high: float, low: float) -> float:
    """Add one bar; return the mean Parkinson variance over the window (NaN until full)."""
    return range_variance_step(state, EST_PARKINSON, high, high, low, low)


@njit(cache=True, error_model="numpy", inline="always")
def garman_klass_step(
    state: np.ndarray, open_: float, high: float, low: float, close: float
) -> float:
    """Add one bar; return the mean Garman–Klass variance over the window (NaN until full)."""
    return range_variance_step(state, EST_GARMAN_KLASS, open_, high, low, close)


@njit(cache=True, error_model="numpy", inline="always")
def rogers_satchell_step(
    state: np.ndarray, open_: float, high: float, low: float, close: float
) -> float:
    """Add one bar; return the mean Rogers–Satchell variance over the window (NaN until full)."""
    return range_variance_step(state, EST_ROGERS_SATCHELL, open_, high, low, close)


@njit(cache=True, error_model="numpy")
def _range_batch(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    window: int,
    estimator: int,
) -> np.ndarray:
    # One loop for the three range estimators: their steps are range_variance_step with a code.
    state = range_variance_new(window)
    out = np.empty(high.size)
    for t in range(high.size):
        out[t] = range_variance_step(state, estimator, open_[t], high[t], low[t], close[t])
    return out


@njit(cache=True, error_model="numpy")
def parkinson_batch(high: np.ndarray, low: np.ndarray, window: int) -> np.ndarray:
    """Return the ``parkinson_step`` series over arrays of bars."""
    return _range_batch(high, high, low, low, window, EST_PARKINSON)


@njit(cache=True, error_model="numpy")
def garman_klass_batch(
    open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray, window: int
) -> np.ndarray:
    """Return the ``garman_klass_step`` series over arrays of bars."""
    return _range_batch(open_, high, low, close, window, EST_GARMAN_KLASS)


@njit(cache=True, error_model="numpy")
def rogers_satchell_batch(
    open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray, window: int
) -> np.ndarray:
    """Return the ``rogers_satchell_step`` series over arrays of bars."""
    return _range_batch(open_, high, low, close, window, EST_ROGERS_SATCHELL)


@njit(cache=True, error_model="numpy")
def parkinson_step_at(address: int, slots: int, high: float, low: float) -> float:
    """``parkinson_step`` on a borrowed state (address and size of a float64 array)."""
    return parkinson_step(borrow(address, slots), high, low)


@njit(cache=True, error_model="numpy")
def garman_klass_step_at(
    address: int, slots: int, open_: float, high: float, low: float, close: float
) -> float:
    """``garman_klass_step`` on a borrowed state (address and size of a float64 array)."""
    return garman_klass_step(borrow(address, slots), open_, high, low, close)


@njit(cache=True, error_model="numpy")
def rogers_satchell_step_at(
    address: int, slots: int, open_: float, high: float, low: float, close: float
) -> float:
    """``rogers_satchell_step`` on a borrowed state (address and size of a float64 array)."""
    return rogers_satchell_step(borrow(address, slots), open_, high, low, close)


# --- Yang–Zhang over sessions -------------------------------------------------------------------

_yz = Layout()
YZ_SID = _yz.slot()  # session id of the last bar seen
YZ_OPEN_SESSION = _yz.slot()  # 1 while that session is still accumulating bars
YZ_O = _yz.slot()  # the open session's open, high, low and close
YZ_H = _yz.slot()
YZ_L = _yz.slot()
YZ_C = _yz.slot()
YZ_PREV_CLOSE = _yz.slot()  # close of the last completed session (0: none yet)
YZ_K = _yz.slot()
YZ_VALUE = _yz.slot()
YZ_SESSION_NS = _yz.slot()
YZ_OFFSET_NS = _yz.slot()
YZ_HEADER = _yz.size  # then three rolling buffers: overnight, open-to-close, Rogers-Satchell
YZ_NO_SESSION = -(2.0**52)  # below any session id, and exact as an int


@njit(cache=True, error_model="numpy", inline="always")
def yang_zhang_k(n: int) -> float:
    """Return Yang–Zhang's weight ``k = 0.34 / (1.34 + (n + 1) / (n - 1))`` for ``n`` sessions."""
    return 0.34 / (1.34 + (n + 1.0) / (n - 1.0))


@njit(cache=True, error_model="numpy", inline="always")
def yang_zhang_new(window: int, session_ns: int, offset_ns: int) -> np.ndarray:
    """Return a fresh Yang–Zhang state over ``window`` (>= 2) sessions of ``session_ns``."""
    if window < 2 or session_ns < 1:
        raise ValueError("Yang-Zhang needs window >= 2 sessions and session_ns >= 1")
    size = rolling_size(window)
    state = np.zeros(YZ_HEADER + 3 * size)
    state[YZ_SID] = YZ_NO_SESSION
    state[YZ_K] = yang_zhang_k(window)
    state[YZ_VALUE] = np.nan
    state[YZ_SESSION_NS] = session_ns
    state[YZ_OFFSET_NS] = offset_ns
    for i in range(3):
        rolling_init(state[YZ_HEADER + i * size :], window)
    return state


# Not inlined: it runs once per session, and as a call it keeps its branches out of the per-bar loop.
@njit(cache=True, error_model="numpy")
def _yang_zhang_close_session(state: np.ndarray) -> None:
    o = state[YZ_O]
    c = state[YZ_C]
    prev = state[YZ_PREV_CLOSE]
    state[YZ_PREV_CLOSE] = c
    state[YZ_OPEN_SESSION] = 0.0
    # The first completed session has no previous close, hence no overnight return: it only
    # seeds the next one (which also keeps a partial first session out of the estimate).
    if prev == 0.0:
        return
    overnight = rolling_view(state, YZ_HEADER)
    open_close = rolling_view(state, YZ_HEADER + overnight.size)
    rs = rolling_view(state, YZ_HEADER + 2 * overnight.size)
    rolling_push(overnight, math.log(o / prev))
    rolling_push(open_close, math.log(c / o))
    rolling_push(rs, rogers_satchell_term(o, state[YZ_H], state[YZ_L], c))
    if rolling_full(rs):
        k = state[YZ_K]
        state[YZ_VALUE] = (
            rolling_var(overnight, 1)
            + k * rolling_var(open_close, 1)
            + (1.0 - k) * max(rolling_mean(rs), 0.0)
        )


@njit(cache=True, error_model="numpy", inline="always")
def yang_zhang_step(
    state: np.ndarray, ts_ns: int, open_: float, high: float, low: float, close: float
) -> float:
    """
    Add one bar closing at ``ts_ns``; return the latest Yang–Zhang variance per session.

    A bar belongs to session ``(ts_ns - 1 - offset) // session_ns``. The session's last bar
    completes it at once: the bar stamped at its close exactly on the boundary ``B``, or stamped
    at its last nanosecond ``B - 1`` (the ETL's klines: open + 60 s - 1 ns). Otherwise (a missing
    last bar) a session completes when the first bar of a later one arrives. NaN until
    ``window`` sessions after the first have completed.
    """
    ok = is_bar(open_, high, low, close)
    session = int(state[YZ_SESSION_NS])
    since = ts_ns - 1 - int(state[YZ_OFFSET_NS])
    last = state[YZ_SID]
    # A 64-bit division costs ~15 ns: divide only when the bar leaves the last bar's session.
    known = last > YZ_NO_SESSION
    start = int(last) * session if known else 0
    quotient = int(last) if (known and start <= since < start + session) else since // session
    sid = float(quotient)
    # since = B - 1 - offset for a bar stamped on the boundary, B - 2 - offset for one stamped at
    # its last nanosecond: both are the session's last bar.
    ends_session = since - quotient * session >= session - 2
    is_open = state[YZ_OPEN_SESSION] == 1.0
    in_order = sid > last or (sid == last and is_open)
    if ok and in_order:
        if sid != last and is_open:
            _yang_zhang_close_session(state)
        if state[YZ_OPEN_SESSION] == 0.0:
            state[YZ_OPEN_SESSION] = 1.0
            state[YZ_SID] = sid
            state[YZ_O] = open_
            state[YZ_H] = high
            state[YZ_L] = low
        else:
            state[YZ_H] = max(state[YZ_H], high)
            state[YZ_L] = min(state[YZ_L], low)
        state[YZ_C] = close
        if ends_session:
            _yang_zhang_close_session(state)
    value = state[YZ_VALUE]
    refuse_bar(ok)
    if not in_order:
        raise ValueError("Yang-Zhang: bar is older than its session's close (out of time order)")
    return value


@njit(cache=True, error_model="numpy")
def yang_zhang_batch(
    ts_ns: np.ndarray,
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    window: int,
    session_ns: int,
    offset_ns: int,
) -> np.ndarray:
    """Return the ``yang_zhang_step`` series over arrays of bars (``ts_ns``: bar close times)."""
    state = yang_zhang_new(window, session_ns, offset_ns)
    out = np.empty(high.size)
    for t in range(high.size):
        out[t] = yang_zhang_step(state, ts_ns[t], open_[t], high[t], low[t], close[t])
    return out


@njit(cache=True, error_model="numpy")
def yang_zhang_step_at(
    address: int, slots: int, ts_ns: int, open_: float, high: float, low: float, close: float
) -> float:
    """``yang_zhang_step`` on a borrowed state (address and size of a float64 array)."""
    return yang_zhang_step(borrow(address, slots), ts_ns, open_, high, low, close)


# --- realized variance and downside semivariance over H bars ------------------------------------

_rv = Layout()
RV_PREV_CLOSE = _rv.slot()
RV_HEADER = _rv.size  # then the rolling buffer of squared returns


@njit(cache=True, error_model="numpy", inline="always")
def realized_variance_push(buf: np.ndarray, r: float, downside: bool) -> float:
    """
    Push one return into a rolling buffer; return ``sum r^2`` over the window (NaN until full).

    With ``downside`` only negative returns count (``r^2 1{r < 0}``): the downside semivariance.
    A NaN return (the first bar has none) is skipped.
    """
    if r == r:
        rolling_push(buf, r * r if (r < 0.0 or not downside) else 0.0)
    full = rolling_full(buf)
    total = rolling_sum(buf)
    return max(total, 0.0) if full else np.nan


@njit(cache=True, error_model="numpy", inline="always")
def realized_variance_new(window: int) -> np.ndarray:
    """Return a fresh state for realized variance (or downside semivariance) over ``window`` bars."""
    state = np.zeros(RV_HEADER + rolling_size(window))
    rolling_init(state[RV_HEADER:], window)
    return state


@njit(cache=True, error_model="numpy", inline="always")
def _sum_of_squares_step(state: np.ndarray, close: float, downside: bool) -> float:
    ok = is_positive(close)
    r = log_return(state, RV_PREV_CLOSE, close, ok)
    value = realized_variance_push(state[RV_HEADER:], r, downside)
    refuse_positive(ok)
    return value


@njit(cache=True, error_model="numpy", inline="always")
def realized_variance_step(state: np.ndarray, close: float) -> float:
    """Add one close; return the realized variance ``sum r^2`` over the last ``window`` returns."""
    return _sum_of_squares_step(state, close, False)


@njit(cache=True, error_model="numpy", inline="always")
def downside_semivariance_step(state: np.ndarray, close: float) -> float:
    """Add one close; return ``sum r^2 1{r < 0}`` over the last ``window`` returns."""
    return _sum_of_squares_step(state, close, True)


@njit(cache=True, error_model="numpy")
def realized_variance_batch(close: np.ndarray, window: int) -> np.ndarray:
    """Return the ``realized_variance_step`` series over closes."""
    return _close_batch(close, realized_variance_new(window), _CLOSE_RV)


@njit(cache=True, error_model="numpy")
def downside_semivariance_batch(close: np.ndarray, window: int) -> np.ndarray:
    """Return the ``downside_semivariance_step`` series over closes."""
    return _close_batch(close, realized_variance_new(window), _CLOSE_DOWNSIDE)


@njit(cache=True, error_model="numpy")
def realized_variance_step_at(address: int, slots: int, close: float) -> float:
    """``realized_variance_step`` on a borrowed state (address and size of a float64 array)."""
    return realized_variance_step(borrow(address, slots), close)


@njit(cache=True, error_model="numpy")
def downside_semivariance_step_at(address: int, slots: int, close: float) -> float:
    """``downside_semivariance_step`` on a borrowed state (address and size of a float64 array)."""
    return downside_semivariance_step(borrow(address, slots), close)


# --- bipower variation over H bars (Barndorff-Nielsen and Shephard 2004) ------------------------

_bv = Layout()
BV_PREV_CLOSE = _bv.slot()
BV_PREV_ABS = _bv.slot()  # |r| of the latest return (NaN before the first)
BV_HEADER = _bv.size  # then the rolling buffer of the window's H - 1 adjacent products


@njit(cache=True, error_model="numpy", inline="always")
def bipower_variation_new(window: int) -> np.ndarray:
    """Return a fresh bipower-variation state over ``window`` (>= 2) returns."""
    if window < 2:
        raise ValueError("bipower variation needs window >= 2 returns")
    state = np.zeros(BV_HEADER + rolling_size(window - 1))
    state[BV_PREV_ABS] = np.nan
    rolling_init(state[BV_HEADER:], window - 1)
    return state


@njit(cache=True, error_model="numpy", inline="always")
def bipower_variation_step(state: np.ndarray, close: float) -> float:
    """
    Add one close; return ``(pi/2) sum |r_i| |r_{i-1}|`` over the last ``window`` returns.

    The ``window - 1`` products of adjacent absolute returns inside the window; NaN until the
    window holds ``window`` returns (``window + 1`` closes), as ``realized_variance_step``.
    """
    ok = is_positive(close)
    r = log_return(state, BV_PREV_CLOSE, close, ok)
    size = abs(r)
    previous = state[BV_PREV_ABS]
    state[BV_PREV_ABS] = size if r == r else previous
    product = size * previous  # NaN without two returns (or when this close was refused)
    buf = state[BV_HEADER:]
    if product == product:
        rolling_push(buf, product)
    full = rolling_full(buf)
    total = rolling_sum(buf)
    refuse_positive(ok)
    return 0.5 * math.pi * max(total, 0.0) if full else np.nan


@njit(cache=True, error_model="numpy")
def bipower_variation_batch(close: np.ndarray, window: int) -> np.ndarray:
    """Return the ``bipower_variation_step`` series over closes."""
    state = bipower_variation_new(window)
    out = np.empty(close.size)
    for t in range(close.size):
        out[t] = bipower_variation_step(state, close[t])
    return out


@njit(cache=True, error_model="numpy")
def bipower_variation_step_at(address: int, slots: int, close: float) -> float:
    """``bipower_variation_step`` on a borrowed state (address and size of a float64 array)."""
    return bipower_variation_step(borrow(address, slots), close)


# --- EWMA variance with a half-life -------------------------------------------------------------

_ew = Layout()
EW_PREV_CLOSE = _ew.slot()
EW_VAR = _ew.slot()
EW_COUNT = _ew.slot()
EW_LAMBDA = _ew.slot()
EW_MIN_PERIODS = _ew.slot()
EW_SIZE = _ew.size


@njit(cache=True, error_model="numpy", inline="always")
def ewma_variance_new(half_life: float, min_periods: int) -> np.ndarray:
    """Return a fresh EWMA-variance state: decay ``lambda = 2^(-1 / half_life)`` per return."""
    if not half_life > 0.0 or min_periods < 1:
        raise ValueError("EWMA variance needs half_life > 0 and min_periods >= 1")
    state = np.zeros(EW_SIZE)
    state[EW_LAMBDA] = 0.5 ** (1.0 / half_life)
    state[EW_MIN_PERIODS] = min_periods
    return state


@njit(cache=True, error_model="numpy", inline="always")
def ewma_variance_step(state: np.ndarray, close: float) -> float:
    """Add one close; return ``s_t = lambda s_{t-1} + (1 - lambda) r_t^2`` (``s_1 = r_1^2``)."""
    ok = is_positive(close)
    r = log_return(state, EW_PREV_CLOSE, close, ok)
    lam = state[EW_LAMBDA]
    var = state[EW_VAR]
    n = state[EW_COUNT]
    if r == r:
        n += 1.0
        var = r * r if n == 1.0 else lam * var + (1.0 - lam) * r * r
    state[EW_VAR] = var
    state[EW_COUNT] = n
    value = var if n >= state[EW_MIN_PERIODS] else np.nan
    refuse_positive(ok)
    return value


@njit(cache=True, error_model="numpy")
def ewma_variance_batch(close: np.ndarray, half_life: float, min_periods: int) -> np.ndarray:
    """Return the ``ewma_variance_step`` series over closes."""
    return _close_batch(close, ewma_variance_new(half_life, min_periods), _CLOSE_EWMA)


@njit(cache=True, error_model="numpy")
def ewma_variance_step_at(address: int, slots: int, close: float) -> float:
    """``ewma_variance_step`` on a borrowed state (address and size of a float64 array)."""
    return ewma_variance_step(borrow(address, slots), close)


# --- HAR-style composite over three horizons ----------------------------------------------------

_har = Layout()
HAR_PREV_CLOSE = _har.slot()
HAR_INTERCEPT = _har.slot()
HAR_WEIGHT = _har.slot(3)  # one weight per horizon
HAR_COMPONENT = _har.slot(3)  # mean r^2 per bar over each horizon
HAR_HEADER = _har.size  # then one rolling buffer per horizon


@njit(cache=True, error_model="numpy", inline="always")
def har_new(horizons: np.ndarray, weights: np.ndarray, intercept: float) -> np.ndarray:
    """Return a fresh HAR state for three ``horizons`` (bars) with their ``weights``."""
    size = 0
    for h in horizons:
        if h < 1:
            raise ValueError("HAR horizons must be >= 1 bar")
        size += rolling_size(int(h))
    state = np.zeros(HAR_HEADER + size)
    state[HAR_INTERCEPT] = intercept
    state[HAR_COMPONENT : HAR_COMPONENT + 3] = np.nan
    offset = HAR_HEADER
    for i in range(3):
        state[HAR_WEIGHT + i] = weights[i]
        rolling_init(state[offset:], int(horizons[i]))
        offset += rolling_size(int(horizons[i]))
    return state


@njit(cache=True, error_model="numpy", inline="always")
def har_step(state: np.ndarray, close: float) -> float:
    """
    Add one close; return ``b0 + sum_i w_i RV_i / h_i`` (NaN until the longest horizon is full).

    ``RV_i`` is the realized variance over the last ``h_i`` returns, so each component is a
    per-bar variance and the composite forecasts the next bar's variance (Corsi 2009).
    """
    ok = is_positive(close)
    r = log_return(state, HAR_PREV_CLOSE, close, ok)
    total = state[HAR_INTERCEPT]
    offset = HAR_HEADER
    for i in range(3):
        buf = rolling_view(state, offset)
        offset += buf.size
        component = realized_variance_push(buf, r, False) / rolling_window(buf)
        state[HAR_COMPONENT + i] = component
        total += state[HAR_WEIGHT + i] * component
    refuse_positive(ok)
    return total


@njit(cache=True, error_model="numpy")
def har_batch(
    close: np.ndarray, horizons: np.ndarray, weights: np.ndarray, intercept: float
) -> np.ndarray:
    """Return the ``har_step`` series over closes."""
    return _close_batch(close, har_new(horizons, weights, intercept), _CLOSE_HAR)


@njit(cache=True, error_model="numpy")
def har_step_at(address: int, slots: int, close: float) -> float:
    """``har_step`` on a borrowed state (address and size of a float64 array)."""
    return har_step(borrow(address, slots), close)


# --- one batch loop for the close-to-close estimators ---------------------------------------------

_CLOSE_RV = 0
_CLOSE_DOWNSIDE = 1
_CLOSE_EWMA = 2
_CLOSE_HAR = 3


@njit(cache=True, error_model="numpy")
def _close_batch(close: np.ndarray, state: np.ndarray, kind: int) -> np.ndarray:
    # `kind` is a loop invariant, so the branch costs nothing per bar; each arm calls the step
    # its incremental indicator binds.
    out = np.empty(close.size)
    for t in range(close.size):
        if kind == _CLOSE_RV:
            out[t] = realized_variance_step(state, close[t])
        elif kind == _CLOSE_DOWNSIDE:
            out[t] = downside_semivariance_step(state, close[t])
        elif kind == _CLOSE_EWMA:
            out[t] = ewma_variance_step(state, close[t])
        else:
            out[t] = har_step(state, close[t])
    return out


# --- volatility compression VC = ln(sigma_short / sigma_long) -----------------------------------

_vc = Layout()
VC_PREV_CLOSE = _vc.slot()
VC_ESTIMATOR = _vc.slot()
VC_FLOOR = _vc.slot()
VC_VAR_SHORT = _vc.slot()
VC_VAR_LONG = _vc.slot()
VC_HEADER = _vc.size  # then the short and the long rolling buffers


@njit(cache=True, error_model="numpy", inline="always")
def bar_variance_term(
    state: np.ndarray, estimator: int, open_: float, high: float, low: float, close: float, ok: bool
) -> float:
    """Return the one-bar variance term of ``estimator`` (close: ``r^2``, NaN on the first bar or if not ok)."""
    r = log_return(state, VC_PREV_CLOSE, close, ok)
    if not ok:
        return np.nan
    if estimator == EST_CLOSE:
        return r * r
    return range_term(estimator, open_, high, low, close)


@njit(cache=True, error_model="numpy", inline="always")
def vol_compression_new(short: int, long: int, estimator: int, floor: float) -> np.ndarray:
    """Return a fresh VC state: windows ``short`` < ``long`` bars, ``floor`` added to each variance."""
    if not 1 <= short < long:
        raise ValueError("volatility compression needs 1 <= short < long")
    state = np.zeros(VC_HEADER + rolling_size(short) + rolling_size(long))
    state[VC_ESTIMATOR] = estimator
    state[VC_FLOOR] = floor
    state[VC_VAR_SHORT] = np.nan
    state[VC_VAR_LONG] = np.nan
    rolling_init(state[VC_HEADER:], short)
    rolling_init(state[VC_HEADER + rolling_size(short) :], long)
    return state


@njit(cache=True, error_model="numpy", inline="always")
def vol_compression_step(
    state: np.ndarray, open_: float, high: float, low: float, close: float
) -> float:
    """
    Add one bar; return ``0.5 ln((v_short + floor) / (v_long + floor))`` (NaN until ``long`` is full).

    ``v_*`` is the mean one-bar variance term over each window; the floor keeps a flat market
    (both variances 0) at VC = 0 and a flat short window finite instead of ``-inf``.
    """
    ok = is_bar(open_, high, low, close)
    term = bar_variance_term(state, int(state[VC_ESTIMATOR]), open_, high, low, close, ok)
    short = rolling_view(state, VC_HEADER)
    long = rolling_view(state, VC_HEADER + short.size)
    v_short = _mean_when_full(short, term)
    v_long = _mean_when_full(long, term)
    state[VC_VAR_SHORT] = v_short
    state[VC_VAR_LONG] = v_long
    floor = state[VC_FLOOR]
    refuse_bar(ok)
    return 0.5 * math.log((v_short + floor) / (v_long + floor))


@njit(cache=True, error_model="numpy")
def vol_compression_batch(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    short: int,
    long: int,
    estimator: int,
    floor: float,
) -> np.ndarray:
    """Return the ``vol_compression_step`` series over arrays of bars."""
    state = vol_compression_new(short, long, estimator, floor)
    out = np.empty(high.size)
    for t in range(high.size):
        out[t] = vol_compression_step(state, open_[t], high[t], low[t], close[t])
    return out


@njit(cache=True, error_model="numpy")
def vol_compression_step_at(
    address: int, slots: int, open_: float, high: float, low: float, close: float
) -> float:
    """``vol_compression_step`` on a borrowed state (address and size of a float64 array)."""
    return vol_compression_step(borrow(address, slots), open_, high, low, close)
