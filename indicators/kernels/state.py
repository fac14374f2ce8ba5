"""
State-array conventions shared by every kernel: borrowed views, ``READY`` / ``VALUE``, timestamps.

Reference counting: numba increments and decrements (atomically) the reference count of every
array a compiled function receives, ~35 ns per call that LLVM does not inline, and unboxing an
array passed from Python costs more again. The batch twins and the ``*_at`` entries used by the
incremental indicators therefore work on *borrowed* views (``borrow``): arrays over the same
memory without a reference count, which the caller keeps alive. A ``*_at`` entry takes
``(address, size)`` pairs instead of arrays, which is also much cheaper to pass from Python than
an array (``indicators.base.KernelIndicator`` calls every step this way).

States built by ``fresh_state`` (the flow and book kernels) share two leading slots: ``READY`` is
1.0 once the indicator is initialized, ``VALUE`` holds its value (NaN until initialized). The
volatility, rolling and regime states have no such header. Every indicator is initialized at its
first non-NaN value; only an indicator whose value can be NaN once initialized (Kyle's lambda,
``nan_until_ready = False``) reads ``READY`` instead (see ``indicators.base.KernelIndicator``).

Timestamps are int64 nanoseconds; float64 cannot hold epoch nanoseconds exactly, so a timestamp
takes two slots (high and low 32 bits, ``get_ts`` / ``set_ts``).
"""

import numpy as np
from numba import carray
from numba import njit
from numba import types
from numba.extending import intrinsic

from indicators.kernels.layout import Layout

# The header every ``fresh_state`` starts with (flow and book kernels).
_common = Layout()
READY = _common.slot()  # 1.0 once the indicator is initialized
VALUE = _common.slot()  # the indicator's value (NaN until initialized)
COMMON_HEADER = _common.size


def fresh_state(size: int) -> np.ndarray:
    """Return a zeroed state of ``size`` slots with a NaN value (not initialized)."""
    state = np.zeros(size, dtype=np.float64)
    state[VALUE] = np.nan
    return state


@intrinsic
def _float64_pointer(typingctx, address):
    # The int64 address as a float64* (numba has no built-in int-to-pointer conversion).
    pointer = types.CPointer(types.float64)

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], context.get_value_type(pointer))

    return pointer(types.int64), codegen


@intrinsic
def _int64_pointer(typingctx, address):
    # The int64 address as an int64*.
    pointer = types.CPointer(types.int64)

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], context.get_value_type(pointer))

    return pointer(types.int64), codegen


@njit(cache=True, error_model="numpy", inline="always")
def borrow(address: int, size: int) -> np.ndarray:
    """Return the ``size`` float64 values at ``address`` as an array without reference count."""
    return carray(_float64_pointer(address), size)


@njit(cache=True, error_model="numpy", inline="always")
def borrow_int64(address: int, size: int) -> np.ndarray:
    """Return the ``size`` int64 values at ``address`` as an array without reference count."""
    return carray(_int64_pointer(address), size)


@njit(cache=True, error_model="numpy", inline="always")
def borrowed(array: np.ndarray) -> np.ndarray:
    """Return a view of a float64 array without reference count (the caller keeps it alive)."""
    return borrow(array.ctypes.data, array.size)


@njit(cache=True, error_model="numpy")
def keep_alive(array: np.ndarray) -> None:
    """
    Use ``array``, so that numba keeps a reference to it up to this point.

    Numba releases an array right after its last use; an array only reached through a borrowed
    view needs a later use (an array allocated inside a loop, e.g. a grown ring).
    """


# An int64 split in two float64 slots (high 32 bits, low 32 bits), both exact. Plain arithmetic:
# a ``view(np.int64)`` of a slot costs ~20 ns in numba (a new array per access).
TS_SLOTS = 2


@njit(cache=True, error_model="numpy", inline="always")
def get_ts(state: np.ndarray, slot: int) -> int:
    """Return the int64 stored by ``set_ts`` in ``state[slot : slot + 2]``."""
    return (np.int64(state[slot]) << 32) + np.int64(state[slot + 1])


@njit(cache=True, error_model="numpy", inline="always")
def set_ts(state: np.ndarray, slot: int, ts: int) -> None:
    """Store the int64 ``ts`` exactly in ``state[slot : slot + 2]``."""
    state[slot] = ts >> 32
    state[slot + 1] = ts & 0xFFFFFFFF


@njit(cache=True, error_model="numpy", inline="always")
def advance_clock(state: np.ndarray, started_slot: int, ts_slot: int, ts: int) -> None:
    """Record ``ts`` as the latest event time, refusing a timestamp earlier than the last one."""
    if state[started_slot] != 0.0 and ts < get_ts(state, ts_slot):
        raise ValueError("timestamps must not decrease")
    state[started_slot] = 1.0
    set_ts(state, ts_slot, ts)
