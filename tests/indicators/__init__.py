"""Indicator tests, and the random market data they share."""

import numpy as np
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import BarType
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity

BAR_TYPE = BarType.from_str("BTCUSDT-PERP.BINANCE-1-MINUTE-LAST-EXTERNAL")
MINUTE_NS = 60_000_000_000


def random_ohlc(n: int, seed: int = 0, sigma: float = 1e-3) -> dict[str, np.ndarray]:
    """
    Return ``n`` consistent random 1-minute bars: a log random walk with gaps, wicks and flat bars.

    Keys: ``ts`` (close times, ns, int64), ``open``, ``high``, ``low``, ``close``, ``volume``.
    """
    rng = np.random.default_rng(seed)
    close = 30_000.0 * np.exp(np.cumsum(rng.normal(0.0, sigma, n)))
    open_ = np.r_[close[0], close[:-1]] * np.exp(rng.normal(0.0, sigma / 10, n))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, sigma / 2, n)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, sigma / 2, n)))
    flat = rng.random(n) < 0.02  # some zero-range bars, as minutes without trades
    open_[flat] = high[flat] = low[flat] = close[flat]
    volume = np.where(flat, 0.0, rng.exponential(5.0, n))
    ts = (np.arange(n, dtype=np.int64) + 1) * MINUTE_NS + 1_700_000_040 * 1_000_000_000
    return {"ts": ts, "open": open_, "high": high, "low": low, "close": close, "volume": volume}


def to_bars(
    data: dict[str, np.ndarray], precision: int = 2
) -> tuple[list[Bar], dict[str, np.ndarray]]:
    """
    Build Nautilus ``Bar`` objects from ``random_ohlc`` data.

    Returns the bars and the arrays as the bars hold them (prices rounded to ``precision``), so a
    batch twin fed those arrays sees exactly what ``handle_bar`` sees.
    """
    bars = [
        Bar(
            BAR_TYPE,
            Price(o, precision),
            Price(h, precision),
            Price(lo, precision),
            Price(c, precision),
            Quantity(v, 3),
            int(t),
            int(t),
        )
        for t, o, h, lo, c, v in zip(
            data["ts"],
            data["open"],
            data["high"],
            data["low"],
            data["close"],
            data["volume"],
            strict=True,
        )
    ]
    held = {
        "ts": np.array([b.ts_event for b in bars], dtype=np.int64),
        "open": np.array([b.open.as_double() for b in bars]),
        "high": np.array([b.high.as_double() for b in bars]),
        "low": np.array([b.low.as_double() for b in bars]),
        "close": np.array([b.close.as_double() for b in bars]),
    }
    return bars, held


def assert_same_series(
    actual: np.ndarray, expected: np.ndarray, rtol: float = 1e-9, atol: float = 0.0
) -> None:
    """Assert equal NaN positions and values within ``rtol`` (relative) elsewhere."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True)
