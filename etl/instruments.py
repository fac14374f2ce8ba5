"""Instrument specs (with dated rules) from ``configs/instruments.toml`` → Nautilus instruments in the catalog."""

import datetime as dt
import hashlib
import json
import tomllib
from dataclasses import asdict
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
from etl.catalog_layout import ETL_DIR
from etl.rules import RULE_KEYS
from etl.rules import Era
from etl.rules import Grid
from etl.rules import build_eras
from etl.rules import decimals
from etl.rules import era_on
from etl.writer import atomic_write_bytes

DEFAULT_INSTRUMENTS_FILE = Path(__file__).resolve().parents[1] / "configs" / "instruments.toml"
# Fixed so that re-writing an instrument replaces its file instead of adding a second version.
INSTRUMENT_TS_INIT = 0
VENUE = "BINANCE"
_STATIC_KEYS = frozenset({"base", "quote", "margin_init", "margin_maint"})
_KEYS = _STATIC_KEYS | RULE_KEYS
_SECTIONS = {FUTURES_UM: "perpetual", SPOT: "spot"}


@dataclass(frozen=True)
class InstrumentSpec:
    """
    One tradable symbol on one market: its currencies, margins and dated exchange rules.

    The rule fields (``tick_size`` ... ``taker_fee``) read the latest era; ``eras`` holds them all.
    The catalog's grid (``price_precision``, ``size_precision``) is the finest of every era, so
    that data of any era is represented exactly.
    """

    symbol: str
    market: str
    base: str
    quote: str
    margin_init: str
    margin_maint: str
    eras: tuple[Era, ...]
    source: str = ""

    @property
    def section(self) -> str:
        """Return the TOML table name, e.g. ``spot.BTCUSDT``."""
        return f"{_SECTIONS[self.market]}.{self.symbol}"

    @property
    def current(self) -> Era:
        """Return the latest era's rules."""
        return self.eras[-1]

    @property
    def tick_size(self) -> str:
        """Return the latest tick size."""
        return self.current.tick_size

    @property
    def step_size(self) -> str:
        """Return the latest step size."""
        return self.current.step_size

    @property
    def instrument_id(self) -> str:
        """Return the Nautilus instrument id (``BTCUSDT-PERP.BINANCE`` or ``BTCUSDT.BINANCE``)."""
        suffix = "-PERP" if self.market == FUTURES_UM else ""
        return f"{self.symbol}{suffix}.{VENUE}"

    @property
    def price_precision(self) -> int:
        """Return the decimals of the catalog's price grid (the finest tick of every era)."""
        return max(decimals(e.tick_size) for e in self.eras)

    @property
    def size_precision(self) -> int:
        """Return the decimals of the catalog's quantity grid (the finest step of every era)."""
        return max(decimals(e.step_size) for e in self.eras)

    def era_on(self, day: dt.date) -> Era:
        """Return the rules in force at the start of UTC `day`."""
        return era_on(self.eras, day)

    def grid(self, key: str) -> Grid:
        """Return the per-day grid of ``tick_size`` (prices) or ``step_size`` (quantities)."""
        precision = self.price_precision if key == "tick_size" else self.size_precision
        return Grid(self.eras, key, precision)

    def fingerprint(self) -> str:
        """Return a digest of what validation uses (the grids' history): a change re-ingests."""
        history = [(str(e.since), e.tick_size, e.step_size) for e in self.eras]
        return hashlib.sha256(repr(history).encode()).hexdigest()[:16]

    def to_instrument(self, on: dt.date | None = None) -> Instrument:
        """
        Build the Nautilus instrument.

        Parameters
        ----------
        on : dt.date | None
            None: the catalog's instrument, whose increments are the finest of every era (so that
            any era's data lies on its grid) and whose order limits and fees are the latest era's.
            A date: the rules in force on that UTC day, on the catalog's grid (for the orders of a
            backtest of that day).

        """
        rules = self.current if on is None else self.era_on(on)
        tick, step = rules.tick_size, rules.step_size
        if on is None:
            tick = min((e.tick_size for e in self.eras), key=Decimal)
            step = min((e.step_size for e in self.eras), key=Decimal)
        min_qty, max_qty, min_notional = rules.min_quantity, rules.max_quantity, rules.min_notional
        price_precision, size_precision = self.price_precision, self.size_precision
        common = dict(
            instrument_id=InstrumentId.from_str(self.instrument_id),
            raw_symbol=Symbol(self.symbol),
            base_currency=Currency.from_str(self.base),
            quote_currency=Currency.from_str(self.quote),
            price_precision=price_precision,
            size_precision=size_precision,
            price_increment=Price(Decimal(tick), price_precision),
            size_increment=Quantity(Decimal(step), size_precision),
            max_quantity=Quantity(Decimal(max_qty), size_precision),
            min_quantity=Quantity(Decimal(min_qty), size_precision),
            max_notional=None,
            min_notional=Money.from_str(f"{min_notional} {self.quote}"),
            max_price=None,
            min_price=None,
            margin_init=Decimal(self.margin_init),
            margin_maint=Decimal(self.margin_maint),
            maker_fee=Decimal(rules.maker_fee),
            taker_fee=Decimal(rules.taker_fee),
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


class InstrumentSpecs:
    """
    The instrument specs of a TOML file.

    A symbol's table holds its rules at listing; ``[[<section>.<symbol>.rules]]`` entries change
    some of them from a UTC date on (``since = 2021-02-24``).

    Parameters
    ----------
    path : Path | str | None
        The TOML file; the project's ``configs/instruments.toml`` when None.

    Raises
    ------
    ValueError
        If the file has unknown keys, a spec lacks a field or a dated rule is malformed; the
        message names the file and key.

    """

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else DEFAULT_INSTRUMENTS_FILE
        with open(self.path, "rb") as f:
            raw = tomllib.load(f)
        defaults = raw.get("defaults", {})
        self._specs: dict[tuple[str, str], InstrumentSpec] = {}
        for section, market in (("perpetual", FUTURES_UM), ("spot", SPOT)):
            for symbol, values in raw.get(section, {}).items():
                where = f"{self.path}: [{section}.{symbol}]"
                values = dict(values)
                changes = values.pop("rules", [])
                if not isinstance(changes, list):
                    raise ValueError(f"{where}: 'rules' must be an array of tables ([[{section}.{symbol}.rules]])")
                merged = {**defaults.get(section, {}), **values}
                unknown = set(merged) - _KEYS
                if unknown:
                    raise ValueError(f"{where} unknown key(s) {sorted(unknown)}")
                missing = _KEYS - set(merged)
                if missing:
                    raise ValueError(f"{where} missing key(s) {sorted(missing)}")
                eras = build_eras({k: str(merged[k]) for k in RULE_KEYS}, changes, where)
                static = {k: str(merged[k]) for k in _STATIC_KEYS}
                self._specs[(market, symbol)] = InstrumentSpec(symbol=symbol, market=market, eras=eras, source=str(self.path), **static)

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


def rules_path(catalog: Path, instrument_id: str) -> Path:
    """Return where the catalog keeps an instrument's dated rules (``_etl/rules/<id>.json``)."""
    return Path(catalog) / ETL_DIR / "rules" / f"{instrument_id}.json"


def write_rules(catalog: Path, spec: InstrumentSpec) -> Path:
    """
    Record a spec with its dated rules in the catalog (atomically, only when it changed).

    The catalog's instrument carries one set of rules; this file keeps the history, so that a
    backtest can apply the rules in force during its period (``read_spec(...).to_instrument(on=day)``)
    even when the catalog was built with another ``--instruments`` file.

    Returns
    -------
    Path
        The rules file.

    """
    payload = asdict(spec) | {"eras": [asdict(e) | {"since": e.since.isoformat() if e.since else None} for e in spec.eras]}
    data = (json.dumps(payload, indent=1, sort_keys=True) + "\n").encode()
    path = rules_path(catalog, spec.instrument_id)
    if not (path.exists() and path.read_bytes() == data):
        atomic_write_bytes(path, data)
    return path


def read_spec(catalog: Path, instrument_id: str) -> InstrumentSpec:
    """
    Return the spec, dated rules included, that the catalog's data of `instrument_id` was ingested with.

    Raises
    ------
    FileNotFoundError
        If the catalog has no rules for the instrument (ingested before rules were recorded).

    """
    path = rules_path(catalog, instrument_id)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no dated rules recorded for {instrument_id}; re-run the ingest to record them")
    raw = json.loads(path.read_text())
    eras = tuple(Era(**(e | {"since": dt.date.fromisoformat(e["since"]) if e["since"] else None})) for e in raw.pop("eras"))
    return InstrumentSpec(**raw, eras=eras)
