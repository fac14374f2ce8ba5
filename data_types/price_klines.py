"""1-minute index-price and premium-index klines of a perpetual (Binance ``indexPriceKlines``, ``premiumIndexKlines``)."""

from nautilus_trader.core.data import Data
from nautilus_trader.model.custom import customdataclass
from nautilus_trader.model.identifiers import InstrumentId


@customdataclass
class IndexPriceKline(Data):
    """
    One minute of the perpetual's index price (the spot price basket it is marked against).

    Stamped like the ETL's trade klines, ``ts_event = ts_init = open_time + 60 s - 1 ns``: known at
    the minute's close. Not a price of the perpetual itself, hence a custom type and not a ``Bar``
    of the perpetual (``PriceType`` has no index value).

    """

    instrument_id: InstrumentId = InstrumentId.from_str("BTCUSDT-PERP.BINANCE")
    open: float = 0.0
    high: float = 0.0
    low: float = 0.0
    close: float = 0.0


@customdataclass
class PremiumIndexKline(Data):
    """
    One minute of the perpetual's premium index: ``(impact price - index price) / index price``.

    A signed ratio, not a price (it is often negative and has no tick), so a custom type; funding
    rates are built from its average. Stamped ``open_time + 60 s - 1 ns`` like the trade klines.

    """

    instrument_id: InstrumentId = InstrumentId.from_str("BTCUSDT-PERP.BINANCE")
    open: float = 0.0
    high: float = 0.0
    low: float = 0.0
    close: float = 0.0
