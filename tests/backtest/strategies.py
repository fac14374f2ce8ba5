"""
Test strategies: they record what they see and when, and trade on a script or a simple rule.

Each writes its records as JSON lines to ``record_path`` when it stops, so a test reads them back
after the engine is gone (the runner returns plain data only).

"""

import json
from functools import partial

from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import BarType
from nautilus_trader.model.data import DataType
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Quantity
from nautilus_trader.trading.strategy import Strategy

from data_types import FundingRate
from data_types import FuturesMetrics


class ObserverConfig(StrategyConfig, frozen=True, kw_only=True):
    """
    Configuration for ``Observer``.

    Parameters
    ----------
    instrument_id : str
        The instrument.
    record_path : str
        Where the JSON-lines records go.
    bar_type : str, optional
        The bar type to subscribe to.
    orders : list[list], default []
        ``[ts_ns, "BUY" | "SELL", "qty"]`` market orders submitted from a clock alert at ``ts_ns``,
        optionally with a fourth element: another instrument id to trade.
    close_on_funding : bool, default False
        Close the position as soon as a funding row arrives (tries to dodge the settlement).
    bar_rule_qty : str, optional
        Trade this quantity on every bar: buy after an up-close, sell after a down-close.

    """

    instrument_id: str
    record_path: str
    bar_type: str | None = None
    orders: list[list] = []
    close_on_funding: bool = False
    bar_rule_qty: str | None = None


class Observer(Strategy):
    """Record every event with the clock time it arrived; trade on a script or a bar rule."""

    def __init__(self, config: ObserverConfig) -> None:
        super().__init__(config)
        self.instrument_id = InstrumentId.from_str(config.instrument_id)
        self.records: list[dict] = []
        self._last_close: float | None = None

    def on_start(self) -> None:
        """Subscribe to everything and schedule the scripted orders."""
        self.subscribe_quote_ticks(self.instrument_id)
        self.subscribe_trade_ticks(self.instrument_id)
        if self.config.bar_type:
            self.subscribe_bars(BarType.from_str(self.config.bar_type))
        self.subscribe_data(DataType(FundingRate))
        self.subscribe_data(DataType(FuturesMetrics))
        for n, (ts, side, qty, *other) in enumerate(self.config.orders):
            instrument_id = InstrumentId.from_str(other[0]) if other else self.instrument_id
            order = (instrument_id, OrderSide[side], Quantity.from_str(qty))
            self.clock.set_time_alert_ns(
                f"order-{n}", int(ts), partial(self._on_order_alert, order)
            )

    def _on_order_alert(self, order: tuple[InstrumentId, OrderSide, Quantity], event) -> None:
        self._market(*order)

    def _record(self, kind: str, ts_init: int, **values) -> None:
        account = self.portfolio.account(self.instrument_id.venue)
        balance = account.balance_total().as_double() if account is not None else None
        self.records.append(
            {
                "kind": kind,
                "clock": self.clock.timestamp_ns(),
                "ts_init": ts_init,
                "balance": balance,
                **values,
            },
        )

    def _market(self, instrument_id: InstrumentId, side: OrderSide, qty: Quantity) -> None:
        self._record(
            "order",
            self.clock.timestamp_ns(),
            side=side.name,
            qty=str(qty),
            instrument=str(instrument_id),
        )
        self.submit_order(self.order_factory.market(instrument_id, side, qty))

    def on_quote_tick(self, tick: QuoteTick) -> None:
        """Record the quote."""
        self._record(
            "quote", tick.ts_init, bid=tick.bid_price.as_double(), ask=tick.ask_price.as_double()
        )

    def on_trade_tick(self, tick: TradeTick) -> None:
        """Record the trade."""
        self._record("trade", tick.ts_init, price=tick.price.as_double())

    def on_bar(self, bar: Bar) -> None:
        """Record the bar; trade on it when a bar rule is set."""
        close = bar.close.as_double()
        self._record("bar", bar.ts_init, ts_event=bar.ts_event, close=close)
        if self.config.bar_rule_qty and self._last_close is not None and close != self._last_close:
            side = OrderSide.BUY if close > self._last_close else OrderSide.SELL
            self._market(self.instrument_id, side, Quantity.from_str(self.config.bar_rule_qty))
        self._last_close = close

    def on_data(self, data) -> None:
        """Record funding and metrics rows; optionally try to dodge the funding settlement."""
        if isinstance(data, FundingRate):
            self._record(
                "funding", data.ts_init, rate=data.rate, instrument=str(data.instrument_id)
            )
            if self.config.close_on_funding:
                self.close_all_positions(self.instrument_id)
                self._record("order", self.clock.timestamp_ns(), side="CLOSE", qty="all")
        elif isinstance(data, FuturesMetrics):
            self._record("metrics", data.ts_init, oi=data.sum_open_interest)

    def on_stop(self) -> None:
        """Write the records."""
        with open(self.config.record_path, "w") as f:
            for record in self.records:
                f.write(json.dumps(record) + "\n")
