"""Instrument specs (with dated rules) from ``configs/instruments.toml`` → Nautilus instruments in the catalog."""

import hashlib
import tomllib
from dataclasses import dataclass
from dataclasses import fields
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.serialization.arrow.serializer import ArrowSerializer

from catalog import rules as catalog_rules
from catalog.atomic import atomic_write_bytes
from catalog.layout import family_dir
from catalog.layout import file_name
from catalog.rules import INSTRUMENT_TS_INIT
from catalog.rules import PERPETUAL_MARKET
from catalog.rules import InstrumentRules
from etl.archive import FUTURES_UM
from etl.archive import SPOT
from etl.rules import RULE_KEYS
from etl.rules import Grid
from etl.rules import build_eras

# The catalog's rules model names the archive's USD-M market path; both must agree.
assert PERPETUAL_MARKET == FUTURES_UM

DEFAULT_INSTRUMENTS_FILE = Path(__file__).resolve().parents[1] / "configs" / "instruments.toml"
_STATIC_KEYS = frozenset({"base", "quote", "margin_init", "margin_maint"})
_KEYS = _STATIC_KEYS | RULE_KEYS


@dataclass(frozen=True)
class InstrumentSpec(InstrumentRules):
    """
    One tradable symbol on one market: its currencies, margins and dated exchange rules.

    The catalog's rule model (``catalog.rules.InstrumentRules``: eras, precisions, the instrument
    of any day) plus what validation needs: per-day grids and a fingerprint of their history. The
    rule fields (``tick_size`` ...) read the latest era; ``eras`` holds them all. The catalog's
    grid (``price_precision``, ``size_precision``) is the finest of every era, so that data of any
    era is represented exactly.
    """

    def grid(self, key: str) -> Grid:
        """Return the per-day grid of ``tick_size`` (prices) or ``step_size`` (quantities)."""
        precision = self.price_precision if key == "tick_size" else self.size_precision
        return Grid(self.eras, key, precision)

    def fingerprint(self) -> str:
        """Return a digest of what validation uses (the grids' history): a change re-ingests."""
        history = [(str(e.since), e.tick_size, e.step_size) for e in self.eras]
        return hashlib.sha256(repr(history).encode()).hexdigest()[:16]


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
    directory = family_dir(catalog, type(instrument), instrument.id.value)
    final = directory / file_name(INSTRUMENT_TS_INIT, INSTRUMENT_TS_INIT)
    if not (final.exists() and final.read_bytes() == data):
        atomic_write_bytes(final, data)
    return final


def rules_path(catalog: Path, instrument_id: str) -> Path:
    """Return where the catalog keeps an instrument's dated rules (``_etl/rules/<id>.json``)."""
    return catalog_rules.rules_path(catalog, instrument_id)


def write_rules(catalog: Path, spec: InstrumentSpec) -> Path:
    """
    Record a spec with its dated rules in the catalog (atomically, only when it changed).

    The catalog's instrument carries one set of rules; this file keeps the history, so that a
    backtest can apply the rules in force during its period (``catalog.rules.read_rules``) even
    when the catalog was built with another ``--instruments`` file.

    Returns
    -------
    Path
        The rules file.

    """
    return catalog_rules.write_rules(catalog, spec)


def read_spec(catalog: Path, instrument_id: str) -> InstrumentSpec:
    """
    Return the spec, dated rules included, that the catalog's data of `instrument_id` was ingested with.

    Raises
    ------
    FileNotFoundError
        If the catalog has no rules for the instrument (ingested before rules were recorded).

    """
    rules = catalog_rules.read_rules(catalog, instrument_id)
    return InstrumentSpec(**{f.name: getattr(rules, f.name) for f in fields(InstrumentRules)})
