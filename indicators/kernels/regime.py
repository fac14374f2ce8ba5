"""
Regime kernels: Δlog open interest, log long/short ratio and the crowding index.

The funding z-score needs no kernel of its own: it is ``rolling.zscore_push`` over funding
rates (batch: ``rolling.zscore_batch``). The crowding index composes the same pieces: three
rolling z-scores, fed by the funding rate, by Δlog open interest and by the log long/short
ratio, packed after a small header in one state array. Each step has a ``*_step_at`` entry
running it on a borrowed state for the incremental indicators (see ``kernels.state``).
"""

import math

import numpy as np
from numba import njit

from indicators.kernels.layout import Layout
from indicators.kernels.rolling import rolling_full
from indicators.kernels.rolling import rolling_init
from indicators.kernels.rolling import rolling_new
from indicators.kernels.rolling import rolling_oldest
from indicators.kernels.rolling import rolling_push
from indicators.kernels.rolling import rolling_size
from indicators.kernels.rolling import rolling_view
from indicators.kernels.rolling import zscore_push
from indicators.kernels.rolling import zscore_value
from indicators.kernels.state import borrow
from indicators.kernels.volatility import is_positive
from indicators.kernels.volatility import refuse_positive

# --- Δlog open interest over a lag ---------------------------------------------------------------


@njit(cache=True, error_model="numpy", inline="always")
def delta_log_new(lag: int) -> np.ndarray:
    """Return a fresh Δlog state over ``lag`` (>= 1) observations."""
    if lag < 1:
        raise ValueError("delta log needs lag >= 1")
    return rolling_new(lag + 1)


@njit(cache=True, error_model="numpy", inline="always")
def delta_log_step(state: np.ndarray, x: float) -> float:
    """Add one positive observation; return ``ln x_t - ln x_{t-lag}`` (NaN for the first ``lag``)."""
    # Validate first, raise last: see the note on input checks in kernels.volatility.
    ok = is_positive(x)
    lx = math.log(x) if ok else np.nan
    if ok:
        rolling_push(state, lx)
    full = rolling_full(state)
    oldest = rolling_oldest(state)
    value = lx - oldest if full else np.nan
    refuse_positive(ok)
    return value


@njit(cache=True, error_model="numpy")
def delta_log_batch(values: np.ndarray, lag: int) -> np.ndarray:
    """Return the ``delta_log_step`` series."""
    state = delta_log_new(lag)
    out = np.empty(values.size)
    for t in range(values.size):
        out[t] = delta_log_step(state, values[t])
    return out


@njit(cache=True, error_model="numpy")
def delta_log_step_at(address: int, slots: int, x: float) -> float:
    """``delta_log_step`` on a borrowed state (address and size of a float64 array)."""
    return delta_log_step(borrow(address, slots), x)


# --- log long/short ratio -------------------------------------------------------------------------

_log_ratio = Layout()
LR_LOG = _log_ratio.slot()  # the latest ln(ratio) (NaN before any)
LR_SLOTS = _log_ratio.size


@njit(cache=True, error_model="numpy", inline="always")
def log_ratio_new() -> np.ndarray:
    """Return a fresh log-ratio state (one slot: the latest value, NaN before any)."""
    return np.full(LR_SLOTS, np.nan)


@njit(cache=True, error_model="numpy", inline="always")
def log_ratio_step(state: np.ndarray, ratio: float) -> float:
    """Return ``ln(ratio)`` of a positive ratio, kept in ``state[LR_LOG]`` (a level)."""
    ok = is_positive(ratio)
    state[LR_LOG] = math.log(ratio) if ok else state[LR_LOG]
    value = state[LR_LOG]
    refuse_positive(ok)
    return value


@njit(cache=True, error_model="numpy")
def log_ratio_batch(ratios: np.ndarray) -> np.ndarray:
    """Return the ``log_ratio_step`` series."""
    state = log_ratio_new()
    out = np.empty(ratios.size)
    for t in range(ratios.size):
        out[t] = log_ratio_step(state, ratios[t])
    return out


@njit(cache=True, error_model="numpy")
def log_ratio_step_at(address: int, slots: int, ratio: float) -> float:
    """``log_ratio_step`` on a borrowed state (address and size of a float64 array)."""
    return log_ratio_step(borrow(address, slots), ratio)


# --- crowding index C = a1 z(f) + a2 z(Δlog OI) + a3 z(ln LS) ------------------------------------

_crowding = Layout()
CR_WEIGHT = _crowding.slot(3)  # a1, a2, a3
CR_Z_FUNDING = _crowding.slot()  # the three z-scores, in the order of the weights
CR_Z_OPEN_INTEREST = _crowding.slot()  # z(Δlog OI)
CR_Z_LONG_SHORT = _crowding.slot()  # z(ln LS)
CR_Z = CR_Z_FUNDING  # the three z-scores as one block
CR_VALUE = _crowding.slot()
CR_LOG_LS = _crowding.slot(LR_SLOTS)  # the latest ln LS (a log_ratio_step state)
CR_HEADER = _crowding.size  # then four rolling buffers: funding, Δlog OI, its z, ln LS z

EVENT_FUNDING = 0
EVENT_METRICS = 1


@njit(cache=True, error_model="numpy", inline="always")
def crowding_new(
    funding_window: int, metrics_window: int, oi_lag: int, weights: np.ndarray
) -> np.ndarray:
    """
    Return a fresh crowding-index state.

    Funding z-scores run over ``funding_window`` settlements, the open-interest and long/short
    z-scores over ``metrics_window`` metrics rows; Δlog OI spans ``oi_lag`` rows.
    """
    if funding_window < 2 or metrics_window < 2 or oi_lag < 1:
        raise ValueError("crowding index needs windows >= 2 and oi_lag >= 1")
    sizes = np.array(
        [
            rolling_size(funding_window),
            rolling_size(oi_lag + 1),
            rolling_size(metrics_window),
            rolling_size(metrics_window),
        ]
    )
    windows = np.array([funding_window, oi_lag + 1, metrics_window, metrics_window])
    state = np.zeros(CR_HEADER + sizes.sum())
    state[CR_WEIGHT : CR_WEIGHT + 3] = weights[:3]
    state[CR_Z : CR_Z + 3] = np.nan
    state[CR_VALUE] = np.nan
    offset = CR_HEADER
    for i in range(4):
        rolling_init(state[offset:], windows[i])
        offset += sizes[i]
    return state


@njit(cache=True, error_model="numpy", inline="always")
def _crowding_value(state: np.ndarray) -> float:
    value = 0.0
    for i in range(3):
        value += state[CR_WEIGHT + i] * state[CR_Z + i]
    state[CR_VALUE] = value
    return value


@njit(cache=True, error_model="numpy", inline="always")
def crowding_funding_step(state: np.ndarray, funding_rate: float) -> float:
    """Add one funding settlement; return the crowding index (NaN until every z-score is full)."""
    ok = np.isfinite(funding_rate)
    if ok:
        state[CR_Z_FUNDING] = zscore_push(rolling_view(state, CR_HEADER), funding_rate)
    value = _crowding_value(state)
    if not ok:
        raise ValueError("funding rate must be finite")
    return value


@njit(cache=True, error_model="numpy", inline="always")
def crowding_metrics_step(
    state: np.ndarray, open_interest: float, long_short_ratio: float
) -> float:
    """Add one metrics row; return the crowding index (NaN until every z-score is full)."""
    ok = is_positive(open_interest) and is_positive(long_short_ratio)
    if ok:
        funding = rolling_view(state, CR_HEADER)
        delta_oi = rolling_view(state, CR_HEADER + funding.size)
        oi_z = rolling_view(state, CR_HEADER + funding.size + delta_oi.size)
        ls_z = rolling_view(state, CR_HEADER + funding.size + delta_oi.size + oi_z.size)
        d = delta_log_step(delta_oi, open_interest)
        if d == d:  # the first oi_lag rows have no change yet
            rolling_push(oi_z, d)
        state[CR_Z_OPEN_INTEREST] = zscore_value(oi_z, d)
        log_ls = log_ratio_step(state[CR_LOG_LS : CR_LOG_LS + LR_SLOTS], long_short_ratio)
        state[CR_Z_LONG_SHORT] = zscore_push(ls_z, log_ls)
    value = _crowding_value(state)
    refuse_positive(ok)
    return value


@njit(cache=True, error_model="numpy")
def crowding_batch(
    kind: np.ndarray,
    x1: np.ndarray,
    x2: np.ndarray,
    funding_window: int,
    metrics_window: int,
    oi_lag: int,
    weights: np.ndarray,
) -> np.ndarray:
    """
    Return the crowding index after each event of a merged, time-ordered stream.

    ``kind[t]`` is ``EVENT_FUNDING`` (``x1[t]`` = funding rate) or ``EVENT_METRICS``
    (``x1[t]`` = open interest, ``x2[t]`` = long/short ratio); see ``crowding_events``.
    """
    state = crowding_new(funding_window, metrics_window, oi_lag, weights)
    out = np.empty(kind.size)
    for t in range(kind.size):
        if kind[t] == EVENT_FUNDING:
            out[t] = crowding_funding_step(state, x1[t])
        else:
            out[t] = crowding_metrics_step(state, x1[t], x2[t])
    return out


@njit(cache=True, error_model="numpy")
def crowding_funding_step_at(address: int, slots: int, funding_rate: float) -> float:
    """``crowding_funding_step`` on a borrowed state (address and size of a float64 array)."""
    return crowding_funding_step(borrow(address, slots), funding_rate)


@njit(cache=True, error_model="numpy")
def crowding_metrics_step_at(
    address: int, slots: int, open_interest: float, long_short_ratio: float
) -> float:
    """``crowding_metrics_step`` on a borrowed state (address and size of a float64 array)."""
    return crowding_metrics_step(borrow(address, slots), open_interest, long_short_ratio)


def crowding_events(
    funding_ts: np.ndarray,
    funding_rate: np.ndarray,
    metrics_ts: np.ndarray,
    open_interest: np.ndarray,
    long_short_ratio: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """
    Merge funding and metrics streams into one time-ordered event stream for ``crowding_batch``.

    Parameters
    ----------
    funding_ts, funding_rate : np.ndarray
        Funding settlement times (ns) and rates.
    metrics_ts, open_interest, long_short_ratio : np.ndarray
        Metrics row times (ns), open interest and long/short ratio.

    Returns
    -------
    tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
        ``(ts, kind, x1, x2)``; on equal timestamps funding comes first (stable sort).

    """
    n_f = len(funding_ts)
    ts = np.concatenate([np.asarray(funding_ts, np.int64), np.asarray(metrics_ts, np.int64)])
    kind = np.concatenate([np.full(n_f, EVENT_FUNDING), np.full(len(metrics_ts), EVENT_METRICS)])
    x1 = np.concatenate(
        [np.asarray(funding_rate, np.float64), np.asarray(open_interest, np.float64)]
    )
    x2 = np.concatenate([np.zeros(n_f), np.asarray(long_short_ratio, np.float64)])
    order = np.argsort(ts, kind="stable")
    return ts[order], kind[order].astype(np.int64), x1[order], x2[order]
