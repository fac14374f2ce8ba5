"""
``FundingCarry``: short perpetuals whose funding pays well, while their flow is not toxic.

Per perpetual: the latest ``FundingRate`` row gives the annualised rate (the settled rate is the
forecast of the next one), a trade-based ``VPIN`` (exact aggressor side) gauges toxicity, and the
1-minute klines give the trailing quote volume of the liquidity filter. On each kline close (and
each funding row) of a perpetual the strategy closes its short when funding fell below
``exit_annualized`` or VPIN rose above ``vpin_exit``, else opens one when the perpetual qualifies
(``decision.entry_blocker``) and ranks among the best-funded qualifying ones for the free slots.
Every short is one equal slot: ``gross_exposure × equity / max_symbols`` of notional, by market
order; with ``hedge_with_spot`` a long spot leg of the same quantity goes with it.

Funding is charged by the runtime's settlement module; the strategy adds up the payments on its
own positions (``FundingPayment`` events) and publishes the total as ``carry.funding_income``.
Running totals: ``count.entries``, ``count.exit_funding``, ``count.exit_toxicity`` and
``count.vpin_blocked`` (kline closes at which only the VPIN gate kept a perpetual out).

"""

import math
from dataclasses import dataclass

from nautilus_trader.indicators.base import Indicator
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import BarType
from nautilus_trader.model.data import DataType
from nautilus_trader.model.enums import AggregationSource
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import PositionId
from nautilus_trader.model.identifiers import Symbol
from nautilus_trader.trading.strategy import Strategy

from data_types import FundingPayment
from data_types import FundingRate
from indicators.flow import VPIN
from strategies.counts import RunCounts
from strategies.funding_carry.config import FundingCarryConfig
from strategies.funding_carry.decision import CarryBlocker
from strategies.funding_carry.decision import CarryExit
from strategies.funding_carry.decision import LegState
from strategies.funding_carry.decision import TrailingSum
from strategies.funding_carry.decision import entry_blocker
from strategies.funding_carry.decision import exit_reason
from strategies.funding_carry.decision import selected

MINUTE_NS = 60_000_000_000
HOUR_NS = 60 * MINUTE_NS
ENTRIES = "entries"
VPIN_BLOCKED = "vpin_blocked"
COUNT_NAMES = (ENTRIES, *CarryExit, VPIN_BLOCKED)


def spot_instrument_id(perpetual: InstrumentId) -> InstrumentId:
    """Return a perpetual's spot pair by the catalog's naming (``BTCUSDT-PERP`` → ``BTCUSDT``)."""
    return InstrumentId(Symbol(perpetual.symbol.value.removesuffix("-PERP")), perpetual.venue)


@dataclass
class Leg:
    """One perpetual's indicators and state."""

    instrument_id: InstrumentId
    bar_type: BarType
    vpin: Indicator
    volume: TrailingSum
    spot_id: InstrumentId | None
    annualized: float = math.nan
    label: str = ""

    def state(self) -> LegState:
        """Return what the rules need to know."""
        return LegState(self.annualized, self.vpin.value, self.volume.value)


class FundingCarry(Strategy):
    """
    Harvest positive funding by shorting perpetuals, gated by trade-based VPIN.

    Parameters
    ----------
    config : FundingCarryConfig
        The configuration.

    """

    def __init__(self, config: FundingCarryConfig) -> None:
        super().__init__(config)
        self.legs: dict[InstrumentId, Leg] = {}
        for instrument_id in config.instrument_ids:
            self.legs[instrument_id] = Leg(
                instrument_id=instrument_id,
                bar_type=BarType(instrument_id, config.bar_spec, AggregationSource.EXTERNAL),
                vpin=VPIN(
                    window=config.vpin_window,
                    classifier="aggressor",
                    period_ns=config.vpin_bucket_minutes * MINUTE_NS,
                    lookback_periods=config.vpin_lookback_periods,
                ),
                volume=TrailingSum(int(config.volume_window_hours * HOUR_NS)),
                spot_id=spot_instrument_id(instrument_id) if config.hedge_with_spot else None,
                label=instrument_id.symbol.value.lower().replace("-", "_"),
            )
        self._by_bar = {leg.bar_type: leg for leg in self.legs.values()}
        self.counts = RunCounts(self, COUNT_NAMES)
        self.funding_income = 0.0

    def on_start(self) -> None:
        """Check the instruments, register VPIN, and subscribe to trades, klines and funding."""
        for leg in self.legs.values():
            needed = [leg.instrument_id] + ([leg.spot_id] if leg.spot_id is not None else [])
            missing = [str(i) for i in needed if self.cache.instrument(i) is None]
            if missing:
                self.log.error(f"No instrument {', '.join(missing)} in the cache")
                self.stop()
                return
        for leg in self.legs.values():
            self.register_indicator_for_trade_ticks(leg.instrument_id, leg.vpin)
            self.subscribe_trade_ticks(leg.instrument_id)
            self.subscribe_quote_ticks(leg.instrument_id)
            self.subscribe_bars(leg.bar_type)
            metadata = {"instrument_id": str(leg.instrument_id)}
            self.subscribe_data(DataType(FundingRate, metadata=metadata))
            self.subscribe_data(DataType(FundingPayment, metadata=metadata))
        self.counts.publish_all()

    def on_bar(self, bar: Bar) -> None:
        """Update the leg's quote volume, then decide for it."""
        leg = self._by_bar.get(bar.bar_type)
        if leg is None:
            return
        leg.volume.update(bar.ts_event, bar.volume.as_double() * bar.close.as_double())
        if self.config.publish_series:
            self._publish(leg)
        self._decide(leg)

    def on_data(self, data) -> None:
        """Take a new funding rate (and decide at once), or book a funding payment."""
        if isinstance(data, FundingRate):
            leg = self.legs.get(data.instrument_id)
            if leg is not None:
                leg.annualized = data.annualized()
                self._decide(leg)
        elif isinstance(data, FundingPayment):
            self._book(data)

    def _book(self, payment: FundingPayment) -> None:
        position = (
            self.cache.position(PositionId(payment.position_id)) if payment.position_id else None
        )
        if position is not None and position.strategy_id == self.id:
            self.funding_income += float(payment.payment)
            self.publish_signal("carry.funding_income", self.funding_income)

    def _decide(self, leg: Leg) -> None:
        state = leg.state()
        if self._held(leg):
            reason = exit_reason(state, self.config)
            if reason is not None and not self._working(leg):
                self._close(leg)
                self.counts.add(reason)
            return
        if self._working(leg):
            return
        blocker = entry_blocker(state, self.config)
        if blocker == CarryBlocker.TOXICITY:
            self.counts.add(VPIN_BLOCKED)
        if blocker is not None:
            return
        busy = sum(1 for other in self.legs.values() if self._held(other) or self._working(other))
        candidates = [
            (str(other.instrument_id), other.annualized)
            for other in self.legs.values()
            if not (self._held(other) or self._working(other))
            and entry_blocker(other.state(), self.config) is None
        ]
        if str(leg.instrument_id) in selected(candidates, self.config.max_symbols - busy):
            self._open(leg)

    def _held(self, leg: Leg) -> bool:
        return not self.portfolio.is_flat(leg.instrument_id)

    def _working(self, leg: Leg) -> bool:
        return bool(self.cache.orders_open(instrument_id=leg.instrument_id, strategy_id=self.id))

    def _open(self, leg: Leg) -> None:
        instrument = self.cache.instrument(leg.instrument_id)
        quote = self.cache.quote_tick(leg.instrument_id)
        if quote is None:
            return
        mid = 0.5 * (quote.bid_price.as_double() + quote.ask_price.as_double())
        account = self.portfolio.account(leg.instrument_id.venue)
        equity = account.balance_total(instrument.settlement_currency).as_double()
        size = self.config.gross_exposure * equity / self.config.max_symbols / mid
        if size < instrument.min_quantity.as_double():
            return
        quantity = instrument.make_qty(size, round_down=True)
        self.submit_order(self.order_factory.market(leg.instrument_id, OrderSide.SELL, quantity))
        if leg.spot_id is not None:
            spot = self.cache.instrument(leg.spot_id)
            self.submit_order(
                self.order_factory.market(
                    leg.spot_id, OrderSide.BUY, spot.make_qty(quantity.as_double())
                )
            )
        self.counts.add(ENTRIES)

    def _close(self, leg: Leg) -> None:
        self.close_all_positions(leg.instrument_id)
        if leg.spot_id is not None:
            self.close_all_positions(leg.spot_id)

    def _publish(self, leg: Leg) -> None:
        for name, value in (
            (f"carry.{leg.label}_funding_annualized", leg.annualized),
            (f"toxicity.{leg.label}_vpin", leg.vpin.value),
        ):
            if math.isfinite(value):
                self.publish_signal(name, value)

    def on_reset(self) -> None:
        """Reset the indicators and the running totals."""
        for leg in self.legs.values():
            leg.vpin.reset()
            leg.volume.reset()
            leg.annualized = math.nan
        self.counts.reset()
        self.funding_income = 0.0
