"""Small array helpers shared by the reports (no indicator arithmetic lives here)."""

from collections.abc import Callable

import numpy as np
import pandas as pd


def on_finite(values: np.ndarray, kernel: Callable[..., np.ndarray], *args: object) -> np.ndarray:
    """
    Return ``kernel(values[finite], *args)`` scattered back to the positions of the finite values.

    The rolling batch twins refuse NaN input; a series that is NaN during its own warm-up (VPIN,
    an imbalance before the first usable quote) runs through them on its finite values only.
    Other positions are NaN.
    """
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    out = np.full(values.shape, np.nan)
    if finite.any():
        out[finite] = kernel(np.ascontiguousarray(values[finite]), *args)
    return out


def shift_forward(values: np.ndarray) -> np.ndarray:
    """Return ``values`` moved one step later (NaN first): a statistic of the rows before each row."""
    out = np.empty_like(values, dtype=np.float64)
    out[:1] = np.nan
    out[1:] = values[:-1]
    return out


def utc(ts_ns: np.ndarray) -> pd.DatetimeIndex:
    """Return epoch nanoseconds as a UTC DatetimeIndex."""
    return pd.DatetimeIndex(pd.to_datetime(np.asarray(ts_ns, dtype=np.int64), unit="ns", utc=True))


def asof_index(times: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Return, for each time in ``at``, the index of the last of ``times`` at or before it (-1: none)."""
    return np.searchsorted(times, at, side="right") - 1


def quantiles(values: np.ndarray, qs: tuple[float, ...] = (0.5, 0.8, 0.9)) -> dict[str, float]:
    """Return the mean and the given quantiles of the finite values (NaN when there are none)."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    stats = {"mean": float(finite.mean()) if finite.size else float("nan")}
    for q in qs:
        stats[f"p{round(q * 100)}"] = float(np.quantile(finite, q)) if finite.size else float("nan")
    return stats
