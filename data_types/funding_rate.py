"""A funding settlement of a perpetual future (Binance ``fundingRate`` archive rows)."""

from nautilus_trader.core.data import Data
from nautilus_trader.model.custom import customdataclass
from nautilus_trader.model.identifiers import InstrumentId


@customdataclass
class FundingRate(Data):
    """
    One funding settlement: ``ts_event = ts_init = calc_time``.

    Fields keep every source column: ``calc_time`` in ms as published (it can be a few ms past the
    hour), ``funding_interval_hours`` (not every symbol settles every 8 h) and the rate per
    settlement (positive: longs pay shorts).

    """

    instrument_id: InstrumentId = InstrumentId.from_str("BTCUSDT-PERP.BINANCE")
    calc_time: int = 0
    funding_interval_hours: int = 8
    last_funding_rate: float = 0.0

    @property
    def rate(self) -> float:
        """Return the funding rate per settlement."""
        return self.last_funding_rate

    def annualized(self) -> float:
        """Return the rate annualised over a 365-day year of settlements."""
        return self.last_funding_rate * (24.0 / self.funding_interval_hours) * 365.0
