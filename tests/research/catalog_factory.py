"""Write tiny catalogs for the research tests, in the ETL's own schemas and folder layout."""

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from catalog.codec import fixed_from_units
from catalog.schemas import NS_PER_DAY
from catalog.schemas import bar_schema
from catalog.schemas import custom_schema
from catalog.schemas import data_dir
from catalog.schemas import day_file_name
from catalog.schemas import day_of_ns
from catalog.schemas import quote_schema
from catalog.schemas import trade_schema
from data_types import BookDepth

INSTRUMENT = "BTCUSDT-PERP.BINANCE"
PRICE_PRECISION = 1
SIZE_PRECISION = 3
T0 = 1_704_067_200_000_000_000  # 2024-01-01T00:00:00Z
SECOND = 1_000_000_000


def _write_days(
    root: Path, family: str, schema: pa.Schema, ts, columns: dict, instrument: str
) -> None:
    # Price and size columns become fixed-point at the instrument's precision; the others are
    # taken as they are. One file per UTC day, named by its bounds, as the ETL writes them.
    prices = {"price", "bid_price", "ask_price", "open", "high", "low", "close"}
    sizes = {"size", "bid_size", "ask_size", "volume"}
    arrays = {}
    for name, values in columns.items():
        if name in prices | sizes:
            precision = PRICE_PRECISION if name in prices else SIZE_PRECISION
            units = np.rint(np.asarray(values) * 10**precision).astype(np.int64)
            arrays[name] = fixed_from_units(units, precision)
        else:
            arrays[name] = values
    stamps = np.asarray(ts).astype(schema.field("ts_init").type.to_pandas_dtype())
    table = pa.table({**arrays, "ts_event": stamps, "ts_init": stamps}, schema=schema)
    folder = data_dir(root, family, instrument)
    folder.mkdir(parents=True, exist_ok=True)
    day = np.asarray(ts, dtype=np.int64) // NS_PER_DAY
    for d in np.unique(day):
        rows = np.flatnonzero(day == d)
        pq.write_table(table.take(rows), folder / day_file_name(day_of_ns(int(d) * NS_PER_DAY)))


def write_trades(root: Path, ts, price, size, side, instrument: str = INSTRUMENT) -> None:
    """Write trade ticks (side: 1 buyer, 2 seller, 0 none)."""
    columns = {
        "price": price,
        "size": size,
        "aggressor_side": pa.array(np.asarray(side, dtype=np.uint8)),
        "trade_id": pa.array([str(i) for i in range(len(ts))]),
    }
    schema = trade_schema(instrument, PRICE_PRECISION, SIZE_PRECISION)
    _write_days(root, "aggTrades", schema, ts, columns, instrument)


def write_quotes(
    root: Path, ts, bid, ask, bid_size, ask_size, instrument: str = INSTRUMENT
) -> None:
    """Write quote ticks."""
    columns = {"bid_price": bid, "ask_price": ask, "bid_size": bid_size, "ask_size": ask_size}
    schema = quote_schema(instrument, PRICE_PRECISION, SIZE_PRECISION)
    _write_days(root, "bookTicker", schema, ts, columns, instrument)


def write_bars(
    root: Path, ts, open_, high, low, close, volume, instrument: str = INSTRUMENT
) -> None:
    """Write 1-minute bars stamped at ``ts``."""
    columns = {"open": open_, "high": high, "low": low, "close": close, "volume": volume}
    schema = bar_schema(instrument, PRICE_PRECISION, SIZE_PRECISION)
    _write_days(root, "klines", schema, ts, columns, instrument)


def write_book_depth(root: Path, ts, percentage, depth, instrument: str = INSTRUMENT) -> None:
    """Write ``BookDepth`` rows (notional = depth x 100)."""
    n = len(ts)
    depth = np.asarray(depth, dtype=np.float64)
    columns = {
        "instrument_id": pa.array([instrument] * n),
        "percentage": pa.array(np.asarray(percentage, dtype=np.float64)),
        "depth": pa.array(depth),
        "notional": pa.array(depth * 100.0),
        "type": pa.array(["BookDepth"] * n),
    }
    _write_days(root, "bookDepth", custom_schema(BookDepth), ts, columns, instrument)
