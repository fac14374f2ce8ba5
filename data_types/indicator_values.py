"""Indicator values precomputed from the full tick stream, delivered at a 1-minute kline close."""

from nautilus_trader.core.data import Data


class IndicatorValues(Data):
    """
    The values of a strategy's tick-fed indicators at one 1-minute kline close (features fidelity).

    In features fidelity the indicators fed by quotes and trades are run ahead of the backtest over
    the full-resolution catalog (``backtest.fidelity``), sampled at every kline close, and
    published as these rows at that close, after the kline itself. A value is what the live
    indicator held after every quote and trade stamped before the close; NaN while it warms up.
    Strategies subscribe with ``self.subscribe_data(DataType(IndicatorValues, metadata=
    {"instrument_id": ...}))`` and hand the row to ``indicators.PrecomputedIndicator``s.

    Parameters
    ----------
    instrument_id : str
        The instrument the indicators follow.
    values : dict[str, float]
        Value per indicator name (the names the strategy declared).
    ts : int
        The kline close (``ts_init`` of the bar), ns.

    """

    def __init__(self, instrument_id: str, values: dict[str, float], ts: int) -> None:
        self.instrument_id = instrument_id
        self.values = values
        self._ts = ts

    @property
    def ts_event(self) -> int:
        """Return the kline close the values were sampled at."""
        return self._ts

    @property
    def ts_init(self) -> int:
        """Return the kline close the values were sampled at."""
        return self._ts

    def __repr__(self) -> str:
        return f"IndicatorValues({self.instrument_id}, {self.values}, ts={self._ts})"
