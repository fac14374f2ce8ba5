"""Index, premium and mark klines reach strategies (issue 12): ``[data] families`` "index", "premium", "mark"."""

import json
from pathlib import Path

import pytest
from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import BarType
from nautilus_trader.model.data import DataType
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity
from nautilus_trader.persistence.catalog.parquet import ParquetDataCatalog
from nautilus_trader.trading.strategy import Strategy

from backtest.node import run_backtest
from data_types import IndexPriceKline
from data_types import PremiumIndexKline
from tests.backtest.conftest import make_config
from tests.backtest.fixtures import INSTRUMENT_ID
from tests.backtest.fixtures import MINUTE
from tests.backtest.fixtures import T0
from tests.backtest.fixtures import random_walk_market
from tests.backtest.fixtures import write_market

MARK = BarType.from_str(f"{INSTRUMENT_ID}-1-MINUTE-MARK-EXTERNAL")
MINUTES = 120


class KlineRecorderConfig(StrategyConfig, frozen=True, kw_only=True):
    """Configuration for ``KlineRecorder``: the instrument and where the records go."""

    instrument_id: str
    record_path: str


class KlineRecorder(Strategy):
    """Record every index, premium and mark kline with the clock time it arrived."""

    def __init__(self, config: KlineRecorderConfig) -> None:
        super().__init__(config)
        self.records: list[tuple[str, int, int, float]] = []

    def on_start(self) -> None:
        """Subscribe to the three kline families."""
        self.subscribe_data(DataType(IndexPriceKline))
        self.subscribe_data(DataType(PremiumIndexKline))
        self.subscribe_bars(MARK)

    def on_data(self, data) -> None:
        """Record an index or premium kline."""
        self.records.append((type(data).__name__, self.clock.timestamp_ns(), data.ts_init, data.close))

    def on_bar(self, bar: Bar) -> None:
        """Record a mark kline."""
        self.records.append(("mark", self.clock.timestamp_ns(), bar.ts_init, bar.close.as_double()))

    def on_stop(self) -> None:
        """Write the records."""
        Path(self.config.record_path).write_text(json.dumps(self.records))


def _klines(cls: type, base: float) -> list:
    # Stamped like the ETL's klines: at the minute's last nanosecond.
    return [
        cls(instrument_id=INSTRUMENT_ID, open=base + n, high=base + n + 1, low=base + n - 1, close=base + n + 0.5, ts_event=T0 + (n + 1) * MINUTE - 1, ts_init=T0 + (n + 1) * MINUTE - 1)
        for n in range(MINUTES)
    ]


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    root = tmp_path_factory.mktemp("klines")
    write_market(root / "catalog", random_walk_market(T0, 24.0, seed=1, quote_every_ms=60_000, trade_every_ms=60_000))
    catalog = ParquetDataCatalog(str(root / "catalog"))
    catalog.write_data(_klines(IndexPriceKline, 42_000.0), start=T0, end=T0 + 86_400 * 10**9 - 1)
    catalog.write_data(_klines(PremiumIndexKline, -0.001), start=T0, end=T0 + 86_400 * 10**9 - 1)
    marks = [
        Bar(MARK, Price(42_000.0 + n, 1), Price(42_001.0 + n, 1), Price(41_999.0 + n, 1), Price(42_000.5 + n, 1), Quantity(0, 0), T0 + (n + 1) * MINUTE - 1, T0 + (n + 1) * MINUTE - 1)
        for n in range(MINUTES)
    ]
    catalog.write_data(marks, start=T0, end=T0 + 86_400 * 10**9 - 1)
    config = make_config(
        root / "catalog",
        root / "results",
        "2024-01-01T02:00:00Z",
        strategy=("tests.backtest.test_price_klines:KlineRecorder", "tests.backtest.test_price_klines:KlineRecorderConfig"),
        params={"record_path": str(root / "records.json")},
        families=["quotes", "index", "premium", "mark"],
        venue={"charge_funding": False},
    )
    run_backtest(config)
    return json.loads((root / "records.json").read_text())


@pytest.mark.parametrize(("kind", "first_close"), [("IndexPriceKline", 42_000.5), ("PremiumIndexKline", 0.499), ("mark", 42_000.5)])
def test_every_kline_arrives_once_at_its_close(records, kind, first_close):
    # Act
    seen = [r for r in records if r[0] == kind]

    # Assert: 120 minutes, each delivered when the clock reaches its stamp, never earlier
    assert [r[2] for r in seen] == [T0 + (n + 1) * MINUTE - 1 for n in range(MINUTES)]
    assert all(clock == stamp for _, clock, stamp, _ in seen)
    assert seen[0][3] == pytest.approx(first_close) and seen[-1][3] == pytest.approx(first_close + MINUTES - 1)
