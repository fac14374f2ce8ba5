"""
The fill model seam: Nautilus asks it for a book to fill each order against.

Nautilus 1.221's matching engine calls ``FillModel.get_orderbook_for_fill_simulation`` for every
market order and every limit fill, and fills the order against the book it returns (``None``:
its own L1 logic). ``RealismFillModel`` hands the question to the ``ExecutionRealismModule`` of
its venue, which knows the touch, the depth profile and what was already taken, and answers with
a ``WalkedBook``: a book whose ``simulate_fills`` returns the walk's fills directly (a real
``OrderBook`` with hundreds of one-tick levels would be slower and give the same fills).

"""

from typing import TYPE_CHECKING

from nautilus_trader.backtest.config import FillModelConfig
from nautilus_trader.backtest.models import FillModel
from nautilus_trader.model.book import OrderBook
from nautilus_trader.model.enums import BookType
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import Price
from nautilus_trader.model.orders import Order

if TYPE_CHECKING:
    from backtest.execution.module import ExecutionRealismModule


class WalkedBook(OrderBook):
    """
    A book that answers ``simulate_fills`` with fills decided beforehand.

    Parameters
    ----------
    instrument_id : InstrumentId
        The instrument.

    """

    def __init__(self, instrument_id: InstrumentId) -> None:
        super().__init__(instrument_id, BookType.L2_MBP)
        self.fills: list = []

    def simulate_fills(
        self, order: Order, price_prec: int, size_prec: int, is_aggressive: bool
    ) -> list:
        """Return the fills set by the module (``[(Price, Quantity), ...]``)."""
        return self.fills


class RealismFillModel(FillModel):
    """
    Nautilus's ``FillModel`` whose books come from the venue's ``ExecutionRealismModule``.

    Without an attached module it behaves exactly as ``FillModel`` (Nautilus's L1 fills).

    Parameters
    ----------
    config : FillModelConfig
        The probabilities and seed of ``FillModel``.

    """

    def __init__(self, config: FillModelConfig | None = None) -> None:
        super().__init__(config=config)
        self.module: ExecutionRealismModule | None = None

    def attach(self, module: "ExecutionRealismModule") -> None:
        """Route every fill question to ``module``."""
        self.module = module

    def get_orderbook_for_fill_simulation(
        self, instrument: Instrument, order: Order, best_bid: Price, best_ask: Price
    ) -> OrderBook | None:
        """Return the module's book for this fill, or None for Nautilus's own L1 logic."""
        if self.module is None:
            return None
        return self.module.book_for(instrument, order, best_bid, best_ask)
