"""
CSV rows of integer columns written straight to bytes by one compiled loop.

The day-long files (a real day: 2M aggTrades, 20M bookTicker rows) are where formatting time
goes. Their fields are integers, fixed-point numbers carried as integers, and two-word flags, so
one pass over the rows can write each field's digits directly, several times faster than
building and joining one Arrow text column per field. The text is exactly ``textfmt``'s (same
rules: ``fixed_text`` padding, point and trailing zeros; ``int_text``; ``bool_text``).
"""

from dataclasses import dataclass

import numba
import numpy as np

_INTEGER, _FIXED, _FLAG = 0, 1, 2
# "00" "01" ... "99": the text of every two-digit group.
_POW10 = np.array([10**k for k in range(20)], dtype=np.uint64)
_PAIRS = np.frombuffer("".join(f"{i:02d}" for i in range(100)).encode(), dtype=np.uint8)


@dataclass(frozen=True)
class Column:
    """
    One CSV column: integers printed as numbers, or a mask printed as two words.

    Parameters
    ----------
    values : np.ndarray
        Integers (in units of ``10**-decimals``), or a boolean mask for a flag.
    decimals : int
        Digits after the point carried by `values` (0 for plain integers).
    width : int
        Digits printed after the point (>= `decimals`; the extra ones are zeros).
    words : tuple[str, str] | None
        Texts for True and False, for a flag column.

    """

    values: np.ndarray
    decimals: int = 0
    width: int = 0
    words: tuple[str, str] | None = None


def integer(values: np.ndarray) -> Column:
    """Return an integer column (``int_text``)."""
    return Column(np.asarray(values, dtype=np.int64))


def fixed(values: np.ndarray, decimals: int, width: int | None = None) -> Column:
    """Return a fixed-point column (``fixed_text(values, decimals, width)``)."""
    width = decimals if width is None else width
    if width < decimals:
        raise ValueError(f"cannot print {decimals} decimals in {width}")
    return Column(np.asarray(values, dtype=np.int64), decimals, width)


def flag(mask: np.ndarray, true: str, false: str) -> Column:
    """Return a two-word column (``bool_text(mask, true, false)``)."""
    return Column(np.asarray(mask, dtype=bool), words=(true, false))


@dataclass(frozen=True)
class CsvRows:
    """Complete CSV lines (each ending in a newline) and how many."""

    data: memoryview
    rows: int


@numba.njit(cache=True, nogil=True, inline="always")
def _put(out: np.ndarray, end: int, u: np.uint64, count: int, pairs: np.ndarray) -> None:
    # Write exactly `count` digits of u (zero-padded) ending before `end`, two at a time from the
    # table (unsigned division by a constant compiles to a multiply and a shift).
    hundred = np.uint64(100)
    while count >= 2:
        r = u % hundred
        u //= hundred
        out[end - 1] = pairs[2 * r + 1]
        out[end - 2] = pairs[2 * r]
        end -= 2
        count -= 2
    if count:
        out[end - 1] = np.uint8(48 + u % np.uint64(10))


@numba.njit(cache=True, nogil=True, inline="always")
def _digits(u: np.uint64, pow10: np.ndarray) -> int:
    n = 1
    while n < 20 and u >= pow10[n]:
        n += 1
    return n


# nogil: parts format on two threads at once.
@numba.njit(cache=True, nogil=True)
def _write(
    values: np.ndarray,
    kinds: np.ndarray,
    decimals: np.ndarray,
    widths: np.ndarray,
    words: np.ndarray,
    word_start: np.ndarray,
    word_len: np.ndarray,
    out: np.ndarray,
    pairs: np.ndarray,
    pow10: np.ndarray,
) -> int:
    n_cols, n = values.shape
    pos = 0
    for i in range(n):
        for c in range(n_cols):
            if c:
                out[pos] = 44  # ,
                pos += 1
            v = values[c, i]
            if kinds[c] == _FLAG:
                w = 2 * c + (0 if v != 0 else 1)
                for j in range(word_len[w]):
                    out[pos + j] = words[word_start[w] + j]
                pos += word_len[w]
                continue
            if v < 0:
                out[pos] = 45  # -
                pos += 1
                v = -v
            u = np.uint64(v)
            d = decimals[c]
            # The integer part (one digit at least, as fixed_text pads), then exactly d decimals.
            whole = u // pow10[d]
            count = _digits(whole, pow10)
            _put(out, pos + count, whole, count, pairs)
            pos += count
            if d > 0:
                out[pos] = 46  # .
                _put(out, pos + 1 + d, u - whole * pow10[d], d, pairs)
                pos += 1 + d
            extra = widths[c] - d
            if extra > 0:
                if d == 0:
                    out[pos] = 46
                    pos += 1
                for _ in range(extra):
                    out[pos] = 48
                    pos += 1
        out[pos] = 10  # \n
        pos += 1
    return pos


def _max_field_bytes(column: Column) -> int:
    if column.words is not None:
        return max(len(w.encode()) for w in column.words)
    if len(column.values) == 0:
        return 0
    magnitude = int(max(abs(int(column.values.min())), abs(int(column.values.max()))))
    # Sign, digits (padded past the point), point, trailing zeros (and their point).
    return 1 + max(len(str(magnitude)), column.decimals + 1) + 1 + (column.width - column.decimals) + 1


def csv_rows(columns: list[Column]) -> CsvRows:
    """
    Return the CSV lines of equal-length columns: ``,`` between fields, ``\\n`` after every row.

    Parameters
    ----------
    columns : list[Column]
        The row's fields in order (the archive never quotes a field, so none is quoted).

    """
    n = len(columns[0].values)
    values = np.empty((len(columns), n), dtype=np.int64)
    for c, column in enumerate(columns):
        values[c] = column.values
    kinds = np.array([_FLAG if c.words else (_FIXED if c.decimals or c.width else _INTEGER) for c in columns], dtype=np.int64)
    decimals = np.array([c.decimals for c in columns], dtype=np.int64)
    widths = np.array([c.width for c in columns], dtype=np.int64)
    texts = [w.encode() for c in columns for w in (c.words or ("", ""))]
    word_len = np.array([len(t) for t in texts], dtype=np.int64)
    word_start = np.r_[0, np.cumsum(word_len)[:-1]].astype(np.int64)
    words = np.frombuffer(b"".join(texts) or b"\0", dtype=np.uint8)
    per_row = sum(_max_field_bytes(c) for c in columns) + len(columns)
    out = np.empty(n * per_row, dtype=np.uint8)
    size = _write(values, kinds, decimals, widths, words, word_start, word_len, out, _PAIRS, _POW10)
    return CsvRows(memoryview(out)[:size], n)
