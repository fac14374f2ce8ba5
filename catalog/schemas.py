"""
The Arrow schemas of each catalog family, and where each archive family's rows go.

The schemas are the ones Nautilus's own serializer writes (checked against ``write_data`` output
by the tests), so ``catalog.query`` and the streaming backtest read our files natively. Folder and
file names come from ``catalog.layout``.
"""

import datetime as dt
from pathlib import Path

import pyarrow as pa
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick

from catalog.layout import BAR_SPEC_1M
from catalog.layout import DAY_NS
from catalog.layout import bar_type_1m
from catalog.layout import day_bounds as day_number_bounds
from catalog.layout import family_dir
from catalog.layout import file_name
from data_types import BookDepth
from data_types import FundingRate
from data_types import FuturesMetrics
from data_types.price_klines import IndexPriceKline
from data_types.price_klines import PremiumIndexKline

NS_PER_DAY = DAY_NS
BAR_SPEC_1M_MARK = "1-MINUTE-MARK-EXTERNAL"
# Archive families written as Bars, and their bar specs.
BAR_SPECS: dict[str, str] = {"klines": BAR_SPEC_1M, "markPriceKlines": BAR_SPEC_1M_MARK}

_FIXED = pa.binary(16)
_TS = [pa.field("ts_event", pa.uint64(), nullable=False), pa.field("ts_init", pa.uint64(), nullable=False)]

TRADE_FIELDS = [
    pa.field("price", _FIXED, nullable=False),
    pa.field("size", _FIXED, nullable=False),
    pa.field("aggressor_side", pa.uint8(), nullable=False),
    pa.field("trade_id", pa.string(), nullable=False),
    *_TS,
]
QUOTE_FIELDS = [
    pa.field("bid_price", _FIXED, nullable=False),
    pa.field("ask_price", _FIXED, nullable=False),
    pa.field("bid_size", _FIXED, nullable=False),
    pa.field("ask_size", _FIXED, nullable=False),
    *_TS,
]
BAR_FIELDS = [pa.field(name, _FIXED, nullable=False) for name in ("open", "high", "low", "close", "volume")] + _TS


def _metadata(instrument_id: str, price_precision: int, size_precision: int) -> dict[str, str]:
    return {
        "instrument_id": instrument_id,
        "price_precision": str(price_precision),
        "size_precision": str(size_precision),
    }


def trade_schema(instrument_id: str, price_precision: int, size_precision: int) -> pa.Schema:
    """Return the catalog schema of `TradeTick` for one instrument."""
    return pa.schema(TRADE_FIELDS, metadata=_metadata(instrument_id, price_precision, size_precision))


def quote_schema(instrument_id: str, price_precision: int, size_precision: int) -> pa.Schema:
    """Return the catalog schema of `QuoteTick` for one instrument."""
    return pa.schema(QUOTE_FIELDS, metadata=_metadata(instrument_id, price_precision, size_precision))


def bar_schema(instrument_id: str, price_precision: int, size_precision: int, bar_spec: str = BAR_SPEC_1M) -> pa.Schema:
    """Return the catalog schema of 1-minute `Bar`s of one bar spec for one instrument."""
    metadata = {"bar_type": bar_type_1m(instrument_id, bar_spec), **_metadata(instrument_id, price_precision, size_precision)}
    return pa.schema(BAR_FIELDS, metadata=metadata)


def custom_schema(cls: type) -> pa.Schema:
    """Return the catalog schema of a custom data class (as `customdataclass` defines it)."""
    return cls._schema


# Catalog data class written for each archive family.
FAMILY_DATA_CLASS: dict[str, type] = {
    "aggTrades": TradeTick,
    "bookTicker": QuoteTick,
    "klines": Bar,
    "markPriceKlines": Bar,
    "indexPriceKlines": IndexPriceKline,
    "premiumIndexKlines": PremiumIndexKline,
    "metrics": FuturesMetrics,
    "fundingRate": FundingRate,
    "bookDepth": BookDepth,
}


def data_dir(catalog: Path, family: str, instrument_id: str) -> Path:
    """Return the catalog folder holding one archive family of one instrument."""
    cls = FAMILY_DATA_CLASS[family]
    identifier = bar_type_1m(instrument_id, BAR_SPECS[family]) if family in BAR_SPECS else instrument_id
    return family_dir(catalog, cls, identifier)


def day_bounds(day: dt.date) -> tuple[int, int]:
    """Return the catalog file bounds of a UTC day: ``[day_start, next_day_start - 1]`` in ns."""
    return day_number_bounds((day - dt.date(1970, 1, 1)).days)


def day_file_name(day: dt.date) -> str:
    """Return the catalog file name of a UTC day (Nautilus's ``<start>_<end>.parquet``)."""
    return file_name(*day_bounds(day))


def day_of_ns(ts_ns: int) -> dt.date:
    """Return the UTC day of a nanosecond timestamp."""
    return dt.date(1970, 1, 1) + dt.timedelta(days=ts_ns // NS_PER_DAY)
