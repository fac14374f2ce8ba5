"""
``ToxicityConditionedVolatility``: the Nautilus wiring of DESIGN §6.

Data: quotes (OBI, spread, OFI; stop and take-profit checks), trades (SVI, VPIN), the 1-minute
EXTERNAL klines (VC, HAR; the decision cadence; kline gaps), ``FundingRate`` and
``FuturesMetrics`` (the crowding index). Each event updates its indicators; decisions happen at
the close of each cadence window (``schedule``), exits are checked on every quote while a trade
is open and at every decision.

One trade at a time: no new entry while a position or an entry order is open, and no reversal
(an opposite signal waits for the open trade's exit).

Published series, at each decision (``publish_features``): ``features.f1_compression``,
``features.pressure`` (P), ``features.f2_gated_pressure``, ``toxicity.t``, ``toxicity.tau_t``,
``toxicity.vpin``, ``toxicity.toxic`` (1 when T ≥ τ_T), ``regime.crowding`` (C),
``regime.state`` (the regime the rules act on) and ``volatility.sigma_bps`` (σ̂ per minute, in
basis points). Always, the running totals ``count.alpha_a``, ``count.alpha_b`` (entries),
``count.gate_blocked`` (entries the toxicity gate stopped), ``count.exit_*`` (exits per
reason), ``count.limit_orders`` and ``count.limit_cancelled`` (post-only entries, and those
expired unfilled at the timeout). Orders carry ``data_types.trade_tags``: the alpha and regime of
an entry, the reason of an exit.

"""

import math
from dataclasses import dataclass
from dataclasses import replace

from nautilus_trader.core.datetime import unix_nanos_to_dt
from nautilus_trader.indicators.base import Indicator
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import DataType
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import TimeInForce
from nautilus_trader.model.events import OrderExpired
from nautilus_trader.model.events import OrderFilled
from nautilus_trader.model.events import PositionChanged
from nautilus_trader.model.events import PositionClosed
from nautilus_trader.model.events import PositionOpened
from nautilus_trader.model.identifiers import ClientOrderId
from nautilus_trader.trading.strategy import Strategy

from data_types import FundingRate
from data_types import FuturesMetrics
from data_types import IndicatorValues
from data_types.trade_tags import TOXIC_SERIES
from data_types.trade_tags import entry_tags
from data_types.trade_tags import exit_tags
from strategies.counts import RunCounts
from strategies.instruments import instrument_or_stop
from strategies.toxvol.config import ToxVolConfig
from strategies.toxvol.decision import Alpha
from strategies.toxvol.decision import Entry
from strategies.toxvol.decision import ExitReason
from strategies.toxvol.decision import OpenTrade
from strategies.toxvol.decision import decide
from strategies.toxvol.decision import effective_regime
from strategies.toxvol.decision import entry_blocker
from strategies.toxvol.decision import exit_reason
from strategies.toxvol.decision import gated_pressure
from strategies.toxvol.decision import open_trade
from strategies.toxvol.decision import stop_distance
from strategies.toxvol.execution import OrderKind
from strategies.toxvol.execution import entry_order
from strategies.toxvol.features import Snapshot
from strategies.toxvol.features import ToxVolFeatures
from strategies.toxvol.features import tick_indicators
from strategies.toxvol.schedule import DecisionSchedule
from strategies.toxvol.sizing import position_size

GATE_BLOCKED = "gate_blocked"
LIMIT_ORDERS = "limit_orders"
LIMIT_CANCELLED = "limit_cancelled"
COUNT_NAMES = (*Alpha, GATE_BLOCKED, *ExitReason, LIMIT_ORDERS, LIMIT_CANCELLED)


@dataclass(frozen=True, slots=True)
class PendingEntry:
    """An entry order sent and not yet turned into a trade."""

    entry: Entry
    order_id: ClientOrderId
    stop_distance: float
    regime: int


class ToxicityConditionedVolatility(Strategy):
    """
    Trade volatility expansion out of compression with toxicity-aware pressure, and fade crowds.

    Parameters
    ----------
    config : ToxVolConfig
        The configuration (every parameter and ablation switch).

    """

    def __init__(self, config: ToxVolConfig) -> None:
        super().__init__(config)
        self.instrument_id = config.instrument_id
        self.bar_type = config.bar_type
        self.features = ToxVolFeatures(config)
        self.schedule = DecisionSchedule(config.cadence_minutes, config.gap_cooldown_minutes)
        self.counts = RunCounts(self, COUNT_NAMES)
        self.instrument = None
        self.trade: OpenTrade | None = None
        self._pending: PendingEntry | None = None
        self._exit: ExitReason | None = None

    @classmethod
    def precomputed_indicators(cls, config: ToxVolConfig) -> dict[str, dict[str, Indicator]]:
        """
        Return the quote- and trade-fed indicators to precompute in features fidelity.

        Parameters
        ----------
        config : ToxVolConfig
            The strategy configuration.

        Returns
        -------
        dict[str, dict[str, Indicator]]
            ``{instrument_id: {name: indicator}}`` (the id as text): the names key the
            ``IndicatorValues`` rows.
            Every component is included, whatever the ablation switches: one precomputed set
            serves all the ablations of a sweep.

        """
        return {str(config.instrument_id): tick_indicators(config, every=True)}

    def on_start(self) -> None:
        """Look up the instrument, register the indicators and subscribe to the data."""
        self.instrument = instrument_or_stop(self, self.instrument_id)
        if self.instrument is None:
            return
        for indicator in self.features.quote_indicators:
            self.register_indicator_for_quote_ticks(self.instrument_id, indicator)
        for indicator in self.features.trade_indicators:
            self.register_indicator_for_trade_ticks(self.instrument_id, indicator)
        for indicator in self.features.bar_indicators:
            self.register_indicator_for_bars(self.bar_type, indicator)
        self.subscribe_quote_ticks(self.instrument_id)
        self.subscribe_trade_ticks(self.instrument_id)
        self.subscribe_bars(self.bar_type)
        metadata = {"instrument_id": str(self.instrument_id)}
        self.subscribe_data(DataType(FundingRate, metadata=metadata))
        self.subscribe_data(DataType(FuturesMetrics, metadata=metadata))
        if self.config.precomputed_features:
            self.subscribe_data(DataType(IndicatorValues, metadata=metadata))
        self.counts.publish_all()

    # -- market data -------------------------------------------------------------------------

    def on_data(self, data) -> None:
        """Feed funding and metrics rows to the crowding index; take precomputed indicator values."""
        if isinstance(data, FundingRate):
            self.features.handle_funding_rate(data)
        elif isinstance(data, FuturesMetrics):
            self.features.handle_metrics(data)
        elif isinstance(data, IndicatorValues):
            self.features.handle_indicator_values(data)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        """Check the open trade's stop, take-profit, time stop and regime."""
        if self.trade is not None and self._exit is None:
            self._check_exit(tick.bid_price.as_double(), tick.ask_price.as_double())

    def on_bar(self, bar: Bar) -> None:
        """Decide when the bar closes a cadence window (the bar indicators are already updated)."""
        if self.schedule.on_bar(bar.ts_event):
            self._decide()

    # -- decisions ---------------------------------------------------------------------------

    def _decide(self) -> None:
        snapshot = self.features.sample()
        if self.config.publish_features:
            self._publish(snapshot)
        # An exit or entry order is working: its events decide what comes next.
        if self._exit is not None or (self._pending is not None and self.trade is None):
            return
        quote = self.cache.quote_tick(self.instrument_id)
        now = self.clock.timestamp_ns()
        last_quote_ns = quote.ts_init if quote is not None else None
        blocker = entry_blocker(
            now, last_quote_ns, snapshot.ready, self.schedule.gap_open, self.config
        )
        bid = quote.bid_price.as_double() if quote is not None else math.nan
        ask = quote.ask_price.as_double() if quote is not None else math.nan
        action = decide(self.trade, snapshot.signals, bid, ask, now, blocker, self.config)
        if action.gate_blocked:
            self.counts.add(GATE_BLOCKED)
        if action.close is not None:
            self._close(action.close)
        elif action.enter is not None:
            self._enter(action.enter, snapshot, quote)

    def _enter(self, entry: Entry, snapshot: Snapshot, quote: QuoteTick) -> None:
        config = self.config
        instrument = self.instrument
        bid, ask = quote.bid_price.as_double(), quote.ask_price.as_double()
        mid = 0.5 * (bid + ask)
        account = self.portfolio.account(self.instrument_id.venue)
        equity = account.balance_total(instrument.settlement_currency).as_double()
        size = position_size(
            equity,
            mid,
            snapshot.sigma,
            snapshot.z_spread,
            snapshot.z_vpin,
            instrument.size_increment.as_double(),
            config,
        )
        too_small = size.quantity < instrument.min_quantity.as_double()
        if too_small or size.notional < _min_notional(instrument):
            return
        side = OrderSide.BUY if entry.side > 0 else OrderSide.SELL
        quantity = instrument.make_qty(size.quantity)
        # Tags say which alpha and regime opened the trade (the results' trade attribution).
        tags = entry_tags(entry.alpha.name, effective_regime(snapshot.signals.regime, config))
        plan = entry_order(
            entry.side,
            bid,
            ask,
            instrument.price_increment.as_double(),
            snapshot.signals.toxic,
            config,
        )
        if plan.kind == OrderKind.LIMIT:
            # Good till the timeout: the venue expires it unfilled (OrderExpired), with no cancel
            # request of ours to race a fill.
            expiry = self.clock.timestamp_ns() + int(config.limit_timeout_secs * 1e9)
            order = self.order_factory.limit(
                self.instrument_id,
                side,
                quantity,
                instrument.make_price(plan.price),
                time_in_force=TimeInForce.GTD,
                expire_time=unix_nanos_to_dt(expiry),
                post_only=True,
                tags=tags,
            )
        else:
            order = self.order_factory.market(self.instrument_id, side, quantity, tags=tags)
        self._pending = PendingEntry(
            entry=entry,
            order_id=order.client_order_id,
            stop_distance=stop_distance(mid, snapshot.sigma, config),
            regime=snapshot.signals.regime,
        )
        self.submit_order(order)
        self.counts.add(entry.alpha)
        if plan.kind == OrderKind.LIMIT:
            self.counts.add(LIMIT_ORDERS)

    def _check_exit(self, bid: float, ask: float) -> None:
        reason = exit_reason(
            self.trade, bid, ask, self.clock.timestamp_ns(), self.features.regime(), self.config
        )
        if reason is not None:
            self._close(reason)

    def _close(self, reason: ExitReason) -> None:
        self._exit = reason
        # A partly filled post-only entry must not add to a position being closed.
        if self._pending is not None:
            order = self.cache.order(self._pending.order_id)
            if order is not None and order.is_open:
                self.cancel_order(order)
        self.close_all_positions(self.instrument_id, tags=exit_tags(reason.name.lower()))

    # -- order and position events -----------------------------------------------------------

    def on_order_event(self, event) -> None:
        """Count expired post-only entries; forget the entry order once it is done."""
        # Only post-only entries are good till a time: every expiry is an entry's timeout.
        if isinstance(event, OrderExpired):
            self.counts.add(LIMIT_CANCELLED)
        pending = self._pending
        if pending is None or event.client_order_id != pending.order_id:
            return
        order = self.cache.order(pending.order_id)
        # A fill that completes the order before any position event leaves the pending entry for
        # on_position_opened, which the engine calls next.
        if (
            order is not None
            and order.is_closed
            and (self.trade is not None or not isinstance(event, OrderFilled))
        ):
            self._pending = None

    def on_position_opened(self, event: PositionOpened) -> None:
        """Turn the pending entry into a trade anchored at its fill price."""
        pending = self._pending
        if pending is None:
            return
        self.trade = open_trade(
            pending.entry,
            event.avg_px_open,
            pending.stop_distance,
            event.ts_opened,
            pending.regime,
            self.config,
        )
        if self.cache.order(pending.order_id).is_closed:
            self._pending = None

    def on_position_changed(self, event: PositionChanged) -> None:
        """Re-anchor the trade when a partly filled entry fills further."""
        if self.trade is not None and self._exit is None:
            self.trade = replace(self.trade, entry_price=event.avg_px_open)

    def on_position_closed(self, event: PositionClosed) -> None:
        """Count the exit by its reason and get ready for the next entry."""
        if self._exit is not None:
            self.counts.add(self._exit)
        self.trade = None
        self._exit = None

    # -- reporting ---------------------------------------------------------------------------

    def _publish(self, snapshot: Snapshot) -> None:
        signals = snapshot.signals
        values = {
            "features.f1_compression": signals.compression,
            "features.pressure": signals.pressure,
            "features.f2_gated_pressure": gated_pressure(signals, self.config.use_toxicity_gate),
            "toxicity.t": signals.toxicity,
            "toxicity.tau_t": signals.toxicity_threshold,
            "toxicity.vpin": snapshot.vpin,
            "regime.crowding": snapshot.crowding,
            "regime.state": effective_regime(signals.regime, self.config),
            TOXIC_SERIES: float(signals.toxic),
            "volatility.sigma_bps": snapshot.sigma * 1e4,
        }
        for name, value in values.items():
            if math.isfinite(value):
                self.publish_signal(name, value)

    def on_reset(self) -> None:
        """Reset the indicators, the schedule and the trade state."""
        self.features.reset()
        self.schedule.reset()
        self.counts.reset()
        self.trade = None
        self._pending = None
        self._exit = None


def _min_notional(instrument) -> float:
    return instrument.min_notional.as_double() if instrument.min_notional is not None else 0.0
