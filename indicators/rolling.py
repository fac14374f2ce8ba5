"""
Rolling z-score and percentile-rank indicators.

The plumbing every kernel-backed indicator shares (``KernelIndicator``, ``ScalarKernelIndicator``,
``bind_kernel``) lives in ``indicators.base`` and ``require_window`` in ``indicators.validation``;
they are re-exported here, where they used to live.
"""

from indicators.base import KernelIndicator as KernelIndicator
from indicators.base import ScalarKernelIndicator
from indicators.base import bind_kernel as bind_kernel
from indicators.kernels.rolling import percentile_rank_batch
from indicators.kernels.rolling import percentile_rank_push as percentile_rank_push
from indicators.kernels.rolling import percentile_rank_push_at
from indicators.kernels.rolling import ranked_new
from indicators.kernels.rolling import ranked_quantile
from indicators.kernels.rolling import rolling_new
from indicators.kernels.rolling import zscore_batch
from indicators.kernels.rolling import zscore_push as zscore_push
from indicators.kernels.rolling import zscore_push_at
from indicators.validation import require_finite as require_finite
from indicators.validation import require_window


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

    _batch_kernel = staticmethod(zscore_batch)

    def __init__(self, window: int) -> None:
        self.window = require_window("window", window, 2)
        super().__init__([self.window], rolling_new(self.window), zscore_push_at, (0.0,))
        self._batch_params = (self.window,)


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

    _batch_kernel = staticmethod(percentile_rank_batch)

    def __init__(self, window: int) -> None:
        self.window = require_window("window", window, 1)
        super().__init__([self.window], ranked_new(self.window), percentile_rank_push_at, (0.0,))
        self._batch_params = (self.window,)

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
