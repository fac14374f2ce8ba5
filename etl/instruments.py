"""Instrument specs from ``configs/instruments.toml`` → Nautilus instruments in the catalog."""

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from nautilus_trader.model.currencies import Currency
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import Symbol
from nautilus_trader.model.instruments import CryptoPerpetual
from nautilus_trader.model.instruments import CurrencyPair
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import Money
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity
from nautilus_trader.persistence.catalog.parquet import _timestamps_to_filename
from nautilus_trader.persistence.funcs import class_to_filename
from nautilus_trader.persistence.funcs import urisafe_identifier
from nautilus_trader.serialization.arrow.serializer import ArrowSerializer

from etl.archive import FUTURES_UM
from etl.archive import SPOT
from etl.writer import atomic_write_bytes

DEFAULT_INSTRUMENTS_FILE = Path(__file__).resolve().parents[1] / "configs" / "instruments.toml"
# Fixed so that re-writing an instrument replaces its file instead of adding a second version.
INSTRUMENT_TS_INIT = 0
VENUE = "BINANCE"
_KEYS = {"base", "quote", "tick_size", "step_size", "min_quantity", "max_quantity", "min_notional", "maker_fee", "taker_fee", "margin_init", "margin_maint"}


@dataclass(frozen=True)
class InstrumentSpec:
    """The exchange filters and fees of one tradable symbol on one market."""

    symbol: str
    market: str
    base: str
    quote: str
    tick_size: str
    step_size: str
    min_quantity: str
    max_quantity: str
    min_notional: str
    maker_fee: str
    taker_fee: str
    margin_init: str
    margin_maint: str

    @property
    def instrument_id(self) -> str:
        """Return the Nautilus instrument id (``BTCUSDT-PERP.BINANCE`` or ``BTCUSDT.BINANCE``)."""
        suffix = "-PERP" if self.market == FUTURES_UM else ""
        return f"{self.symbol}{suffix}.{VENUE}"

    @property
    def price_precision(self) -> int:
        """Return the decimals of the price grid."""
        return _decimals(self.tick_size)

    @property
    def size_precision(self) -> int:
        """Return the decimals of the quantity grid."""
        return _decimals(self.step_size)

    def to_instrument(self) -> Instrument:
        """Build the Nautilus instrument."""
        common = dict(
            instrument_id=InstrumentId.from_str(self.instrument_id),
            raw_symbol=Symbol(self.symbol),
            base_currency=Currency.from_str(self.base),
            quote_currency=Currency.from_str(self.quote),
            price_precision=self.price_precision,
            size_precision=self.size_precision,
            price_increment=Price.from_str(self.tick_size),
            size_increment=Quantity.from_str(self.step_size),
            max_quantity=Quantity.from_str(self.max_quantity),
            min_quantity=Quantity.from_str(self.min_quantity),
            max_notional=None,
            min_notional=Money.from_str(f"{self.min_notional} {self.quote}"),
            max_price=None,
            min_price=None,
            margin_init=Decimal(self.margin_init),
            margin_maint=Decimal(self.margin_maint),
            maker_fee=Decimal(self.maker_fee),
            taker_fee=Decimal(self.taker_fee),
            ts_event=INSTRUMENT_TS_INIT,
            ts_init=INSTRUMENT_TS_INIT,
        )
        if self.market == FUTURES_UM:
            return CryptoPerpetual(
                settlement_currency=Currency.from_str(self.quote),
                is_inverse=False,
                **common,
            )
        return CurrencyPair(**common)


def _decimals(text: str) -> int:
    exponent = Decimal(text).normalize().as_tuple().exponent
    return max(0, -int(exponent))


class InstrumentSpecs:
    """
    The instrument specs of a TOML file.

    Parameters
    ----------
    path : Path | str | None
        The TOML file; the project's ``configs/instruments.toml`` when None.

    Raises
    ------
    ValueError
        If the file has unknown keys or a spec lacks a field; the message names the file and key.

    """

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else DEFAULT_INSTRUMENTS_FILE
        with open(self.path, "rb") as f:
            raw = tomllib.load(f)
        defaults = raw.get("defaults", {})
        self._specs: dict[tuple[str, str], InstrumentSpec] = {}
        for section, market in (("perpetual", FUTURES_UM), ("spot", SPOT)):
            for symbol, values in raw.get(section, {}).items():
                merged = {**defaults.get(section, {}), **values}
                unknown = set(merged) - _KEYS
                if unknown:
                    raise ValueError(f"{self.path}: [{section}.{symbol}] unknown key(s) {sorted(unknown)}")
                missing = _KEYS - set(merged)
                if missing:
                    raise ValueError(f"{self.path}: [{section}.{symbol}] missing key(s) {sorted(missing)}")
                self._specs[(market, symbol)] = InstrumentSpec(symbol=symbol, market=market, **{k: str(v) for k, v in merged.items()})

    def get(self, market: str, symbol: str) -> InstrumentSpec:
        """
        Return the spec of `symbol` on `market`.

        Raises
        ------
        KeyError
            If the file has no spec for it; the message says which section to add.

        """
        try:
            return self._specs[(market, symbol)]
        except KeyError:
            section = "perpetual" if market == FUTURES_UM else "spot"
            raise KeyError(f"no instrument spec for {symbol} ({market}) in {self.path}: add a [{section}.{symbol}] table") from None


def write_instrument(catalog: Path, instrument: Instrument) -> Path:
    """
    Write an instrument into the catalog atomically, replacing its file only if it changed.

    The fixed ``ts_init`` gives one file name per instrument, so a changed spec replaces the old
    version instead of adding a second one (the backtest node would use whichever it saw first).

    Returns
    -------
    Path
        The instrument's catalog file.

    """
    table = ArrowSerializer.serialize_batch([instrument], data_cls=type(instrument))
    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    data = sink.getvalue().to_pybytes()
    directory = Path(catalog) / "data" / class_to_filename(type(instrument)) / urisafe_identifier(instrument.id.value)
    final = directory / _timestamps_to_filename(INSTRUMENT_TS_INIT, INSTRUMENT_TS_INIT)
    if not (final.exists() and final.read_bytes() == data):
        atomic_write_bytes(final, data)
    return final
