"""
Read one instrument's rows of a ParquetDataCatalog straight from its Parquet files with pyarrow.

``ParquetDataCatalog.query`` builds a Python object per row; a report over a month of trades
needs numpy columns, so this reads the day files directly (one file per UTC day, named by its
``[start, end]`` bounds), keeps the rows with ``start <= ts_init < end`` and decodes prices and
sizes to float64.

Folders and file bounds come from ``catalog.layout`` and values decode through ``catalog.codec``
(the package that owns the catalog format, which the ETL writes through); research never imports
``etl``: data flows one way.

Columns returned per family (numpy arrays of equal length, in ``ts`` order):

- ``trades``: ``ts`` (int64 ns), ``price``, ``size``, ``side`` (AggressorSide: 1 buyer, 2 seller,
  0 none);
- ``quotes``: ``ts``, ``bid_price``, ``ask_price``, ``bid_size``, ``ask_size``;
- ``bars`` (1-minute klines, stamped at their close): ``ts``, ``open``, ``high``, ``low``,
  ``close``, ``volume``;
- ``book_depth`` (``BookDepth`` rows): ``ts``, ``percentage``, ``depth``, ``notional``.

``ts`` is ``ts_init``, the time a backtest sees the row (no look-ahead by construction).
"""

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick

from catalog.codec import CodecError
from catalog.codec import decode_decimal
from catalog.layout import bar_type_1m
from catalog.layout import data_root
from catalog.layout import family_dir as layout_family_dir
from catalog.layout import files_overlapping
from catalog.layout import safe_identifier
from data_types import BookDepth
from research.errors import ResearchError
from research.period import Period
from research.period import iso
from research.progress import Progress

Columns = dict[str, np.ndarray]

# family -> (data class, {output column: (stored column, precision metadata key or None)})
FAMILIES: dict[str, tuple[type, dict[str, tuple[str, str | None]]]] = {
    "trades": (
        TradeTick,
        {
            "price": ("price", "price_precision"),
            "size": ("size", "size_precision"),
            "side": ("aggressor_side", None),
        },
    ),
    "quotes": (
        QuoteTick,
        {
            "bid_price": ("bid_price", "price_precision"),
            "ask_price": ("ask_price", "price_precision"),
            "bid_size": ("bid_size", "size_precision"),
            "ask_size": ("ask_size", "size_precision"),
        },
    ),
    "bars": (
        Bar,
        {
            "open": ("open", "price_precision"),
            "high": ("high", "price_precision"),
            "low": ("low", "price_precision"),
            "close": ("close", "price_precision"),
            "volume": ("volume", "size_precision"),
        },
    ),
    "book_depth": (
        BookDepth,
        {
            "percentage": ("percentage", None),
            "depth": ("depth", None),
            "notional": ("notional", None),
        },
    ),
}

_PLURAL = {
    "trades": "trade ticks",
    "quotes": "quote ticks",
    "bars": "1-minute bars",
    "book_depth": "BookDepth rows",
}

def family_dir(root: Path, family: str, instrument_id: str) -> Path:
    """Return the catalog folder holding one family of one instrument."""
    cls = FAMILIES[family][0]
    identifier = bar_type_1m(instrument_id) if family == "bars" else instrument_id
    return layout_family_dir(root, cls, identifier)


def catalog_instruments(root: Path) -> list[str]:
    """Return the instrument folders holding trades, quotes or book depth in a catalog."""
    names: set[str] = set()
    for family in ("trades", "quotes", "book_depth"):
        parent = family_dir(root, family, "x").parent
        if parent.is_dir():
            names.update(p.name for p in parent.iterdir() if p.is_dir())
    return sorted(names)


class CatalogReader:
    """
    Read one instrument's rows from a catalog, family by family.

    Parameters
    ----------
    root : Path
        The catalog folder (the one holding ``data/``).
    instrument_id : str
        E.g. ``BTCUSDT-PERP.BINANCE``.
    progress : Progress, optional
        Shows the files being read.

    Raises
    ------
    ResearchError
        If there is no catalog at ``root`` or it holds nothing of the instrument.

    """

    def __init__(self, root: Path, instrument_id: str, progress: Progress | None = None) -> None:
        self.root = Path(root)
        self.instrument_id = instrument_id
        self._progress = progress or Progress(False)
        if not data_root(self.root).is_dir():
            raise ResearchError(f"no catalog at {self.root} (no data/ folder)")
        known = catalog_instruments(self.root)
        if safe_identifier(instrument_id) not in known:
            listed = ", ".join(known) if known else "none"
            raise ResearchError(
                f"unknown instrument {instrument_id!r} in catalog {self.root} (known: {listed})"
            )

    def files(self, family: str, period: Period) -> list[Path]:
        """Return the family's files whose bounds overlap ``period``, in time order."""
        folder = family_dir(self.root, family, self.instrument_id)
        return [f.path for f in files_overlapping(folder, period.start_ns, period.end_ns - 1)]

    def read(self, family: str, period: Period, required: bool = True) -> Columns:
        """
        Return the family's rows with ``period.start_ns <= ts_init < period.end_ns``.

        Parameters
        ----------
        family : str
            ``trades``, ``quotes``, ``bars`` or ``book_depth``.
        period : Period
            The half-open period.
        required : bool
            Refuse an empty result (ResearchError) instead of returning empty columns.

        Returns
        -------
        Columns
            ``ts`` (int64 ns) and the family's value columns (see the module docstring).

        Raises
        ------
        ResearchError
            If ``required`` and the period holds no row.

        """
        spec = FAMILIES[family][1]
        parts: list[Columns] = []
        for path in self._progress.iterate(self.files(family, period), desc=f"read {family}"):
            stored = [column for column, _ in spec.values()]
            table = pq.read_table(path, columns=[*stored, "ts_init"])
            ts = table.column("ts_init").to_numpy().astype(np.int64)
            keep = (ts >= period.start_ns) & (ts < period.end_ns)
            if not keep.any():
                continue
            metadata = table.schema.metadata or {}
            # A whole day inside the period needs no row selection (and no copies).
            rows = slice(None) if keep.all() else keep
            part: Columns = {"ts": ts[rows]}
            for name, (column, precision_key) in spec.items():
                values = table.column(column)
                if pa.types.is_fixed_size_binary(values.type):
                    raw = metadata.get(precision_key.encode()) if precision_key else None
                    if raw is None:
                        raise ResearchError(f"{path}: no {precision_key} in the schema metadata")
                    try:
                        decoded = decode_decimal(values, int(raw))
                    except CodecError as e:
                        raise ResearchError(f"{path}: {column}: {e}") from None
                else:
                    decoded = values.to_numpy()
                part[name] = decoded[rows]
            parts.append(part)
        if not parts:
            if required:
                raise ResearchError(
                    f"no {_PLURAL[family]} for {self.instrument_id} in [{iso(period.start_ns)}, {iso(period.end_ns)})"
                )
            return {"ts": np.empty(0, dtype=np.int64), **{name: np.empty(0) for name in spec}}
        columns = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
        if np.any(np.diff(columns["ts"]) < 0):
            # Files are sorted by ts_init; a stable sort keeps file order within a timestamp.
            order = np.argsort(columns["ts"], kind="stable")
            columns = {name: values[order] for name, values in columns.items()}
        return columns
