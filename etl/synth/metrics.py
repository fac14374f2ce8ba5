"""
The 5-minute ``metrics`` rows: open interest, its value, long/short ratios, taker volume ratio.

Open interest and the long/short ratios come from the latent crowding paths; the value is open
interest times the last kline close before the row; the taker long/short volume ratio is measured
on the generated trades of the five minutes before the row, so it agrees with aggTrades exactly.
"""

from dataclasses import dataclass

import numpy as np

from etl.synth.klines import Klines
from etl.synth.latent import DAY_MINUTES
from etl.synth.latent import MINUTE_MS
from etl.synth.latent import LatentMarket
from etl.synth.symbols import SymbolSpec

ROW_MINUTES = 5
VALUE_DECIMALS = 4
# Binance rounds the top-trader position and taker volume ratios to fewer digits than the others.
_SHORT_RATIO_DIGITS = 6


@dataclass(frozen=True)
class MetricsRows:
    """One day's metrics rows (288), numbers in their printing units."""

    create_ms: np.ndarray
    open_interest: np.ndarray
    open_interest_value: np.ndarray
    count_toptrader: np.ndarray
    sum_toptrader: np.ndarray
    count_long_short: np.ndarray
    taker_ratio: np.ndarray


@dataclass(frozen=True)
class TakerTail:
    """Taker buy and sell volume (lots) of the last row window of the previous day."""

    buy: int
    sell: int


def _ratio_e8(ratio: np.ndarray, digits: int = 8) -> np.ndarray:
    return np.round(ratio * 10.0**digits).astype(np.int64) * 10 ** (8 - digits)


def _round_div(values: np.ndarray, power: int) -> np.ndarray:
    """Return ``values / 10**power`` rounded half up (a multiplication for negative powers)."""
    if power <= 0:
        return values * 10 ** (-power)
    scale = 10**power
    return (values + scale // 2) // scale


def metrics_day(
    spec: SymbolSpec,
    latent: LatentMarket,
    day_index: int,
    bars: Klines,
    previous_close: int,
    tail: TakerTail | None,
) -> tuple[MetricsRows, TakerTail]:
    """
    Return one day's metrics rows and the taker volumes that the next day's first row needs.

    Parameters
    ----------
    spec : SymbolSpec
        Contract specification.
    latent : LatentMarket
        Latent paths (open interest, long/short ratios, buy probability).
    day_index : int
        Day within the run.
    bars : Klines
        The day's 1m klines (closes and taker volumes).
    previous_close : int
        Last close before the day (price units).
    tail : TakerTail | None
        Taker volumes of the previous day's last window; None on the first day, where the
        row uses the latent buy probability instead.

    """
    sl = latent.day_slice(day_index)
    rows = DAY_MINUTES // ROW_MINUTES
    minute = np.arange(rows) * ROW_MINUTES
    grid = sl.start + minute
    create_ms = latent.first_minute_ms + grid * MINUTE_MS

    buy = bars.taker_buy_volume.reshape(rows, ROW_MINUTES).sum(axis=1)
    sell = (bars.volume - bars.taker_buy_volume).reshape(rows, ROW_MINUTES).sum(axis=1)
    # Row k covers the five minutes before it: the previous window's volumes.
    window_buy = np.r_[tail.buy if tail else 0, buy[:-1]].astype(float)
    window_sell = np.r_[tail.sell if tail else 0, sell[:-1]].astype(float)
    # A window without taker sells (or before the first day) falls back to the latent odds.
    before = latent.buy_prob[max(0, sl.start - ROW_MINUTES) : sl.stop - ROW_MINUTES]
    before = np.pad(before, (DAY_MINUTES - len(before), 0), constant_values=0.5)
    odds = before.reshape(rows, ROW_MINUTES).mean(axis=1)
    odds = odds / (1.0 - odds)
    measured = window_sell > 0
    if tail is None:
        measured[0] = False
    taker = np.where(measured, window_buy / np.where(measured, window_sell, 1.0), odds)

    mark = np.r_[previous_close, bars.close[minute[1:] - 1]]
    oi_lots = np.round(np.exp(latent.log_open_interest[grid]) / spec.lot_size).astype(np.int64)
    value = _round_div(oi_lots * mark, spec.price_precision + spec.qty_precision - VALUE_DECIMALS)
    ls = np.exp(latent.log_ls_ratios[:, grid])
    out = MetricsRows(
        create_ms=create_ms,
        open_interest=oi_lots,
        open_interest_value=value,
        count_toptrader=_ratio_e8(ls[1]),
        sum_toptrader=_ratio_e8(ls[2], _SHORT_RATIO_DIGITS),
        count_long_short=_ratio_e8(ls[0]),
        taker_ratio=_ratio_e8(taker, _SHORT_RATIO_DIGITS),
    )
    return out, TakerTail(buy=int(buy[-1]), sell=int(sell[-1]))
