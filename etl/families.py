"""
Per-family conversion of parsed source rows into catalog rows.

Each converter says, for a typed block: the rows' timestamps, their identity key (for ordering
and de-duplication), why a row must be rejected (``""`` when it is fine), and how kept rows become
an Arrow table in the catalog's own schema. No per-row Python objects on this path.
"""

from dataclasses import dataclass
from dataclasses import field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from catalog.codec import fixed_from_units
from catalog.codec import to_grid
from catalog.schemas import BAR_SPECS
from catalog.schemas import bar_schema
from catalog.schemas import custom_schema
from catalog.schemas import quote_schema
from catalog.schemas import trade_schema
from data_types import BookDepth
from data_types import FundingRate
from data_types import FuturesMetrics
from data_types.price_klines import IndexPriceKline
from data_types.price_klines import PremiumIndexKline
from etl.instruments import InstrumentSpec

NS_PER_MS = 1_000_000
NS_PER_US = 1_000
NS_PER_S = 1_000_000_000
KLINE_NS = 60 * NS_PER_S
# 13-digit values are ms, 16-digit values µs (spot files from 2025 on): unambiguous by magnitude.
_MS_RANGE = (10**11, 10**14)
_US_RANGE = (10**14, 10**17)
# Decimals kept of mark prices (published as averages, finer than the tick).
MARK_PRICE_PRECISION = 8
AGGRESSOR_BUYER = 1
AGGRESSOR_SELLER = 2


@dataclass(frozen=True)
class ConvertOptions:
    """
    Choices a user makes about timestamps.

    Parameters
    ----------
    quote_ts_init : str
        ``transaction_time`` (default) or ``event_time`` for bookTicker ``ts_init``: the
        push time models the feed delay.
    metrics_lag_ns : int
        Publication lag added to metrics ``ts_init`` (``ts_event`` stays ``create_time``).

    """

    quote_ts_init: str = "transaction_time"
    metrics_lag_ns: int = 0


@dataclass
class Prepared:
    """What a converter derives from one typed block."""

    ts_event: np.ndarray
    ts_init: np.ndarray
    key: np.ndarray
    reasons: np.ndarray
    unit_mixed: int = 0
    # Price and size columns in integer grid units, computed once while validating the block.
    units: dict[str, np.ndarray] = field(default_factory=dict)

    def take(self, index: np.ndarray) -> "Prepared":
        """Return the rows at `index` (a reorder or a selection)."""
        return Prepared(
            ts_event=self.ts_event[index],
            ts_init=self.ts_init[index],
            key=self.key[index],
            reasons=self.reasons[index],
            unit_mixed=self.unit_mixed,
            units={name: units[index] for name, units in self.units.items()},
        )


def epoch_to_ns(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """
    Convert ms or µs epoch integers to ns, detecting the unit of each value by its magnitude.

    Returns
    -------
    tuple[np.ndarray, np.ndarray, int]
        (ns values, mask of values in neither range, count of values whose unit differs from the
        first valid value's unit).

    """
    values = np.asarray(values, dtype=np.int64)
    is_ms = (values >= _MS_RANGE[0]) & (values < _MS_RANGE[1])
    is_us = (values >= _US_RANGE[0]) & (values < _US_RANGE[1])
    ns = np.where(is_us, values * NS_PER_US, values * NS_PER_MS)
    bad = ~(is_ms | is_us)
    valid = ~bad
    mixed = 0
    if valid.any():
        first_is_us = bool(is_us[np.argmax(valid)])
        mixed = int(np.count_nonzero(is_ms if first_is_us else is_us))
    return ns, bad, mixed


class _Reasons:
    """
    Reject reasons of a block's rows, built check by check; the first failing check names a row's
    reason.

    Held as small integer codes while checking: comparing an object array of strings on every
    check cost more than the checks themselves.
    """

    def __init__(self, n: int) -> None:
        self.codes = np.zeros(n, dtype=np.uint8)
        self.names: dict[str, int] = {"": 0}

    def flag(self, mask: np.ndarray, reason: str) -> None:
        """Give `reason` to the rows in `mask` that have none yet."""
        fresh = mask & (self.codes == 0)
        if fresh.any():
            self.codes[fresh] = self.names.setdefault(reason, len(self.names))

    def array(self) -> np.ndarray:
        """Return the reasons as the object array `Prepared` carries (``""``: the row is kept)."""
        return np.array(list(self.names), dtype=object)[self.codes]


def _num(batch: pa.RecordBatch, name: str) -> np.ndarray:
    column = batch.column(name)
    return column.to_numpy(zero_copy_only=False) if column.null_count else column.to_numpy()


def _floats(batch: pa.RecordBatch, name: str) -> np.ndarray:
    column = batch.column(name)
    if column.null_count:  # only then: the common case converts without a copy
        column = pc.fill_null(column, np.nan)
    return np.asarray(column.to_numpy(), dtype=np.float64)


class Converter:
    """The conversion of one archive family; subclasses fill in the family's rules."""

    family: str = ""

    # Source columns holding prices and quantities (named in diagnostics of rejected rows).
    price_columns: tuple[str, ...] = ()
    size_columns: tuple[str, ...] = ()

    def __init__(self, spec: InstrumentSpec, options: ConvertOptions) -> None:
        self.spec = spec
        self.options = options
        self.instrument_id = spec.instrument_id
        self.price_precision = spec.price_precision
        self.size_precision = spec.size_precision
        self._price_grid = spec.grid("tick_size")
        self._size_grid = spec.grid("step_size")

    def schema(self) -> pa.Schema:
        """Return the catalog schema the converter writes."""
        raise NotImplementedError

    def prepare(self, batch: pa.RecordBatch) -> Prepared:
        """Derive timestamps, keys and reject reasons of a typed block."""
        raise NotImplementedError

    def table(self, batch: pa.RecordBatch, prepared: Prepared) -> pa.Table:
        """Build the catalog table of a block whose rows are all kept."""
        raise NotImplementedError

    def _grid_reasons(
        self,
        reasons: _Reasons,
        prices: dict[str, np.ndarray],
        sizes: dict[str, np.ndarray],
        ts_ns: np.ndarray,
    ) -> dict[str, np.ndarray]:
        """
        Flag bad prices and sizes; return every column in catalog grid units (for ``_fixed``).

        A value must lie on the catalog's grid (the finest of the symbol's history) and be a
        multiple of the tick or step in force on its row's UTC day (`ts_ns` picks the day).
        """
        for values in prices.values():
            reasons.flag(~(np.isfinite(values) & (values > 0)), "non_positive_price")
        for values in sizes.values():
            reasons.flag(~(np.isfinite(values) & (values >= 0)), "negative_size")
        units = {}
        checks = ((prices, self.price_precision, self._price_grid, "off_tick_price"), (sizes, self.size_precision, self._size_grid, "off_step_size"))
        for columns, precision, grid, reason in checks:
            for name, values in columns.items():
                units[name], on_grid = to_grid(values, precision)
                reasons.flag(~on_grid | grid.off_grid(units[name], ts_ns), reason)
        return units

    def _fixed(self, prepared: Prepared, name: str, *, size: bool = False) -> pa.Array:
        precision = self.size_precision if size else self.price_precision
        return fixed_from_units(prepared.units[name], precision)


class TradeConverter(Converter):
    """aggTrades → ``TradeTick``: aggressor SELLER when ``is_buyer_maker``; trade_id = agg id."""

    family = "aggTrades"
    price_columns = ("price",)
    size_columns = ("quantity",)

    def schema(self) -> pa.Schema:
        return trade_schema(self.instrument_id, self.price_precision, self.size_precision)

    def prepare(self, batch: pa.RecordBatch) -> Prepared:
        ts, bad_ts, mixed = epoch_to_ns(_num(batch, "transact_time"))
        price, qty = _floats(batch, "price"), _floats(batch, "quantity")
        reasons = _Reasons(batch.num_rows)
        reasons.flag(bad_ts, "bad_timestamp")
        units = self._grid_reasons(reasons, {"price": price}, {"quantity": qty}, ts)
        reasons.flag(qty <= 0, "non_positive_size")
        return Prepared(ts, ts, _num(batch, "agg_trade_id"), reasons.array(), mixed, units)

    def table(self, batch: pa.RecordBatch, prepared: Prepared) -> pa.Table:
        price = self._fixed(prepared, "price")
        size = self._fixed(prepared, "quantity", size=True)
        side = pc.if_else(batch.column("is_buyer_maker"), AGGRESSOR_SELLER, AGGRESSOR_BUYER).cast(pa.uint8())
        arrays = [price, size, side, batch.column("agg_trade_id").cast(pa.string()), pa.array(prepared.ts_event, pa.uint64()), pa.array(prepared.ts_init, pa.uint64())]
        return pa.Table.from_arrays(arrays, schema=self.schema())


class QuoteConverter(Converter):
    """bookTicker → ``QuoteTick``; crossed, locked or non-positive books are rejected."""

    family = "bookTicker"
    price_columns = ("best_bid_price", "best_ask_price")
    size_columns = ("best_bid_qty", "best_ask_qty")

    def schema(self) -> pa.Schema:
        return quote_schema(self.instrument_id, self.price_precision, self.size_precision)

    def prepare(self, batch: pa.RecordBatch) -> Prepared:
        ts_event, bad_tx, mixed = epoch_to_ns(_num(batch, "transaction_time"))
        if self.options.quote_ts_init == "event_time":
            ts_init, bad_init, _ = epoch_to_ns(_num(batch, "event_time"))
        else:
            ts_init, bad_init = ts_event, bad_tx
        bid, ask = _floats(batch, "best_bid_price"), _floats(batch, "best_ask_price")
        bid_qty, ask_qty = _floats(batch, "best_bid_qty"), _floats(batch, "best_ask_qty")
        reasons = _Reasons(batch.num_rows)
        reasons.flag(bad_tx | bad_init, "bad_timestamp")
        units = self._grid_reasons(
            reasons,
            {"best_bid_price": bid, "best_ask_price": ask},
            {"best_bid_qty": bid_qty, "best_ask_qty": ask_qty},
            ts_event,
        )
        reasons.flag((bid_qty <= 0) | (ask_qty <= 0), "non_positive_size")
        reasons.flag(bid >= ask, "crossed_book")
        return Prepared(ts_event, ts_init, _num(batch, "update_id"), reasons.array(), mixed, units)

    def table(self, batch: pa.RecordBatch, prepared: Prepared) -> pa.Table:
        arrays = [
            self._fixed(prepared, "best_bid_price"),
            self._fixed(prepared, "best_ask_price"),
            self._fixed(prepared, "best_bid_qty", size=True),
            self._fixed(prepared, "best_ask_qty", size=True),
            pa.array(prepared.ts_event, pa.uint64()),
            pa.array(prepared.ts_init, pa.uint64()),
        ]
        return pa.Table.from_arrays(arrays, schema=self.schema())


def _kline_times(batch: pa.RecordBatch, reasons: _Reasons) -> tuple[np.ndarray, np.ndarray, int]:
    """Flag bad kline times; return (open ns, the row's stamp open + 1 min - 1 ns, unit-mixed count)."""
    open_ns, bad_open, mixed = epoch_to_ns(_num(batch, "open_time"))
    close_ns, bad_close, _ = epoch_to_ns(_num(batch, "close_time"))
    reasons.flag(bad_open | bad_close, "bad_timestamp")
    # close_time is the last ms (or µs) of the minute.
    reasons.flag((close_ns - open_ns < KLINE_NS - NS_PER_MS) | (close_ns - open_ns >= KLINE_NS) | (open_ns % KLINE_NS != 0), "not_a_1m_kline")
    # The last nanosecond of the minute: after every trade of the bar (ms/µs stamps), before
    # any of the next one, and inside the bar's own UTC day (one kline file, one catalog file).
    return open_ns, open_ns + KLINE_NS - 1, mixed


def _ohlc_reasons(reasons: _Reasons, o: np.ndarray, h: np.ndarray, low: np.ndarray, c: np.ndarray) -> None:
    reasons.flag((h < np.maximum(o, c)) | (low > np.minimum(o, c)) | (low > h), "inconsistent_ohlc")


class _AnyValue:
    """A grid that allows every value of the catalog grid (no exchange tick applies)."""

    trivial = True

    @staticmethod
    def off_grid(units: np.ndarray, ts_ns: np.ndarray) -> np.ndarray:
        return np.zeros(len(units), dtype=bool)


class BarConverter(Converter):
    """1m klines → ``Bar`` ``1-MINUTE-LAST-EXTERNAL``, stamped at the bar close (open + 1 min − 1 ns)."""

    family = "klines"
    price_columns = ("open", "high", "low", "close")
    size_columns = ("volume",)

    def schema(self) -> pa.Schema:
        return bar_schema(self.instrument_id, self.price_precision, self.size_precision, BAR_SPECS[self.family])

    def prepare(self, batch: pa.RecordBatch) -> Prepared:
        reasons = _Reasons(batch.num_rows)
        open_ns, ts, mixed = _kline_times(batch, reasons)
        o, h, low, c = (_floats(batch, name) for name in ("open", "high", "low", "close"))
        volume = _floats(batch, "volume")
        units = self._grid_reasons(reasons, {"open": o, "high": h, "low": low, "close": c}, {"volume": volume}, ts)
        _ohlc_reasons(reasons, o, h, low, c)
        return Prepared(ts, ts, open_ns, reasons.array(), mixed, units)

    def table(self, batch: pa.RecordBatch, prepared: Prepared) -> pa.Table:
        arrays = [self._fixed(prepared, name) for name in ("open", "high", "low", "close")]
        arrays += [self._fixed(prepared, "volume", size=True), pa.array(prepared.ts_event, pa.uint64()), pa.array(prepared.ts_init, pa.uint64())]
        return pa.Table.from_arrays(arrays, schema=self.schema())


class MarkBarConverter(BarConverter):
    """
    1m mark-price klines → ``Bar`` ``1-MINUTE-MARK-EXTERNAL``, stamped like the trade klines.

    The mark price is an average (index plus a smoothed basis), published with more decimals
    than the contract's tick: its grid is ``MARK_PRICE_PRECISION`` decimals, not the tick.
    """

    family = "markPriceKlines"

    def __init__(self, spec: InstrumentSpec, options: ConvertOptions) -> None:
        super().__init__(spec, options)
        self.price_precision = MARK_PRICE_PRECISION
        self._price_grid = _AnyValue()


class _CustomConverter(Converter):
    """Shared table building for the custom data types: source columns kept under their names."""

    data_cls: type = object
    columns: tuple[str, ...] = ()

    def schema(self) -> pa.Schema:
        return custom_schema(self.data_cls)

    def table(self, batch: pa.RecordBatch, prepared: Prepared) -> pa.Table:
        schema = self.schema()
        n = batch.num_rows
        arrays = []
        for f in schema:
            if f.name == "instrument_id":
                arrays.append(pa.array([self.instrument_id] * n, pa.string()))
            elif f.name == "type":
                arrays.append(pa.array([self.data_cls.__name__] * n, pa.string()))
            elif f.name == "ts_event":
                arrays.append(pa.array(prepared.ts_event, pa.int64()))
            elif f.name == "ts_init":
                arrays.append(pa.array(prepared.ts_init, pa.int64()))
            else:
                column = self._column(batch, f.name).cast(f.type)
                # Empty source cells become NaN, not null: the data class's fields are plain floats.
                arrays.append(pc.fill_null(column, np.nan) if pa.types.is_floating(f.type) else column)
        return pa.Table.from_arrays(arrays, schema=schema)

    def _column(self, batch: pa.RecordBatch, name: str) -> pa.Array:
        return batch.column(name)


class _PriceKlineConverter(_CustomConverter):
    """Index and premium klines → their custom types (OHLC as floats), stamped like the trade klines."""

    price_columns = ("open", "high", "low", "close")
    positive = True  # prices must be positive (an index); a premium may be zero or negative

    def prepare(self, batch: pa.RecordBatch) -> Prepared:
        reasons = _Reasons(batch.num_rows)
        open_ns, ts, mixed = _kline_times(batch, reasons)
        o, h, low, c = (_floats(batch, name) for name in ("open", "high", "low", "close"))
        finite = np.isfinite(o) & np.isfinite(h) & np.isfinite(low) & np.isfinite(c)
        reasons.flag(~finite, "not_finite")
        if self.positive:
            reasons.flag(~((o > 0) & (h > 0) & (low > 0) & (c > 0)), "non_positive_price")
        _ohlc_reasons(reasons, o, h, low, c)
        return Prepared(ts, ts, open_ns, reasons.array(), mixed)


class IndexKlineConverter(_PriceKlineConverter):
    """1m index-price klines → ``IndexPriceKline``."""

    family = "indexPriceKlines"
    data_cls = IndexPriceKline


class PremiumKlineConverter(_PriceKlineConverter):
    """1m premium-index klines → ``PremiumIndexKline`` (a signed ratio: zero and negative are fine)."""

    family = "premiumIndexKlines"
    data_cls = PremiumIndexKline
    positive = False


class MetricsConverter(_CustomConverter):
    """5-minute metrics → ``FuturesMetrics`` at ``create_time`` (+ optional publication lag)."""

    family = "metrics"
    data_cls = FuturesMetrics

    def prepare(self, batch: pa.RecordBatch) -> Prepared:
        created = batch.column("create_time").cast(pa.int64()).to_numpy(zero_copy_only=False) * NS_PER_S
        reasons = _Reasons(batch.num_rows)
        oi = _floats(batch, "sum_open_interest")
        oi_value = _floats(batch, "sum_open_interest_value")
        reasons.flag(~(np.isfinite(oi) & (oi >= 0) & np.isfinite(oi_value) & (oi_value >= 0)), "bad_open_interest")
        for name in ("count_toptrader_long_short_ratio", "sum_toptrader_long_short_ratio", "count_long_short_ratio", "sum_taker_long_short_vol_ratio"):
            values = _floats(batch, name)
            # Empty ratio cells (a known archive quirk) stay NaN; negative or infinite ones are wrong.
            reasons.flag(np.isinf(values) | (values < 0), f"bad_ratio:{name}")
        symbol = np.asarray(batch.column("symbol").to_pylist(), dtype=object)
        reasons.flag(symbol != self.spec.symbol, "wrong_symbol")
        return Prepared(created, created + self.options.metrics_lag_ns, created, reasons.array())


class FundingConverter(_CustomConverter):
    """Monthly fundingRate → ``FundingRate`` at ``calc_time``; the interval column is kept."""

    family = "fundingRate"
    data_cls = FundingRate

    def prepare(self, batch: pa.RecordBatch) -> Prepared:
        calc_ms = _num(batch, "calc_time")
        ts, bad_ts, mixed = epoch_to_ns(calc_ms)
        interval = _num(batch, "funding_interval_hours")
        rate = _floats(batch, "last_funding_rate")
        reasons = _Reasons(batch.num_rows)
        reasons.flag(bad_ts, "bad_timestamp")
        reasons.flag((interval <= 0) | (interval > 24), "bad_funding_interval")
        reasons.flag(~np.isfinite(rate) | (np.abs(rate) >= 1.0), "bad_funding_rate")
        return Prepared(ts, ts, ts, reasons.array(), mixed)

    def _column(self, batch: pa.RecordBatch, name: str) -> pa.Array:
        if name == "calc_time":
            # Stored in ms as published, whatever the source unit.
            return pa.array(epoch_to_ns(_num(batch, "calc_time"))[0] // NS_PER_MS)
        return batch.column(name)


class BookDepthConverter(_CustomConverter):
    """bookDepth → ``BookDepth``: cumulative depth per percentage band at each snapshot."""

    family = "bookDepth"
    data_cls = BookDepth

    def prepare(self, batch: pa.RecordBatch) -> Prepared:
        ts = batch.column("timestamp").cast(pa.int64()).to_numpy(zero_copy_only=False) * NS_PER_S
        pct = _floats(batch, "percentage")
        depth, notional = _floats(batch, "depth"), _floats(batch, "notional")
        reasons = _Reasons(batch.num_rows)
        reasons.flag(~np.isfinite(pct) | (pct == 0) | (np.abs(pct) > 100), "bad_percentage")
        reasons.flag(~(np.isfinite(depth) & (depth >= 0) & np.isfinite(notional) & (notional >= 0)), "negative_depth")
        # One snapshot holds one row per band: (second, band) identifies a row.
        key = ts // NS_PER_S * 10_000 + np.rint(np.where(np.isfinite(pct), pct, 0) * 10).astype(np.int64) + 5_000
        return Prepared(ts, ts, key, reasons.array())


CONVERTERS: dict[str, type[Converter]] = {
    c.family: c
    for c in (
        TradeConverter,
        QuoteConverter,
        BarConverter,
        MarkBarConverter,
        IndexKlineConverter,
        PremiumKlineConverter,
        MetricsConverter,
        FundingConverter,
        BookDepthConverter,
    )
}
