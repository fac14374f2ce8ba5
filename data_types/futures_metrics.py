"""Binance USD-M 5-minute ``metrics`` rows: open interest and long/short ratios."""

from nautilus_trader.core.data import Data
from nautilus_trader.model.custom import customdataclass
from nautilus_trader.model.identifiers import InstrumentId


@customdataclass
class FuturesMetrics(Data):
    """
    One ``metrics`` row: ``ts_event = ts_init = create_time`` (+ an optional publication lag).

    Every source column is kept under its archive name.

    """

    instrument_id: InstrumentId = InstrumentId.from_str("BTCUSDT-PERP.BINANCE")
    symbol: str = ""
    sum_open_interest: float = 0.0
    sum_open_interest_value: float = 0.0
    count_toptrader_long_short_ratio: float = 0.0
    sum_toptrader_long_short_ratio: float = 0.0
    count_long_short_ratio: float = 0.0
    sum_taker_long_short_vol_ratio: float = 0.0
