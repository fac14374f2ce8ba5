"""
A small strategy that supports both fidelities: it trades the sign of top-of-book imbalance and
of an OFI window at each kline close, with an EMA of closes as a trend filter.

It is what a strategy author writes to support ``data.fidelity = "features"``: the tick-fed
indicators are declared once (``tick_indicators``), registered live in tick fidelity, and replaced
by ``PrecomputedIndicator`` stand-ins fed from ``IndicatorValues`` rows otherwise (published just
before each kline close, so ``on_bar`` is the same code in both fidelities).
"""

from nautilus_trader.config import StrategyConfig
from nautilus_trader.indicators import ExponentialMovingAverage
from nautilus_trader.indicators.base import Indicator
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import BarType
from nautilus_trader.model.data import DataType
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.trading.strategy import Strategy

from data_types import IndicatorValues
from indicators.book import OrderFlowImbalance
from indicators.book import TopOfBookImbalance
from indicators.precomputed import PrecomputedIndicator


class BookTiltConfig(StrategyConfig, frozen=True, kw_only=True):
    """Configuration for ``BookTilt`` (``threshold`` on the OBI; sizes in quote currency)."""

    instrument_id: str
    bar_type: str
    threshold: float = 0.2
    ema_period: int = 10
    ofi_window_secs: int = 60
    trade_notional: float = 5_000.0
    precomputed_features: bool = False


def tick_indicators(config: BookTiltConfig) -> dict[str, Indicator]:
    """Return the quote-fed indicators by name."""
    return {
        "obi": TopOfBookImbalance(),
        "ofi": OrderFlowImbalance(window_ns=config.ofi_window_secs * 1_000_000_000),
    }


class BookTilt(Strategy):
    """Hold long while OBI > threshold, OFI > 0 and close > EMA; short in mirror; else flat."""

    def __init__(self, config: BookTiltConfig) -> None:
        super().__init__(config)
        self.instrument_id = InstrumentId.from_str(config.instrument_id)
        self.bar_type = BarType.from_str(config.bar_type)
        ticks = tick_indicators(config)
        if config.precomputed_features:
            ticks = {name: PrecomputedIndicator(name) for name in ticks}
        self.ticks = ticks
        self.ema = ExponentialMovingAverage(config.ema_period)

    @classmethod
    def precomputed_indicators(cls, config: BookTiltConfig) -> dict[str, dict[str, Indicator]]:
        """Return the indicators to precompute in features fidelity."""
        return {config.instrument_id: tick_indicators(config)}

    def on_start(self) -> None:
        """Register and subscribe."""
        if not self.config.precomputed_features:
            for indicator in self.ticks.values():
                self.register_indicator_for_quote_ticks(self.instrument_id, indicator)
        else:
            metadata = {"instrument_id": self.config.instrument_id}
            self.subscribe_data(DataType(IndicatorValues, metadata=metadata))
        self.register_indicator_for_bars(self.bar_type, self.ema)
        self.subscribe_quote_ticks(self.instrument_id)
        self.subscribe_bars(self.bar_type)

    def on_data(self, data) -> None:
        """Take the precomputed values of the coming kline close."""
        if isinstance(data, IndicatorValues):
            for name, indicator in self.ticks.items():
                indicator.update(data.values[name])

    def on_bar(self, bar: Bar) -> None:
        """Decide at each kline close."""

        obi, ofi = self.ticks["obi"], self.ticks["ofi"]
        if not (obi.initialized and ofi.initialized and self.ema.initialized):
            return
        self.publish_signal("book.obi", obi.value)
        self.publish_signal("book.ofi", ofi.value)
        close = bar.close.as_double()
        wanted = 0
        if obi.value > self.config.threshold and ofi.value > 0 and close > self.ema.value:
            wanted = 1
        elif obi.value < -self.config.threshold and ofi.value < 0 and close < self.ema.value:
            wanted = -1
        net = float(self.portfolio.net_position(self.instrument_id))
        instrument = self.cache.instrument(self.instrument_id)
        target = wanted * float(instrument.make_qty(self.config.trade_notional / close))
        delta = target - net
        if abs(delta) < float(instrument.size_increment):
            return
        side = OrderSide.BUY if delta > 0 else OrderSide.SELL
        self.submit_order(
            self.order_factory.market(self.instrument_id, side, instrument.make_qty(abs(delta)))
        )

    def on_reset(self) -> None:
        """Reset the indicators."""
        for indicator in (*self.ticks.values(), self.ema):
            indicator.reset()
