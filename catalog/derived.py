"""
Data derived from a catalog for the features fidelity: paths, writers and readers in one place.

Two kinds, both under ``<catalog>/_derived/`` and each stamped with the fingerprint of what it was
derived from (``catalog.fingerprint``), so a stale file is recognised and never used:

- **Feature days** ``features/<instrument>/<spec>/<start_ns>/<YYYY-MM-DD>.parquet``: the values of a
  strategy's tick-fed indicators at every 1-minute kline close of a UTC day (column ``ts``, the
  close's ``ts_init``, then one float64 column per indicator; NaN while it warms up). Indicators
  carry state from day to day, so a day's features depend on every day since the run start
  (``start_ns``) and its fingerprint chains theirs. Beside each day, ``<YYYY-MM-DD>.state.npz``
  holds every indicator's state at the day's end, so a longer period continues from it.
- **Conflated quotes** ``quotes/<ms>ms/``: a ParquetDataCatalog of its own holding the last quote of
  each ``ms`` interval, in the source catalog's quote schema, one file per UTC day, so a streaming
  backtest reads it like any catalog.

Writes are atomic (a temporary file renamed into place): a killed build leaves no partial file.
"""

import json
from datetime import UTC
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.persistence.funcs import urisafe_identifier

from catalog.atomic import atomic_write
from catalog.layout import day_bounds
from catalog.layout import derived_dir
from catalog.layout import family_dir
from catalog.layout import file_name

FORMAT_VERSION = "1"
FINGERPRINT_KEY = b"derived_fingerprint"
NAMES_KEY = b"feature_names"
FORMAT_KEY = b"derived_format"
TS_COLUMN = "ts"


def day_label(day: int) -> str:
    """Return ``YYYY-MM-DD`` of a UTC day number."""
    return datetime.fromtimestamp(day * 86_400, tz=UTC).strftime("%Y-%m-%d")


# -- feature days ------------------------------------------------------------------------------


def features_dir(root: Path, instrument_id: str, spec_key: str, start_ns: int) -> Path:
    """Return the folder of one feature chain: an instrument, an indicator set, a run start."""
    return (
        derived_dir(root) / "features" / urisafe_identifier(instrument_id) / spec_key / str(start_ns)
    )


def feature_day_path(folder: Path, day: int) -> Path:
    """Return the feature file of a UTC day in a chain folder."""
    return folder / f"{day_label(day)}.parquet"


def checkpoint_path(folder: Path, day: int) -> Path:
    """Return the indicator-state checkpoint at the end of a UTC day in a chain folder."""
    return folder / f"{day_label(day)}.state.npz"


def write_feature_day(
    path: Path, ts: np.ndarray, values: dict[str, np.ndarray], fingerprint: str
) -> None:
    """
    Write one day of features atomically.

    Parameters
    ----------
    path : Path
        From ``feature_day_path``.
    ts : np.ndarray
        The kline closes (``ts_init``, int64 ns), increasing.
    values : dict[str, np.ndarray]
        One float64 array per indicator name, aligned with ``ts``.
    fingerprint : str
        The chain fingerprint of everything the values were computed from.

    """
    names = sorted(values)
    table = pa.table(
        {TS_COLUMN: pa.array(ts, type=pa.int64()), **{n: pa.array(values[n], pa.float64()) for n in names}},
    ).replace_schema_metadata(
        {
            FINGERPRINT_KEY: fingerprint.encode(),
            NAMES_KEY: json.dumps(names).encode(),
            FORMAT_KEY: FORMAT_VERSION.encode(),
        },
    )
    atomic_write(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def stored_fingerprint(path: Path) -> str | None:
    """Return the fingerprint a derived Parquet file was written with (None: missing or foreign)."""
    if not path.is_file():
        return None
    try:
        metadata = pq.read_schema(path).metadata or {}
    except (OSError, pa.ArrowInvalid):
        return None  # unreadable: treated as stale and rebuilt
    if metadata.get(FORMAT_KEY) != FORMAT_VERSION.encode():
        return None
    value = metadata.get(FINGERPRINT_KEY)
    return value.decode() if value is not None else None


def read_feature_day(path: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """
    Read one day of features.

    Returns
    -------
    tuple[np.ndarray, dict[str, np.ndarray]]
        The kline closes (int64 ns) and one float64 array per indicator name.

    """
    table = pq.read_table(path)
    names = json.loads(table.schema.metadata[NAMES_KEY])
    ts = table.column(TS_COLUMN).to_numpy()
    return ts, {name: table.column(name).to_numpy() for name in names}


def write_checkpoint(path: Path, states: dict[str, dict[str, np.ndarray]], fingerprint: str) -> None:
    """
    Write every indicator's state at a day's end atomically.

    Parameters
    ----------
    path : Path
        From ``checkpoint_path``.
    states : dict[str, dict[str, np.ndarray]]
        ``Indicator.checkpoint()`` per indicator name.
    fingerprint : str
        The chain fingerprint of that day (the checkpoint is valid only for it).

    """
    arrays = {f"{name}/{key}": array for name, saved in states.items() for key, array in saved.items()}
    arrays["_fingerprint"] = np.frombuffer(fingerprint.encode(), dtype=np.uint8)

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)

    atomic_write(path, write)


def read_checkpoint(path: Path, fingerprint: str) -> dict[str, dict[str, np.ndarray]] | None:
    """Return the states saved at ``path`` if they were saved for ``fingerprint``, else None."""
    if not path.is_file():
        return None
    try:
        with np.load(path) as saved:
            if saved["_fingerprint"].tobytes().decode() != fingerprint:
                return None
            states: dict[str, dict[str, np.ndarray]] = {}
            for key in saved.files:
                if key != "_fingerprint":
                    name, part = key.split("/", 1)
                    states.setdefault(name, {})[part] = saved[key]
            return states
    except (OSError, ValueError, KeyError):
        return None


# -- conflated quotes --------------------------------------------------------------------------


def conflated_root(root: Path, interval_ms: int) -> Path:
    """Return the catalog root of the quotes conflated to ``interval_ms``."""
    return derived_dir(root) / "quotes" / f"{interval_ms}ms"


def conflated_day_path(root: Path, interval_ms: int, instrument_id: str, day: int) -> Path:
    """Return the conflated quote file of one instrument and UTC day."""
    folder = family_dir(conflated_root(root, interval_ms), QuoteTick, instrument_id)
    return folder / file_name(*day_bounds(day))


def write_conflated_day(path: Path, table: pa.Table, fingerprint: str) -> None:
    """
    Write one day of conflated quotes atomically, in the source's schema plus the fingerprint.

    Parameters
    ----------
    path : Path
        From ``conflated_day_path``.
    table : pa.Table
        The kept quote rows, with the source file's schema and metadata.
    fingerprint : str
        The identity of the source day.

    """
    metadata = dict(table.schema.metadata or {})
    metadata.update({FINGERPRINT_KEY: fingerprint.encode(), FORMAT_KEY: FORMAT_VERSION.encode()})
    table = table.replace_schema_metadata(metadata)
    atomic_write(path, lambda tmp: pq.write_table(table, tmp))

