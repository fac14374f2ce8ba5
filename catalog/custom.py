"""
Read custom data (``FundingRate``, ``FuturesMetrics``) from the catalog lazily, one file at a time.

The streaming node cannot carry custom types, so the backtest's replay actor and funding module
read them here. Rows come out strictly increasing in ``ts_init`` per (type, instrument): a second row at a
timestamp already seen is dropped, so a duplicated catalog row can never be delivered or settled
twice.

"""

from collections.abc import Iterator

from nautilus_trader.core.data import Data
from nautilus_trader.model.data import CustomData
from nautilus_trader.persistence.catalog.parquet import ParquetDataCatalog


def _unwrap(rows: list[Data]) -> list[Data]:
    data = [row.data if isinstance(row, CustomData) else row for row in rows]
    data.sort(key=lambda row: row.ts_init)  # stable: keeps file order within a timestamp
    return data


def iter_custom(
    catalog: ParquetDataCatalog,
    data_cls: type,
    instrument_id: str,
    start_ns: int,
    end_ns: int,
) -> Iterator[Data]:
    """
    Yield the rows of one custom type and instrument with ``start_ns <= ts_init <= end_ns``.

    Parameters
    ----------
    catalog : ParquetDataCatalog
        The catalog to read.
    data_cls : type
        The custom data class (a ``@customdataclass``).
    instrument_id : str
        The instrument whose folder is read.
    start_ns, end_ns : int
        The inclusive bounds on ``ts_init``.

    Yields
    ------
    Data
        The rows in strictly increasing ``ts_init`` order (the first stored row of a timestamp).

    """
    last_ts = start_ns - 1
    for lo, hi in catalog.get_intervals(data_cls, instrument_id):
        if hi < start_ns or hi <= last_ts:
            continue
        if lo > end_ns:
            break
        rows = _unwrap(
            catalog.query(
                data_cls,
                identifiers=[instrument_id],
                start=max(lo, last_ts + 1),
                end=min(hi, end_ns),
            ),
        )
        for row in rows:
            if row.ts_init > last_ts:
                last_ts = row.ts_init
                yield row


def latest_at_or_before(
    catalog: ParquetDataCatalog,
    data_cls: type,
    instrument_id: str,
    ts_ns: int,
) -> Data | None:
    """
    Return the last row of one custom type and instrument with ``ts_init <= ts_ns``.

    Files are read newest first, and only until one holds such a row, so the answer does not depend
    on an arbitrary look-back window.

    Parameters
    ----------
    catalog : ParquetDataCatalog
        The catalog to read.
    data_cls : type
        The custom data class.
    instrument_id : str
        The instrument whose folder is read.
    ts_ns : int
        The time the row must be known by.

    Returns
    -------
    Data | None

    """
    intervals = [iv for iv in catalog.get_intervals(data_cls, instrument_id) if iv[0] <= ts_ns]
    for lo, hi in reversed(intervals):
        rows = _unwrap(
            catalog.query(data_cls, identifiers=[instrument_id], start=lo, end=min(hi, ts_ns))
        )
        if rows:
            return rows[-1]
    return None
