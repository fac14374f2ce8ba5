"""
The venue's execution realism: depth beyond the touch for takers, queue position for makers.

A ``SimulationModule`` sees every quote, trade and bar before the matching engine does
(``pre_process``), and the venue's ``RealismFillModel`` asks it for the book of every fill. Per
``model``:

- ``"l1"``: Nautilus's own L1 fills (beyond the displayed size, one tick behind the touch, at
  any size); the module only records the touch of each taker order.
- ``"depth"``: a market order (or a marketable limit) walks the displayed touch and then the
  depth profile beyond it (``backtest.execution.profiles``): the ``bookDepth`` snapshot when the
  catalog has a recent one, else the square-root law on trailing one-minute bars. What a walk
  takes stays taken until the next quote refreshes the book. Resting orders fill as in ``"l1"``.
- ``"depth+queue"``: ``"depth"``, and resting limit orders keep a queue position
  (``backtest.execution.queue``): trades at their price fill them once the size ahead is
  consumed, trades through their price fill them completely, quotes shrink the queue ahead.
  The fills are applied from ``pre_process``, so at the trade, before any strategy sees it.

Without trades in the stream (features fidelity with quote conflation) a queue advances only on
quote changes, and a resting order fills only when the (conflated) opposite touch reaches its
price; the matching engine does that fill itself, in every model.

"""

import math
from dataclasses import dataclass
from dataclasses import field

from nautilus_trader.backtest.config import SimulationModuleConfig
from nautilus_trader.backtest.modules import SimulationModule
from nautilus_trader.common.component import Logger
from nautilus_trader.core.data import Data
from nautilus_trader.model.book import OrderBook
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import BarType
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.enums import AggressorSide
from nautilus_trader.model.enums import LiquiditySide
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderType
from nautilus_trader.model.events import OrderAccepted
from nautilus_trader.model.events import OrderUpdated
from nautilus_trader.model.identifiers import ClientOrderId
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity
from nautilus_trader.model.orders import Order
from nautilus_trader.persistence.catalog.parquet import ParquetDataCatalog

from backtest.execution.book_depth import BookDepthSnapshots
from backtest.execution.fill_model import RealismFillModel
from backtest.execution.fill_model import WalkedBook
from backtest.execution.ledger import SOURCE_BOOK_DEPTH
from backtest.execution.ledger import SOURCE_L1
from backtest.execution.ledger import SOURCE_SQUARE_ROOT
from backtest.execution.ledger import record_touch
from backtest.execution.ledger import write_counters
from backtest.execution.profiles import TrailingBars
from backtest.execution.profiles import band_capacity
from backtest.execution.profiles import square_root_capacity
from backtest.execution.queue import UNKNOWN
from backtest.execution.queue import QueueTracker
from backtest.execution.walk import Capacity
from backtest.execution.walk import walk

MODELS = ("l1", "depth", "depth+queue")
MINUTE_NS = 60_000_000_000


class ExecutionRealismConfig(SimulationModuleConfig, frozen=True, kw_only=True):
    """
    Configuration of ``ExecutionRealismModule``.

    Parameters
    ----------
    model : str, default "l1"
        ``"l1"``, ``"depth"`` or ``"depth+queue"``.
    catalog_path : str
        The catalog (``bookDepth`` snapshots and the bars before the start are read from it).
    instrument_ids : tuple[str, ...]
        The instruments traded.
    bar_types : tuple[str, ...]
        The streamed one-minute bar types the square-root law is calibrated on.
    start_ns, end_ns : int
        The period.
    impact_coefficient : float, default 1.0
        Y of the square-root law.
    impact_window_minutes : int, default 1440
        The trailing window of bars for σ and V.
    book_depth_max_age_ns : int, default 10 minutes
        The oldest a ``bookDepth`` snapshot may be and still be used.

    """

    model: str = "l1"
    catalog_path: str = ""
    instrument_ids: tuple[str, ...] = ()
    bar_types: tuple[str, ...] = ()
    start_ns: int = 0
    end_ns: int = 0
    impact_coefficient: float = 1.0
    impact_window_minutes: int = 1_440
    book_depth_max_age_ns: int = 10 * MINUTE_NS


@dataclass(slots=True)
class _Market:
    """What the module knows of one instrument's book."""

    instrument: Instrument
    trailing: TrailingBars
    depth: BookDepthSnapshots | None
    queue: QueueTracker = field(default_factory=QueueTracker)
    bid: float = math.nan
    ask: float = math.nan
    bid_ticks: int = 0
    ask_ticks: int = 0
    bid_size: float = 0.0
    ask_size: float = 0.0
    has_quote: bool = False
    # Lots taken by walks from the ask (buys) and the bid (sells) since the last quote.
    taken_ask: int = 0
    taken_bid: int = 0


class ExecutionRealismModule(SimulationModule):
    """
    Depth beyond the touch for taker orders and queue position for resting orders.

    Parameters
    ----------
    config : ExecutionRealismConfig
        The configuration.

    Raises
    ------
    ValueError
        If ``model`` is not one of ``MODELS``.

    """

    def __init__(self, config: ExecutionRealismConfig) -> None:
        super().__init__(config)
        if config.model not in MODELS:
            raise ValueError(f"execution model {config.model!r}: one of {MODELS}")
        self.model = config.model
        self.walks_depth = config.model != "l1"
        self.queues = config.model == "depth+queue"
        self._markets: dict[InstrumentId, _Market] = {}
        self._bar_types = {BarType.from_str(b) for b in config.bar_types}
        self._book: WalkedBook | None = None
        self.counters: dict[str, int] = {
            SOURCE_L1: 0,
            SOURCE_BOOK_DEPTH: 0,
            SOURCE_SQUARE_ROOT: 0,
            "queue_fills": 0,
            "queue_joins": 0,
        }

    def register_base(self, portfolio, msgbus, cache, clock) -> None:
        """Register with the kernel, attach to the venue's fill model and follow order events."""
        super().register_base(portfolio, msgbus, cache, clock)
        fill_model = self.exchange.fill_model
        if not isinstance(fill_model, RealismFillModel):
            raise TypeError(
                "ExecutionRealismModule needs the venue's fill model to be a RealismFillModel"
            )
        fill_model.attach(self)
        if self.queues:
            msgbus.subscribe(topic="events.order.*", handler=self._on_order_event)

    def _market(self, instrument_id: InstrumentId) -> _Market | None:
        market = self._markets.get(instrument_id)
        if market is None:
            instrument = self.cache.instrument(instrument_id)
            if instrument is None:
                return None
            market = self._new_market(instrument)
            self._markets[instrument_id] = market
        return market

    def _new_market(self, instrument: Instrument) -> _Market:
        config: ExecutionRealismConfig = self.config
        trailing = TrailingBars(config.impact_window_minutes)
        depth = None
        if self.walks_depth and config.catalog_path:
            snapshots = BookDepthSnapshots(
                config.catalog_path,
                str(instrument.id),
                config.start_ns,
                config.end_ns,
                config.book_depth_max_age_ns,
            )
            depth = snapshots if snapshots.available else None
            # Calibrate from the window before the start, so the first order of a run is priced
            # like every other one; bars stamped at their close, so all are known by the start.
            catalog = ParquetDataCatalog(config.catalog_path)
            for bar_type in self._bar_types:
                if bar_type.instrument_id == instrument.id:
                    window_ns = config.impact_window_minutes * MINUTE_NS
                    for bar in catalog.bars(
                        bar_types=[str(bar_type)],
                        start=config.start_ns - window_ns,
                        end=config.start_ns - 1,
                    ):
                        trailing.update(bar.close.as_double(), bar.volume.as_double())
        return _Market(instrument=instrument, trailing=trailing, depth=depth)

    # -- market data ------------------------------------------------------------------------------

    def pre_process(self, data: Data) -> None:
        """Track the touch, the trailing bars and the queues; fill resting orders a trade reaches."""
        if not self.walks_depth:
            return  # "l1" needs only the engine's touch, given with each fill question
        if isinstance(data, QuoteTick):
            self._on_quote(data)
        elif isinstance(data, TradeTick):
            if self.queues:
                self._on_trade(data)
        elif isinstance(data, Bar) and data.bar_type in self._bar_types:
            market = self._market(data.bar_type.instrument_id)
            if market is not None:
                market.trailing.update(data.close.as_double(), data.volume.as_double())

    def _on_quote(self, quote: QuoteTick) -> None:
        market = self._market(quote.instrument_id)
        if market is None:
            return
        tick = market.instrument.price_increment.as_double()
        market.bid = quote.bid_price.as_double()
        market.ask = quote.ask_price.as_double()
        market.bid_ticks = round(market.bid / tick)
        market.ask_ticks = round(market.ask / tick)
        market.bid_size = quote.bid_size.as_double()
        market.ask_size = quote.ask_size.as_double()
        market.has_quote = True
        # A new quote shows the book after whatever the walks took: it is the book again.
        market.taken_ask = market.taken_bid = 0
        if self.queues:
            market.queue.on_quote(
                market.bid_ticks, market.ask_ticks, market.bid_size, market.ask_size
            )

    def _on_trade(self, trade: TradeTick) -> None:
        market = self._market(trade.instrument_id)
        if market is None or not market.queue.entries:
            return
        tick = market.instrument.price_increment.as_double()
        fills = market.queue.on_trade(
            round(trade.price.as_double() / tick),
            trade.size.as_double(),
            trade.aggressor_side == AggressorSide.BUYER,
        )
        for order_id, size in fills:
            self._fill_resting(market, order_id, size)

    def _fill_resting(self, market: _Market, order_id: str, size: float) -> None:
        order = self.cache.order(ClientOrderId(order_id))
        if order is None or order.is_closed:
            market.queue.leave(order_id)
            return
        lot_raw = market.instrument.size_increment.raw
        leaves_raw = order.leaves_qty.raw
        if size == UNKNOWN:
            qty_raw = leaves_raw
        else:
            qty_raw = min(
                leaves_raw,
                int(size / market.instrument.size_increment.as_double() + 1e-9) * lot_raw,
            )
        if qty_raw <= 0:
            return
        engine = self.exchange.get_matching_engine(order.instrument_id)
        # The engine shares the kernel's clock, already at this trade's time: the fill is stamped
        # at the trade. Filling here, not through the engine's own matching, also keeps a partial
        # fill partial (its L1 logic fills a resting order's rest once any part fills off-touch).
        engine.fill_order(
            order,
            order.price,
            Quantity.from_raw(qty_raw, market.instrument.size_precision),
            LiquiditySide.MAKER,
        )
        self.counters["queue_fills"] += 1
        write_counters(self.cache, self.counters)
        if order.is_closed:
            market.queue.leave(order_id)

    # -- resting orders ---------------------------------------------------------------------------

    def _on_order_event(self, event) -> None:
        order = self.cache.order(event.client_order_id)
        if order is None or order.order_type != OrderType.LIMIT:
            return
        market = self._market(order.instrument_id)
        if market is None:
            return
        order_id = order.client_order_id.value
        if isinstance(event, OrderAccepted | OrderUpdated) and order.is_open:
            entry = market.queue.entries.get(order_id)
            tick = market.instrument.price_increment.as_double()
            price = round(order.price.as_double() / tick)
            if entry is None or entry.price != price:  # a new price loses the place in the queue
                market.queue.join(
                    order_id,
                    1 if order.side == OrderSide.BUY else -1,
                    price,
                    market.bid_ticks,
                    market.ask_ticks,
                    market.bid_size,
                    market.ask_size,
                )
                self.counters["queue_joins"] += 1
                write_counters(self.cache, self.counters)
        elif order.is_closed:
            market.queue.leave(order_id)

    # -- taker fills ------------------------------------------------------------------------------

    def book_for(
        self, instrument: Instrument, order: Order, best_bid: Price, best_ask: Price
    ) -> OrderBook | None:
        """
        Return the book a taker order walks, or None for Nautilus's own L1 logic.

        Parameters
        ----------
        instrument : Instrument
            The order's instrument.
        order : Order
            The order being filled.
        best_bid, best_ask : Price
            The matching engine's touch.

        Returns
        -------
        OrderBook | None

        """
        if order.liquidity_side == LiquiditySide.MAKER:
            return None  # resting orders fill at their own price (and by queue, if modelled)
        buy = order.side == OrderSide.BUY
        touch = best_ask if buy else best_bid
        tick = instrument.price_increment.as_double()
        market = self._markets.get(instrument.id) if self.walks_depth else None
        capacity, source = (
            self._profile(market, buy, touch) if market is not None else (None, SOURCE_L1)
        )
        record_touch(self.cache, order.client_order_id.value, touch.as_double(), tick, source)
        self.counters[source] += 1
        write_counters(self.cache, self.counters)
        if capacity is None:
            return None
        lot = instrument.size_increment
        lots = order.leaves_qty.raw // lot.raw
        displayed = (market.ask_size if buy else market.bid_size) / lot.as_double()
        taken = market.taken_ask if buy else market.taken_bid
        step = 1 if buy else -1
        fills = []
        for level in walk(taken, lots, displayed, capacity):
            price_raw = touch.raw + step * level.ticks * instrument.price_increment.raw
            if order.has_price and (
                price_raw > order.price.raw if buy else price_raw < order.price.raw
            ):
                break  # a marketable limit walks only up to its limit
            fills.append(
                (
                    Price.from_raw(price_raw, instrument.price_precision),
                    Quantity.from_raw(level.lots * lot.raw, instrument.size_precision),
                ),
            )
        taken_now = sum(q.raw for _, q in fills) // lot.raw
        if buy:
            market.taken_ask += taken_now
        else:
            market.taken_bid += taken_now
        if self._book is None:
            self._book = WalkedBook(instrument.id)
        self._book.fills = fills
        return self._book

    def _profile(self, market: _Market, buy: bool, touch: Price) -> tuple[Capacity | None, str]:
        if not market.has_quote:
            return None, SOURCE_L1
        instrument = market.instrument
        tick = instrument.price_increment.as_double()
        lot = instrument.size_increment.as_double()
        if market.depth is not None:
            bands = market.depth.at(self.clock.timestamp_ns())
            if bands is not None:
                side = bands[1] if buy else bands[0]
                if side:
                    displayed = market.ask_size if buy else market.bid_size
                    mid = (market.bid + market.ask) / 2
                    return band_capacity(
                        mid, touch.as_double(), displayed, side, tick, lot
                    ), SOURCE_BOOK_DEPTH
        trailing = market.trailing
        if trailing.ready:
            config: ExecutionRealismConfig = self.config
            return (
                square_root_capacity(
                    config.impact_coefficient,
                    trailing.sigma_daily,
                    trailing.volume_daily,
                    touch.as_double(),
                    tick,
                    lot,
                ),
                SOURCE_SQUARE_ROOT,
            )
        return None, SOURCE_L1

    # -- SimulationModule -------------------------------------------------------------------------

    def process(self, ts_now: int) -> None:
        """Nothing to do per iteration: the module works on market data and order events."""

    def log_diagnostics(self, logger: Logger) -> None:
        """Log the walks by depth source and the queue fills."""
        logger.info(f"execution realism ({self.model}): {self.counters}")

    def reset(self) -> None:
        """Forget every book, queue and counter."""
        self._markets.clear()
        for key in self.counters:
            self.counters[key] = 0
