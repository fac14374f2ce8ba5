"""
Read one raw archive file (CSV, or a single-member ZIP) block by block with pyarrow.

Memory is bounded by the block size, not the file. Two parsing modes share one code path:
*typed* (pyarrow converts each column; the fast path) and *validated* (every column read as text
and checked against its pattern, so that a non-numeric field rejects one row instead of the file).
The caller starts typed and falls back to validated when pyarrow refuses a value.
"""

import hashlib
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from pathlib import PurePosixPath

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from etl.archive import FAMILIES
from etl.archive import ArchiveFile
from etl.archive import parse_checksum

DEFAULT_BLOCK_SIZE = 8 << 20
ORDINAL_COLUMN = "__ordinal"

_INT = pa.int64()
_FLOAT = pa.float64()
_BOOL = pa.bool_()
_TEXT_TIME = pa.timestamp("s")

# Source column types per family; columns not listed are read as text.
COLUMN_TYPES: dict[str, dict[str, pa.DataType]] = {
    "aggTrades": {
        "agg_trade_id": _INT,
        "price": _FLOAT,
        "quantity": _FLOAT,
        "first_trade_id": _INT,
        "last_trade_id": _INT,
        "transact_time": _INT,
        "is_buyer_maker": _BOOL,
        "is_best_match": _BOOL,
    },
    "bookTicker": {
        "update_id": _INT,
        "best_bid_price": _FLOAT,
        "best_bid_qty": _FLOAT,
        "best_ask_price": _FLOAT,
        "best_ask_qty": _FLOAT,
        "transaction_time": _INT,
        "event_time": _INT,
    },
    "klines": {
        "open_time": _INT,
        "open": _FLOAT,
        "high": _FLOAT,
        "low": _FLOAT,
        "close": _FLOAT,
        "volume": _FLOAT,
        "close_time": _INT,
        "quote_volume": _FLOAT,
        "count": _INT,
        "taker_buy_volume": _FLOAT,
        "taker_buy_quote_volume": _FLOAT,
        "ignore": pa.string(),
    },
    "metrics": {
        "create_time": _TEXT_TIME,
        "symbol": pa.string(),
        "sum_open_interest": _FLOAT,
        "sum_open_interest_value": _FLOAT,
        "count_toptrader_long_short_ratio": _FLOAT,
        "sum_toptrader_long_short_ratio": _FLOAT,
        "count_long_short_ratio": _FLOAT,
        "sum_taker_long_short_vol_ratio": _FLOAT,
    },
    "fundingRate": {
        "calc_time": _INT,
        "funding_interval_hours": _INT,
        "last_funding_rate": _FLOAT,
    },
    "bookDepth": {
        "timestamp": _TEXT_TIME,
        "percentage": _FLOAT,
        "depth": _FLOAT,
        "notional": _FLOAT,
    },
}

# Mark, index and premium klines share the trade klines' layout.
for _family in ("markPriceKlines", "indexPriceKlines", "premiumIndexKlines"):
    COLUMN_TYPES[_family] = COLUMN_TYPES["klines"]

# Columns that may be empty in real files (e.g. metrics ratios on some 2021-12/2022-01 days).
NULLABLE_COLUMNS = {
    "count_toptrader_long_short_ratio",
    "sum_toptrader_long_short_ratio",
    "count_long_short_ratio",
    "sum_taker_long_short_vol_ratio",
}

_PATTERNS: dict[pa.DataType, str] = {
    _INT: r"^-?\d+$",
    _FLOAT: r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$",
    _BOOL: r"^(true|false|True|False)$",
    _TEXT_TIME: r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$",
}


class SourceError(Exception):
    """A whole file cannot be read: corrupt zip, checksum mismatch, unknown layout."""

    def __init__(self, path: str, reason: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.reason = reason


class ConversionRefused(Exception):
    """pyarrow refused a value in typed mode: re-read the file in validated mode."""


@dataclass
class LineMap:
    """
    Map parsed-row ordinals back to physical line numbers (1-based, header included).

    Rows pyarrow skipped (wrong column count) are recorded as they are met, so a row's line is
    its ordinal plus the header plus the skipped lines before it.
    """

    header_lines: int
    skipped: list[int] = field(default_factory=list)

    def lines(self, ordinals: np.ndarray) -> np.ndarray:
        """Return the physical line numbers of parsed rows given their 0-based ordinals."""
        base = np.asarray(ordinals, dtype=np.int64) + self.header_lines + 1
        if not self.skipped:
            return base
        skipped = np.asarray(self.skipped, dtype=np.int64)
        lines = base.copy()
        while True:  # fixpoint: each pass accounts for skipped lines the shift moved past
            shifted = base + np.searchsorted(skipped, lines, side="right")
            if np.array_equal(shifted, lines):
                return lines
            lines = shifted


@dataclass
class Reject:
    """Rows rejected with one reason: physical line numbers and the row text."""

    reason: str
    lines: np.ndarray
    texts: list[str]


@dataclass
class Block:
    """A parsed block: typed columns, the ordinal of its first row, and rows it rejected."""

    batch: pa.RecordBatch
    first_ordinal: int
    rejects: list[Reject]

    @property
    def ordinals(self) -> np.ndarray:
        """Return the 0-based ordinals of the block's kept rows (validated blocks carry them)."""
        if ORDINAL_COLUMN in self.batch.schema.names:
            return self.batch.column(ORDINAL_COLUMN).to_numpy()
        return np.arange(self.first_ordinal, self.first_ordinal + self.batch.num_rows, dtype=np.int64)


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    """Return the hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while data := f.read(chunk):
            digest.update(data)
    return digest.hexdigest()


def verify_checksum(path: Path, sha256: str) -> bool | None:
    """
    Check a zip against the ``.CHECKSUM`` beside it.

    Returns
    -------
    bool | None
        True if it matches, None when no ``.CHECKSUM`` file is present.

    Raises
    ------
    SourceError
        If the checksum does not match or the CHECKSUM file is malformed.

    """
    checksum_path = Path(f"{path}.CHECKSUM")
    if not checksum_path.exists():
        return None
    try:
        expected, _name = parse_checksum(checksum_path.read_text())
    except ValueError as e:
        raise SourceError(str(path), "bad_checksum_file", str(e)) from None
    if expected != sha256:
        raise SourceError(str(path), "checksum_mismatch", f"sha256 {sha256} does not match {checksum_path.name} ({expected})")
    return True


def open_source(path: Path) -> io.BufferedIOBase:
    """
    Open a raw file as a byte stream: a CSV, or the single CSV member of a ZIP.

    Raises
    ------
    SourceError
        If the zip is corrupt, has several members, or its member name has path parts.

    """
    if path.suffix != ".zip":
        return open(path, "rb")
    try:
        archive = zipfile.ZipFile(path)
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as e:
        raise SourceError(str(path), "corrupt_zip", f"not a readable zip ({e})") from None
    if len(members) != 1:
        raise SourceError(str(path), "zip_members", f"expected one member, found {len(members)}: {[m.filename for m in members][:5]}")
    name = members[0].filename
    if PurePosixPath(name.replace("\\", "/")).name != name or name in ("", ".", ".."):
        raise SourceError(str(path), "zip_member_path", f"refusing member name with path parts: {name!r}")
    return archive.open(members[0])


def _first_line(path: Path) -> bytes:
    with open_source(path) as stream:
        return stream.readline()


def detect_layout(path: Path, source: ArchiveFile) -> tuple[list[str], bool]:
    """
    Return the file's column names and whether its first line is a header.

    Headers are not guaranteed (spot files and pre-2022 futures files have none), and spot
    aggTrades carry an extra ``is_best_match`` column: both are detected, not assumed.

    Raises
    ------
    SourceError
        If the header or the column count matches no known layout of the family.

    """
    family = FAMILIES[source.family]
    try:
        first = _first_line(path).decode("utf-8-sig").strip()
    except (zipfile.BadZipFile, OSError, UnicodeDecodeError) as e:
        raise SourceError(str(path), "unreadable", f"cannot read the first line ({e})") from None
    if not first:
        return list(family.columns(source.market)), False
    cells = [c.strip() for c in first.split(",")]
    candidates = [family.header] + ([family.spot_header] if family.spot_header else [])
    has_header = not _looks_like_data(cells[0])
    if has_header:
        for columns in candidates:
            if tuple(cells) == columns:
                return list(columns), True
        raise SourceError(str(path), "unknown_header", f"line 1: header {cells} matches no {family.name} layout (expected {list(family.header)})")
    for columns in candidates:
        if len(cells) == len(columns):
            return list(columns), False
    raise SourceError(str(path), "column_count", f"line 1: {len(cells)} columns match no {family.name} layout (expected {len(family.header)})")


def _looks_like_data(cell: str) -> bool:
    stripped = cell.lstrip("-")
    return bool(stripped) and (stripped[0].isdigit() or stripped[0] == ".")


def read_blocks(
    path: Path,
    source: ArchiveFile,
    *,
    validated: bool,
    line_map: LineMap,
    block_size: int = DEFAULT_BLOCK_SIZE,
) -> Iterator[Block]:
    """
    Yield the file's rows as typed blocks.

    Parameters
    ----------
    path : Path
        The CSV or ZIP file.
    source : ArchiveFile
        What the file name says it is.
    validated : bool
        Read columns as text and reject rows whose fields do not match their type, instead of
        letting pyarrow convert them (and refuse the whole file on one bad value).
    line_map : LineMap
        Receives the physical lines of rows skipped for a wrong column count.
    block_size : int
        Bytes parsed per block: bounds memory.

    Raises
    ------
    ConversionRefused
        In typed mode, when pyarrow cannot convert a value.
    SourceError
        When the file cannot be read.

    """
    columns, has_header = detect_layout(path, source)
    line_map.header_lines = int(has_header)
    types = {c: t for c, t in COLUMN_TYPES[source.family].items() if c in columns}
    read_types = {c: pa.string() for c in columns} if validated else types
    column_count_rejects: list[tuple[int, str]] = []

    def on_invalid_row(row: pacsv.InvalidRow) -> str:
        line = row.number if row.number is not None else -1
        line_map.skipped.append(line)
        column_count_rejects.append((line, row.text))
        return "skip"

    read_options = pacsv.ReadOptions(
        column_names=columns,
        skip_rows=int(has_header),
        block_size=block_size,
        use_threads=False,  # keeps physical line numbers known for every skipped row
    )
    convert_options = pacsv.ConvertOptions(
        column_types=read_types,
        true_values=["true", "True"],
        false_values=["false", "False"],
        strings_can_be_null=False,
    )
    parse_options = pacsv.ParseOptions(invalid_row_handler=on_invalid_row)
    ordinal = 0
    try:
        with open_source(path) as stream:
            reader = pacsv.open_csv(stream, read_options=read_options, parse_options=parse_options, convert_options=convert_options)
            for batch in reader:
                rejects = _take_column_count_rejects(column_count_rejects)
                parsed_rows = batch.num_rows
                if validated:
                    batch, invalid = _validate_text_batch(batch, types, ordinal, line_map)
                    rejects.extend(invalid)
                yield Block(batch=batch, first_ordinal=ordinal, rejects=rejects)
                ordinal += parsed_rows
    except pa.ArrowInvalid as e:
        if "CSV conversion error" in str(e) or "In CSV column" in str(e):
            raise ConversionRefused(str(e)) from None
        raise SourceError(str(path), "unparseable", f"CSV parse error: {e}") from None
    except (zipfile.BadZipFile, EOFError, OSError) as e:
        raise SourceError(str(path), "corrupt_zip", f"cannot decompress ({e})") from None
    leftover = _take_column_count_rejects(column_count_rejects)
    if leftover:
        yield Block(batch=pa.RecordBatch.from_pylist([], schema=_typed_schema(columns, types)), first_ordinal=ordinal, rejects=leftover)


def _take_column_count_rejects(pending: list[tuple[int, str]]) -> list[Reject]:
    if not pending:
        return []
    reject = Reject("column_count", np.array([line for line, _ in pending], dtype=np.int64), [text for _, text in pending])
    pending.clear()
    return [reject]


def _typed_schema(columns: list[str], types: dict[str, pa.DataType]) -> pa.Schema:
    return pa.schema([(c, types.get(c, pa.string())) for c in columns])


def _validate_text_batch(
    batch: pa.RecordBatch,
    types: dict[str, pa.DataType],
    first_ordinal: int,
    line_map: LineMap,
) -> tuple[pa.RecordBatch, list[Reject]]:
    # First failing column names the reason; the rest of the row is not inspected.
    n = batch.num_rows
    bad_reason = np.full(n, "", dtype=object)
    for name in batch.schema.names:
        dtype = types.get(name)
        pattern = _PATTERNS.get(dtype) if dtype is not None else None
        if pattern is None:
            continue
        column = pc.utf8_trim_whitespace(batch.column(name))
        ok = pc.match_substring_regex(column, pattern).to_numpy(zero_copy_only=False)
        if name in NULLABLE_COLUMNS:
            ok |= pc.equal(column, "").to_numpy(zero_copy_only=False)
        bad = ~ok & (bad_reason == "")
        bad_reason[bad] = f"not_{'numeric' if dtype != _BOOL else 'boolean'}:{name}"
    bad_mask = bad_reason != ""
    rejects: list[Reject] = []
    if bad_mask.any():
        ordinals = np.arange(first_ordinal, first_ordinal + n, dtype=np.int64)
        lines = line_map.lines(ordinals[bad_mask])
        texts = _row_texts(batch.filter(pa.array(bad_mask)))
        reasons = bad_reason[bad_mask]
        for reason in dict.fromkeys(reasons):
            sel = reasons == reason
            rejects.append(Reject(reason, lines[sel], [t for t, s in zip(texts, sel, strict=True) if s]))
        batch = batch.filter(pa.array(~bad_mask))
    arrays = []
    for name in batch.schema.names:
        column = batch.column(name)
        dtype = types.get(name, pa.string())
        if dtype == pa.string():
            arrays.append(column)
            continue
        column = pc.utf8_trim_whitespace(column)
        if name in NULLABLE_COLUMNS:
            column = pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)
        if dtype == _BOOL:
            arrays.append(pc.equal(pc.utf8_lower(column), "true"))
        elif dtype == _TEXT_TIME:
            arrays.append(pc.strptime(column, format="%Y-%m-%d %H:%M:%S", unit="s"))
        else:
            arrays.append(pc.cast(column, dtype))
    # Validated blocks keep ordinals aligned with the text rows: the kept rows' ordinals are
    # re-derived by the caller from the mask, so attach them as a column.
    ordinals = np.arange(first_ordinal, first_ordinal + n, dtype=np.int64)[~bad_mask]
    arrays.append(pa.array(ordinals))
    names = [*batch.schema.names, ORDINAL_COLUMN]
    return pa.RecordBatch.from_arrays(arrays, names=names), rejects


def _row_texts(batch: pa.RecordBatch) -> list[str]:
    columns = [batch.column(i).cast(pa.string()).to_pylist() for i in range(batch.num_columns) if batch.schema.names[i] != ORDINAL_COLUMN]
    return [",".join("" if v is None else str(v) for v in row) for row in zip(*columns, strict=True)]


def row_texts(batch: pa.RecordBatch, mask: np.ndarray) -> list[str]:
    """Return the selected rows of a parsed batch re-joined as CSV text (for the quarantine)."""
    return _row_texts(batch.filter(pa.array(mask)))
