"""
The instrument a strategy trades, looked up once when it starts.

A strategy that starts without its instrument in the cache (a config naming an instrument the
catalog does not hold) cannot size or submit an order; it says so and stops instead of failing at
its first decision.

"""

from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.trading.strategy import Strategy


def instrument_or_stop(strategy: Strategy, instrument_id: InstrumentId) -> Instrument | None:
    """
    Return the instrument from the strategy's cache; log the miss and stop the strategy without it.

    Parameters
    ----------
    strategy : Strategy
        The starting strategy (call from ``on_start``).
    instrument_id : InstrumentId
        The instrument it trades.

    Returns
    -------
    Instrument | None
        The instrument, or ``None`` when the cache lacks it (the strategy is then stopped and
        ``on_start`` should return).

    """
    instrument = strategy.cache.instrument(instrument_id)
    if instrument is None:
        strategy.log.error(f"No instrument {instrument_id} in the cache")
        strategy.stop()
    return instrument
