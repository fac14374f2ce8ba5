"""
``FundingTilt``: the example of ``docs/writing-a-strategy.md``, two indicators and funding.

At each 1-minute kline close it reads the book's tilt (``TopOfBookImbalance``, fed by quotes),
the market's calm (``RealizedVariance`` of the last ``vol_window`` 1-minute log returns, fed by
the klines) and the latest ``FundingRate`` row, and holds at most one position of
``trade_notional``:

- long when OBI > ``obi_threshold``, short when OBI < -``obi_threshold``, else it keeps what it
  holds;
- flat instead when that side would pay more funding than ``max_funding_annualized`` a year (a
  positive rate makes longs pay shorts);
- flat while the per-minute volatility ``sqrt(RV / vol_window)`` is above ``max_vol_bps``.

It shows the parts of a strategy, not an edge. It supports both fidelities: OBI is the one
quote-fed indicator, declared by ``precomputed_indicators`` and replaced by a
``PrecomputedIndicator`` fed from ``IndicatorValues`` rows in features fidelity; the variance
reads klines, which both fidelities stream, so it stays live.

Published at each decision: ``book.obi``, ``volatility.sigma_bps`` and
``carry.funding_annualized``; running totals ``count.entries_long``, ``count.entries_short``,
``count.exits``, ``count.funding_blocked`` (decisions at which funding kept the book's side out)
and ``count.vol_blocked`` (decisions made flat by volatility).

"""

import math

from nautilus_trader.config import PositiveFloat
from nautilus_trader.config import PositiveInt
from nautilus_trader.config import StrategyConfig
from nautilus_trader.indicators.base import Indicator
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import BarType
from nautilus_trader.model.data import DataType
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.trading.strategy import Strategy

from data_types import FundingRate
from data_types import IndicatorValues
from indicators.book import TopOfBookImbalance
from indicators.precomputed import PrecomputedIndicator
from indicators.volatility import RealizedVariance
from strategies.counts import RunCounts
from strategies.instruments import instrument_or_stop

OBI = "obi"
ENTRIES_LONG = "entries_long"
ENTRIES_SHORT = "entries_short"
EXITS = "exits"
FUNDING_BLOCKED = "funding_blocked"
VOL_BLOCKED = "vol_blocked"
COUNT_NAMES = (ENTRIES_LONG, ENTRIES_SHORT, EXITS, FUNDING_BLOCKED, VOL_BLOCKED)


class FundingTiltConfig(StrategyConfig, frozen=True, kw_only=True):
    """
    Configuration for ``FundingTilt``.

    Parameters
    ----------
    instrument_id : InstrumentId
        The perpetual to trade.
    bar_type : BarType
        Its 1-minute EXTERNAL klines (the decisions and the variance).
    obi_threshold : float, default 0.3
        The book tilts when ``|OBI|`` exceeds this (OBI is in [-1, 1]).
    vol_window : int, default 30
        1-minute log returns in the realized variance.
    max_vol_bps : float, default 10.0
        Stay flat while the per-minute volatility is above this (basis points).
    max_funding_annualized : float, default 0.3
        Refuse the side that pays more funding than this a year (0.3: 30 %).
    trade_notional : float, default 10_000.0
        The position's notional in quote currency.
    precomputed_features : bool, default False
        Read OBI from precomputed ``IndicatorValues`` rows (the runtime sets it in features
        fidelity).

    """

    instrument_id: InstrumentId
    bar_type: BarType
    obi_threshold: PositiveFloat = 0.3
    vol_window: PositiveInt = 30
    max_vol_bps: PositiveFloat = 10.0
    max_funding_annualized: PositiveFloat = 0.3
    trade_notional: PositiveFloat = 10_000.0
    precomputed_features: bool = False

    def __post_init__(self) -> None:
        if not self.obi_threshold < 1.0:
            raise ValueError(f"obi_threshold must be below 1, was {self.obi_threshold!r}")


def target_side(
    obi: float, sigma_bps: float, funding_annualized: float, held: int, config: FundingTiltConfig
) -> tuple[int, str | None]:
    """
    Return the side to hold and what, if anything, kept the strategy flat.

    Parameters
    ----------
    obi : float
        The top-of-book imbalance.
    sigma_bps : float
        The per-minute volatility in basis points.
    funding_annualized : float
        The latest funding rate a year (positive: longs pay).
    held : int
        The side held now: +1, -1 or 0.
    config : FundingTiltConfig
        The thresholds.

    Returns
    -------
    tuple[int, str | None]
        +1, -1 or 0, and ``VOL_BLOCKED``, ``FUNDING_BLOCKED`` or None.

    """
    if sigma_bps > config.max_vol_bps:
        return 0, VOL_BLOCKED
    if obi > config.obi_threshold:
        wanted = 1
    elif obi < -config.obi_threshold:
        wanted = -1
    else:
        return held, None
    if wanted * funding_annualized > config.max_funding_annualized:
        return 0, FUNDING_BLOCKED
    return wanted, None


class FundingTilt(Strategy):
    """
    Lean with the book in calm markets, on the side funding does not charge too much for.

    Parameters
    ----------
    config : FundingTiltConfig
        The configuration.

    """

    def __init__(self, config: FundingTiltConfig) -> None:
        super().__init__(config)
        self.instrument_id = config.instrument_id
        self.bar_type = config.bar_type
        self.obi = (
            PrecomputedIndicator(OBI) if config.precomputed_features else TopOfBookImbalance()
        )
        self.variance = RealizedVariance(config.vol_window)
        self.funding_annualized = math.nan
        self.counts = RunCounts(self, COUNT_NAMES)
        self.instrument = None

    @classmethod
    def precomputed_indicators(cls, config: FundingTiltConfig) -> dict[str, dict[str, Indicator]]:
        """
        Return the quote-fed indicator to precompute in features fidelity.

        Parameters
        ----------
        config : FundingTiltConfig
            The strategy configuration.

        Returns
        -------
        dict[str, dict[str, Indicator]]
            ``{instrument_id: {name: indicator}}`` (the id as text); the name keys the
            ``IndicatorValues`` rows.

        """
        return {str(config.instrument_id): {OBI: TopOfBookImbalance()}}

    def on_start(self) -> None:
        """Look up the instrument, register the indicators and subscribe to the data."""
        self.instrument = instrument_or_stop(self, self.instrument_id)
        if self.instrument is None:
            return
        metadata = {"instrument_id": str(self.instrument_id)}
        if self.config.precomputed_features:
            self.subscribe_data(DataType(IndicatorValues, metadata=metadata))
        else:
            self.register_indicator_for_quote_ticks(self.instrument_id, self.obi)
        self.register_indicator_for_bars(self.bar_type, self.variance)
        self.subscribe_quote_ticks(self.instrument_id)
        self.subscribe_bars(self.bar_type)
        self.subscribe_data(DataType(FundingRate, metadata=metadata))
        self.counts.publish_all()

    def on_data(self, data) -> None:
        """Keep the latest funding rate; take the precomputed OBI of the coming kline close."""
        if isinstance(data, FundingRate):
            self.funding_annualized = data.annualized()
        elif isinstance(data, IndicatorValues):
            self.obi.update(data.values[OBI])

    def on_bar(self, bar: Bar) -> None:
        """Decide at each kline close (the variance already holds this kline)."""
        if bar.bar_type != self.bar_type:
            return
        ready = self.obi.initialized and self.variance.initialized
        if not ready or math.isnan(self.funding_annualized):
            return
        sigma_bps = 1e4 * math.sqrt(self.variance.value / self.config.vol_window)
        self.publish_signal("book.obi", self.obi.value)
        self.publish_signal("volatility.sigma_bps", sigma_bps)
        self.publish_signal("carry.funding_annualized", self.funding_annualized)
        # An order still on its way (latency) decides nothing twice.
        if self.cache.orders_open(instrument_id=self.instrument_id, strategy_id=self.id):
            return
        net = float(self.portfolio.net_position(self.instrument_id))
        held = (net > 0) - (net < 0)
        side, blocker = target_side(
            self.obi.value, sigma_bps, self.funding_annualized, held, self.config
        )
        if blocker is not None:
            self.counts.add(blocker)
        if side != held:
            self._trade_to(side, net, bar.close.as_double())

    def _trade_to(self, side: int, net: float, price: float) -> None:
        if side == 0:
            self.close_all_positions(self.instrument_id)
            self.counts.add(EXITS)
            return
        quantity = self.instrument.make_qty(self.config.trade_notional / price)
        if quantity < self.instrument.min_quantity:
            return
        # One order turns a short into a long (or back): the new position plus the old one.
        delta = side * quantity.as_double() - net
        order_side = OrderSide.BUY if delta > 0 else OrderSide.SELL
        self.submit_order(
            self.order_factory.market(
                self.instrument_id, order_side, self.instrument.make_qty(abs(delta))
            )
        )
        self.counts.add(ENTRIES_LONG if side > 0 else ENTRIES_SHORT)

    def on_reset(self) -> None:
        """Reset the indicators, the funding rate and the running totals."""
        self.obi.reset()
        self.variance.reset()
        self.funding_annualized = math.nan
        self.counts.reset()
