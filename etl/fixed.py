"""
Nautilus fixed-point values as Arrow columns, built without per-row Python objects.

In the high-precision build a price or quantity is an i128 ``raw = value * 10**16`` stored in the
catalog as ``fixed_size_binary[16]`` (little-endian, the same bytes as an Arrow decimal128).
"""

import numba as nb
import numpy as np
import pyarrow as pa
from nautilus_trader.model.objects import FIXED_PRECISION

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


@nb.njit(cache=True)
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


@nb.njit(cache=True)
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
    if not 0 <= precision <= FIXED_PRECISION:
        raise ValueError(f"precision {precision} outside 0..{FIXED_PRECISION}")
    words = _units_to_i128_words(np.ascontiguousarray(units, dtype=np.int64), np.uint64(10 ** (FIXED_PRECISION - precision)))
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), len(units), [None, pa.py_buffer(words)])

