"""Indicator values precomputed from the full tick stream, delivered just before a kline close."""

from data_types.stamped import Stamped


class IndicatorValues(Stamped):
    """
    The values of a strategy's tick-fed indicators at one 1-minute kline close (features fidelity).

    In features fidelity the indicators fed by quotes and trades are run ahead of the backtest over
    the full-resolution catalog (``backtest.fidelity``), sampled at every kline close ``T``, and
    published as these rows stamped ``T - 1 ns``: a value is what the live indicator held after
    every quote and trade stamped before ``T`` (NaN while it warms up), all of them delivered by
    ``T - 1``, so the strategy holds the values when the kline arrives at ``T``, as it holds the
    live indicators' values in tick fidelity. Strategies subscribe with
    ``self.subscribe_data(DataType(IndicatorValues, metadata={"instrument_id": ...}))`` and hand
    the row to ``indicators.PrecomputedIndicator`` stand-ins.

    Parameters
    ----------
    instrument_id : str
        The instrument the indicators follow.
    values : dict[str, float]
        Value per indicator name (the names the strategy declared).
    ts : int
        One nanosecond before the kline close the values were sampled at.

    """

    def __init__(self, instrument_id: str, values: dict[str, float], ts: int) -> None:
        super().__init__(ts)
        self.instrument_id = instrument_id
        self.values = values

    def __repr__(self) -> str:
        return f"IndicatorValues({self.instrument_id}, {self.values}, ts={self._ts})"
