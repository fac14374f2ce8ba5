"""
Trade kernels shared by the flow indicators: aggressor-side codes and the group accumulator.

Trade sides are NautilusTrader ``AggressorSide`` codes: 1 buyer, 2 seller, 0 no aggressor; any
other code raises ValueError. The group accumulator gathers trades into time bars or fixed-count
groups inside a state array (BVC in ``kernels.vpin``, Kyle's lambda per bar in ``kernels.flow``).
"""

import numpy as np
from numba import njit

from indicators.kernels.layout import Layout
from indicators.kernels.state import TS_SLOTS
from indicators.kernels.state import get_ts
from indicators.kernels.state import set_ts

BUYER = 1
SELLER = 2


@njit(cache=True, error_model="numpy", inline="always")
def side_sign(side: float) -> float:
    """
    Return the sign of an ``AggressorSide`` code: +1 buyer (1), -1 seller (2), 0 none (0).

    Raises
    ------
    ValueError
        For any other code.

    """
    if side == BUYER:
        return 1.0
    if side == SELLER:
        return -1.0
    if side == 0:
        return 0.0
    raise ValueError("aggressor side must be 0 (none), 1 (buyer) or 2 (seller)")


# -------------------------------------------------------------------------------------------------
# Group accumulator: trades gathered into time bars or fixed-count groups (BVC, Kyle's lambda)
# -------------------------------------------------------------------------------------------------

# Slots of a group accumulator, relative to its offset in a state.
_group = Layout()
G_OPEN = _group.slot()
G_KEY = _group.slot(TS_SLOTS)  # int64 bar key (ts // bar length)
G_TRADES = _group.slot()
G_VOLUME = _group.slot()
G_SIGNED = _group.slot()
G_LAST = _group.slot()
G_OUT_VOLUME = _group.slot()  # the last closed group
G_OUT_SIGNED = _group.slot()
G_OUT_LAST = _group.slot()
GROUP_SLOTS = _group.size


@njit(cache=True, error_model="numpy", inline="always")
def group_close(state: np.ndarray, offset: int) -> None:
    """Close the open group, copying its totals to the ``G_OUT_*`` slots."""
    state[offset + G_OUT_VOLUME] = state[offset + G_VOLUME]
    state[offset + G_OUT_SIGNED] = state[offset + G_SIGNED]
    state[offset + G_OUT_LAST] = state[offset + G_LAST]
    state[offset + G_OPEN] = 0.0


@njit(cache=True, error_model="numpy", inline="always")
def group_roll(state: np.ndarray, offset: int, key: int) -> bool:
    """Close the open group if it belongs to another bar than ``key``; return whether it closed."""
    if state[offset + G_OPEN] != 0.0 and get_ts(state, offset + G_KEY) != key:
        group_close(state, offset)
        return True
    return False


@njit(cache=True, error_model="numpy", inline="always")
def group_add(
    state: np.ndarray, offset: int, key: int, price: float, volume: float, signed: float
) -> None:
    """Add a trade to the open group (opening one for bar ``key`` if none is open)."""
    if state[offset + G_OPEN] == 0.0:
        state[offset + G_OPEN] = 1.0
        set_ts(state, offset + G_KEY, key)
        state[offset + G_TRADES] = 0.0
        state[offset + G_VOLUME] = 0.0
        state[offset + G_SIGNED] = 0.0
    state[offset + G_TRADES] += 1.0
    state[offset + G_VOLUME] += volume
    state[offset + G_SIGNED] += signed
    state[offset + G_LAST] = price
