"""
Incremental regime indicators fed by funding settlements and futures metrics.

Each class has ``handle_funding_rate(FundingRate)`` and/or ``handle_metrics(FuturesMetrics)``
(call them from the strategy's ``on_data``) plus ``update_raw``; the arithmetic is in
``indicators.kernels.regime`` / ``indicators.kernels.rolling`` with batch twins alongside.
Custom data fields are plain floats, so the handlers validate them: NaN/inf raise ValueError, as
do non-positive open interest or long/short ratios.
"""

import numpy as np
from numpy.typing import ArrayLike

from data_types import FundingRate
from data_types import FuturesMetrics
from indicators.base import KernelIndicator
from indicators.base import ScalarKernelIndicator
from indicators.base import bind_kernel as bind_kernel
from indicators.kernels.regime import CR_Z_FUNDING
from indicators.kernels.regime import CR_Z_LONG_SHORT
from indicators.kernels.regime import CR_Z_OPEN_INTEREST
from indicators.kernels.regime import EVENT_FUNDING
from indicators.kernels.regime import crowding_batch
from indicators.kernels.regime import crowding_funding_step as crowding_funding_step
from indicators.kernels.regime import crowding_funding_step_at
from indicators.kernels.regime import crowding_metrics_step as crowding_metrics_step
from indicators.kernels.regime import crowding_metrics_step_at
from indicators.kernels.regime import crowding_new
from indicators.kernels.regime import delta_log_batch
from indicators.kernels.regime import delta_log_new
from indicators.kernels.regime import delta_log_step as delta_log_step
from indicators.kernels.regime import delta_log_step_at
from indicators.kernels.regime import log_ratio_batch
from indicators.kernels.regime import log_ratio_new
from indicators.kernels.regime import log_ratio_step as log_ratio_step
from indicators.kernels.regime import log_ratio_step_at
from indicators.kernels.rolling import rolling_new
from indicators.kernels.rolling import zscore_batch
from indicators.kernels.rolling import zscore_push as zscore_push
from indicators.kernels.rolling import zscore_push_at
from indicators.validation import as_float64
from indicators.validation import as_int64
from indicators.validation import require_finite
from indicators.validation import require_window

# FuturesMetrics fields that hold a long/short ratio.
LONG_SHORT_FIELDS = (
    "count_long_short_ratio",
    "count_toptrader_long_short_ratio",
    "sum_toptrader_long_short_ratio",
    "sum_taker_long_short_vol_ratio",
)


def _require_long_short_field(field: str) -> str:
    if field not in LONG_SHORT_FIELDS:
        raise ValueError(f"long/short field must be one of {LONG_SHORT_FIELDS}, was {field!r}")
    return field


class FundingZScore(ScalarKernelIndicator):
    """
    Rolling z-score of the funding rate over the last ``window`` settlements.

    ``z_t = (f_t - mean_w(f)) / std_w(f)`` (ddof=1, window including ``f_t``; 0 when the window
    has no spread). Positive: longs pay more than usual. Kernel: ``kernels.rolling.zscore_push``;
    batch twin: ``zscore_batch(rates, window)``.

    Parameters
    ----------
    window : int
        Number of settlements (>= 2); 21 is one week of 8-hourly settlements.

    """

    _batch_kernel = staticmethod(zscore_batch)

    def __init__(self, window: int) -> None:
        self.window = require_window("window", window, 2)
        super().__init__([self.window], rolling_new(self.window), zscore_push_at, (0.0,))
        self._batch_params = (self.window,)

    def handle_funding_rate(self, funding: FundingRate) -> None:
        """Update with a funding settlement's ``last_funding_rate``."""
        self.update_raw(funding.last_funding_rate)


class DeltaLogOpenInterest(ScalarKernelIndicator):
    """
    Change of log open interest over ``lag`` metrics rows: ``ln OI_t - ln OI_{t-lag}``.

    Positive when positions are being opened. Initialized after ``lag + 1`` rows. Kernel:
    ``delta_log_step``; batch twin: ``delta_log_batch(open_interest, lag)``.

    Parameters
    ----------
    lag : int, default 1
        Rows between the two observations (one row per 5 minutes in the Binance archive).

    """

    _batch_kernel = staticmethod(delta_log_batch)

    def __init__(self, lag: int = 1) -> None:
        self.lag = require_window("lag", lag, 1)
        super().__init__([self.lag], delta_log_new(self.lag), delta_log_step_at, (1.0,))
        self._batch_params = (self.lag,)

    def handle_metrics(self, metrics: FuturesMetrics) -> None:
        """Update with a metrics row's ``sum_open_interest``."""
        self.update_raw(metrics.sum_open_interest)


class LogLongShortRatio(KernelIndicator):
    """
    Log of a long/short account ratio: ``ln(LS)``, 0 when balanced, symmetric in long vs short.

    Stateless (the ratio is a level); initialized on the first row. Kernel: ``log_ratio_step``;
    batch twin: ``log_ratio_batch(ratios)``.

    Parameters
    ----------
    field : str, default "count_long_short_ratio"
        The ``FuturesMetrics`` field ``handle_metrics`` reads (see ``LONG_SHORT_FIELDS``).

    """

    def __init__(self, field: str = "count_long_short_ratio") -> None:
        self.field = _require_long_short_field(field)
        super().__init__([self.field], log_ratio_new(), log_ratio_step_at, (1.0,))

    def update_raw(self, ratio: float) -> float:
        """
        Update with one ratio and return ``ln(ratio)``.

        Raises
        ------
        ValueError
            If ``ratio`` is NaN, infinite or not positive.

        """
        require_finite(self.name, ratio=ratio)
        return self._record(self._step(self._address, self._slots, ratio))

    def handle_metrics(self, metrics: FuturesMetrics) -> None:
        """Update with the configured long/short field of a metrics row."""
        self.update_raw(getattr(metrics, self.field))

    def batch(self, ratios: ArrayLike) -> np.ndarray:
        """
        Return ``ln(ratio)`` after each ratio (batch twin; this indicator is not changed).

        Parameters
        ----------
        ratios : array-like
            Long/short ratios, in time order.

        Returns
        -------
        np.ndarray

        """
        return log_ratio_batch(as_float64(ratios))


class CrowdingIndex(KernelIndicator):
    """
    Crowding index ``C = a1 z(f) + a2 z(Δ ln OI) + a3 z(ln LS)`` (positioning pressure).

    ``z(f)`` is the funding z-score over ``funding_window`` settlements; ``z(Δ ln OI)`` and
    ``z(ln LS)`` are z-scores over ``metrics_window`` metrics rows of the ``oi_lag``-row change
    of log open interest and of the log long/short ratio. ``C`` is recomputed whenever either
    stream updates, from the latest of each z-score; it is NaN (not initialized) until all
    three windows are full. Crowded long if ``C > theta``, crowded short if ``C < -theta``
    (``regime(theta)``). Kernels: ``crowding_funding_step`` / ``crowding_metrics_step``
    (composing ``zscore_push``, ``delta_log_step``, ``log_ratio_step``); batch twin:
    ``crowding_batch`` over ``crowding_events(...)``.

    Parameters
    ----------
    funding_window : int, default 21
        Funding settlements in the funding z-score (>= 2; 21 = one week at 8 h).
    metrics_window : int, default 288
        Metrics rows in the other two z-scores (>= 2; 288 = one day at 5 min).
    oi_lag : int, default 1
        Rows spanned by the open-interest change.
    a1, a2, a3 : float, default 1.0
        Weights of the three z-scores.
    long_short_field : str, default "count_long_short_ratio"
        The ``FuturesMetrics`` long/short field used.

    """

    def __init__(
        self,
        funding_window: int = 21,
        metrics_window: int = 288,
        oi_lag: int = 1,
        a1: float = 1.0,
        a2: float = 1.0,
        a3: float = 1.0,
        long_short_field: str = "count_long_short_ratio",
    ) -> None:
        self.funding_window = require_window("funding_window", funding_window, 2)
        self.metrics_window = require_window("metrics_window", metrics_window, 2)
        self.oi_lag = require_window("oi_lag", oi_lag, 1)
        require_finite("CrowdingIndex", a1=a1, a2=a2, a3=a3)
        self.weights = (float(a1), float(a2), float(a3))
        self.long_short_field = _require_long_short_field(long_short_field)
        state = crowding_new(
            self.funding_window, self.metrics_window, self.oi_lag, np.array(self.weights)
        )
        params = [
            self.funding_window,
            self.metrics_window,
            self.oi_lag,
            *self.weights,
            long_short_field,
        ]
        super().__init__(params, state, crowding_funding_step_at, (0.0,))
        self._metrics_step = self._bind(crowding_metrics_step_at, (1.0, 1.0))

    @property
    def z_funding(self) -> float:
        """Return the latest funding z-score (NaN until its window is full)."""
        return float(self._state[CR_Z_FUNDING])

    @property
    def z_open_interest(self) -> float:
        """Return the latest z-score of Δ ln OI (NaN until its window is full)."""
        return float(self._state[CR_Z_OPEN_INTEREST])

    @property
    def z_long_short(self) -> float:
        """Return the latest z-score of ln LS (NaN until its window is full)."""
        return float(self._state[CR_Z_LONG_SHORT])

    def update_raw(
        self,
        funding_rate: float | None = None,
        open_interest: float | None = None,
        long_short_ratio: float | None = None,
    ) -> float:
        """
        Update with a funding rate, a metrics row (open interest and long/short ratio), or both.

        The funding rate is applied first. Returns the crowding index (NaN during warm-up).

        Raises
        ------
        ValueError
            If an input is NaN or infinite, open interest or the ratio is not positive, only one
            of ``open_interest`` / ``long_short_ratio`` is given, or nothing is given.

        """
        if (open_interest is None) != (long_short_ratio is None):
            raise ValueError(f"{self.name}: open_interest and long_short_ratio come together")
        if funding_rate is None and open_interest is None:
            raise ValueError(f"{self.name}: update_raw needs a funding rate or a metrics row")
        if funding_rate is not None:
            require_finite(self.name, funding_rate=funding_rate)
            self._record(self._step(self._address, self._slots, funding_rate))
        if open_interest is not None:
            require_finite(
                self.name, open_interest=open_interest, long_short_ratio=long_short_ratio
            )
            self._record(
                self._metrics_step(self._address, self._slots, open_interest, long_short_ratio)
            )
        return self.value

    def handle_funding_rate(self, funding: FundingRate) -> None:
        """Update with a funding settlement's ``last_funding_rate``."""
        self.update_raw(funding_rate=funding.last_funding_rate)

    def handle_metrics(self, metrics: FuturesMetrics) -> None:
        """Update with a metrics row's ``sum_open_interest`` and long/short field."""
        self.update_raw(
            open_interest=metrics.sum_open_interest,
            long_short_ratio=getattr(metrics, self.long_short_field),
        )

    def batch(self, kind: ArrayLike, x1: ArrayLike, x2: ArrayLike) -> np.ndarray:
        """
        Return the index after each event of a merged stream (batch twin; this is not changed).

        The stream is what ``kernels.regime.crowding_events`` builds from the funding and
        metrics rows: ``kind`` is ``EVENT_FUNDING`` (``x1`` the funding rate, ``x2`` unused) or
        ``EVENT_METRICS`` (``x1`` open interest, ``x2`` the long/short ratio). Each event gives
        the value ``update_raw`` returns for it.

        Parameters
        ----------
        kind, x1, x2 : array-like
            The merged, time-ordered events.

        Returns
        -------
        np.ndarray

        """
        return crowding_batch(
            as_int64(kind),
            as_float64(x1),
            as_float64(x2),
            self.funding_window,
            self.metrics_window,
            self.oi_lag,
            np.array(self.weights),
        )

    def update_event(self, kind: int, x1: float, x2: float) -> float:
        """
        Update with one event of the merged stream ``batch`` takes; return the new index.

        Parameters
        ----------
        kind : int
            ``EVENT_FUNDING`` or ``EVENT_METRICS``.
        x1, x2 : float
            The funding rate (and anything), or open interest and the long/short ratio.

        Returns
        -------
        float

        """
        if kind == EVENT_FUNDING:
            return self.update_raw(funding_rate=x1)
        return self.update_raw(open_interest=x1, long_short_ratio=x2)

    def regime(self, theta: float) -> int:
        """
        Return +1 (crowded long: ``C > theta``), -1 (crowded short: ``C < -theta``) or 0.

        0 also while not initialized.
        """
        if self.value > theta:
            return 1
        if self.value < -theta:
            return -1
        return 0
