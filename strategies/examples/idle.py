"""The engine's baseline: a strategy that subscribes to the market data and does nothing."""

from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.data import BarType
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.trading.strategy import Strategy


class IdleConfig(StrategyConfig, frozen=True, kw_only=True):
    """
    Configuration for ``Idle``.

    Parameters
    ----------
    instrument_id : InstrumentId
        The instrument whose quotes and trades are subscribed.
    bar_type : BarType, optional
        A bar type to subscribe to as well.

    """

    instrument_id: InstrumentId
    bar_type: BarType | None = None


class Idle(Strategy):
    """
    Subscribe to quotes, trades and bars and ignore them.

    Benchmarks compare a strategy's events per second with this one's on the same catalog: the
    difference is what the strategy itself costs.

    """

    def on_start(self) -> None:
        """Subscribe to the market data."""
        self.subscribe_quote_ticks(self.config.instrument_id)
        self.subscribe_trade_ticks(self.config.instrument_id)
        if self.config.bar_type is not None:
            self.subscribe_bars(self.config.bar_type)
