"""
Text of each archive family (Arrow text columns; compiled lines for the day-long futures files),
formatted exactly like the real files.

Number formats per family (checked against the real samples):

- futures aggTrades: price at the tick's decimals (``78153.0``), quantity at the lot's
  (``0.148``), ms timestamps, ``true``/``false``;
- spot aggTrades (no header): price and quantity with 8 decimals, ``True``/``False`` and a
  constant ``is_best_match`` of ``True``;
- bookTicker: prices and sizes with 8 decimals;
- futures klines: prices at ``pricePrecision`` (``30453.00``), volumes at the lot's decimals,
  quote volumes at their sum (price + lot decimals, ``5301913.57520``), ``ignore`` = ``0``;
  spot klines (no header): everything with 8 decimals;
- metrics: ``create_time`` text UTC, open interest and its value with 16 decimals, ratios with 8;
- fundingRate: ms ``calc_time``, integer hours, rate with 8 decimals.
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from etl.synth.klines import Klines
from etl.synth.perp import Quotes
from etl.synth.perp import Trades
from etl.synth.rowtext import CsvRows
from etl.synth.rowtext import csv_rows
from etl.synth.rowtext import fixed
from etl.synth.rowtext import flag
from etl.synth.rowtext import integer
from etl.synth.textfmt import bool_text
from etl.synth.textfmt import const_text
from etl.synth.textfmt import fixed_text
from etl.synth.textfmt import int_text
from etl.synth.textfmt import rescale

SPOT_DECIMALS = 8
BOOK_DECIMALS = 8
METRICS_WIDE_DECIMALS = 16
RATIO_DECIMALS = 8
FUNDING_RATE_DECIMALS = 8


def _decimal(values: np.ndarray, decimals: int, print_decimals: int) -> pa.StringArray:
    return fixed_text(rescale(values, decimals, print_decimals), print_decimals)


def futures_agg_trades(trades: Trades, price_decimals: int, print_decimals: int, qty_decimals: int) -> CsvRows:
    """Return the lines of a futures aggTrades file (a day of them: the compiled row writer)."""
    return csv_rows(
        [
            integer(trades.ids.agg_id),
            fixed(rescale(trades.price, price_decimals, print_decimals), print_decimals),
            fixed(trades.qty, qty_decimals),
            integer(trades.ids.first_id),
            integer(trades.ids.last_id),
            integer(trades.time),
            flag(trades.buyer_maker, "true", "false"),
        ]
    )


def spot_agg_trades(trades: Trades, price_decimals: int, qty_decimals: int) -> list[pa.StringArray]:
    """Return the columns of a spot aggTrades file (8 columns, ``True``/``False``)."""
    return [
        int_text(trades.ids.agg_id),
        _decimal(trades.price, price_decimals, SPOT_DECIMALS),
        _decimal(trades.qty, qty_decimals, SPOT_DECIMALS),
        int_text(trades.ids.first_id),
        int_text(trades.ids.last_id),
        int_text(trades.time),
        bool_text(trades.buyer_maker, "True", "False"),
        const_text("True", len(trades.time)),
    ]


def book_ticker(quotes: Quotes, price_decimals: int, qty_decimals: int) -> CsvRows:
    """Return the lines of a bookTicker file (a day of them: the compiled row writer)."""
    return csv_rows(
        [
            integer(quotes.update_id),
            fixed(rescale(quotes.bid, price_decimals, BOOK_DECIMALS), BOOK_DECIMALS),
            fixed(rescale(quotes.bid_qty, qty_decimals, BOOK_DECIMALS), BOOK_DECIMALS),
            fixed(rescale(quotes.ask, price_decimals, BOOK_DECIMALS), BOOK_DECIMALS),
            fixed(rescale(quotes.ask_qty, qty_decimals, BOOK_DECIMALS), BOOK_DECIMALS),
            integer(quotes.transaction_ms),
            integer(quotes.event_ms),
        ]
    )


def klines(
    bars: Klines,
    open_time: np.ndarray,
    bar_length: int,
    price_decimals: int,
    qty_decimals: int,
    price_print: int,
    qty_print: int,
    quote_print: int,
) -> list[pa.StringArray]:
    """
    Return the columns of a klines file.

    Parameters
    ----------
    bars : Klines
        The day's bars.
    open_time : np.ndarray
        Bar open times in the file's unit (ms, or µs for recent spot files).
    bar_length : int
        Bar length in that unit (``close_time = open_time + bar_length - 1``).
    price_decimals, qty_decimals : int
        Decimals of the bars' price and quantity units.
    price_print, qty_print, quote_print : int
        Decimals printed for prices, volumes and quote volumes.

    """
    quote_decimals = price_decimals + qty_decimals
    return [
        int_text(open_time),
        _decimal(bars.open, price_decimals, price_print),
        _decimal(bars.high, price_decimals, price_print),
        _decimal(bars.low, price_decimals, price_print),
        _decimal(bars.close, price_decimals, price_print),
        _decimal(bars.volume, qty_decimals, qty_print),
        int_text(open_time + bar_length - 1),
        _decimal(bars.quote_volume, quote_decimals, quote_print),
        int_text(bars.count),
        _decimal(bars.taker_buy_volume, qty_decimals, qty_print),
        _decimal(bars.taker_buy_quote_volume, quote_decimals, quote_print),
        const_text("0", len(open_time)),
    ]


def utc_text(ms: np.ndarray) -> pa.StringArray:
    """Return ``YYYY-MM-DD HH:MM:SS`` (UTC) for ms timestamps."""
    iso = np.datetime_as_string(np.asarray(ms, dtype="datetime64[ms]"), unit="s")
    return pc.replace_substring(pa.array(iso, pa.string()), "T", " ")


def metrics(
    create_ms: np.ndarray,
    symbol: str,
    open_interest: np.ndarray,
    qty_decimals: int,
    open_interest_value: np.ndarray,
    value_decimals: int,
    ratios_e8: list[np.ndarray],
) -> list[pa.StringArray]:
    """
    Return the columns of a metrics file.

    Parameters
    ----------
    create_ms : np.ndarray
        Row times (ms).
    symbol : str
        Symbol column.
    open_interest : np.ndarray
        Open interest in lots.
    qty_decimals : int
        Decimals of a lot.
    open_interest_value : np.ndarray
        Open interest value in units of ``10**-value_decimals``.
    value_decimals : int
        Decimals carried by `open_interest_value`.
    ratios_e8 : list[np.ndarray]
        The four ratio columns in header order, in units of 1e-8.

    """
    return [
        utc_text(create_ms),
        const_text(symbol, len(create_ms)),
        fixed_text(open_interest, qty_decimals, METRICS_WIDE_DECIMALS),
        fixed_text(open_interest_value, value_decimals, METRICS_WIDE_DECIMALS),
        *(fixed_text(r, RATIO_DECIMALS) for r in ratios_e8),
    ]


def funding(calc_ms: np.ndarray, interval_hours: int, rate_e8: np.ndarray) -> list[pa.StringArray]:
    """Return the columns of a fundingRate file."""
    return [
        int_text(calc_ms),
        const_text(str(interval_hours), len(calc_ms)),
        fixed_text(rate_e8, FUNDING_RATE_DECIMALS),
    ]
