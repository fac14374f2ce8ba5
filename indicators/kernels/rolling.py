"""
Rolling-window primitives over a ring buffer packed in one float64 array (numba kernels).

A *rolling buffer* is a 1-D float64 array laid out as ``[header | ring]``: the header holds the
window length, the count of values seen (capped at the window), the ring's head, and the sum and
sum of squares of the values minus a shift ``K``. ``K`` is reset to the window's exact mean once
per ring cycle (with an exact two-pass recompute of both sums), so the shifted sums never suffer
the cancellation of raw sums of squares, rounding error cannot accumulate over millions of
pushes, and a push needs no division; the refresh costs O(w) every w pushes, O(1) amortized.
Everything lives in one array so a composite indicator can pack several windows into a single
state array: calling a jitted function from Python costs ~30 ns per array argument, so one state
array keeps the incremental path inside its budget. Rolling functions touch only the first
``rolling_size(window)`` slots, so callers may append their own data after them (the ranked
buffer below does so). Code outside this module should go through the functions, not the
header slots.

API (stable; the flow and book indicators import it)
----------------------------------------------------
Kernels (``@njit``, callable from Python and from other kernels), O(1) amortized unless noted:
    ``rolling_size(window)``, ``rolling_new(window)``, ``ranked_size(window)``, ``ranked_new(window)``.
    ``rolling_init(buf, window)``   reset in place (``buf`` may be a slice of a larger state).
    ``rolling_push(buf, x)``        append ``x``; return the evicted value, NaN while filling.
    ``rolling_count(buf)``, ``rolling_full(buf)``, ``rolling_window(buf)``, ``rolling_oldest(buf)``.
    ``rolling_view(state, offset)`` the rolling buffer packed at ``state[offset:]`` (its size is
                                    ``rolling_size`` of the window in its header).
    ``rolling_view_slot(state, offset_slot)`` the same, at the offset held in ``state[offset_slot]``.
    ``rolling_sum(buf)``, ``rolling_mean(buf)``, ``rolling_var(buf, ddof)``, ``rolling_std(buf, ddof)``.
    ``zscore_value(buf, x)``        z of ``x`` against the window (NaN until full, 0 for zero spread).
    ``zscore_push(buf, x)``         push ``x``, then its z-score within the window that includes it.
    ``ranked_init(buf, window)``, ``ranked_push(buf, x)`` -> position of ``x`` in the sorted copy
                                    (O(log w) search, O(w) worst-case shift of the sorted copy).
    ``percentile_rank_value(buf, x)`` / ``percentile_rank_push(buf, x)``: rank in (0, 1].
    ``ranked_quantile(buf, q)``     the q-quantile of the window, numpy's "linear" interpolation.
    ``require_finite_array(values)`` raise ValueError on NaN/inf (batch twins call it first).
Entries for the incremental indicators, on a state borrowed by address (see ``kernels.state``):
    ``zscore_push_at(address, slots, x)``, ``percentile_rank_push_at(address, slots, x)``.
From Python, ``indicators.base.bind_kernel`` gives a kernel's compiled entry point for fixed
argument types (~100 ns cheaper per call than numba's dispatcher).
Batch twins (``@njit``, NaN until the window is full, ValueError on non-finite input):
    ``rolling_sum_batch``, ``rolling_mean_batch``, ``rolling_var_batch``, ``zscore_batch``,
    ``percentile_rank_batch``, ``rolling_quantile_batch``.

Kernels are compiled with ``error_model="numpy"`` (every division is guarded explicitly, and the
Python error model's zero-division branches cost 2x in the batch loops) and the small ones with
``inline="always"`` (numba otherwise leaves a call per helper in every loop iteration). Rule for
inlined kernels taking arrays: an array's last use must not be split across branches (read what
you need first, then branch on scalars, or end with an unconditional use). Otherwise numba's
reference-count pruning fails and each loop iteration pays an atomic incref/decref pair (~10 ns,
measured: a rolling mean went from 5 to 16 ns per event).

Conventions: the window *includes* the current value (as pandas ``rolling``); variance uses
``ddof`` (pandas default 1); the z-score uses the sample standard deviation (ddof=1) and is 0
when the window has no spread; the percentile rank is pandas' ``rolling(w).rank(pct=True)``
(average rank of ties divided by the count).
"""

import math

import numpy as np
from numba import njit

from indicators.kernels.layout import Layout
from indicators.kernels.state import borrow

# Header slots of a rolling buffer; the ring of values follows it.
_rolling = Layout()
R_WINDOW = _rolling.slot()
R_COUNT = _rolling.slot()
R_HEAD = _rolling.slot()
R_S1 = _rolling.slot()  # sum of (x - K)
R_S2 = _rolling.slot()  # sum of (x - K)^2
R_SHIFT = _rolling.slot()  # K
ROLLING_HEADER = _rolling.size


@njit(cache=True, error_model="numpy", inline="always")
def rolling_size(window: int) -> int:
    """Return the number of float64 slots a rolling buffer of ``window`` values needs."""
    return ROLLING_HEADER + window


@njit(cache=True, error_model="numpy", inline="always")
def ranked_size(window: int) -> int:
    """Return the number of float64 slots a ranked buffer (rolling buffer + sorted copy) needs."""
    return ROLLING_HEADER + 2 * window


@njit(cache=True, error_model="numpy", inline="always")
def _new(window: int, ranked: bool) -> np.ndarray:
    if window < 1:
        raise ValueError("rolling window must be >= 1")
    buf = np.empty(ranked_size(window) if ranked else rolling_size(window))
    if ranked:
        ranked_init(buf, window)
    else:
        rolling_init(buf, window)
    return buf


@njit(cache=True, error_model="numpy", inline="always")
def rolling_new(window: int) -> np.ndarray:
    """Return a fresh rolling buffer of ``window`` (>= 1, else ValueError) values."""
    return _new(window, False)


@njit(cache=True, error_model="numpy", inline="always")
def ranked_new(window: int) -> np.ndarray:
    """Return a fresh ranked buffer (for exact rolling ranks and quantiles) of ``window`` values."""
    return _new(window, True)


@njit(cache=True, error_model="numpy", inline="always")
def rolling_init(buf: np.ndarray, window: int) -> None:
    """Reset a rolling buffer of ``window`` values in place."""
    buf[: ROLLING_HEADER + window] = 0.0
    buf[R_WINDOW] = window


@njit(cache=True, error_model="numpy", inline="always")
def rolling_window(buf: np.ndarray) -> int:
    """Return the window length."""
    return int(buf[R_WINDOW])


@njit(cache=True, error_model="numpy", inline="always")
def rolling_count(buf: np.ndarray) -> int:
    """Return how many values the window holds (at most the window length)."""
    return int(buf[R_COUNT])


@njit(cache=True, error_model="numpy", inline="always")
def rolling_full(buf: np.ndarray) -> bool:
    """Return whether the window is full."""
    return buf[R_COUNT] >= buf[R_WINDOW]


@njit(cache=True, error_model="numpy", inline="always")
def _recompute(buf: np.ndarray, n: int) -> None:
    ring = buf[ROLLING_HEADER : ROLLING_HEADER + n]
    total = 0.0
    for v in ring:
        total += v
    shift = total / n
    s1 = 0.0
    s2 = 0.0
    for v in ring:
        d = v - shift
        s1 += d
        s2 += d * d
    buf[R_S1] = s1
    buf[R_S2] = s2
    buf[R_SHIFT] = shift


@njit(cache=True, error_model="numpy", inline="always")
def rolling_push(buf: np.ndarray, x: float) -> float:
    """
    Append ``x`` to the window, evicting the oldest value once the window is full.

    Parameters
    ----------
    buf : np.ndarray
        The rolling buffer.
    x : float
        The new value (finite; callers validate).

    Returns
    -------
    float
        The evicted value, or NaN while the window is still filling.

    """
    # Count and head stay floats: converting them to int and back sat on the loop-carried
    # dependency chain of the batch loops (~2 ns a push); only the slot index is an int.
    w = buf[R_WINDOW]
    n = buf[R_COUNT]
    head = buf[R_HEAD]
    slot = ROLLING_HEADER + int(head)
    if n == 0.0:
        buf[R_SHIFT] = x  # until the first refresh, the first value serves as the shift
    d = x - buf[R_SHIFT]
    if n < w:
        evicted = np.nan
        buf[R_S1] += d
        buf[R_S2] += d * d
        buf[R_COUNT] = n + 1.0
    else:
        evicted = buf[slot]
        e = evicted - buf[R_SHIFT]
        buf[R_S1] += d - e
        buf[R_S2] += d * d - e * e
    buf[slot] = x
    head += 1.0
    if head == w:
        head = 0.0
        if n + 1.0 >= w:
            _recompute(buf, int(w))
    buf[R_HEAD] = head
    return evicted


@njit(cache=True, error_model="numpy", inline="always")
def rolling_oldest(buf: np.ndarray) -> float:
    """Return the oldest value in the window (NaN when empty)."""
    n = buf[R_COUNT]
    oldest = buf[ROLLING_HEADER + (int(buf[R_HEAD]) if n >= buf[R_WINDOW] else 0)]
    return oldest if n > 0 else np.nan


@njit(cache=True, error_model="numpy", inline="always")
def rolling_view(state: np.ndarray, offset: int) -> np.ndarray:
    """Return the rolling buffer that starts at ``state[offset]`` (its length is read from its header)."""
    return state[offset : offset + ROLLING_HEADER + int(state[offset + R_WINDOW])]


@njit(cache=True, error_model="numpy", inline="always")
def rolling_view_slot(state: np.ndarray, offset_slot: int) -> np.ndarray:
    """Return the rolling buffer packed in ``state`` at the offset stored in ``state[offset_slot]``."""
    return rolling_view(state, int(state[offset_slot]))


@njit(cache=True, error_model="numpy", inline="always")
def rolling_sum(buf: np.ndarray) -> float:
    """Return the sum of the window (0 when empty)."""
    return buf[R_S1] + buf[R_COUNT] * buf[R_SHIFT]


@njit(cache=True, error_model="numpy", inline="always")
def rolling_mean(buf: np.ndarray) -> float:
    """Return the mean of the window (NaN when empty)."""
    n = buf[R_COUNT]
    shift = buf[R_SHIFT]
    s1 = buf[R_S1]
    if n == 0:
        return np.nan
    return shift + s1 / n


@njit(cache=True, error_model="numpy", inline="always")
def rolling_var(buf: np.ndarray, ddof: int = 1) -> float:
    """Return the variance of the window with ``ddof`` degrees of freedom (NaN if count <= ddof)."""
    n = buf[R_COUNT]
    s1 = buf[R_S1]
    s2 = buf[R_S2]
    if n <= ddof:
        return np.nan
    # Rounding can leave the centred sum a hair below zero for a window with no spread.
    return max(s2 - s1 * s1 / n, 0.0) / (n - ddof)


@njit(cache=True, error_model="numpy", inline="always")
def rolling_std(buf: np.ndarray, ddof: int = 1) -> float:
    """Return the standard deviation of the window (NaN if count <= ddof)."""
    return math.sqrt(rolling_var(buf, ddof))


@njit(cache=True, error_model="numpy", inline="always")
def zscore_value(buf: np.ndarray, x: float) -> float:
    """Return ``(x - mean) / std`` (ddof=1) of the window: NaN until full, 0 if it has no spread."""
    full = rolling_full(buf)
    var = rolling_var(buf, 1)
    mean = rolling_mean(buf)
    if not full:
        return np.nan
    if not var > 0.0:
        return 0.0
    return (x - mean) / math.sqrt(var)


@njit(cache=True, error_model="numpy", inline="always")
def zscore_push(buf: np.ndarray, x: float) -> float:
    """Push ``x`` and return its z-score within the window that now includes it."""
    rolling_push(buf, x)
    return zscore_value(buf, x)


@njit(cache=True, error_model="numpy")
def zscore_push_at(address: int, slots: int, x: float) -> float:
    """``zscore_push`` on a borrowed buffer (address and size of a float64 array)."""
    return zscore_push(borrow(address, slots), x)


@njit(cache=True, error_model="numpy", inline="always")
def ranked_init(buf: np.ndarray, window: int) -> None:
    """Reset a ranked buffer of ``window`` values in place."""
    rolling_init(buf, window)
    buf[ROLLING_HEADER + window : ROLLING_HEADER + 2 * window] = 0.0


@njit(cache=True, error_model="numpy", inline="always")
def _bisect(buf: np.ndarray, lo: int, hi: int, x: float, right: bool) -> int:
    # Binary search over the sorted buf[lo:hi] by index (no view per call). Written so the
    # halving compiles to conditional moves: a data-dependent branch here mispredicts half the
    # time, and four searches per update made those mispredictions the bulk of its cost.
    n = hi - lo
    while n > 0:
        half = n >> 1
        mid = lo + half
        v = buf[mid]
        go = v < x or (right and v == x)
        lo = mid + 1 if go else lo
        n = n - half - 1 if go else half
    return lo


@njit(cache=True, error_model="numpy", inline="always")
def ranked_push(buf: np.ndarray, x: float) -> int:
    """
    Push ``x`` into a ranked buffer, keeping its sorted copy of the window in order.

    Binary search finds where the evicted value sits and where ``x`` goes; only the values
    between those two positions shift by one slot, so a typical update moves far fewer than
    ``window`` values. While the window fills, the "evicted" position is the end of the copy.
    Returns the position of ``x`` in the sorted copy (the first among equal values).
    """
    w = int(buf[R_WINDOW])
    n_before = int(buf[R_COUNT])
    evicted = rolling_push(buf, x)
    base = ROLLING_HEADER + w
    if n_before < w:
        i = n_before
    else:
        i = _bisect(buf, base, base + w, evicted, False) - base
    j = _bisect(buf, base, base + n_before, x, False) - base
    if j <= i:
        for k in range(base + i, base + j, -1):
            buf[k] = buf[k - 1]
    else:
        for k in range(base + i, base + j - 1):
            buf[k] = buf[k + 1]
        j -= 1
    buf[base + j] = x
    return j


@njit(cache=True, error_model="numpy", inline="always")
def percentile_rank_value(buf: np.ndarray, x: float) -> float:
    """
    Return the percentile rank of ``x`` among the window's values, in (0, 1].

    The rank is pandas' average rank of ``x`` (ties share the mean of their positions) divided by
    the count; ``x`` is assumed to be in the window (as after ``ranked_push``). NaN until full.
    """
    n = int(buf[R_COUNT])
    full = rolling_full(buf)
    base = ROLLING_HEADER + int(buf[R_WINDOW])
    less = _bisect(buf, base, base + n, x, False) - base
    equal = _bisect(buf, base, base + n, x, True) - base - less
    if not full:
        return np.nan
    return (less + 0.5 * (equal + 1)) / n


@njit(cache=True, error_model="numpy", inline="always")
def percentile_rank_push(buf: np.ndarray, x: float) -> float:
    """Push ``x`` into a ranked buffer and return its percentile rank in the window."""
    # The push already knows how many values are below x: count the ties from there instead of
    # two more binary searches.
    less = ranked_push(buf, x)
    n = int(buf[R_COUNT])
    full = rolling_full(buf)
    base = ROLLING_HEADER + int(buf[R_WINDOW])
    end = less + 1
    while end < n and buf[base + end] == x:
        end += 1
    if not full:
        return np.nan
    return (less + 0.5 * (end - less + 1)) / n


@njit(cache=True, error_model="numpy")
def percentile_rank_push_at(address: int, slots: int, x: float) -> float:
    """``percentile_rank_push`` on a borrowed buffer (address and size of a float64 array)."""
    return percentile_rank_push(borrow(address, slots), x)


@njit(cache=True, error_model="numpy", inline="always")
def ranked_quantile(buf: np.ndarray, q: float) -> float:
    """Return the ``q``-quantile (0 <= q <= 1) of the values held, as numpy's "linear" method."""
    n = int(buf[R_COUNT])
    base = ROLLING_HEADER + int(buf[R_WINDOW])
    last = max(n - 1, 0)
    pos = q * last
    lo = min(int(math.floor(pos)), last)
    below = buf[base + lo]
    above = buf[base + min(lo + 1, last)]
    if n == 0:
        return np.nan
    return below + (above - below) * (pos - lo)


@njit(cache=True, error_model="numpy", inline="always")
def require_finite_array(values: np.ndarray) -> None:
    """Raise ValueError if any value is NaN or infinite (batch twins refuse such input)."""
    for v in values:
        if not np.isfinite(v):
            raise ValueError("batch input contains a NaN or infinite value")


@njit(cache=True, error_model="numpy", inline="always")
def _series(n: int) -> np.ndarray:
    out = np.empty(n, dtype=np.float64)
    out[:] = np.nan
    return out


_SUM = 0
_MEAN = 1
_VAR = 2
_QUANTILE = 3
_ZSCORE = 4
_RANK = 5


@njit(cache=True, error_model="numpy")
def _window_stat_batch(values: np.ndarray, window: int, stat: int, arg: float) -> np.ndarray:
    # One loop for every rolling series; `stat` is a loop invariant, so the branches cost nothing
    # per event. z-score and rank come from their push kernels (the ones the indicators bind);
    # the others push, then read a statistic once the window is full.
    require_finite_array(values)
    ranked = stat == _QUANTILE or stat == _RANK
    buf = _new(window, ranked)
    out = _series(values.size)
    for t in range(values.size):
        v = values[t]
        if stat == _ZSCORE:
            out[t] = zscore_push(buf, v)
        elif stat == _RANK:
            out[t] = percentile_rank_push(buf, v)
        else:
            if ranked:
                ranked_push(buf, v)
            else:
                rolling_push(buf, v)
            if rolling_full(buf):
                if stat == _SUM:
                    out[t] = rolling_sum(buf)
                elif stat == _MEAN:
                    out[t] = rolling_mean(buf)
                elif stat == _VAR:
                    out[t] = rolling_var(buf, int(arg))
                else:
                    out[t] = ranked_quantile(buf, arg)
    return out


@njit(cache=True, error_model="numpy")
def rolling_sum_batch(values: np.ndarray, window: int) -> np.ndarray:
    """Return the trailing-window sum series (NaN until the window is full)."""
    return _window_stat_batch(values, window, _SUM, 0.0)


@njit(cache=True, error_model="numpy")
def rolling_mean_batch(values: np.ndarray, window: int) -> np.ndarray:
    """Return the trailing-window mean series (NaN until the window is full)."""
    return _window_stat_batch(values, window, _MEAN, 0.0)


@njit(cache=True, error_model="numpy")
def rolling_var_batch(values: np.ndarray, window: int, ddof: int = 1) -> np.ndarray:
    """Return the trailing-window variance series (NaN until the window is full)."""
    return _window_stat_batch(values, window, _VAR, float(ddof))


@njit(cache=True, error_model="numpy")
def rolling_quantile_batch(values: np.ndarray, window: int, q: float) -> np.ndarray:
    """Return the trailing-window ``q``-quantile series (NaN until the window is full)."""
    return _window_stat_batch(values, window, _QUANTILE, q)


@njit(cache=True, error_model="numpy")
def zscore_batch(values: np.ndarray, window: int) -> np.ndarray:
    """Return the rolling z-score series of ``zscore_push`` (NaN until the window is full)."""
    return _window_stat_batch(values, window, _ZSCORE, 0.0)


@njit(cache=True, error_model="numpy")
def percentile_rank_batch(values: np.ndarray, window: int) -> np.ndarray:
    """Return the rolling percentile-rank series of ``percentile_rank_push``."""
    return _window_stat_batch(values, window, _RANK, 0.0)
