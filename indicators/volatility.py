"""
Incremental volatility indicators over bars (Nautilus ``Indicator`` subclasses).

Each class calls the compiled step of ``indicators.kernels.volatility``; the same module holds
the batch twin returning the identical series, which each class's ``batch`` runs with its own
parameters. Values are variances of log prices (per bar,
per session, or summed over a window: see each class); take the square root for a volatility.

Edge cases, for every class: NaN/inf input raises ValueError, as do non-positive prices and bars
with ``high < low`` or open/close outside ``[low, high]``; a zero-range bar (``H == L``) adds a
zero variance term; a zero-volume bar is an ordinary observation (volume is not an input: a
minute without trades is a minute of zero return in calendar time); ``reset()`` restores the
fresh state.
"""

import math
from typing import Any

import numpy as np
from nautilus_trader.model.data import Bar
from numpy.typing import ArrayLike

from indicators.base import KernelIndicator
from indicators.base import ScalarKernelIndicator
from indicators.kernels.volatility import ESTIMATORS
from indicators.kernels.volatility import HAR_COMPONENT
from indicators.kernels.volatility import VC_VAR_LONG
from indicators.kernels.volatility import VC_VAR_SHORT
from indicators.kernels.volatility import YZ_K
from indicators.kernels.volatility import bipower_variation_batch
from indicators.kernels.volatility import bipower_variation_new
from indicators.kernels.volatility import bipower_variation_step_at
from indicators.kernels.volatility import downside_semivariance_batch
from indicators.kernels.volatility import downside_semivariance_step as downside_semivariance_step
from indicators.kernels.volatility import downside_semivariance_step_at
from indicators.kernels.volatility import ewma_variance_batch
from indicators.kernels.volatility import ewma_variance_new
from indicators.kernels.volatility import ewma_variance_step as ewma_variance_step
from indicators.kernels.volatility import ewma_variance_step_at
from indicators.kernels.volatility import garman_klass_batch
from indicators.kernels.volatility import garman_klass_step as garman_klass_step
from indicators.kernels.volatility import garman_klass_step_at
from indicators.kernels.volatility import har_batch
from indicators.kernels.volatility import har_new
from indicators.kernels.volatility import har_step as har_step
from indicators.kernels.volatility import har_step_at
from indicators.kernels.volatility import parkinson_batch
from indicators.kernels.volatility import parkinson_step as parkinson_step
from indicators.kernels.volatility import parkinson_step_at
from indicators.kernels.volatility import range_variance_new
from indicators.kernels.volatility import realized_variance_batch
from indicators.kernels.volatility import realized_variance_new
from indicators.kernels.volatility import realized_variance_step as realized_variance_step
from indicators.kernels.volatility import realized_variance_step_at
from indicators.kernels.volatility import rogers_satchell_batch
from indicators.kernels.volatility import rogers_satchell_step as rogers_satchell_step
from indicators.kernels.volatility import rogers_satchell_step_at
from indicators.kernels.volatility import vol_compression_batch
from indicators.kernels.volatility import vol_compression_new
from indicators.kernels.volatility import vol_compression_step as vol_compression_step
from indicators.kernels.volatility import vol_compression_step_at
from indicators.kernels.volatility import yang_zhang_batch
from indicators.kernels.volatility import yang_zhang_new
from indicators.kernels.volatility import yang_zhang_step as yang_zhang_step
from indicators.kernels.volatility import yang_zhang_step_at
from indicators.validation import as_float64
from indicators.validation import as_int64
from indicators.validation import require_finite
from indicators.validation import require_window

NS_PER_DAY = 86_400_000_000_000


# handle_bar skips update_raw's Python checks: Bar prices are fixed-point, so always finite, and
# Bar's constructor enforces low <= open, close <= high (the step still refuses non-positive
# prices). It also inlines the value store and tests `initialized` before calling `_warm_up`: at
# ~50 ns a Python call is a tenth of the 0.5 µs budget.


class _OhlcIndicator(KernelIndicator):
    """
    Base for indicators fed whole bars: ``update_raw(open, high, low, close)``.

    Subclasses set ``_batch_kernel`` (``kernel(open, high, low, close, *params)``) and, in their
    constructor, ``_batch_params``.
    """

    _batch_kernel: Any = None
    _batch_params: tuple = ()

    def update_raw(self, open: float, high: float, low: float, close: float) -> float:
        """
        Update with one bar's prices and return the new value (NaN during warm-up).

        Raises
        ------
        ValueError
            If a price is NaN, infinite or not positive, or ``low <= open, close <= high`` fails.

        """
        require_finite(self.name, open=open, high=high, low=low, close=close)
        return self._record(self._step(self._address, self._slots, open, high, low, close))

    def handle_bar(self, bar: Bar) -> None:
        """Update with a bar."""
        self.value = self._step(
            self._address,
            self._slots,
            bar.open.as_double(),
            bar.high.as_double(),
            bar.low.as_double(),
            bar.close.as_double(),
        )
        if not self.initialized:
            self._warm_up()

    def batch(
        self, open: ArrayLike, high: ArrayLike, low: ArrayLike, close: ArrayLike
    ) -> np.ndarray:
        """
        Return the value after each bar (batch twin; this indicator is not changed).

        Parameters
        ----------
        open, high, low, close : array-like
            The bars' prices, in time order.

        Returns
        -------
        np.ndarray

        Raises
        ------
        ValueError
            If a bar is refused as ``update_raw`` refuses it.

        """
        prices = (as_float64(x) for x in (open, high, low, close))
        return self._batch_kernel(*prices, *self._batch_params)


class _CloseIndicator(ScalarKernelIndicator):
    """Base for indicators of close-to-close log returns: ``update_raw(close)``, bar closes."""

    def update_raw(self, close: float) -> float:
        """
        Update with one close and return the new value (NaN during warm-up).

        Raises
        ------
        ValueError
            If ``close`` is NaN, infinite or not positive.

        """
        require_finite(self.name, close=close)
        return self._record(self._step(self._address, self._slots, close))


class Parkinson(KernelIndicator):
    """
    Parkinson (1980) range-based variance per bar, averaged over a window.

    ``sigma^2 = (1/n) sum_{i} (ln H_i / L_i)^2 / (4 ln 2)`` over the last ``n = window`` bars.
    Unbiased for a driftless Brownian motion observed continuously; biased low when the traded
    range misses the true extremes (discrete trading). Initialized once ``window`` bars arrived.
    Kernel: ``parkinson_step``; batch twin: ``parkinson_batch(high, low, window)``.

    Parameters
    ----------
    window : int
        Number of bars averaged (>= 1).

    References
    ----------
    Parkinson, M. (1980). The extreme value method for estimating the variance of the rate of
    return. Journal of Business 53(1), 61-65.

    """

    def __init__(self, window: int) -> None:
        self.window = require_window("window", window, 1)
        super().__init__(
            [self.window], range_variance_new(self.window), parkinson_step_at, (1.0, 1.0)
        )

    def update_raw(self, high: float, low: float) -> float:
        """
        Update with one bar's high and low and return the new value (NaN during warm-up).

        Raises
        ------
        ValueError
            If a price is NaN, infinite or not positive, or ``high < low``.

        """
        require_finite(self.name, high=high, low=low)
        return self._record(self._step(self._address, self._slots, high, low))

    def handle_bar(self, bar: Bar) -> None:
        """Update with a bar's high and low."""
        self.value = self._step(
            self._address, self._slots, bar.high.as_double(), bar.low.as_double()
        )
        if not self.initialized:
            self._warm_up()

    def batch(self, high: ArrayLike, low: ArrayLike) -> np.ndarray:
        """
        Return the value after each bar (batch twin; this indicator is not changed).

        Parameters
        ----------
        high, low : array-like
            The bars' highs and lows, in time order.

        Returns
        -------
        np.ndarray

        """
        return parkinson_batch(as_float64(high), as_float64(low), self.window)


class GarmanKlass(_OhlcIndicator):
    """
    Garman–Klass (1980) OHLC variance per bar, averaged over a window.

    ``sigma^2 = (1/n) sum_i [0.5 (ln H_i/L_i)^2 - (2 ln 2 - 1)(ln C_i/O_i)^2]`` over the last
    ``n = window`` bars. Assumes zero drift and no opening jump (use Yang–Zhang for those).
    Kernel: ``garman_klass_step``; batch twin: ``garman_klass_batch(open, high, low, close, window)``.

    Parameters
    ----------
    window : int
        Number of bars averaged (>= 1).

    References
    ----------
    Garman, M. B., Klass, M. J. (1980). On the estimation of security price volatilities from
    historical data. Journal of Business 53(1), 67-78.

    """

    _batch_kernel = staticmethod(garman_klass_batch)

    def __init__(self, window: int) -> None:
        self.window = require_window("window", window, 1)
        super().__init__(
            [self.window], range_variance_new(self.window), garman_klass_step_at, (1.0,) * 4
        )
        self._batch_params = (self.window,)


class RogersSatchell(_OhlcIndicator):
    """
    Rogers–Satchell (1991) drift-independent OHLC variance per bar, averaged over a window.

    ``sigma^2 = (1/n) sum_i [ln(H_i/C_i) ln(H_i/O_i) + ln(L_i/C_i) ln(L_i/O_i)]`` over the last
    ``n = window`` bars; unbiased under any constant drift.
    Kernel: ``rogers_satchell_step``; batch twin: ``rogers_satchell_batch(open, high, low, close, window)``.

    Parameters
    ----------
    window : int
        Number of bars averaged (>= 1).

    References
    ----------
    Rogers, L. C. G., Satchell, S. E. (1991). Estimating variance from high, low and closing
    prices. Annals of Applied Probability 1(4), 504-512.

    """

    _batch_kernel = staticmethod(rogers_satchell_batch)

    def __init__(self, window: int) -> None:
        self.window = require_window("window", window, 1)
        super().__init__(
            [self.window], range_variance_new(self.window), rogers_satchell_step_at, (1.0,) * 4
        )
        self._batch_params = (self.window,)


class YangZhang(KernelIndicator):
    """
    Yang–Zhang (2000) variance per session from the sessions' OHLC, with a configurable session.

    Bars are aggregated into sessions ``(offset + j·session, offset + (j+1)·session]`` by their
    close time (``ts_event``); a session's open/high/low/close are those of its bars. Over the
    last ``n = window`` completed sessions::

        sigma^2 = V_O + k V_C + (1 - k) V_RS,   k = 0.34 / (1.34 + (n + 1) / (n - 1))

    with ``V_O`` the sample variance (1/(n-1)) of the "overnight" returns ``ln(O_j / C_{j-1})``,
    ``V_C`` that of the open-to-close returns ``ln(C_j / O_j)`` and ``V_RS`` the mean
    Rogers–Satchell term of the sessions. ``k`` minimises the estimator's variance (Yang and Zhang
    2000, with their practical alpha = 1.34). Drift-independent and robust to opening jumps.

    A session completes on its last bar, stamped on the boundary or at its last nanosecond
    (boundary - 1 ns, as the ETL stamps klines), or, after a gap, when a later session's first
    bar arrives; ``value`` changes only then. The first completed session
    only supplies ``C_{j-1}`` (it may be partial), so ``initialized`` after ``window + 1``
    sessions. Bars older than the current session raise ValueError. With ``session_ns`` equal to
    the bar interval every bar is a session: the classic bar-level estimator.
    Kernel: ``yang_zhang_step``; batch twin: ``yang_zhang_batch(ts, open, high, low, close, window, session_ns, offset_ns)``.

    Parameters
    ----------
    window : int
        Number of sessions ``n`` (>= 2).
    session_ns : int, default one day
        Session length in nanoseconds.
    offset_ns : int, default 0
        Session boundary offset from the UTC epoch grid (e.g. 8 h for sessions starting 08:00 UTC).

    References
    ----------
    Yang, D., Zhang, Q. (2000). Drift-independent volatility estimation based on high, low, open,
    and close prices. Journal of Business 73(3), 477-491.

    """

    def __init__(self, window: int, session_ns: int = NS_PER_DAY, offset_ns: int = 0) -> None:
        self.window = require_window("window", window, 2)
        self.session_ns = require_window("session_ns", session_ns, 1)
        self.offset_ns = int(offset_ns)
        state = yang_zhang_new(self.window, self.session_ns, self.offset_ns)
        super().__init__(
            [self.window, self.session_ns, self.offset_ns],
            state,
            yang_zhang_step_at,
            (0, *(1.0,) * 4),
        )

    @property
    def k(self) -> float:
        """Return the weight ``k`` of the open-to-close variance."""
        return float(self._state[YZ_K])

    def update_raw(self, ts_ns: int, open: float, high: float, low: float, close: float) -> float:
        """
        Update with one bar closing at ``ts_ns`` (UTC ns) and return the latest value.

        Raises
        ------
        ValueError
            If a price is NaN, infinite or not positive, the bar is inconsistent, or it is older
            than the current session.

        """
        require_finite(self.name, open=open, high=high, low=low, close=close)
        return self._record(
            self._step(self._address, self._slots, int(ts_ns), open, high, low, close)
        )

    def handle_bar(self, bar: Bar) -> None:
        """Update with a bar (its close time is ``ts_event``)."""
        self.value = self._step(
            self._address,
            self._slots,
            bar.ts_event,
            bar.open.as_double(),
            bar.high.as_double(),
            bar.low.as_double(),
            bar.close.as_double(),
        )
        if not self.initialized:
            self._warm_up()

    def batch(
        self, ts_ns: ArrayLike, open: ArrayLike, high: ArrayLike, low: ArrayLike, close: ArrayLike
    ) -> np.ndarray:
        """
        Return the latest value after each bar (batch twin; this indicator is not changed).

        Parameters
        ----------
        ts_ns : array-like
            The bars' close times (UTC ns), not decreasing.
        open, high, low, close : array-like
            The bars' prices.

        Returns
        -------
        np.ndarray

        """
        prices = (as_float64(x) for x in (open, high, low, close))
        return yang_zhang_batch(
            as_int64(ts_ns), *prices, self.window, self.session_ns, self.offset_ns
        )


class RealizedVariance(_CloseIndicator):
    """
    Realized variance ``RV = sum_{i=t-H+1}^{t} r_i^2`` of the last ``H`` close-to-close log returns.

    A variance over the ``H``-bar horizon (not per bar). Needs ``H + 1`` closes.
    Kernel: ``realized_variance_step``; batch twin: ``realized_variance_batch(close, window)``.

    Parameters
    ----------
    window : int
        Number of returns ``H`` (>= 1).

    References
    ----------
    Andersen, T. G., Bollerslev, T., Diebold, F. X., Labys, P. (2003). Modeling and forecasting
    realized volatility. Econometrica 71(2), 579-625.

    """

    _batch_kernel = staticmethod(realized_variance_batch)

    def __init__(self, window: int) -> None:
        self.window = require_window("window", window, 1)
        super().__init__(
            [self.window], realized_variance_new(self.window), realized_variance_step_at, (1.0,)
        )
        self._batch_params = (self.window,)


class DownsideSemivariance(_CloseIndicator):
    """
    Downside realized semivariance ``RS- = sum r_i^2 1{r_i < 0}`` over the last ``H`` returns.

    The part of ``RealizedVariance`` due to falling prices (``RS+ = RV - RS-``). Needs ``H + 1``
    closes. Kernel: ``downside_semivariance_step``; batch twin:
    ``downside_semivariance_batch(close, window)``.

    Parameters
    ----------
    window : int
        Number of returns ``H`` (>= 1).

    References
    ----------
    Barndorff-Nielsen, O. E., Kinnebrock, S., Shephard, N. (2010). Measuring downside risk:
    realised semivariance. In Volatility and Time Series Econometrics, Oxford University Press.

    """

    _batch_kernel = staticmethod(downside_semivariance_batch)

    def __init__(self, window: int) -> None:
        self.window = require_window("window", window, 1)
        super().__init__(
            [self.window], realized_variance_new(self.window), downside_semivariance_step_at, (1.0,)
        )
        self._batch_params = (self.window,)


class BipowerVariation(_CloseIndicator):
    """
    Bipower variation ``BV = (pi/2) sum |r_i| |r_{i-1}|`` over the last ``H`` log returns.

    The ``H - 1`` products of adjacent absolute close-to-close returns inside the window, scaled
    by ``1 / mu_1^2 = pi/2`` (``mu_1 = E|Z| = sqrt(2/pi)``). Like ``RealizedVariance`` it estimates
    the window's integrated variance, but a single jump enters only through products with its
    neighbours' small returns, so it is robust to jumps: ``RV - BV`` estimates the jumps'
    contribution (Barndorff-Nielsen and Shephard 2004, 2006). No ``H / (H - 1)`` correction, so
    it is slightly smaller than ``RealizedVariance(H)`` for a pure diffusion. Needs ``H + 1``
    closes. Kernel: ``bipower_variation_step``; batch twin: ``bipower_variation_batch(close, H)``.

    Parameters
    ----------
    window : int
        Number of returns ``H`` (>= 2).

    References
    ----------
    Barndorff-Nielsen, O. E., Shephard, N. (2004). Power and bipower variation with stochastic
    volatility and jumps. Journal of Financial Econometrics 2(1), 1-37.

    """

    _batch_kernel = staticmethod(bipower_variation_batch)

    def __init__(self, window: int) -> None:
        self.window = require_window("window", window, 2)
        state = bipower_variation_new(self.window)
        super().__init__([self.window], state, bipower_variation_step_at, (1.0,))
        self._batch_params = (self.window,)


class EwmaVariance(_CloseIndicator):
    """
    Exponentially weighted variance of log returns with a half-life (RiskMetrics, zero mean).

    ``s_1 = r_1^2``, ``s_t = lambda s_{t-1} + (1 - lambda) r_t^2`` with ``lambda = 2^(-1/h)``:
    a return's weight halves every ``h`` bars. Equals pandas
    ``(r**2).ewm(halflife=h, adjust=False).mean()``. Per-bar variance; initialized after
    ``min_periods`` returns. Kernel: ``ewma_variance_step``; batch twin:
    ``ewma_variance_batch(close, half_life, min_periods)``.

    Parameters
    ----------
    half_life : float
        Half-life ``h`` in bars (> 0).
    min_periods : int, optional
        Returns before the value is published; default ``ceil(half_life)``.

    References
    ----------
    J.P. Morgan/Reuters (1996). RiskMetrics Technical Document, 4th ed.

    """

    _batch_kernel = staticmethod(ewma_variance_batch)

    def __init__(self, half_life: float, min_periods: int | None = None) -> None:
        if not (math.isfinite(half_life) and half_life > 0.0):
            raise ValueError(f"half_life must be positive and finite, was {half_life!r}")
        self.half_life = float(half_life)
        default = math.ceil(self.half_life)
        self.min_periods = require_window(
            "min_periods", default if min_periods is None else min_periods, 1
        )
        state = ewma_variance_new(self.half_life, self.min_periods)
        super().__init__([self.half_life, self.min_periods], state, ewma_variance_step_at, (1.0,))
        self._batch_params = (self.half_life, self.min_periods)


class HarComposite(_CloseIndicator):
    """
    HAR-style variance composite over three horizons (intraday stand-ins for day/week/month).

    ``value = b0 + w1 RV(h1)/h1 + w2 RV(h2)/h2 + w3 RV(h3)/h3`` where ``RV(h)`` is the realized
    variance of the last ``h`` returns, so each component is a per-bar variance and ``value`` a
    per-bar variance forecast. Corsi's HAR-RV uses 1, 5 and 22 days; intraday, e.g. 60, 360 and
    1440 one-minute bars. Fit ``b0, w`` by OLS of the next bar's ``r^2`` (or next-horizon RV) on
    the components for a forecast; the default equal weights give a blended level.
    Initialized once the longest horizon is full. Kernel: ``har_step`` (composes
    ``realized_variance_push``); batch twin: ``har_batch(close, horizons, weights, intercept)``.

    Parameters
    ----------
    horizons : tuple[int, int, int], default (60, 360, 1440)
        The three horizons in bars (each >= 1).
    weights : tuple[float, float, float], default (1/3, 1/3, 1/3)
        The weights ``w1, w2, w3``.
    intercept : float, default 0.0
        The intercept ``b0``.

    References
    ----------
    Corsi, F. (2009). A simple approximate long-memory model of realized volatility. Journal of
    Financial Econometrics 7(2), 174-196.

    """

    _batch_kernel = staticmethod(har_batch)

    def __init__(
        self,
        horizons: tuple[int, int, int] = (60, 360, 1440),
        weights: tuple[float, float, float] = (1 / 3, 1 / 3, 1 / 3),
        intercept: float = 0.0,
    ) -> None:
        if len(horizons) != 3 or len(weights) != 3:
            raise ValueError("HarComposite needs exactly three horizons and three weights")
        self.horizons = tuple(require_window("horizon", h, 1) for h in horizons)
        require_finite(
            "HarComposite", intercept=intercept, **{f"w{i + 1}": w for i, w in enumerate(weights)}
        )
        self.weights = tuple(float(w) for w in weights)
        self.intercept = float(intercept)
        state = har_new(np.array(self.horizons, np.int64), np.array(self.weights), self.intercept)
        super().__init__([self.horizons, self.weights, self.intercept], state, har_step_at, (1.0,))
        self._batch_params = (
            np.array(self.horizons, np.int64),
            np.array(self.weights),
            self.intercept,
        )

    @property
    def components(self) -> tuple[float, float, float]:
        """Return the three per-bar variances ``RV(h_i)/h_i`` (NaN until each horizon fills)."""
        c = self._state[HAR_COMPONENT : HAR_COMPONENT + 3]
        return float(c[0]), float(c[1]), float(c[2])


class VolatilityCompression(_OhlcIndicator):
    """
    Volatility compression ``VC = ln(sigma_short / sigma_long)``: negative when recent volatility
    is low relative to its longer baseline (a setup for expansion; the strategy's F1 is z(-VC)).

    ``sigma_w^2`` is the mean one-bar variance term over the last ``w`` bars for the chosen
    estimator ("close": ``r^2``; "parkinson", "garman_klass", "rogers_satchell": the range
    terms of those classes). Computed as ``0.5 ln((v_short + floor) / (v_long + floor))``: the
    small ``floor`` keeps a flat market at VC = 0 and a flat short window finite instead of
    ``-inf``. Initialized once the long window is full. Kernel: ``vol_compression_step``;
    batch twin: ``vol_compression_batch(open, high, low, close, short, long, estimator, floor)``.

    Parameters
    ----------
    short : int
        Short window in bars (>= 1).
    long : int
        Long window in bars (> short).
    estimator : str, default "close"
        One of "close", "parkinson", "garman_klass", "rogers_satchell".
    floor : float, default 1e-18
        Added to both variances (> 0); far below a one-tick move's squared return (~4e-12 on BTC).

    """

    _batch_kernel = staticmethod(vol_compression_batch)

    def __init__(
        self, short: int, long: int, estimator: str = "close", floor: float = 1e-18
    ) -> None:
        self.short = require_window("short", short, 1)
        self.long = require_window("long", long, self.short + 1)
        if estimator not in ESTIMATORS:
            raise ValueError(f"estimator must be one of {sorted(ESTIMATORS)}, was {estimator!r}")
        if not (math.isfinite(floor) and floor > 0.0):
            raise ValueError(f"floor must be positive and finite, was {floor!r}")
        self.estimator = estimator
        self.floor = float(floor)
        state = vol_compression_new(self.short, self.long, ESTIMATORS[estimator], self.floor)
        super().__init__(
            [self.short, self.long, estimator, self.floor],
            state,
            vol_compression_step_at,
            (1.0,) * 4,
        )
        self._batch_params = (self.short, self.long, ESTIMATORS[estimator], self.floor)

    @property
    def var_short(self) -> float:
        """Return the short window's mean one-bar variance (NaN until full)."""
        return float(self._state[VC_VAR_SHORT])

    @property
    def var_long(self) -> float:
        """Return the long window's mean one-bar variance (NaN until full)."""
        return float(self._state[VC_VAR_LONG])
