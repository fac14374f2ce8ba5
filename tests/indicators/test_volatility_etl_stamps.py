"""Yang–Zhang on bars as the ETL writes them (stamped open + 60 s - 1 ns): sessions end on time."""

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from nautilus_trader.model.data import Bar
from nautilus_trader.persistence.catalog.parquet import ParquetDataCatalog

from etl.ingest import ingest
from indicators.kernels.volatility import yang_zhang_batch
from indicators.volatility import YangZhang
from tests.etl.rawfiles import write_raw
from tests.indicators import MINUTE_NS
from tests.indicators import random_ohlc

DAY_NS = 1440 * MINUTE_NS
DAYS = 4
FIRST_DAY = dt.date(2024, 1, 1)
FIRST_OPEN_MS = 1_704_067_200_000


def _kline_frame() -> pd.DataFrame:
    """Four whole days of 1m klines with prices on the 0.1 tick (consistent OHLC)."""
    d = random_ohlc(DAYS * 1440, seed=5)
    frame = pd.DataFrame({k: np.round(d[k], 1) for k in ("open", "high", "low", "close")})
    frame["high"] = frame[["open", "high", "close"]].max(axis=1)
    frame["low"] = frame[["open", "low", "close"]].min(axis=1)
    frame["open_ms"] = FIRST_OPEN_MS + 60_000 * np.arange(len(frame), dtype=np.int64)
    return frame


def _write_days(raw, frame: pd.DataFrame) -> None:
    for day in range(DAYS):
        part = frame.iloc[day * 1440 : (day + 1) * 1440]
        rows = [
            f"{t},{o:.1f},{h:.1f},{lo:.1f},{c:.1f},1.000,{t + 59_999},42000.0,10,0.500,21000.0,0"
            for t, o, h, lo, c in zip(part["open_ms"], part["open"], part["high"], part["low"], part["close"], strict=True)
        ]
        write_raw(raw, "klines", (FIRST_DAY + dt.timedelta(days=day)).isoformat(), rows)


def _daily_yang_zhang(frame: pd.DataFrame, window: int) -> pd.Series:
    """Independent daily Yang–Zhang from the raw rows, indexed by the session's UTC day number."""
    day = frame["open_ms"] // 86_400_000
    s = frame.groupby(day).agg(open=("open", "first"), high=("high", "max"), low=("low", "min"), close=("close", "last"))
    overnight = np.log(s["open"] / s["close"].shift())
    open_close = np.log(s["close"] / s["open"]).where(overnight.notna())
    rs = (np.log(s["high"] / s["close"]) * np.log(s["high"] / s["open"]) + np.log(s["low"] / s["close"]) * np.log(s["low"] / s["open"])).where(overnight.notna())
    k = 0.34 / (1.34 + (window + 1) / (window - 1))
    return overnight.rolling(window).var() + k * open_close.rolling(window).var() + (1 - k) * rs.rolling(window).mean()


def test_daily_sessions_complete_on_the_last_etl_bar_of_each_day(tmp_path):
    # Arrange: klines through the real ETL, read back as the backtest reads them
    frame = _kline_frame()
    _write_days(tmp_path / "raw", frame)
    summary = ingest(tmp_path / "raw", tmp_path / "catalog")
    assert summary.exit_code == 0
    bars = ParquetDataCatalog(str(tmp_path / "catalog")).query(Bar)
    assert len(bars) == DAYS * 1440
    indicator = YangZhang(window=2)

    # Act
    values = []
    for bar in bars:
        indicator.handle_bar(bar)
        values.append(indicator.value)

    # Assert: the stamp is the bar's last nanosecond, and day d's session completes on its own
    # last bar (index 1440 (d + 1) - 1), not one bar later
    assert bars[0].ts_event == FIRST_OPEN_MS * 1_000_000 + MINUTE_NS - 1
    expected = _daily_yang_zhang(frame, 2).to_numpy()
    last_bars = [(d + 1) * 1440 - 1 for d in range(DAYS)]
    assert math.isnan(values[last_bars[1]])  # day 0 seeds, day 1 is the first of two
    for d in (2, 3):
        assert values[last_bars[d]] == pytest.approx(expected[d], rel=1e-12)
        assert values[last_bars[d] - 1] != values[last_bars[d]]
    # The last day of the data completes: no bar of a fifth day is needed.
    assert indicator.value == pytest.approx(expected[3], rel=1e-12)


def test_etl_stamps_and_close_stamps_give_the_same_series():
    # Arrange
    d = random_ohlc(5_000, seed=9)

    # Act
    at_close = yang_zhang_batch(d["ts"], d["open"], d["high"], d["low"], d["close"], 3, 60 * MINUTE_NS, 0)
    etl_like = yang_zhang_batch(d["ts"] - 1, d["open"], d["high"], d["low"], d["close"], 3, 60 * MINUTE_NS, 0)

    # Assert: identical, not shifted by one bar
    assert np.isfinite(at_close).sum() > 4_000
    np.testing.assert_array_equal(at_close, etl_like)
