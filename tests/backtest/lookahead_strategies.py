"""
Strategies with planted look-ahead, for the look-ahead analysis tests (``backtest.lookahead``).

Both read the catalog themselves in ``on_start`` (the way a research notebook's dataframe leaks
into a strategy): ``PeekNextClose`` trades on the next bar's close, ``FullSampleZ`` on a z-score
whose mean and deviation come from every bar of the period. Each also publishes honest series
(the close and the top-of-book imbalance), which the analysis must not flag; ``BookSide`` trades on
the imbalance alone, with no look-ahead. All support both fidelities: the imbalance is a tick-fed
indicator, precomputed in features fidelity.
"""

import numpy as np
from nautilus_trader.config import StrategyConfig
from nautilus_trader.indicators.base import Indicator
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import BarType
from nautilus_trader.model.data import DataType
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Quantity
from nautilus_trader.persistence.catalog.parquet import ParquetDataCatalog
from nautilus_trader.trading.strategy import Strategy

from data_types import IndicatorValues
from indicators.book import TopOfBookImbalance
from indicators.precomputed import PrecomputedIndicator


class CatalogReaderConfig(StrategyConfig, frozen=True, kw_only=True):
    """The instrument, its bar type, the catalog the strategy reads itself, and the order size."""

    instrument_id: str
    bar_type: str
    catalog_path: str
    qty: str = "0.010"
    precomputed_features: bool = False
    order_on_stop: bool = False


class _CatalogReader(Strategy):
    """Load every bar close of the catalog at start; trade long/flat on a rule of the subclass."""

    def __init__(self, config: CatalogReaderConfig) -> None:
        super().__init__(config)
        self.instrument_id = InstrumentId.from_str(config.instrument_id)
        self.bar_type = BarType.from_str(config.bar_type)
        self.stamps = np.empty(0, np.int64)
        self.closes = np.empty(0)
        live = not config.precomputed_features
        self.obi = TopOfBookImbalance() if live else PrecomputedIndicator("obi")

    @classmethod
    def precomputed_indicators(cls, config: CatalogReaderConfig) -> dict[str, dict[str, Indicator]]:
        """Return the tick-fed indicator to precompute in features fidelity."""
        return {config.instrument_id: {"obi": TopOfBookImbalance()}}

    def on_start(self) -> None:
        """Read all the bars (the leak) and subscribe to them and to the book."""
        bars = ParquetDataCatalog(self.config.catalog_path).bars([str(self.bar_type)])
        self.stamps = np.array([b.ts_init for b in bars], dtype=np.int64)
        self.closes = np.array([b.close.as_double() for b in bars])
        if self.config.precomputed_features:
            metadata = {"instrument_id": self.config.instrument_id}
            self.subscribe_data(DataType(IndicatorValues, metadata=metadata))
        else:
            self.register_indicator_for_quote_ticks(self.instrument_id, self.obi)
        self.subscribe_quote_ticks(self.instrument_id)
        self.subscribe_bars(self.bar_type)

    def on_stop(self) -> None:
        """Buy when asked to: an order created after the run's last event (e.g. a flattening)."""
        if self.config.order_on_stop:
            self.submit_order(self.order_factory.market(self.instrument_id, OrderSide.BUY, Quantity.from_str(self.config.qty)))

    def on_data(self, data) -> None:
        """Take the precomputed imbalance of the coming kline close."""
        if isinstance(data, IndicatorValues):
            self.obi.update(data.values["obi"])

    def wanted_long(self, bar: Bar) -> bool | None:
        """Return whether to hold a long position after `bar` (None: no opinion)."""
        raise NotImplementedError  # each planted strategy defines its rule

    def on_bar(self, bar: Bar) -> None:
        """Publish, then go long or flat."""
        self.publish_signal("honest.close", bar.close.as_double())
        if self.obi.initialized:
            self.publish_signal("honest.obi", self.obi.value)
        wanted = self.wanted_long(bar)
        if wanted is None:
            return
        long = self.portfolio.is_net_long(self.instrument_id)
        if wanted and not long:
            self.submit_order(self.order_factory.market(self.instrument_id, OrderSide.BUY, Quantity.from_str(self.config.qty)))
        elif not wanted and long:
            self.close_all_positions(self.instrument_id)


class PeekNextClose(_CatalogReader):
    """Hold long while the next bar closes higher: reads the next bar's close."""

    def wanted_long(self, bar: Bar) -> bool | None:
        """Compare the next bar's close with this one's."""
        i = int(np.searchsorted(self.stamps, bar.ts_init, side="right"))
        if i >= len(self.closes):
            return None
        self.publish_signal("peek.next_close", float(self.closes[i]))
        return bool(self.closes[i] > bar.close.as_double())


class FullSampleZ(_CatalogReader):
    """Hold long while the close is above the period's mean: a z-score over the full sample."""

    def wanted_long(self, bar: Bar) -> bool | None:
        """Standardise the close by the whole sample's mean and deviation."""
        z = (bar.close.as_double() - self.closes.mean()) / self.closes.std()
        self.publish_signal("zfull.z", float(z))
        return bool(z > 0)


class BookSide(_CatalogReader):
    """Hold long while the book leans to the bid: no look-ahead (it loads the bars but never uses them)."""

    def wanted_long(self, bar: Bar) -> bool | None:
        """Follow the imbalance's sign."""
        return bool(self.obi.value > 0) if self.obi.initialized else None
