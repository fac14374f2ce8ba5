"""
A demo strategy: EMA trend on 1-minute bars, confirmed by top-of-book size imbalance.

It stays in the market (long or short), so it trades regularly and holds through funding
settlements: the demo's fees and funding both show. It is an example for the runtime, not an
edge; the toxicity-conditioned strategy replaces it in the demo.

"""

from decimal import Decimal

from nautilus_trader.config import NonNegativeInt
from nautilus_trader.config import PositiveFloat
from nautilus_trader.config import PositiveInt
from nautilus_trader.config import StrategyConfig
from nautilus_trader.indicators import ExponentialMovingAverage
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import BarType
from nautilus_trader.model.data import DataType
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.trading.strategy import Strategy

from data_types import FundingRate
from data_types import FuturesMetrics
from strategies.instruments import instrument_or_stop


class ImbalanceMomentumConfig(StrategyConfig, frozen=True, kw_only=True):
    """
    Configuration for ``ImbalanceMomentum``.

    Parameters
    ----------
    instrument_id : InstrumentId
        The perpetual to trade.
    bar_type : BarType
        The 1-minute bars the trend is computed on.
    fast_period, slow_period : int, default 15, 60
        The EMA periods (bars).
    imbalance_period : int, default 120
        The EMA period (quotes) smoothing ``(bid_size - ask_size) / (bid_size + ask_size)``.
    imbalance_threshold : float, default 0.0
        The smoothed imbalance must exceed this in the trend's direction to enter or reverse.
    trade_notional : float, default 10_000.0
        The position size in quote currency.
    min_hold_bars : int, default 30
        Bars to hold a position before it may be reversed.

    """

    instrument_id: InstrumentId
    bar_type: BarType
    # Left to the EMAs to check: a bad period fails that run, not the whole sweep it is part of.
    fast_period: int = 15
    slow_period: int = 60
    imbalance_period: PositiveInt = 120
    imbalance_threshold: float = 0.0
    trade_notional: PositiveFloat = 10_000.0
    min_hold_bars: NonNegativeInt = 30


class ImbalanceMomentum(Strategy):
    """
    Go long when the fast EMA is above the slow EMA and the book leans to the bid; short in mirror.

    Positions stay open when the run ends; the results value them at the last mark.
    Publishes ``trend.ema_spread_bps``, ``toxicity.book_imbalance``, ``regime.funding_annualized``
    and ``regime.open_interest`` as signals, which the report draws as panels.

    Parameters
    ----------
    config : ImbalanceMomentumConfig
        The configuration.

    """

    def __init__(self, config: ImbalanceMomentumConfig) -> None:
        super().__init__(config)
        self.instrument_id = config.instrument_id
        self.bar_type = config.bar_type
        self.fast = ExponentialMovingAverage(config.fast_period)
        self.slow = ExponentialMovingAverage(config.slow_period)
        self.imbalance = ExponentialMovingAverage(config.imbalance_period)
        self.instrument = None
        self._bars_held = 0

    def on_start(self) -> None:
        """Look up the instrument, register the indicators and subscribe."""
        self.instrument = instrument_or_stop(self, self.instrument_id)
        if self.instrument is None:
            return
        self.register_indicator_for_bars(self.bar_type, self.fast)
        self.register_indicator_for_bars(self.bar_type, self.slow)
        self.subscribe_quote_ticks(self.instrument_id)
        self.subscribe_bars(self.bar_type)
        metadata = {"instrument_id": str(self.instrument_id)}
        self.subscribe_data(DataType(FundingRate, metadata=metadata))
        self.subscribe_data(DataType(FuturesMetrics, metadata=metadata))

    def on_quote_tick(self, tick: QuoteTick) -> None:
        """Update the smoothed top-of-book imbalance."""
        bid = tick.bid_size.as_double()
        ask = tick.ask_size.as_double()
        if bid + ask > 0.0:
            self.imbalance.update_raw((bid - ask) / (bid + ask))

    def on_bar(self, bar: Bar) -> None:
        """Decide at each bar close."""
        if not (self.fast.initialized and self.slow.initialized and self.imbalance.initialized):
            return
        spread_bps = (self.fast.value / self.slow.value - 1.0) * 1e4
        self.publish_signal("trend.ema_spread_bps", spread_bps)
        self.publish_signal("toxicity.book_imbalance", self.imbalance.value)
        self._bars_held += 1
        threshold = self.config.imbalance_threshold
        if spread_bps > 0 and self.imbalance.value > threshold:
            wanted = 1
        elif spread_bps < 0 and self.imbalance.value < -threshold:
            wanted = -1
        else:
            return
        net = self.portfolio.net_position(self.instrument_id)
        if (net > 0 and wanted > 0) or (net < 0 and wanted < 0):
            return
        if net != 0 and self._bars_held < self.config.min_hold_bars:
            return
        self._trade_to(wanted, bar.close.as_double(), net)

    def _trade_to(self, wanted: int, price: float, net: Decimal) -> None:
        size = self.instrument.make_qty(self.config.trade_notional / price).as_decimal()
        delta = wanted * size - net
        if delta == 0:
            return
        side = OrderSide.BUY if delta > 0 else OrderSide.SELL
        self.submit_order(
            self.order_factory.market(
                self.instrument_id, side, self.instrument.make_qty(abs(delta))
            )
        )
        self._bars_held = 0

    def on_data(self, data) -> None:
        """Publish the funding and open-interest regime series."""
        if isinstance(data, FundingRate):
            self.publish_signal("regime.funding_annualized", data.annualized())
        elif isinstance(data, FuturesMetrics):
            self.publish_signal("regime.open_interest", data.sum_open_interest)

    def on_reset(self) -> None:
        """Reset the indicators."""
        self.fast.reset()
        self.slow.reset()
        self.imbalance.reset()
        self._bars_held = 0
