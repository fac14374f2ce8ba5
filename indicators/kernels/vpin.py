"""
Numba kernels of VPIN (Easley, López de Prado, O'Hara 2012) over equal-volume buckets.

Same pattern and conventions as ``indicators.kernels.flow`` (one float64 state array from
``vpin_state``, ``*_step`` functions, ``*_batch`` twins, ``*_step_at`` entries on a borrowed state
for the incremental ``indicators.flow.VPIN``). Buy/sell classifiers: the trade's aggressor side,
bulk volume classification (``bvc_buy_fraction``) of time bars or trade groups, the bar's sign,
or the kline's taker split. Errors (ValueError) are raised before a step changes its state.
"""

import math

import numpy as np
from numba import njit

from indicators.kernels.layout import Layout
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
from indicators.kernels.rolling import rolling_view_slot
from indicators.kernels.rolling import rolling_window
from indicators.kernels.state import COMMON_HEADER
from indicators.kernels.state import READY
from indicators.kernels.state import TS_SLOTS
from indicators.kernels.state import VALUE
from indicators.kernels.state import advance_clock
from indicators.kernels.state import borrow
from indicators.kernels.state import borrowed
from indicators.kernels.state import fresh_state
from indicators.kernels.state import get_ts
from indicators.kernels.state import set_ts
from indicators.kernels.trades import G_OUT_LAST
from indicators.kernels.trades import G_OUT_VOLUME
from indicators.kernels.trades import G_TRADES
from indicators.kernels.trades import GROUP_SLOTS
from indicators.kernels.trades import group_add
from indicators.kernels.trades import group_close
from indicators.kernels.trades import group_roll
from indicators.kernels.trades import side_sign
from indicators.validation import check_duration
from indicators.validation import check_positive
from indicators.validation import require_window

# Fills within this fraction of a bucket's size close the bucket: decimal trade sizes
# (0.001 BTC) do not add up exactly in binary, and a bucket should not stay open for 1e-17.
BUCKET_EDGE = 1e-9


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
# VPIN over equal-volume buckets
# -------------------------------------------------------------------------------------------------

AGGRESSOR = 0
BVC = 1
BAR_SIGN = 2
BAR_TAKER = 3
CLASSIFIERS = {"aggressor": AGGRESSOR, "bvc": BVC, "bar_sign": BAR_SIGN, "bar_taker": BAR_TAKER}

_vpin = Layout(COMMON_HEADER)
V_CLASSIFIER = _vpin.slot()
V_QUOTE = _vpin.slot()  # 1: volume in quote units (price * size)
V_SIZE = _vpin.slot()  # target volume of the bucket being filled (NaN: none open)
V_NEXT = _vpin.slot()  # target volume of buckets opened from now on (NaN: not known yet)
V_FILL = _vpin.slot()
V_FILL_BUY = _vpin.slot()
V_BUCKETS = _vpin.slot()  # buckets completed since the start
V_LAST_IMB = _vpin.slot()  # |S - B| / V of the last completed bucket
V_DONE = _vpin.slot()  # buckets completed by the last update
V_LAST_TS = _vpin.slot(TS_SLOTS)
V_STARTED = _vpin.slot()
V_PERIOD_NS = _vpin.slot()  # period of the bucket-size statistic (0: fixed bucket size)
V_PERIOD_KEY = _vpin.slot(TS_SLOTS)  # key (ts // period) of the open period
V_PERIOD_OPEN = _vpin.slot()
V_PERIOD_VOL = _vpin.slot()
V_STAT_MEAN = _vpin.slot()  # 1: mean of the period volumes, 0: median
V_FRACTION = _vpin.slot()  # bucket size = statistic * fraction
V_MIN_PERIODS = _vpin.slot()
V_SIGMA = _vpin.slot()  # BVC: sigma used for the last classified group
V_PREV_CLOSE = _vpin.slot()  # BVC: close of the previous group (NaN: none)
V_GROUP_TRADES = _vpin.slot()  # BVC: trades per group (0: time bars)
V_GROUP_NS = _vpin.slot()  # BVC: bar length
V_O_IMB = _vpin.slot()  # offsets of the rolling buffers (they follow V_SLOTS)
V_O_VOL = _vpin.slot()
V_O_PERIOD = _vpin.slot()
V_O_SIGMA = _vpin.slot()
V_WINDOW = _vpin.slot()  # m (also in the bucket buffers; a copy here avoids slicing per trade)
V_GROUP = _vpin.slot(GROUP_SLOTS)  # BVC: the group accumulator
# Buy volume and size of the first and of the last bucket the last update completed. One update
# pours one classified amount, so every bucket it completes after the first matches the last:
# these four slots describe all of them (``vpin_trade_bucket_batch``, ``vpin_bar_bucket_batch``).
V_FIRST_BUY = _vpin.slot()
V_FIRST_SIZE = _vpin.slot()
V_LAST_BUY = _vpin.slot()
V_LAST_SIZE = _vpin.slot()
V_SLOTS = _vpin.size


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
def _close_bucket(state: np.ndarray, size: float, buy: float) -> None:
    if state[V_DONE] == 0.0:
        state[V_FIRST_BUY] = buy
        state[V_FIRST_SIZE] = size
    state[V_LAST_BUY] = buy
    state[V_LAST_SIZE] = size
    imbalance = abs(size - 2.0 * buy)  # |S - B| with S = size - B
    rolling_push(rolling_view_slot(state, V_O_IMB), imbalance)
    rolling_push(rolling_view_slot(state, V_O_VOL), size)
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
                if state[V_DONE] == 0.0:
                    state[V_FIRST_BUY] = size * share
                    state[V_FIRST_SIZE] = size
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
        periods = rolling_view_slot(state, V_O_PERIOD)
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
    changes = rolling_view_slot(state, V_O_SIGMA)
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
        state[VALUE] = rolling_sum(rolling_view_slot(state, V_O_IMB)) / rolling_sum(
            rolling_view_slot(state, V_O_VOL)
        )
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


# Columns of the bucket log of the ``vpin_*_bucket_batch`` twins: one row per completed bucket.
_bucket_log = Layout()
BUCKET_EVENT = _bucket_log.slot()  # index of the event (trade or bar) that completed the bucket
BUCKET_BUY = _bucket_log.slot()  # buy volume of the bucket
BUCKET_VOLUME = _bucket_log.slot()  # volume of the bucket (buy + sell)
_BUCKET_COLS = _bucket_log.size


@njit(cache=True, error_model="numpy")
def _log_buckets(state: np.ndarray, log: np.ndarray, rows: int, event: int) -> tuple:
    # Append the buckets the last update completed: the first as recorded, the others as the last
    # (see V_FIRST_BUY). Returns the log, doubled when full, and its row count.
    done = int(state[V_DONE])
    if rows + done > log.shape[0]:
        grown = np.empty((2 * log.shape[0] + done, _BUCKET_COLS))
        grown[:rows] = log[:rows]
        log = grown
    for k in range(done):
        log[rows, BUCKET_EVENT] = event
        log[rows, BUCKET_BUY] = state[V_FIRST_BUY] if k == 0 else state[V_LAST_BUY]
        log[rows, BUCKET_VOLUME] = state[V_FIRST_SIZE] if k == 0 else state[V_LAST_SIZE]
        rows += 1
    return log, rows


@njit(cache=True, error_model="numpy")
def vpin_trade_bucket_batch(
    state: np.ndarray, ts: np.ndarray, price: np.ndarray, size: np.ndarray, side: np.ndarray
) -> tuple:
    """
    Return VPIN after each trade and the log of completed buckets, advancing ``state``.

    The same VPIN series as ``vpin_trade_batch``; the log has one row per bucket, in completion
    order: ``BUCKET_EVENT`` (index of the trade that completed it, as float64), ``BUCKET_BUY``
    and ``BUCKET_VOLUME``. Buckets one trade completes beyond the last ``window`` (which VPIN
    never sees) are logged too.

    Returns
    -------
    tuple[np.ndarray, np.ndarray]
        VPIN after each trade, and the (buckets, 3) log.

    """
    require_finite_array(price)
    require_finite_array(size)
    out = np.empty(ts.size)
    log = np.empty((64, _BUCKET_COLS))
    rows = 0
    view = borrowed(state)
    for t in range(ts.size):
        out[t] = vpin_trade_step(view, ts[t], price[t], size[t], side[t])
        if view[V_DONE] > 0.0:
            log, rows = _log_buckets(view, log, rows, t)
    return out, log[:rows].copy()


@njit(cache=True, error_model="numpy")
def vpin_bar_bucket_batch(
    state: np.ndarray,
    ts: np.ndarray,
    open_: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    taker_buy: np.ndarray,
) -> tuple:
    """
    Return VPIN after each bar and the log of completed buckets, advancing ``state``.

    The same VPIN series as ``vpin_bar_batch``; the log as in ``vpin_trade_bucket_batch``, with
    ``BUCKET_EVENT`` the index of the bar that completed the bucket.

    Returns
    -------
    tuple[np.ndarray, np.ndarray]
        VPIN after each bar, and the (buckets, 3) log.

    """
    for values in (open_, close, volume, taker_buy):
        require_finite_array(values)
    out = np.empty(ts.size)
    log = np.empty((64, _BUCKET_COLS))
    rows = 0
    view = borrowed(state)
    for t in range(ts.size):
        out[t] = vpin_bar_step(view, ts[t], open_[t], close[t], volume[t], taker_buy[t])
        if view[V_DONE] > 0.0:
            log, rows = _log_buckets(view, log, rows, t)
    return out, log[:rows].copy()
