"""A test strategy that submits scripted market and post-only limit orders at given times."""

from functools import partial

from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity
from nautilus_trader.trading.strategy import Strategy


class ScriptedOrdersConfig(StrategyConfig, frozen=True, kw_only=True):
    """
    Configuration for ``ScriptedOrders``.

    Parameters
    ----------
    instrument_id : str
        The instrument.
    orders : list[list]
        ``[ts_ns, "BUY" | "SELL", "qty", "price" | None]``: a market order when the price is
        None, else a post-only limit order at that price, submitted from a clock alert at ``ts_ns``.

    """

    instrument_id: str
    orders: list[list] = []


class ScriptedOrders(Strategy):
    """Submit the scripted orders; nothing else."""

    def __init__(self, config: ScriptedOrdersConfig) -> None:
        super().__init__(config)
        self.instrument_id = InstrumentId.from_str(config.instrument_id)

    def on_start(self) -> None:
        """Schedule the scripted orders."""
        for n, (ts, side, qty, price) in enumerate(self.config.orders):
            self.clock.set_time_alert_ns(
                f"order-{n}", int(ts), partial(self._submit, side, qty, price)
            )

    def _submit(self, side: str, qty: str, price: str | None, event) -> None:
        quantity = Quantity.from_str(qty)
        if price is None:
            order = self.order_factory.market(self.instrument_id, OrderSide[side], quantity)
        else:
            order = self.order_factory.limit(
                self.instrument_id, OrderSide[side], quantity, Price.from_str(price), post_only=True
            )
        self.submit_order(order)
