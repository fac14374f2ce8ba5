"""
Read a market day file of the catalog block by block, as numpy columns.

Memory stays bounded by the block size whatever the day's volume (a real BTCUSDT day holds 20M+
quotes). Prices and sizes are decoded exactly as Nautilus's ``as_double()`` gives them
(``catalog.codec``), so an indicator fed from these columns computes what it computes live.

Columns per family (``ts`` is ``ts_event``, what the indicators' handlers read; ``ts_init`` is the
time the backtest delivers the row):

- ``quotes``: ``ts``, ``ts_init``, ``bid_price``, ``ask_price``, ``bid_size``, ``ask_size``;
- ``trades``: ``ts``, ``ts_init``, ``price``, ``size``, ``side`` (``AggressorSide`` code);
- ``bars``: ``ts``, ``ts_init``, ``open``, ``high``, ``low``, ``close``, ``volume``.
"""

from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from catalog.codec import decode_as_double

BLOCK_ROWS = 1_000_000

# family -> {column: (stored column, precision metadata key or None)}
_STORED: dict[str, dict[str, tuple[str, str | None]]] = {
    "quotes": {
        "bid_price": ("bid_price", "price_precision"),
        "ask_price": ("ask_price", "price_precision"),
        "bid_size": ("bid_size", "size_precision"),
        "ask_size": ("ask_size", "size_precision"),
    },
    "trades": {
        "price": ("price", "price_precision"),
        "size": ("size", "size_precision"),
        "side": ("aggressor_side", None),
    },
    "bars": {
        name: (name, "size_precision" if name == "volume" else "price_precision")
        for name in ("open", "high", "low", "close", "volume")
    },
}


@dataclass(frozen=True, slots=True)
class MarketBlock:
    """One block of rows: the stored rows (whole row groups) and the requested columns decoded."""

    raw: pa.Table
    columns: dict[str, np.ndarray]

    def __len__(self) -> int:
        return self.raw.num_rows


def iter_blocks(
    path: Path,
    family: str,
    columns: Sequence[str],
    block_rows: int = BLOCK_ROWS,
    keep_raw_columns: bool = False,
) -> Iterator[MarketBlock]:
    """
    Yield a market day file's rows in blocks, in file (``ts_init``) order.

    Parameters
    ----------
    path : Path
        A catalog file of ``family``.
    family : str
        ``quotes``, ``trades`` or ``bars``.
    columns : Sequence[str]
        The decoded columns wanted (``ts_init`` is always included).
    block_rows : int, default 1,000,000
        Rows per block.
    keep_raw_columns : bool, default False
        Read every stored column into ``MarketBlock.raw`` (to copy rows to another file);
        otherwise only what the decoded columns need.

    Yields
    ------
    MarketBlock
        Whole row groups of about ``block_rows`` rows (an empty file yields nothing).

    Raises
    ------
    KeyError
        If a requested column does not exist for ``family``.

    """
    stored = _STORED[family]
    unknown = set(columns) - set(stored) - {"ts", "ts_init"}
    if unknown:
        raise KeyError(f"no column {sorted(unknown)} in {family}")
    handle = pq.ParquetFile(path)
    metadata = handle.schema_arrow.metadata or {}
    read = None
    if not keep_raw_columns:
        read = ["ts_init", *(["ts_event"] if "ts" in columns else [])]
        read += [stored[c][0] for c in columns if c in stored]
    for groups in _row_group_runs(handle.metadata, block_rows):
        # Whole row groups: re-batching them into blocks would copy every 16-byte value.
        batch = handle.read_row_groups(groups, columns=read, use_threads=False)
        decoded = {"ts_init": _int64(batch.column("ts_init"))}
        for name in columns:
            if name == "ts":
                decoded["ts"] = _int64(batch.column("ts_event"))
            elif name in stored:
                column, precision_key = stored[name]
                values = batch.column(column)
                if precision_key is None:
                    decoded[name] = values.to_numpy()
                else:
                    decoded[name] = decode_as_double(values, int(metadata[precision_key.encode()]))
        yield MarketBlock(batch, decoded)


def read_schema(path: Path) -> pa.Schema:
    """Return a catalog file's Arrow schema (with its metadata)."""
    return pq.read_schema(path)


def _row_group_runs(metadata: pq.FileMetaData, block_rows: int) -> list[list[int]]:
    # Consecutive row groups holding about ``block_rows`` rows together (at least one group).
    runs: list[list[int]] = []
    rows = 0
    for index in range(metadata.num_row_groups):
        if not runs or rows >= block_rows:
            runs.append([])
            rows = 0
        runs[-1].append(index)
        rows += metadata.row_group(index).num_rows
    return runs


def _int64(column: pa.ChunkedArray) -> np.ndarray:
    return column.to_numpy().view(np.int64)
