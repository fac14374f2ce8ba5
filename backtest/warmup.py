"""
Warm-up before the period: the data streams from ``start - warmup``, orders are refused until ``start``.

The rule is the engine's, not a convention strategies must follow: the ``RiskEngine``'s trading
state is ``HALTED`` from the first streamed event, so every order submitted before ``start`` is
denied (``OrderDenied``, reason ``TradingState.HALTED``) whatever the strategy does, and the gate
sets it ``ACTIVE`` before anything stamped at or after ``start`` reaches a strategy:

- a high-priority subscription to every published data topic (``data.*``) opens it on the first
  datum stamped at or after ``start``, before any strategy's handler runs;
- a clock alert at ``start`` opens it when the clock gets there by timers alone.

Once open, the subscription is dropped, so the period runs at full speed.
"""

from nautilus_trader.common.actor import Actor
from nautilus_trader.common.config import ActorConfig
from nautilus_trader.common.events import TimeEvent
from nautilus_trader.model.enums import TradingState
from nautilus_trader.risk.engine import RiskEngine

GATE_ID = "TradingGate"
# Above every strategy subscription (priority 0) and the funding module's (100).
GATE_PRIORITY = 10_000
DATA_TOPICS = "data.*"


class TradingGate(Actor):
    """
    Hold the risk engine's trading state at ``HALTED`` until ``start_ns``, then set it ``ACTIVE``.

    Parameters
    ----------
    risk_engine : RiskEngine
        The engine's risk engine (``engine.kernel.risk_engine``).
    start_ns : int
        The period's first nanosecond.

    """

    def __init__(self, risk_engine: RiskEngine, start_ns: int) -> None:
        super().__init__(ActorConfig(component_id=GATE_ID))
        self._risk = risk_engine
        self._start_ns = start_ns
        self.opened_at: int | None = None
        # Halted from construction: strategies may submit from on_start, before this actor starts.
        self._risk.set_trading_state(TradingState.HALTED)

    def on_start(self) -> None:
        """Watch the data and arm the alert at the period's start."""
        self.msgbus.subscribe(topic=DATA_TOPICS, handler=self._on_data, priority=GATE_PRIORITY)
        self.clock.set_time_alert_ns("trading-gate", self._start_ns, self._on_alert)

    def _on_data(self, data) -> None:
        if data.ts_init >= self._start_ns:
            self._open(data.ts_init)

    def _on_alert(self, event: TimeEvent) -> None:
        self._open(event.ts_event)

    def _open(self, ts: int) -> None:
        if self.opened_at is not None:
            return
        self.opened_at = ts
        self._risk.set_trading_state(TradingState.ACTIVE)
        self.msgbus.unsubscribe(topic=DATA_TOPICS, handler=self._on_data)
