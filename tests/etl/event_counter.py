"""A strategy that only counts what it receives (for catalog streaming tests)."""

from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import BarType
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.trading.strategy import Strategy


class EventCounterConfig(StrategyConfig, frozen=True):
    """Which instrument to count events of."""

    instrument_id: str


class EventCounter(Strategy):
    """Count trades, quotes and bars and record every event's ts_init."""

    def __init__(self, config: EventCounterConfig) -> None:
        super().__init__(config)
        self.counts = {"trade": 0, "quote": 0, "bar": 0}
        self.ts_seen: list[int] = []

    def on_start(self) -> None:
        instrument_id = InstrumentId.from_str(self.config.instrument_id)
        self.subscribe_trade_ticks(instrument_id)
        self.subscribe_quote_ticks(instrument_id)
        self.subscribe_bars(BarType.from_str(f"{instrument_id}-1-MINUTE-LAST-EXTERNAL"))

    def on_trade_tick(self, tick: TradeTick) -> None:
        self.counts["trade"] += 1
        self.ts_seen.append(tick.ts_init)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        self.counts["quote"] += 1
        self.ts_seen.append(tick.ts_init)

    def on_bar(self, bar: Bar) -> None:
        self.counts["bar"] += 1
        self.ts_seen.append(bar.ts_init)
