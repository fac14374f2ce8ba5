"""The ETL's Arrow-built files read back exactly as Nautilus's own wranglers + write_data write them."""

import pandas as pd
import pytest
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import BarType
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick
from nautilus_trader.persistence.catalog import ParquetDataCatalog
from nautilus_trader.persistence.wranglers import BarDataWrangler
from nautilus_trader.persistence.wranglers import QuoteTickDataWrangler
from nautilus_trader.persistence.wranglers import TradeTickDataWrangler

from data_types import FundingRate
from etl.ingest import ingest
from etl.instruments import InstrumentSpecs
from tests.etl.rawfiles import kline_rows
from tests.etl.rawfiles import quote_rows
from tests.etl.rawfiles import trade_rows
from tests.etl.rawfiles import write_raw

PERP = InstrumentSpecs().get("futures/um", "BTCUSDT").to_instrument()


def _fields(obj) -> dict:
    return {k: v for k, v in type(obj).to_dict(obj).items()}


@pytest.fixture
def raw_day(tmp_path):
    raw = tmp_path / "raw"
    write_raw(raw, "aggTrades", "2024-01-01", trade_rows(3000))
    write_raw(raw, "bookTicker", "2024-01-01", quote_rows(3000))
    write_raw(raw, "klines", "2024-01-01", kline_rows(1440))
    return raw


def _read_csv(raw, family: str) -> pd.DataFrame:
    (path,) = raw.rglob(f"*-{family}-*.csv") if family != "klines" else raw.rglob("*-1m-*.csv")
    return pd.read_csv(path)


def test_trade_ticks_equal_trade_tick_wrangler_output_field_by_field(raw_day, tmp_path):
    # Arrange
    ours = ParquetDataCatalog(str(tmp_path / "ours"))
    theirs = ParquetDataCatalog(str(tmp_path / "theirs"))
    df = _read_csv(raw_day, "aggTrades")
    frame = pd.DataFrame(
        {"price": df.price, "quantity": df.quantity, "trade_id": df.agg_trade_id.astype(str), "buyer_maker": df.is_buyer_maker},
    ).set_index(pd.to_datetime(df.transact_time, unit="ms", utc=True))
    theirs.write_data(TradeTickDataWrangler(PERP).process(frame))

    # Act
    ingest(raw_day, tmp_path / "ours", families=["aggTrades"])

    # Assert
    got, want = ours.query(TradeTick), theirs.query(TradeTick)
    assert len(got) == len(want) == 3000
    assert [_fields(t) for t in got] == [_fields(t) for t in want]


def test_quote_ticks_equal_quote_tick_wrangler_output_field_by_field(raw_day, tmp_path):
    # Arrange
    ours = ParquetDataCatalog(str(tmp_path / "ours"))
    theirs = ParquetDataCatalog(str(tmp_path / "theirs"))
    df = _read_csv(raw_day, "bookTicker")
    frame = pd.DataFrame(
        {"bid_price": df.best_bid_price, "ask_price": df.best_ask_price, "bid_size": df.best_bid_qty, "ask_size": df.best_ask_qty},
    ).set_index(pd.to_datetime(df.transaction_time, unit="ms", utc=True))
    theirs.write_data(QuoteTickDataWrangler(PERP).process(frame))

    # Act
    ingest(raw_day, tmp_path / "ours", families=["bookTicker"])

    # Assert
    got, want = ours.query(QuoteTick), theirs.query(QuoteTick)
    assert len(got) == len(want) == 3000
    assert [_fields(q) for q in got] == [_fields(q) for q in want]


def test_bars_equal_bar_wrangler_output_stamped_at_the_close(raw_day, tmp_path):
    # Arrange
    ours = ParquetDataCatalog(str(tmp_path / "ours"))
    theirs = ParquetDataCatalog(str(tmp_path / "theirs"))
    df = _read_csv(raw_day, "klines")
    bar_type = BarType.from_str("BTCUSDT-PERP.BINANCE-1-MINUTE-LAST-EXTERNAL")
    # BarDataWrangler reads open, high, low, close, volume by position.
    frame = df[["open", "high", "low", "close", "volume"]].set_index(pd.to_datetime(df.open_time, unit="ms", utc=True))
    theirs.write_data(BarDataWrangler(bar_type, PERP).process(frame, ts_init_delta=60_000_000_000 - 1))

    # Act
    ingest(raw_day, tmp_path / "ours", families=["klines"])

    # Assert
    got, want = ours.query(Bar), theirs.query(Bar)
    assert len(got) == len(want) == 1440
    for g, w in zip(got, want, strict=True):
        # The wrangler keeps ts_event at the open; the ETL stamps both clocks at the close.
        assert (g.bar_type, g.open, g.high, g.low, g.close, g.volume, g.ts_init, g.ts_event) == (w.bar_type, w.open, w.high, w.low, w.close, w.volume, w.ts_init, w.ts_event + 60_000_000_000 - 1)
    assert got[0].ts_event == got[0].ts_init == 1_704_067_200_000_000_000 + 60_000_000_000 - 1


def test_funding_rates_read_back_with_every_source_column(tmp_path):
    # Arrange
    raw = tmp_path / "raw"
    write_raw(raw, "fundingRate", "2024-01", ["1704067200003,8,0.00010000", "1704096000000,8,-0.00002500", "1704124800001,4,0.00000577"])

    # Act
    ingest(raw, tmp_path / "catalog")

    # Assert
    rows = [c.data for c in ParquetDataCatalog(str(tmp_path / "catalog")).query(FundingRate)]
    assert [(r.calc_time, r.funding_interval_hours, r.last_funding_rate, r.ts_event, r.ts_init) for r in rows] == [
        (1704067200003, 8, 0.0001, 1704067200003000000, 1704067200003000000),
        (1704096000000, 8, -0.000025, 1704096000000000000, 1704096000000000000),
        (1704124800001, 4, 0.00000577, 1704124800001000000, 1704124800001000000),
    ]
