"""A multi-day ingested catalog streams through a BacktestNode, and custom types read back exactly."""

import datetime as dt

from nautilus_trader.backtest.node import BacktestNode
from nautilus_trader.config import BacktestDataConfig
from nautilus_trader.config import BacktestEngineConfig
from nautilus_trader.config import BacktestRunConfig
from nautilus_trader.config import BacktestVenueConfig
from nautilus_trader.config import ImportableStrategyConfig
from nautilus_trader.config import LoggingConfig
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from data_types import FuturesMetrics
from etl.ingest import ingest
from tests.etl.rawfiles import DAY_MS
from tests.etl.rawfiles import kline_rows
from tests.etl.rawfiles import quote_rows
from tests.etl.rawfiles import trade_rows
from tests.etl.rawfiles import write_raw

DAYS = 3
DAY = 86_400_000
INSTRUMENT = "BTCUSDT-PERP.BINANCE"


def _raw_market(raw) -> None:
    for d in range(DAYS):
        day = f"2024-01-0{d + 1}"
        start = DAY_MS + d * DAY
        write_raw(raw, "aggTrades", day, trade_rows(500, start_id=1 + 10_000 * d, start_ms=start, step_ms=170_000))
        write_raw(raw, "bookTicker", day, quote_rows(700, start_id=1 + 10_000 * d, start_ms=start, step_ms=120_000))
        write_raw(raw, "klines", day, kline_rows(1440, start_ms=start))
        metrics = [
            f"{(dt.datetime(2024, 1, d + 1, tzinfo=dt.UTC) + dt.timedelta(minutes=5 * i)).strftime('%Y-%m-%d %H:%M:%S')},BTCUSDT,{100 + i}.5,{(100 + i) * 42000}.25,1.{i:02d},2.0,1.1,0.9"
            for i in range(288)
        ]
        write_raw(raw, "metrics", day, metrics)


def test_streaming_backtest_node_sees_every_ingested_event_in_time_order(tmp_path):
    # Arrange
    raw, catalog_path = tmp_path / "raw", tmp_path / "catalog"
    _raw_market(raw)
    ingest(raw, catalog_path)
    data = [
        BacktestDataConfig(catalog_path=str(catalog_path), data_cls=cls, instrument_id=INSTRUMENT, **({"bar_spec": "1-MINUTE-LAST"} if cls is Bar else {}))
        for cls in (TradeTick, QuoteTick, Bar)
    ]
    run = BacktestRunConfig(
        engine=BacktestEngineConfig(
            strategies=[ImportableStrategyConfig(strategy_path="tests.etl.event_counter:EventCounter", config_path="tests.etl.event_counter:EventCounterConfig", config={"instrument_id": INSTRUMENT})],
            logging=LoggingConfig(bypass_logging=True),
        ),
        venues=[BacktestVenueConfig(name="BINANCE", oms_type="NETTING", account_type="MARGIN", base_currency="USDT", starting_balances=["100000 USDT"], bar_execution=False)],
        data=data,
        chunk_size=1_000,
        dispose_on_completion=False,
    )
    node = BacktestNode(configs=[run])

    # Act
    node.run()
    strategy = node.get_engine(run.id).trader.strategies()[0]

    # Assert
    assert strategy.counts == {"trade": 500 * DAYS, "quote": 700 * DAYS, "bar": 1440 * DAYS}
    assert strategy.ts_seen == sorted(strategy.ts_seen)
    node.dispose()


def test_futures_metrics_read_back_exactly(tmp_path):
    # Arrange
    raw, catalog_path = tmp_path / "raw", tmp_path / "catalog"
    _raw_market(raw)

    # Act
    ingest(raw, catalog_path, families=["metrics"])
    rows = [c.data for c in ParquetDataCatalog(str(catalog_path)).query(FuturesMetrics)]

    # Assert
    assert len(rows) == 288 * DAYS
    first, last = rows[0], rows[-1]
    assert (first.symbol, first.sum_open_interest, first.sum_open_interest_value, first.count_toptrader_long_short_ratio) == ("BTCUSDT", 100.5, 4200000.25, 1.0)
    assert first.ts_event == first.ts_init == DAY_MS * 1_000_000
    assert last.ts_event == (DAY_MS + 2 * DAY + 287 * 300_000) * 1_000_000
    assert last.sum_open_interest == 387.5
