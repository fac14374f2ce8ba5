"""
Rolling z-score and percentile-rank indicators, and the plumbing every kernel-backed indicator shares.

``KernelIndicator`` owns one float64 state array and calls a compiled numba step on it.
``bind_kernel`` fetches the step's compiled entry point for fixed argument types: numba's
dispatcher resolves argument types on every call (~100 ns), which the incremental path
cannot afford inside a 0.5 µs budget, and our argument types never change.
"""

import math
from collections.abc import Callable
from typing import Any

import numba
import numpy as np
from nautilus_trader.indicators.base import Indicator
from nautilus_trader.model.data import Bar

from indicators.kernels.rolling import percentile_rank_push
from indicators.kernels.rolling import ranked_new
from indicators.kernels.rolling import ranked_quantile
from indicators.kernels.rolling import rolling_new
from indicators.kernels.rolling import zscore_push
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


def require_window(name: str, window: int, minimum: int) -> int:
    """
    Return ``window`` as an int, refusing a non-integer or a value below ``minimum``.

    Raises
    ------
    ValueError
        If the window is not an integer >= ``minimum``.

    """
    if isinstance(window, bool) or int(window) != window or window < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, was {window!r}")
    return int(window)


class KernelIndicator(Indicator):
    """
    Base for indicators whose arithmetic is a compiled step over one float64 state array.

    Subclasses pass each step result to ``_record``. ``value`` is NaN until the indicator is
    initialized, exactly as the batch twin's series.

    Parameters
    ----------
    params : list
        The constructor parameters (for ``repr``).
    state : np.ndarray
        The fresh state; a copy is kept so ``reset`` restores it.
    step : numba dispatcher
        The ``@njit`` step ``step(state, *args) -> float``.
    example_args : tuple
        Example values of ``*args`` (fixes the compiled signature, see ``bind_kernel``).

    """

    def __init__(self, params: list, state: np.ndarray, step: Any, example_args: tuple) -> None:
        super().__init__(params=params)
        self._state = state
        self._fresh = state.copy()
        self._step = bind_kernel(step, state, *example_args)
        self.value = math.nan

    def _record(self, value: float) -> float:
        self.value = value
        # Once initialized the flags never change again, so the hot path pays one test.
        if not self.initialized:
            self._set_has_inputs(True)
            if value == value:
                self._set_initialized(True)
        return value

    def _reset(self) -> None:
        self._state[:] = self._fresh
        self.value = math.nan


class ScalarKernelIndicator(KernelIndicator):
    """Base for indicators over one scalar series; ``handle_bar`` feeds the bar's close."""

    def update_raw(self, value: float) -> float:
        """
        Update with one value and return the indicator's new value (NaN during warm-up).

        Raises
        ------
        ValueError
            If ``value`` is NaN or infinite.

        """
        require_finite(self.name, value=value)
        return self._record(self._step(self._state, value))

    def handle_bar(self, bar: Bar) -> None:
        """Update with the bar's close."""
        # Inlined store and one flag test: a Python call costs ~50 ns of a 0.5 µs budget.
        self.value = value = self._step(self._state, bar.close.as_double())
        if not self.initialized:
            self._record(value)


class RollingZScore(ScalarKernelIndicator):
    """
    Rolling z-score of a series over a trailing window that includes the current value.

    ``z_t = (x_t - mean_w) / std_w`` with the sample standard deviation (ddof=1) of the last
    ``window`` values, as ``(s - s.rolling(w).mean()) / s.rolling(w).std()`` in pandas. A window
    with no spread gives 0. Initialized once ``window`` values have arrived.
    Kernel: ``kernels.rolling.zscore_push``; batch twin: ``zscore_batch``.

    Parameters
    ----------
    window : int
        Number of trailing values (>= 2).

    """

    def __init__(self, window: int) -> None:
        self.window = require_window("window", window, 2)
        super().__init__([self.window], rolling_new(self.window), zscore_push, (0.0,))


class RollingPercentileRank(ScalarKernelIndicator):
    """
    Exact percentile rank of the current value within a trailing window (not the full sample).

    The rank is pandas' ``s.rolling(w).rank(pct=True)``: the average rank of ``x_t`` among the
    last ``window`` values (ties share their mean position) divided by ``window``, in (0, 1].
    A sorted copy of the window, kept by binary search, gives the rank in O(log w) and the
    update in O(w) worst case (only values between the evicted and inserted positions move).
    Kernel: ``kernels.rolling.percentile_rank_push``; batch twin: ``percentile_rank_batch``.

    Parameters
    ----------
    window : int
        Number of trailing values (>= 1).

    """

    def __init__(self, window: int) -> None:
        self.window = require_window("window", window, 1)
        super().__init__([self.window], ranked_new(self.window), percentile_rank_push, (0.0,))

    def quantile(self, q: float) -> float:
        """
        Return the trailing window's ``q``-quantile (numpy's "linear" method), e.g. a threshold.

        NaN before any value has arrived.

        Raises
        ------
        ValueError
            If ``q`` is outside [0, 1].

        """
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"{self.name}: quantile q={q!r} is outside [0, 1]")
        return float(ranked_quantile(self._state, q))
