"""
An instrument's dated exchange rules, as the catalog records them (``_etl/rules/<id>.json``).

Binance changes a symbol's filters over its life (tick, step, minimum quantity and notional). The
ETL validates each day against the rules in force that day and records the whole history here,
beside the data it validated; a backtest reads it back to build the instrument in force during
its period (``read_rules(catalog, id).to_instrument(on=day)``). The catalog's own instrument
carries one set of rules: increments the finest of every era (so data of any era lies on its
grid), order limits and fees of the latest era.

An *era* is the full set of rules between two dates at which some of them changed.
"""

import datetime as dt
import json
import os
import tempfile
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import fields
from decimal import Decimal
from pathlib import Path

from nautilus_trader.model.currencies import Currency
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import Symbol
from nautilus_trader.model.instruments import CryptoPerpetual
from nautilus_trader.model.instruments import CurrencyPair
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import Money
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity

RULES_DIR = ("_etl", "rules")
PERPETUAL_MARKET = "futures/um"  # the archive's USD-M futures path; spot is "spot"
VENUE = "BINANCE"
# Fixed so that re-writing an instrument replaces its file instead of adding a second version.
INSTRUMENT_TS_INIT = 0
_SECTIONS = {PERPETUAL_MARKET: "perpetual", "spot": "spot"}


@dataclass(frozen=True)
class Era:
    """
    The rules of one symbol from one UTC date to the next era's.

    Parameters
    ----------
    since : dt.date | None
        The UTC date the rules took effect; None for the first era (from the listing).
    tick_size, step_size, min_quantity, max_quantity, min_notional, maker_fee, taker_fee : str
        Decimal texts, as Binance's filters and fee tiers give them.

    """

    since: dt.date | None
    tick_size: str
    step_size: str
    min_quantity: str
    max_quantity: str
    min_notional: str
    maker_fee: str
    taker_fee: str


RULE_KEYS: frozenset[str] = frozenset(f.name for f in fields(Era) if f.name != "since")


def decimals(text: str) -> int:
    """Return the decimal places of a decimal text (``"0.00100"`` has 3)."""
    exponent = Decimal(text).normalize().as_tuple().exponent
    return max(0, -int(exponent))


def era_on(eras: tuple[Era, ...], day: dt.date) -> Era:
    """Return the era in force at the start of UTC `day` (a change dated `day` included)."""
    chosen = eras[0]
    for era in eras[1:]:
        if era.since <= day:
            chosen = era
    return chosen


@dataclass(frozen=True)
class InstrumentRules:
    """
    One tradable symbol on one market: its currencies, margins and dated exchange rules.

    Parameters
    ----------
    symbol : str
        The exchange symbol (``BTCUSDT``).
    market : str
        ``futures/um`` (a USD-M perpetual) or ``spot``.
    base, quote : str
        The currencies.
    margin_init, margin_maint : str
        Margin fractions (decimal texts).
    eras : tuple[Era, ...]
        The rules, oldest first; the first has ``since = None``.
    source : str, default ""
        The file the rules came from.

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
        suffix = "-PERP" if self.market == PERPETUAL_MARKET else ""
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

    def changes_within(self, first: dt.date, last: dt.date) -> list[Era]:
        """Return the eras that took effect after UTC day `first` and on or before `last`."""
        return [e for e in self.eras[1:] if first < e.since <= last]

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

        Returns
        -------
        Instrument
            A ``CryptoPerpetual`` (``futures/um``) or a ``CurrencyPair`` (``spot``).

        """
        rules = self.current if on is None else self.era_on(on)
        tick, step = rules.tick_size, rules.step_size
        if on is None:
            tick = min((e.tick_size for e in self.eras), key=Decimal)
            step = min((e.step_size for e in self.eras), key=Decimal)
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
            max_quantity=Quantity(Decimal(rules.max_quantity), size_precision),
            min_quantity=Quantity(Decimal(rules.min_quantity), size_precision),
            max_notional=None,
            min_notional=Money.from_str(f"{rules.min_notional} {self.quote}"),
            max_price=None,
            min_price=None,
            margin_init=Decimal(self.margin_init),
            margin_maint=Decimal(self.margin_maint),
            maker_fee=Decimal(rules.maker_fee),
            taker_fee=Decimal(rules.taker_fee),
            ts_event=INSTRUMENT_TS_INIT,
            ts_init=INSTRUMENT_TS_INIT,
        )
        if self.market == PERPETUAL_MARKET:
            return CryptoPerpetual(
                settlement_currency=Currency.from_str(self.quote),
                is_inverse=False,
                **common,
            )
        return CurrencyPair(**common)


def rules_path(catalog: Path, instrument_id: str) -> Path:
    """Return where the catalog keeps an instrument's dated rules (``_etl/rules/<id>.json``)."""
    return Path(catalog).joinpath(*RULES_DIR, f"{instrument_id}.json")


def encode_rules(rules: InstrumentRules) -> bytes:
    """Return the rules file's bytes (sorted keys: the same rules give the same bytes)."""
    payload = {f.name: getattr(rules, f.name) for f in fields(InstrumentRules)}
    payload["eras"] = [
        asdict(e) | {"since": e.since.isoformat() if e.since else None} for e in rules.eras
    ]
    return (json.dumps(payload, indent=1, sort_keys=True) + "\n").encode()


def write_rules(catalog: Path, rules: InstrumentRules) -> Path:
    """
    Record an instrument's dated rules in the catalog (atomically, only when they changed).

    Parameters
    ----------
    catalog : Path
        The catalog root.
    rules : InstrumentRules
        The rules (an ``etl.instruments.InstrumentSpec`` is one).

    Returns
    -------
    Path
        The rules file.

    """
    data = encode_rules(rules)
    path = rules_path(catalog, rules.instrument_id)
    if path.exists() and path.read_bytes() == data:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    # A temporary file in the same folder, then a rename: readers never see half a file.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_rules(catalog: Path, instrument_id: str) -> InstrumentRules:
    """
    Return the dated rules the catalog's data of `instrument_id` was ingested with.

    Parameters
    ----------
    catalog : Path
        The catalog root.
    instrument_id : str
        ``BTCUSDT-PERP.BINANCE``.

    Returns
    -------
    InstrumentRules

    Raises
    ------
    FileNotFoundError
        If the catalog has no rules for the instrument (ingested before rules were recorded).
    ValueError
        If the file is not a rules file; the message names it.

    """
    path = rules_path(catalog, instrument_id)
    if not path.exists():
        raise FileNotFoundError(
            f"{path}: no dated rules recorded for {instrument_id}; re-run the ingest to record them"
        )
    try:
        raw = json.loads(path.read_text())
        eras = tuple(
            Era(**(e | {"since": dt.date.fromisoformat(e["since"]) if e["since"] else None}))
            for e in raw.pop("eras")
        )
        return InstrumentRules(**raw, eras=eras)
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{path}: not a rules file ({e})") from None
