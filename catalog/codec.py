"""
Nautilus's fixed-point columns: encoded from decimal values, decoded exactly as Nautilus does.

The catalog stores prices and sizes as 16-byte little-endian i128 raws scaled by 1e16 (the
high-precision build; the same bytes as an Arrow decimal128). The ETL encodes through
``to_grid`` + ``fixed_from_units`` without a Python object per row.

Decoding: ``Price.as_double()`` is ``(double)raw / 1e16``, the i128 rounded once to the nearest
double, then divided. Code that must reproduce a live indicator bit for bit (features
fidelity) has to decode the same way; rounding the result to the instrument's decimals instead
(what a report wants) can differ in the last bit.

The i128 is not representable in numpy, but a catalog raw is an exact multiple of
``10**(16 - precision)``: its grid count ``k`` is recovered from an approximate double (whose
error is far below one grid step), checked against the raw's low 64 bits, and
``float(k) * 10**(16 - precision)`` is then the correctly rounded raw (both factors are exact
doubles and IEEE multiplication rounds once).
"""

import numpy as np
import pyarrow as pa
from numba import njit

FIXED_DECIMALS = 16
_FIXED_SCALAR = 10.0**FIXED_DECIMALS
_TWO_64 = 18446744073709551616.0


# A value is on the precision grid when it is this close to it (in grid units): the CSV's
# decimal text parsed to float64 is off by at most a few ulps.
_GRID_TOLERANCE = 1e-6
_INT64_LIMIT = 9.2e18


def to_grid(values: np.ndarray, precision: int) -> tuple[np.ndarray, np.ndarray]:
    """
    Convert decimal values to integer grid units of ``10**-precision``.

    Parameters
    ----------
    values : np.ndarray
        float64 values parsed from the source text.
    precision : int
        Decimal places of the instrument's price or size grid.

    Returns
    -------
    tuple[np.ndarray, np.ndarray]
        (int64 units, bool mask of values that lie on the grid, are finite and fit in int64;
        units are 0 where the mask is False).

    """
    return _grid_units(np.ascontiguousarray(values, dtype=np.float64), 10.0**precision)


@njit(cache=True)
def _grid_units(values: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    # One pass instead of seven numpy temporaries: this runs on every price and size column.
    n = values.shape[0]
    units = np.zeros(n, dtype=np.int64)
    on_grid = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        scaled = values[i] * scale
        rounded = np.rint(scaled)
        # Beyond int64 the units (and the i128 built from them) would wrap: off the grid too.
        if np.isfinite(scaled) and abs(rounded) < _INT64_LIMIT and abs(scaled - rounded) <= _GRID_TOLERANCE * max(1.0, abs(rounded) * 1e-9):
            units[i] = np.int64(rounded)
            on_grid[i] = True
    return units, on_grid


@njit(cache=True)
def _units_to_i128_words(units: np.ndarray, multiplier: np.uint64) -> np.ndarray:
    # 64x64 -> 128-bit product by 32-bit halves: no Python ints per row.
    n = units.shape[0]
    out = np.empty(2 * n, dtype=np.uint64)
    mask32 = np.uint64(0xFFFFFFFF)
    m_lo = multiplier & mask32
    m_hi = multiplier >> np.uint64(32)
    for i in range(n):
        u = units[i]
        negative = u < 0
        a = np.uint64(-u) if negative else np.uint64(u)
        a_lo = a & mask32
        a_hi = a >> np.uint64(32)
        lo_lo = a_lo * m_lo
        hi_lo = a_hi * m_lo
        lo_hi = a_lo * m_hi
        hi_hi = a_hi * m_hi
        cross = (lo_lo >> np.uint64(32)) + (hi_lo & mask32) + lo_hi
        lo = (cross << np.uint64(32)) | (lo_lo & mask32)
        hi = (hi_lo >> np.uint64(32)) + (cross >> np.uint64(32)) + hi_hi
        if negative:
            # two's complement of the 128-bit value
            lo = ~lo + np.uint64(1)
            hi = ~hi + (np.uint64(1) if lo == 0 else np.uint64(0))
        out[2 * i] = lo
        out[2 * i + 1] = hi
    return out


def fixed_from_units(units: np.ndarray, precision: int) -> pa.FixedSizeBinaryArray:
    """
    Build a catalog fixed-point column from integer grid units.

    Parameters
    ----------
    units : np.ndarray
        int64 values in units of ``10**-precision``.
    precision : int
        Decimal places of `units` (at most 16).

    Returns
    -------
    pa.FixedSizeBinaryArray
        ``fixed_size_binary[16]`` holding ``units * 10**(16 - precision)`` as little-endian i128.

    """
    if not 0 <= precision <= FIXED_DECIMALS:
        raise ValueError(f"precision {precision} outside 0..{FIXED_DECIMALS}")
    words = _units_to_i128_words(np.ascontiguousarray(units, dtype=np.int64), np.uint64(10 ** (FIXED_DECIMALS - precision)))
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), len(units), [None, pa.py_buffer(words)])


class CodecError(ValueError):
    """A column that is not a Nautilus fixed-point column of the expected precision."""


def _words(column: pa.Array) -> np.ndarray:
    width = getattr(column.type, "byte_width", None)
    if not pa.types.is_fixed_size_binary(column.type) or width != 16:
        raise CodecError(f"not a high-precision Nautilus fixed-point column: {column.type}")
    words = np.frombuffer(column.buffers()[1], dtype="<u8")
    return words[2 * column.offset : 2 * (column.offset + len(column))]


def decode_as_double(column: pa.Array | pa.ChunkedArray, precision: int) -> np.ndarray:
    """
    Return a fixed-point column as the doubles ``Price.as_double()`` / ``Quantity.as_double()`` give.

    Parameters
    ----------
    column : pa.Array | pa.ChunkedArray
        A ``fixed_size_binary[16]`` catalog column.
    precision : int
        The instrument's precision for this column (the file's schema metadata), 0 to 16.

    Returns
    -------
    np.ndarray

    Raises
    ------
    CodecError
        If the column is not fixed-point, or holds a value off the ``precision`` grid.

    """
    if not 0 <= precision <= FIXED_DECIMALS:
        raise CodecError(f"precision must be 0..{FIXED_DECIMALS}, was {precision}")
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    out = np.empty(len(column), dtype=np.float64)
    step = np.uint64(10 ** (FIXED_DECIMALS - precision))
    offset = 0
    # Chunk by chunk into one output: no concatenated copy of the 16-byte values.
    for chunk in chunks:
        bad = _decode(_words(chunk), step, out[offset : offset + len(chunk)])
        if bad >= 0:
            raise CodecError(f"row {offset + bad}: raw value is not a multiple of 1e-{precision}")
        offset += len(chunk)
    return out


@njit(cache=True, error_model="numpy")
def _decode(words: np.ndarray, step: np.uint64, out: np.ndarray) -> int:
    # One pass: per value the grid count from an approximate double, its check against the low
    # 64 bits (exact: the approximation is within far less than 2**63 of the raw), and the
    # correctly rounded raw divided by the scalar. Returns the first off-grid row, or -1.
    scale = np.float64(step)
    for i in range(out.size):
        lo = words[2 * i]
        hi = np.int64(words[2 * i + 1])
        approx = np.float64(hi) * _TWO_64 + np.float64(lo)
        grid = np.int64(np.rint(approx / scale))
        if np.uint64(grid) * step != lo:
            return i
        out[i] = np.float64(grid) * scale / _FIXED_SCALAR
    return -1


def decode_decimal(column: pa.Array | pa.ChunkedArray, precision: int) -> np.ndarray:
    """
    Return a fixed-point column as the doubles nearest to its decimal values (for reports).

    ``decode_as_double`` rounded to ``precision`` decimals: ``42000.3`` reads as the literal
    ``42000.3``, which can differ from ``Price.as_double()`` in the last bit. Equal raws give
    equal doubles either way.

    Raises
    ------
    CodecError
        As ``decode_as_double``.

    """
    return np.round(decode_as_double(column, precision), precision)
