"""
Nautilus's fixed-point columns decoded to float64 exactly as ``Price.as_double()`` does.

The catalog stores prices and sizes as 16-byte little-endian i128 raws scaled by 1e16 (the
high-precision build). ``Price.as_double()`` is ``(double)raw / 1e16``: the i128 rounded once to
the nearest double, then divided. Code that must reproduce a live indicator bit for bit (features
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
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if not 0 <= precision <= FIXED_DECIMALS:
        raise CodecError(f"precision must be 0..{FIXED_DECIMALS}, was {precision}")
    out = np.empty(len(column), dtype=np.float64)
    bad = _decode(_words(column), np.uint64(10 ** (FIXED_DECIMALS - precision)), out)
    if bad >= 0:
        raise CodecError(f"row {bad}: raw value is not a multiple of 1e-{precision}")
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
