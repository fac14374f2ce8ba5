"""
Collect what is published on an engine's message bus: named series, funding payments, round trips.

The series hook is Nautilus's own ``Actor.publish_signal(name, value)``: a strategy (or any actor)
publishes numeric values under a name, and every such series lands in ``series.parquet`` and in
its own report panel, stamped with the signal's ``ts_event``. Name series ``"<group>.<series>"``
(e.g. ``"toxicity.vpin"``, ``"regime.crowding"``): panels are ordered and titled by group
(``toxicity: vpin``). Nautilus title-cases signal names, so they are recorded in lower case;
string values are not recorded.

"""

import pandas as pd
from nautilus_trader.common.component import MessageBus
from nautilus_trader.model.events import OrderInitialized
from nautilus_trader.model.events import PositionClosed
from nautilus_trader.model.functions import order_side_to_str
from nautilus_trader.model.functions import order_type_to_str

from data_types import FundingPayment

SIGNAL_PREFIX = "Signal"
LEDGER_COLUMNS = [
    "ts",
    "instrument_id",
    "position_id",
    "signed_qty",
    "mark",
    "mark_source",
    "rate",
    "payment",
    "currency",
    "balance_after",
]
ORDER_COLUMNS = ["ts", "instrument_id", "side", "quantity", "order_type", "price", "at_stop"]
END_OF_PERIOD_TOPIC = "data.EndOfPeriod*"


class BusRecorder:
    """Record signals, funding payments and position-closed events published during a run."""

    def __init__(self) -> None:
        self._signals: list[tuple[int, str, float]] = []
        self._payments: list[FundingPayment] = []
        self._closed: list[PositionClosed] = []
        self._orders: list[tuple] = []
        self._ended = False

    def attach(self, msgbus: MessageBus) -> None:
        """
        Subscribe to the engine's message bus (before the run starts).

        Parameters
        ----------
        msgbus : MessageBus
            The engine kernel's message bus.

        """
        msgbus.subscribe(topic=f"data.{SIGNAL_PREFIX}*", handler=self._on_signal)
        msgbus.subscribe(topic="data.FundingPayment*", handler=self._payments.append)
        msgbus.subscribe(topic="events.position*", handler=self._on_position_event)
        msgbus.subscribe(topic="events.order*", handler=self._on_order_event)
        msgbus.subscribe(topic=END_OF_PERIOD_TOPIC, handler=self._on_end)

    def _on_end(self, _) -> None:
        self._ended = True

    def _on_order_event(self, event) -> None:
        if isinstance(event, OrderInitialized):
            price = event.options.get("price")
            self._orders.append(
                (
                    event.ts_init,
                    str(event.instrument_id),
                    order_side_to_str(event.side),
                    str(event.quantity),
                    order_type_to_str(event.order_type),
                    str(price) if price is not None else "",
                    # Orders created after the last event (a strategy's on_stop) decide nothing.
                    self._ended,
                )
            )

    def _on_position_event(self, event) -> None:
        if isinstance(event, PositionClosed):
            self._closed.append(event)

    def _on_signal(self, signal) -> None:
        value = signal.value
        if isinstance(value, int | float) and not isinstance(value, bool):
            name = type(signal).__name__.removeprefix(SIGNAL_PREFIX).lower()
            self._signals.append((signal.ts_event, name, float(value)))

    @property
    def closed_positions(self) -> list[PositionClosed]:
        """Return every position-closed event (one per round trip) in order."""
        return list(self._closed)

    @property
    def payments(self) -> list[FundingPayment]:
        """Return the funding payments in settlement order."""
        return list(self._payments)

    def orders_frame(self) -> pd.DataFrame:
        """
        Return every order the strategies created, denied ones included, in creation order.

        Columns ``ts`` (creation time), ``instrument_id``, ``side``, ``quantity``, ``order_type``,
        ``price`` (``""`` for market orders) and ``at_stop`` (created after the run's last event).
        """
        frame = pd.DataFrame(self._orders, columns=ORDER_COLUMNS)
        return frame.astype({"ts": "int64", "at_stop": "bool"})

    def series_frame(self) -> pd.DataFrame:
        """Return the numeric signals as a long table: ``ts``, ``name``, ``value``."""
        frame = pd.DataFrame(self._signals, columns=["ts", "name", "value"])
        return frame.astype({"ts": "int64", "name": "string", "value": "float64"})

    def funding_frame(self) -> pd.DataFrame:
        """
        Return the funding ledger, one row per settled position (or flat settlement).

        ``mark_source`` says where each row's mark comes from (``backtest.funding``:
        ``mark_kline``, the exchange's mark price; else ``quote_mid``, ``last_trade`` or
        ``bar_close``; ``""`` when no price was known yet).
        """
        rows = [
            (
                p.ts_event,
                str(p.instrument_id),
                p.position_id,
                float(p.signed_qty),
                float(p.mark) if p.mark is not None else float("nan"),
                p.mark_source,
                float(p.rate),
                float(p.payment),
                p.currency,
                float(p.balance_after),
            )
            for p in self._payments
        ]
        frame = pd.DataFrame(rows, columns=LEDGER_COLUMNS)
        return frame.astype(
            {
                "ts": "int64",
                "instrument_id": "string",
                "position_id": "string",
                "mark_source": "string",
                "currency": "string",
            }
        )
