"""
The plumbing every kernel-backed indicator shares: one float64 state array, stepped by address.

The contract every indicator follows (``update_raw`` returns the new value, ``batch`` returns the
series without changing the indicator, one readiness rule, named state layouts) is written down
in ``indicators/README.md``; this module implements its shared part.

Each indicator's arithmetic is a compiled numba step over a float64 state array (see
``indicators.kernels``). The incremental indicator calls the step's ``*_at`` entry, which borrows
the state by ``(address, size)`` instead of receiving the array: numba neither unboxes an array
nor counts references per call, which saves ~80 ns of a 0.5 µs budget (see
``indicators.kernels.state``).

Borrowing is safe because the indicator owns the memory it lends: ``_state`` (and a ring's
``_ring``) is allocated once, referenced by the indicator for as long as its address is used,
and only ever updated in place (``reset`` copies the fresh state into it). A ring that has to
grow is replaced together with its address in one place (``RingIndicator._set_ring``). Batch
twins borrow inside numba and ``keep_alive`` what they allocate there.

``bind_kernel`` fetches a step's compiled entry point for fixed argument types: numba's
dispatcher resolves argument types on every call (~100 ns), which the incremental path cannot
afford, and our argument types never change.
"""

import inspect
import math
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

import numba
import numpy as np
from nautilus_trader.indicators.base import Indicator
from nautilus_trader.model.data import Bar
from numpy.typing import ArrayLike

from indicators.kernels.state import READY
from indicators.kernels.windows import GROW
from indicators.kernels.windows import event_ring_grow
from indicators.kernels.windows import event_ring_new
from indicators.validation import as_float64
from indicators.validation import require_finite


def bind_kernel(kernel: Any, *example_args: Any) -> Callable[..., Any]:
    """
    Return ``kernel``'s compiled entry point for the types of ``example_args``.

    Parameters
    ----------
    kernel : numba.core.registry.CPUDispatcher
        An ``@njit`` function.
    *example_args : Any
        Arguments of the types every later call will pass (arrays: same dtype, ndim, layout).

    Returns
    -------
    Callable[..., Any]
        The compiled function, callable without numba's per-call type dispatch.

    """
    return kernel.compile(tuple(numba.typeof(a) for a in example_args))


def _borrows_state(step: Any) -> bool:
    # A ``*_at`` entry takes the state's (address, size); a plain step takes the array.
    return next(iter(inspect.signature(step.py_func).parameters)) == "address"


class KernelIndicator(Indicator):
    """
    Base of every kernel-backed indicator: one float64 state array and a compiled step.

    Handlers call ``self._step(self._address, self._slots, *inputs)``, store the result in
    ``value`` and, while not initialized, call ``_warm_up``; ``update_raw`` does the same after
    validating its input and returns the new value.

    Readiness, one rule for every indicator: the indicator is initialized at its first non-NaN
    value, which is where its batch twin's series stops being NaN (``nan_until_ready`` is True:
    initialized exactly when the value is not NaN). An indicator whose value can be NaN once
    initialized (Kyle's lambda over a window without spread) sets ``nan_until_ready = False``;
    its kernel must then keep the common ``READY`` slot (``kernels.state.fresh_state``), and
    that slot decides.

    Parameters
    ----------
    params : list
        The constructor parameters (for ``repr``).
    state : np.ndarray
        The fresh kernel state; the indicator steps a copy (kept to reset and to start batch
        runs from).
    step : numba dispatcher, optional
        The step's ``*_at`` entry ``step(address, slots, *args) -> float``; subclasses may also
        set ``_step`` themselves. A plain step ``step(state, *args)`` is accepted too (called
        through a Python wrapper, so slower).
    example_args : tuple
        Example values of ``*args`` (fixes the compiled signature, see ``bind_kernel``).

    """

    # Slots, not a __dict__: attribute access on this Cython-based class is ~2x faster.
    __slots__ = ("value", "_state", "_fresh", "_step", "_address", "_slots")
    #: The event stream ``advance`` reads: ``"quotes"``, ``"trades"``, or None (no block update).
    feed: str | None = None
    #: The columns of that stream ``_advance`` takes, in order (see ``advance``).
    feed_columns: tuple[str, ...] = ()
    #: Initialized exactly when the value is not NaN, so precomputed values carry readiness
    #: (``indicators.precomputed``); False where a value can be NaN once initialized (then the
    #: kernel's ``READY`` slot says when the indicator is initialized).
    nan_until_ready: bool = True

    def __init__(
        self, params: list, state: np.ndarray, step: Any = None, example_args: tuple = ()
    ) -> None:
        super().__init__(params=params)
        self._fresh = state
        self._state = state.copy()
        self._address = self._state.ctypes.data
        self._slots = self._state.size
        self.value = math.nan
        if step is not None:
            self._step = self._bind(step, example_args)

    def _bind(self, step: Any, example_args: tuple) -> Callable[..., Any]:
        """Return the compiled ``step`` called as ``step(address, slots, *args)``."""
        if _borrows_state(step):
            return bind_kernel(step, 0, 0, *example_args)
        compiled = bind_kernel(step, self._state, *example_args)
        state = self._state
        return lambda _address, _slots, *args: compiled(state, *args)

    def _warm_up(self) -> None:
        # Runs only until initialized: the first non-NaN value, or the kernel's READY flag.
        self._set_has_inputs(True)
        if self._is_ready():
            self._set_initialized(True)

    def _is_ready(self) -> bool:
        # The readiness rule (see the class docstring).
        if self.nan_until_ready:
            return self.value == self.value
        return bool(self._state[READY])

    def _record(self, value: float) -> float:
        self.value = value
        # Once initialized the flags never change again, so the hot path pays one test.
        if not self.initialized:
            self._warm_up()
        return value

    def advance(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        """
        Advance the indicator over a block of events of its ``feed``; return its value after each.

        This is the batch twin run on the indicator's own state: afterwards the indicator is
        exactly as if every event had been handled one by one, so blocks can follow blocks (day
        after day) and the incremental handlers can take over at any point.

        Parameters
        ----------
        columns : Mapping[str, np.ndarray]
            Equal-length columns of the feed, in event order. Quotes: ``ts`` (``ts_event``, ns),
            ``bid_price``, ``ask_price``, ``bid_size``, ``ask_size``; trades: ``ts``, ``price``,
            ``size``, ``side`` (``AggressorSide`` code). Only ``feed_columns`` are read.

        Returns
        -------
        np.ndarray
            The value after each event (NaN while not initialized).

        Raises
        ------
        TypeError
            If the indicator has no block update (``feed`` is None).

        """
        if self.feed is None:
            raise TypeError(f"{type(self).__name__} has no block update (it is not fed by ticks)")
        out = self._advance(*(columns[name] for name in self.feed_columns))
        if out.size:
            self.value = float(out[-1])
            if not self.initialized:
                self._warm_up()
        return out

    def _advance(self, *columns: np.ndarray) -> np.ndarray:
        raise NotImplementedError  # subclasses with a ``feed`` run their batch kernel on _state

    def checkpoint(self) -> dict[str, np.ndarray]:
        """
        Return copies of the arrays that hold this indicator's whole state.

        ``restore`` of the result gives an indicator that continues exactly where this one is.

        Returns
        -------
        dict[str, np.ndarray]

        """
        return {"state": self._state.copy(), "value": np.array([self.value])}

    def restore(self, saved: Mapping[str, np.ndarray]) -> None:
        """
        Continue from a ``checkpoint`` of an indicator built with the same parameters.

        Raises
        ------
        ValueError
            If the saved state does not fit this indicator's state (other parameters).

        """
        state = np.asarray(saved["state"], dtype=np.float64)
        if state.shape != self._state.shape:
            raise ValueError(
                f"{self!r}: checkpoint state has {state.size} slots, this indicator {self._state.size}"
            )
        self._reset()
        self._state[:] = state
        self.value = float(saved["value"][0])
        if self._is_ready():
            self._warm_up()

    def _reset(self) -> None:
        self._state[:] = self._fresh
        self.value = math.nan

    def _start(self) -> np.ndarray:
        # A fresh state for a batch run (the batch twins advance the state they are given).
        return self._fresh.copy()


class ScalarKernelIndicator(KernelIndicator):
    """
    Base for indicators over one scalar series; ``handle_bar`` feeds the bar's close.

    Subclasses set ``_batch_kernel`` (the batch twin ``kernel(values, *params)``) and, in their
    constructor, ``_batch_params`` (the parameters it takes after the values).
    """

    __slots__ = ()
    _batch_kernel: Any = None
    _batch_params: tuple = ()

    def update_raw(self, value: float) -> float:
        """
        Update with one value and return the indicator's new value (NaN during warm-up).

        Raises
        ------
        ValueError
            If ``value`` is NaN or infinite.

        """
        require_finite(self.name, value=value)
        return self._record(self._step(self._address, self._slots, value))

    def handle_bar(self, bar: Bar) -> None:
        """Update with the bar's close."""
        # Inlined store and one flag test: a Python call costs ~50 ns of a 0.5 µs budget.
        self.value = self._step(self._address, self._slots, bar.close.as_double())
        if not self.initialized:
            self._warm_up()

    def batch(self, values: ArrayLike) -> np.ndarray:
        """
        Return the value after each of ``values`` (batch twin; this indicator is not changed).

        Parameters
        ----------
        values : array-like
            The series ``update_raw`` would be fed, in order (bar closes for the volatility
            indicators).

        Returns
        -------
        np.ndarray

        Raises
        ------
        ValueError
            If a value is refused as ``update_raw`` refuses it.

        """
        return self._batch_kernel(as_float64(values), *self._batch_params)


class BorrowedKernelIndicator(KernelIndicator):
    """
    Base of the flow and book indicators, whose states start with the common header.

    Their states come from ``kernels.state.fresh_state`` (``READY`` and ``VALUE`` slots; the
    kernels keep ``VALUE`` NaN until ``READY``, so the readiness rule is the same as for every
    other indicator). Subclasses set ``_step`` (``bind_kernel`` of the ``*_step_at`` entry).

    Parameters
    ----------
    params : list
        The parameters shown in ``repr``.
    state : np.ndarray
        The fresh kernel state (kept to reset and to start batch runs from).

    """

    __slots__ = ()

    def __init__(self, params: list, state: np.ndarray) -> None:
        super().__init__(params, state)


class RingIndicator(BorrowedKernelIndicator):
    """
    Base of the indicators whose kernel also keeps an event ring (time and volume windows).

    The ring is a second borrowed array; when the step returns ``GROW`` the subclass calls
    ``_step_grown`` with the same inputs, which enlarges the ring and repeats the update.
    Subclasses set ``_ring_offset``, the offset of the ring's header in the state.
    """

    __slots__ = ("_ring", "_ring_address", "_ring_slots")
    _ring_offset = 0

    def __init__(self, params: list, state: np.ndarray) -> None:
        super().__init__(params, state)
        self._set_ring(self._new_ring())

    def _new_ring(self) -> np.ndarray:
        return event_ring_new(self._fresh, self._ring_offset)

    def _set_ring(self, ring: np.ndarray) -> None:
        # The one place the ring is replaced: the array and its address change together.
        self._ring = ring
        self._ring_address = ring.ctypes.data
        self._ring_slots = ring.size

    def _grow_ring(self) -> None:
        self._set_ring(event_ring_grow(self._state, self._ring_offset, self._ring))

    def _step_grown(self, *inputs: Any) -> float:
        # The step returned GROW (a full ring, nothing changed): grow the ring until it fits.
        # Only this rare path takes *inputs; the subclasses' hot path calls the step directly.
        value = GROW
        while value == GROW:
            self._grow_ring()
            value = self._step(
                self._address, self._slots, self._ring_address, self._ring_slots, *inputs
            )
        return value

    def checkpoint(self) -> dict[str, np.ndarray]:
        """Return copies of the state, the value and the event ring (see ``KernelIndicator``)."""
        return {**super().checkpoint(), "ring": self._ring.copy()}

    def restore(self, saved: Mapping[str, np.ndarray]) -> None:
        """Continue from a ``checkpoint`` (state, value and event ring)."""
        super().restore(saved)
        self._set_ring(np.array(saved["ring"], dtype=np.float64))

    def _advance_ring(self, kernel: Any, *columns: np.ndarray) -> np.ndarray:
        # The kernel may grow the ring: go on with the one it returns.
        out, ring = kernel(self._state, self._ring, *columns)
        self._set_ring(ring)
        return out

    def _reset(self) -> None:
        super()._reset()
        self._set_ring(self._new_ring())
