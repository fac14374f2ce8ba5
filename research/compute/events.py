"""
Order-flow events found in the trade tape (aggTrades: one row per taker order and price).

All detectors take numpy trade columns (``ts`` ns, ``price``, ``size``, ``side`` as AggressorSide
codes 1 buyer / 2 seller / 0 none) in time order and return rows of one table,
``EVENT_COLUMNS``; ``side`` there is the *taker* side (+1 buyers, −1 sellers), so an iceberg with
side +1 is a hidden offer that buyers kept hitting.

- ``block``: one trade of at least ``min_notional`` (price × size).
- ``sweep``: an aggressive burst; a run of consecutive same-side trades, each within ``max_gap``
  of the previous one and never at a price behind it (buyers lifting ever higher or equal asks,
  sellers hitting ever lower or equal bids), that takes at least ``min_levels`` distinct prices.
- ``absorption``: an interval with large volume but a small price move: its volume ranks at or
  above ``volume_rank`` and its absolute return at or below ``move_rank`` among the trailing
  ``window`` intervals (both ranks from the ``RollingPercentileRank`` batch twin, no look-ahead).
- ``iceberg``: at least ``min_prints`` prints on one side at one price, each within ``max_gap`` of
  the previous print there, whose sizes are within ``tolerance`` (relative) of their median clip,
  and the clip worth at least ``min_clip_notional``: a resting order refilled with equal clips.
"""

import numpy as np
import pandas as pd

from indicators.kernels.rolling import percentile_rank_batch

EVENT_COLUMNS = [
    "type",
    "start",
    "end",
    "side",
    "price",
    "price_end",
    "trades",
    "volume",
    "notional",
    "levels",
    "score",
]
BUYER = 1
SELLER = 2


def taker_sign(side: np.ndarray) -> np.ndarray:
    """Return +1 for buyer-initiated, −1 for seller-initiated and 0 for trades without aggressor."""
    return np.where(side == BUYER, 1, np.where(side == SELLER, -1, 0)).astype(np.int8)


def _events(kind: str, **columns: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame({name: columns[name] for name in EVENT_COLUMNS[1:]})
    frame.insert(0, "type", kind)
    return frame


def _runs(breaks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Run id of each row (a run starts where ``breaks`` is True, and at row 0), and run starts.
    breaks = breaks.copy()
    if breaks.size:
        breaks[0] = True
    starts = np.flatnonzero(breaks)
    return np.cumsum(breaks) - 1, starts


def block_trades(
    ts: np.ndarray, price: np.ndarray, size: np.ndarray, side: np.ndarray, min_notional: float
) -> pd.DataFrame:
    """Return each trade whose notional (price × size) is at least ``min_notional``."""
    notional = price * size
    hit = np.flatnonzero(notional >= min_notional)
    return _events(
        "block",
        start=ts[hit],
        end=ts[hit],
        side=taker_sign(side[hit]),
        price=price[hit],
        price_end=price[hit],
        trades=np.ones(hit.size, dtype=np.int64),
        volume=size[hit],
        notional=notional[hit],
        levels=np.ones(hit.size, dtype=np.int64),
        score=notional[hit] / min_notional,
    )


def sweeps(
    ts: np.ndarray,
    price: np.ndarray,
    size: np.ndarray,
    side: np.ndarray,
    max_gap_ns: int,
    min_levels: int,
) -> pd.DataFrame:
    """
    Return the sweeps: same-side runs (gaps <= ``max_gap_ns``, prices moving only in the taker's
    direction) taking >= ``min_levels`` distinct prices.

    ``score`` is the move from the first to the last price, relative to the first, in basis
    points (positive: in the taker's direction).
    """
    sign = taker_sign(side)
    taker = sign != 0
    ts, price, size, sign = ts[taker], price[taker], size[taker], sign[taker]
    if ts.size == 0:
        return _events("sweep", **{c: np.empty(0) for c in EVENT_COLUMNS[1:]})
    step = np.diff(price) * sign[1:]  # > 0: one level further in the taker's direction
    breaks = np.ones(ts.size, dtype=bool)
    breaks[1:] = (sign[1:] != sign[:-1]) | (np.diff(ts) > max_gap_ns) | (step < 0)
    run, starts = _runs(breaks)
    ends = np.append(starts[1:], ts.size) - 1
    # Prices only move one way inside a run, so each move is a new level.
    further = np.concatenate(([False], (step > 0) & ~breaks[1:]))
    levels = 1 + np.bincount(run[further], minlength=starts.size)
    keep = levels >= min_levels
    s, e = starts[keep], ends[keep]
    volume = np.add.reduceat(size, starts)[keep]
    notional = np.add.reduceat(size * price, starts)[keep]
    move = sign[s] * (price[e] - price[s]) / price[s] * 1e4
    return _events(
        "sweep",
        start=ts[s],
        end=ts[e],
        side=sign[s],
        price=price[s],
        price_end=price[e],
        trades=(e - s + 1).astype(np.int64),
        volume=volume,
        notional=notional,
        levels=levels[keep].astype(np.int64),
        score=move,
    )


def interval_bars(
    ts: np.ndarray, price: np.ndarray, size: np.ndarray, side: np.ndarray, ends: np.ndarray
) -> dict[str, np.ndarray]:
    """
    Return trade statistics per interval of a contiguous grid, given the intervals' ends.

    Interval k holds the trades with ``ends[k-1] <= ts < ends[k]``
    (the first one everything before ``ends[0]``); trades at or after the last end are left out.

    Returns
    -------
    dict[str, np.ndarray]
        ``trades``, ``volume``, ``buy_volume``, ``sell_volume``, ``notional``, ``vwap``, ``close``
        (last price, carried over empty intervals; NaN before the first trade) and
        ``move_bps`` (absolute log change of ``close`` from the previous interval, in bps; 0 for
        the first interval with a close).

    """
    # Like a kline: a trade at an interval's end opens the next interval.
    k = np.searchsorted(ends, ts, side="right")
    inside = k < ends.size
    k, price, size, side = k[inside], price[inside], size[inside], side[inside]
    n = ends.size
    sign = taker_sign(side)
    trades = np.bincount(k, minlength=n)
    volume = np.bincount(k, weights=size, minlength=n)
    notional = np.bincount(k, weights=size * price, minlength=n)
    last = np.full(n, -1)
    last[k] = np.arange(k.size)  # later trades overwrite earlier ones
    close = np.where(last >= 0, price[np.maximum(last, 0)], np.nan)
    close = pd.Series(close).ffill().to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        vwap = np.where(volume > 0, notional / volume, np.nan)
        move = np.abs(np.diff(np.log(close), prepend=np.nan)) * 1e4
    move[np.isnan(move) & np.isfinite(close)] = 0.0
    return {
        "trades": trades,
        "volume": volume,
        "buy_volume": np.bincount(k, weights=size * (sign > 0), minlength=n),
        "sell_volume": np.bincount(k, weights=size * (sign < 0), minlength=n),
        "notional": notional,
        "vwap": vwap,
        "close": close,
        "move_bps": move,
    }


def absorption_flags(
    volume: np.ndarray, move_bps: np.ndarray, window: int, volume_rank: float, move_rank: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Return (volume rank, move rank, absorption flag) per interval.

    Ranks are the trailing percentile ranks (window includes the interval itself) of the volume
    and of the absolute move; NaN until ``window`` intervals. An interval is an absorption when
    it traded, its volume rank is >= ``volume_rank`` and its move rank <= ``move_rank``.
    """
    vol_rank = percentile_rank_batch(np.ascontiguousarray(volume, dtype=np.float64), window)
    moves = np.nan_to_num(move_bps, nan=0.0)
    mv_rank = percentile_rank_batch(np.ascontiguousarray(moves, dtype=np.float64), window)
    flag = (volume > 0) & (vol_rank >= volume_rank) & (mv_rank <= move_rank)
    return vol_rank, mv_rank, flag


def absorption_events(
    ends: np.ndarray,
    interval_ns: int,
    bars: dict[str, np.ndarray],
    vol_rank: np.ndarray,
    flag: np.ndarray,
) -> pd.DataFrame:
    """Return one ``absorption`` event per flagged interval (side: the net taker side absorbed)."""
    hit = np.flatnonzero(flag)
    net = bars["buy_volume"][hit] - bars["sell_volume"][hit]
    previous = np.concatenate(([np.nan], bars["close"][:-1]))[hit]
    return _events(
        "absorption",
        start=ends[hit] - interval_ns,
        end=ends[hit],
        side=np.sign(net).astype(np.int8),
        price=np.where(np.isfinite(previous), previous, bars["vwap"][hit]),
        price_end=bars["close"][hit],
        trades=bars["trades"][hit].astype(np.int64),
        volume=bars["volume"][hit],
        notional=bars["notional"][hit],
        levels=np.zeros(hit.size, dtype=np.int64),
        score=vol_rank[hit],
    )


def icebergs(
    ts: np.ndarray,
    price: np.ndarray,
    size: np.ndarray,
    side: np.ndarray,
    max_gap_ns: int,
    min_prints: int,
    tolerance: float,
    min_clip_notional: float = 0.0,
) -> pd.DataFrame:
    """
    Return the candidate icebergs: runs of similar-size prints on one side at one price.

    A *session* is the prints of one taker side at one price, each within ``max_gap_ns`` of the
    previous one there (other trades may come between). Its *clip* is the median print size;
    prints within ``tolerance`` × clip of it are *similar*. A session with at least
    ``min_prints`` similar prints and a clip notional >= ``min_clip_notional`` is an iceberg
    candidate; ``trades`` counts the similar prints, ``volume`` / ``notional`` their total,
    ``score`` the clip size.
    """
    sign = taker_sign(side)
    taker = np.flatnonzero(sign != 0)
    order = taker[np.lexsort((ts[taker], price[taker], sign[taker]))]
    s_ts, s_price, s_size, s_sign = ts[order], price[order], size[order], sign[order]
    breaks = np.ones(order.size, dtype=bool)
    breaks[1:] = (
        (s_sign[1:] != s_sign[:-1]) | (s_price[1:] != s_price[:-1]) | (np.diff(s_ts) > max_gap_ns)
    )
    session, starts = _runs(breaks)
    # Most sessions are a print or two: keep only those long enough to qualify.
    long_enough = (np.diff(np.append(starts, order.size)) >= min_prints)[session]
    s_ts, s_price, s_size, s_sign = (
        s_ts[long_enough],
        s_price[long_enough],
        s_size[long_enough],
        s_sign[long_enough],
    )
    session, starts = _runs(
        np.concatenate(([True], session[long_enough][1:] != session[long_enough][:-1]))
    )
    if s_ts.size == 0:
        return _events("iceberg", **{c: np.empty(0) for c in EVENT_COLUMNS[1:]})
    # Median size per session: sort sizes within each (contiguous) session, take the middle.
    counts = np.diff(np.append(starts, s_ts.size))
    ranked = s_size[np.lexsort((s_size, session))]
    clip = (0.5 * (ranked[starts + (counts - 1) // 2] + ranked[starts + counts // 2]))[session]
    similar = np.abs(s_size - clip) <= tolerance * clip
    prints = np.bincount(session, weights=similar).astype(np.int64)
    volume = np.bincount(session, weights=s_size * similar)
    never = np.iinfo(np.int64).max
    first = np.minimum.reduceat(np.where(similar, s_ts, never), starts)
    last = np.maximum.reduceat(np.where(similar, s_ts, -never), starts)
    clips, prices = clip[starts], s_price[starts]
    hit = np.flatnonzero((prints >= min_prints) & (clips * prices >= min_clip_notional))
    hit = hit[np.lexsort((prices[hit], first[hit]))]
    return _events(
        "iceberg",
        start=first[hit],
        end=last[hit],
        side=s_sign[starts][hit],
        price=prices[hit],
        price_end=prices[hit],
        trades=prints[hit],
        volume=volume[hit],
        notional=volume[hit] * prices[hit],
        levels=np.ones(hit.size, dtype=np.int64),
        score=clips[hit],
    )
