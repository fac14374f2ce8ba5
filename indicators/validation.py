"""
Input checks shared by every indicator (and by the kernels' state builders).

Plain Python, no imports from the rest of the package: indicator modules and kernel modules may
both depend on it.
"""

import math

import numpy as np
from numpy.typing import ArrayLike


def require_finite(indicator: str, **values: float) -> None:
    """
    Refuse NaN or infinite input to an indicator.

    Parameters
    ----------
    indicator : str
        The indicator's name, for the error message.
    **values : float
        The named inputs to check.

    Raises
    ------
    ValueError
        If any value is NaN or infinite; the message names the indicator, input and value.

    """
    for name, value in values.items():
        if not math.isfinite(value):
            raise ValueError(f"{indicator}: input {name}={value!r} is not finite")


def require_size(indicator: str, **sizes: float) -> None:
    """
    Refuse NaN, infinite or negative sizes.

    Raises
    ------
    ValueError
        If any size is not finite or is negative.

    """
    require_finite(indicator, **sizes)
    for name, size in sizes.items():
        if size < 0:
            raise ValueError(f"{indicator}: input {name}={size!r} is negative")


def require_trade(indicator: str, ts: int, size: float, side: int, **prices: float) -> int:
    """
    Refuse NaN/inf trade input or a negative size; return ``ts`` as an int.

    The aggressor side code and the timestamp order are checked by the kernel.

    Raises
    ------
    ValueError
        On NaN/inf input or a negative size.

    """
    require_size(indicator, size=size)
    require_finite(indicator, ts=ts, aggressor_side=side, **prices)
    return int(ts)


def require_window(name: str, window: int, minimum: int) -> int:
    """
    Return ``window`` as an int, refusing a non-integer or a value below ``minimum``.

    Raises
    ------
    ValueError
        If the window is not an integer >= ``minimum``.

    """
    if isinstance(window, bool) or int(window) != window or window < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, was {window!r}")
    return int(window)


def check_positive(name: str, value: float) -> None:
    """Refuse a parameter that is not a finite positive number (ValueError)."""
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be finite and > 0, was {value!r}")


def check_duration(name: str, value: int, minimum: int = 1) -> None:
    """Refuse a duration (ns) that is not an integer in [minimum, 2**53] (ValueError)."""
    # Durations live in one float64 slot: exact up to 2**53 ns (~104 days).
    require_window(name, value, minimum)
    if value > 2**53:
        raise ValueError(f"{name} must be at most 2**53 ns, was {value!r}")


def as_int64(values: ArrayLike) -> np.ndarray:
    """Return ``values`` as a contiguous int64 array (timestamps in ns)."""
    return np.ascontiguousarray(values, dtype=np.int64)


def as_float64(values: ArrayLike) -> np.ndarray:
    """Return ``values`` as a contiguous float64 array."""
    return np.ascontiguousarray(values, dtype=np.float64)
