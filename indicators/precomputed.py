"""
An indicator whose values are computed ahead of the backtest (features fidelity).

A strategy that supports the features fidelity builds one ``PrecomputedIndicator`` in place of
each tick-fed indicator and passes it the values of each ``data_types.IndicatorValues`` row
(``update``). Everything downstream reads ``value`` and ``initialized`` as from the live
indicator: the precomputed value is the live indicator's value at the same instant, and a live
kernel indicator is initialized exactly when its value stops being NaN.
"""

import math

from nautilus_trader.indicators.base import Indicator


class PrecomputedIndicator(Indicator):
    """
    Stand in for a tick-fed indicator whose values arrive precomputed.

    Parameters
    ----------
    name : str
        The indicator's name in the ``IndicatorValues`` rows.

    """

    def __init__(self, name: str) -> None:
        super().__init__(params=[name])
        self.key = name
        self.value = math.nan

    def update(self, value: float) -> None:
        """Take the indicator's value at the current instant (NaN: still warming up)."""
        self.value = value
        if not self.initialized and value == value:
            self._set_has_inputs(True)
            self._set_initialized(True)

    def _reset(self) -> None:
        self.value = math.nan
