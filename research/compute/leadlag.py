"""
Lead/lag correlation of a signal with mid returns over several horizons.

For a signal x observed at times t and a price known as of any time (the last quote at or
before it), horizon h > 0 pairs x_t with the *forward* log return ln(p(t + h) / p(t)) (does the
signal lead returns?), and horizon −h pairs it with the *past* return ln(p(t) / p(t − h))
(does it follow them?). Returns whose end lies after the last price, or whose start lies before
the first, are left out. Overlapping returns make neighbouring pairs dependent: ``n`` counts pairs,
not independent observations.
"""

import numpy as np
import pandas as pd

from research.compute.arrays import asof_index
from research.period import format_duration

LEADLAG_COLUMNS = ["signal", "horizon", "horizon_s", "relation", "corr", "n"]


def price_asof(price_ts: np.ndarray, price: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Return the price as of each time in ``at`` (NaN before the first price or after the last)."""
    idx = asof_index(price_ts, at)
    out = np.full(at.shape, np.nan)
    inside = (idx >= 0) & (at <= price_ts[-1]) if price_ts.size else np.zeros(at.shape, dtype=bool)
    out[inside] = price[idx[inside]]
    return out


def horizon_returns(
    price_ts: np.ndarray, price: np.ndarray, at: np.ndarray, horizons_ns: list[int]
) -> dict[int, np.ndarray]:
    """
    Return, per signed horizon, the log return around each time in ``at``.

    Key +h: the forward return ln(p(t + h) / p(t)); key −h: the past return ln(p(t) / p(t − h)).
    NaN where either price is unknown (before the first price, after the last). The price as of
    each ``t`` is looked up once for all horizons.
    """
    now = price_asof(price_ts, price, at)
    returns = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for h in sorted(set(horizons_ns)):
            returns[h] = np.log(price_asof(price_ts, price, at + h) / now)
            returns[-h] = np.log(now / price_asof(price_ts, price, at - h))
    return dict(sorted(returns.items()))


def correlation(x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    """Return the Pearson correlation of the finite pairs and their count (NaN below 3 or flat)."""
    ok = np.isfinite(x) & np.isfinite(y)
    n = int(ok.sum())
    if n < 3:
        return float("nan"), n
    xs, ys = x[ok] - x[ok].mean(), y[ok] - y[ok].mean()
    denominator = np.sqrt((xs * xs).sum() * (ys * ys).sum())
    return (float((xs * ys).sum() / denominator) if denominator > 0 else float("nan")), n


def lead_lag(signals: dict[str, np.ndarray], returns: dict[int, np.ndarray]) -> pd.DataFrame:
    """
    Return the correlation of each signal with the past and forward returns at each horizon.

    Parameters
    ----------
    signals : dict[str, np.ndarray]
        Signal name -> values at the times the returns were taken around.
    returns : dict[int, np.ndarray]
        From ``horizon_returns``: signed horizon (ns) -> return at each time.

    Returns
    -------
    pd.DataFrame
        ``signal``, ``horizon`` (label, e.g. ``+5s``), ``horizon_s`` (signed seconds),
        ``relation`` (``signal leads`` for forward returns, ``signal lags`` for past ones),
        ``corr``, ``n``; ordered by signal, then horizon.

    """
    rows = []
    for name, values in signals.items():
        values = np.asarray(values, dtype=np.float64)
        for h, r in returns.items():
            corr, n = correlation(values, r)
            label = ("+" if h > 0 else "-") + format_duration(abs(h))
            rows.append((name, label, h / 1e9, "signal leads" if h > 0 else "signal lags", corr, n))
    return pd.DataFrame(rows, columns=LEADLAG_COLUMNS)
