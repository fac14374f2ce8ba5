"""Binance USD-M ``bookDepth`` rows: cumulative depth within a percentage band of the mid."""

from nautilus_trader.core.data import Data
from nautilus_trader.model.custom import customdataclass
from nautilus_trader.model.identifiers import InstrumentId


@customdataclass
class BookDepth(Data):
    """
    One ``bookDepth`` row: cumulative ``depth`` (base) and ``notional`` (quote) from the mid to
    ``percentage`` percent away (negative: bid side, positive: ask side).

    """

    instrument_id: InstrumentId = InstrumentId.from_str("BTCUSDT-PERP.BINANCE")
    percentage: float = 0.0
    depth: float = 0.0
    notional: float = 0.0
