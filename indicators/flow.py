"""
Trade-flow indicators: signed volume imbalance, VPIN, Kyle's lambda and Hawkes intensity.

Each class is a NautilusTrader ``Indicator`` over the compiled step of
``indicators.kernels.flow`` (VPIN: ``indicators.kernels.vpin``); its ``batch*`` methods run the
numba batch twin of the same step from a fresh state with the same parameters, so both paths
return the same series. The shared plumbing (``BorrowedKernelIndicator``, ``RingIndicator``) is
in ``indicators.base`` and the input checks in ``indicators.validation``; both are re-exported.

Raw inputs use NautilusTrader's conventions: timestamps are int nanoseconds, aggressor sides are
``AggressorSide`` codes (1 buyer, 2 seller, 0 none). ``value`` is NaN until ``initialized``.
"""

import math

import numpy as np
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import TradeTick
from numpy.typing import ArrayLike

from indicators.base import BorrowedKernelIndicator
from indicators.base import RingIndicator
from indicators.base import bind_kernel
from indicators.kernels.flow import H_ALPHA
from indicators.kernels.flow import H_BETA
from indicators.kernels.flow import SVI_RING
from indicators.kernels.flow import hawkes_batch
from indicators.kernels.flow import hawkes_intensity_at
from indicators.kernels.flow import hawkes_state
from indicators.kernels.flow import hawkes_step_at
from indicators.kernels.flow import kyle_batch
from indicators.kernels.flow import kyle_state
from indicators.kernels.flow import kyle_step_at
from indicators.kernels.flow import svi_batch
from indicators.kernels.flow import svi_state
from indicators.kernels.flow import svi_step_at
from indicators.kernels.state import READY as READY
from indicators.kernels.vpin import BAR_TAKER
from indicators.kernels.vpin import V_BUCKETS
from indicators.kernels.vpin import V_CLASSIFIER
from indicators.kernels.vpin import V_DONE
from indicators.kernels.vpin import V_LAST_IMB
from indicators.kernels.vpin import V_NEXT
from indicators.kernels.vpin import V_SIGMA
from indicators.kernels.vpin import V_SIZE
from indicators.kernels.vpin import vpin_bar_batch
from indicators.kernels.vpin import vpin_bar_step_at
from indicators.kernels.vpin import vpin_state
from indicators.kernels.vpin import vpin_trade_batch
from indicators.kernels.vpin import vpin_trade_step_at
from indicators.kernels.windows import GROW
from indicators.kernels.windows import event_ring_grow as event_ring_grow
from indicators.kernels.windows import event_ring_new as event_ring_new
from indicators.validation import as_float64
from indicators.validation import as_int64
from indicators.validation import require_finite
from indicators.validation import require_size
from indicators.validation import require_trade


class PriceTradeIndicator(BorrowedKernelIndicator):
    """
    Base of the trade indicators whose step takes (state, ts, price, size, aggressor side).

    Subclasses set ``_step`` and ``_batch_kernel`` (the step's batch twin).
    """

    __slots__ = ()
    _batch_kernel = None
    feed = "trades"
    feed_columns = ("ts", "price", "size", "side")

    def _advance(self, ts, price, size, side) -> np.ndarray:
        return self._batch_kernel(
            self._state, as_int64(ts), as_float64(price), as_float64(size), as_float64(side)
        )

    def handle_trade_tick(self, tick: TradeTick) -> None:
        """Update the indicator with a trade tick."""
        # Not routed through update_raw: a TradeTick needs no validation and the budget is tight.
        self.value = self._step(
            self._address,
            self._slots,
            tick.ts_event,
            tick.price.as_double(),
            tick.size.as_double(),
            tick.aggressor_side,
        )
        if not self.initialized:
            self._warm_up()

    def update_raw(self, ts: int, price: float, size: float, aggressor_side: int) -> float:
        """
        Update the indicator with one trade; return its new value (NaN during warm-up).

        Parameters
        ----------
        ts : int
            Trade time (ns), not before the previous update.
        price : float
            Trade price.
        size : float
            Trade size (>= 0).
        aggressor_side : int
            1 buyer, 2 seller, 0 none.

        Raises
        ------
        ValueError
            On NaN/inf input, a negative size, an unknown side or a decreasing timestamp.

        """
        ts = require_trade(self.name, ts, size, aggressor_side, price=price)
        self.value = self._step(self._address, self._slots, ts, price, size, aggressor_side)
        if not self.initialized:
            self._warm_up()
        return self.value

    def batch(
        self, ts: ArrayLike, price: ArrayLike, size: ArrayLike, side: ArrayLike
    ) -> np.ndarray:
        """
        Return the value after each trade (batch twin; this indicator is not changed).

        Parameters
        ----------
        ts, price, size, side : array-like
            Trade times (ns), prices, sizes and aggressor side codes.

        Returns
        -------
        np.ndarray

        """
        return self._batch_kernel(
            self._start(), as_int64(ts), as_float64(price), as_float64(size), as_float64(side)
        )


class SignedVolumeImbalance(RingIndicator):
    """
    Signed volume imbalance of trades over a time window or a volume window.

    SVI = Σ s_i v_i / Σ v_i over the window, with s_i = +1 for buyer-initiated trades, -1 for
    seller-initiated ones and 0 without an aggressor; in [-1, 1], 0 for a window without volume.
    With a volume window the oldest trade counts only for its part inside the window.

    Parameters
    ----------
    window_ns : int, optional
        Time window in nanoseconds: trades with ``ts > now - window_ns``. Initialized once
        ``window_ns`` has elapsed since the first trade.
    window_volume : float, optional
        Volume window: the latest ``window_volume`` units of base volume. Initialized once that
        much volume has traded. Give exactly one of ``window_ns`` and ``window_volume``.

    """

    __slots__ = ()
    _ring_offset = SVI_RING

    feed = "trades"
    feed_columns = ("ts", "size", "side")

    def __init__(self, window_ns: int | None = None, window_volume: float | None = None) -> None:
        super().__init__([window_ns, window_volume], svi_state(window_ns, window_volume))
        self._step = bind_kernel(svi_step_at, 0, 0, 0, 0, 0, 0.0, 0.0)

    def _advance(self, ts, size, side) -> np.ndarray:
        return self._advance_ring(svi_batch, as_int64(ts), as_float64(size), as_float64(side))

    def handle_trade_tick(self, tick: TradeTick) -> None:
        """Update the indicator with a trade tick."""
        self._update(tick.ts_event, tick.size.as_double(), tick.aggressor_side)

    def update_raw(self, ts: int, size: float, aggressor_side: int) -> float:
        """
        Update with one trade and return the new value (as ``PriceTradeIndicator.update_raw``).

        The trade has no price.

        Raises
        ------
        ValueError
            As ``PriceTradeIndicator.update_raw``.

        """
        ts = require_trade(self.name, ts, size, aggressor_side)
        return self._update(ts, size, aggressor_side)

    def _update(self, ts: int, size: float, side: float) -> float:
        value = self._step(
            self._address, self._slots, self._ring_address, self._ring_slots, ts, size, side
        )
        if value == GROW:
            value = self._step_grown(ts, size, side)
        self.value = value
        if not self.initialized:
            self._warm_up()
        return value

    def batch(self, ts: ArrayLike, size: ArrayLike, side: ArrayLike) -> np.ndarray:
        """
        Return the imbalance after each trade (batch twin; this indicator is not changed).

        Parameters
        ----------
        ts, size, side : array-like
            Trade times (ns), sizes and aggressor side codes.

        Returns
        -------
        np.ndarray

        """
        out, _ = svi_batch(
            self._start(),
            self._new_ring(),
            as_int64(ts),
            as_float64(size),
            as_float64(side),
        )
        return out


class VPIN(PriceTradeIndicator):
    """
    Volume-synchronized probability of informed trading (Easley, López de Prado, O'Hara 2012).

    Volume is poured into buckets of equal volume V, split at bucket edges (an event larger than
    several buckets fills several, keeping its buy share). Over the last ``window`` = m complete
    buckets,

        VPIN = Σ_τ |V^S_τ - V^B_τ| / Σ_τ V_τ    (= Σ |V^S - V^B| / (m V) for a fixed V).

    Buy/sell classifiers:

    - ``aggressor`` (trades): exact aggressor side; trades without one split half/half.
    - ``bvc`` (trades or bars): bulk volume classification, buy share Φ(ΔP/σ) per time bar of
      ``bar_ns`` (or per group of ``group_trades`` trades; or per bar given to ``handle_bar``),
      ΔP the change of the bar's last price from the previous bar's, σ the sample standard
      deviation of the previous ``sigma_window`` bar changes (bars before σ exists are not
      bucketed). A time bar is classified when the first trade of a later bar arrives.
    - ``bar_sign`` (bars): the whole bar volume goes to the side of close - open (half/half if
      equal). This is what ``handle_bar`` uses: a Nautilus ``Bar`` carries no taker volume.
    - ``bar_taker`` (bars): kline taker split, buy = taker_buy_volume, sell = volume - it; only
      through ``update_bar_raw`` / ``batch_bars`` with the kline's ``taker_buy_volume``.

    Bucket size: ``bucket_volume`` fixed, or (``bucket_volume=None``) ``fraction`` × the median
    (or mean) volume per ``period_ns`` over the trailing ``lookback_periods`` complete periods
    (empty periods count as 0). A period enters the statistic only once it is over and a new size
    applies to the next bucket opened, so there is no look-ahead; volume before the size is known
    (``min_periods`` periods) is discarded.

    Parameters
    ----------
    window : int
        m, buckets in the estimate (initialized after m complete buckets).
    classifier : str
        ``"aggressor"``, ``"bvc"``, ``"bar_sign"`` or ``"bar_taker"``.
    bucket_volume : float, optional
        Fixed bucket size (base units, or quote units with ``quote_volume``); None for dynamic.
    quote_volume : bool
        Measure volume in quote units (price × size; for bars volume × close), e.g. $10M buckets.
    period_ns, lookback_periods, min_periods, statistic, fraction
        Dynamic bucket size: period length, trailing periods, periods needed (default all),
        ``"median"`` or ``"mean"``, multiplier.
    bar_ns, group_trades, sigma_window
        BVC on trades: bar length, or trades per group (``group_trades`` > 0 wins); σ window.

    References
    ----------
    Easley, López de Prado, O'Hara (2012), "Flow Toxicity and Liquidity in a High-frequency
    World", Review of Financial Studies 25(5).

    """

    __slots__ = ("_bar_step",)
    _batch_kernel = staticmethod(vpin_trade_batch)

    def __init__(
        self,
        window: int = 50,
        classifier: str = "aggressor",
        bucket_volume: float | None = None,
        quote_volume: bool = False,
        period_ns: int = 60_000_000_000,
        lookback_periods: int = 1440,
        min_periods: int | None = None,
        statistic: str = "median",
        fraction: float = 1.0,
        bar_ns: int = 60_000_000_000,
        group_trades: int = 0,
        sigma_window: int = 100,
    ) -> None:
        state = vpin_state(
            window,
            classifier,
            bucket_volume,
            quote_volume,
            period_ns,
            lookback_periods,
            min_periods,
            statistic,
            fraction,
            bar_ns,
            group_trades,
            sigma_window,
        )
        params = [window, classifier, bucket_volume, quote_volume]
        if bucket_volume is None:
            params += [period_ns, lookback_periods, min_periods, statistic, fraction]
        if classifier == "bvc":
            params += [bar_ns, group_trades, sigma_window]
        super().__init__(params, state)
        self._step = bind_kernel(vpin_trade_step_at, 0, 0, 0, 0.0, 0.0, 0.0)
        self._bar_step = bind_kernel(vpin_bar_step_at, 0, 0, 0, 0.0, 0.0, 0.0, 0.0)

    @property
    def bucket_count(self) -> int:
        """Return the number of buckets completed since the start (or reset)."""
        return int(self._state[V_BUCKETS])

    @property
    def buckets_completed(self) -> int:
        """Return the number of buckets the last update completed (0..k)."""
        return int(self._state[V_DONE])

    @property
    def last_bucket_imbalance(self) -> float:
        """Return |V^S - V^B| / V of the last completed bucket (NaN before the first)."""
        return float(self._state[V_LAST_IMB])

    @property
    def bucket_volume(self) -> float:
        """Return the size of the bucket being filled, else of the next one (NaN if unknown)."""
        size = self._state[V_SIZE]
        return float(size if size == size else self._state[V_NEXT])

    @property
    def sigma(self) -> float:
        """Return the σ of bar price changes used for the last BVC classification (NaN if none)."""
        return float(self._state[V_SIGMA])

    def handle_bar(self, bar: Bar) -> None:
        """Update the indicator with a bar (classifiers ``bar_sign`` and ``bvc``)."""
        self.value = self._bar_step(
            self._address,
            self._slots,
            bar.ts_event,
            bar.open.as_double(),
            bar.close.as_double(),
            bar.volume.as_double(),
            math.nan,  # a Nautilus bar has no taker volume: ``bar_taker`` refuses it
        )
        if not self.initialized:
            self._warm_up()

    def update_bar_raw(
        self,
        ts: int,
        open_: float,
        close: float,
        volume: float,
        taker_buy_volume: float | None = None,
    ) -> float:
        """
        Update the indicator with one bar (kline); return its new value (NaN during warm-up).

        Parameters
        ----------
        ts : int
            Bar time (ns; the close time for klines), not before the previous update.
        open_, close : float
            Bar open and close prices.
        volume : float
            Bar volume (>= 0).
        taker_buy_volume : float, optional
            The kline's taker buy volume (required by ``bar_taker``, ignored otherwise).

        Raises
        ------
        ValueError
            On NaN/inf input, a negative volume, a taker volume outside [0, volume] with
            ``bar_taker`` (or none), the ``aggressor`` classifier, or a decreasing timestamp.

        """
        require_size(self.name, volume=volume)
        require_finite(self.name, ts=ts, open_=open_, close=close)
        taker = math.nan
        if taker_buy_volume is not None:
            require_size(self.name, taker_buy_volume=taker_buy_volume)
            taker = taker_buy_volume
        self.value = self._bar_step(
            self._address, self._slots, int(ts), open_, close, volume, taker
        )
        if not self.initialized:
            self._warm_up()
        return self.value

    def batch_bars(
        self,
        ts: ArrayLike,
        open_: ArrayLike,
        close: ArrayLike,
        volume: ArrayLike,
        taker_buy_volume: ArrayLike | None = None,
    ) -> np.ndarray:
        """
        Return VPIN after each bar (batch twin; this indicator is not changed).

        Parameters
        ----------
        ts, open_, close, volume : array-like
            Bar times (ns), open and close prices, volumes.
        taker_buy_volume : array-like, optional
            Kline taker buy volumes (required by ``bar_taker``).

        Returns
        -------
        np.ndarray

        """
        volume = as_float64(volume)
        if taker_buy_volume is None:
            if self._fresh[V_CLASSIFIER] == BAR_TAKER:
                raise ValueError("classifier 'bar_taker' needs taker_buy_volume")
            taker = np.zeros_like(volume)
        else:
            taker = as_float64(taker_buy_volume)
        return vpin_bar_batch(
            self._start(), as_int64(ts), as_float64(open_), as_float64(close), volume, taker
        )


class KyleLambda(PriceTradeIndicator):
    """
    Kyle's lambda: rolling OLS slope of price change on signed volume.

    λ = Cov(ΔP, x) / Var(x) over the last ``window`` observations (with intercept), x the signed
    volume (buyer +, seller -). Per trade (``bar_ns=0``) an observation is (signed size, price -
    previous trade price); per bar it is (net signed volume of the bar, close - previous close),
    taken when the first trade of a later bar arrives. λ is in price units per unit of base
    volume; NaN when x has no variance in the window.

    Parameters
    ----------
    window : int
        Observations in the regression (>= 3); initialized when the window is full.
    bar_ns : int
        0 for per-trade observations, else the bar length in nanoseconds.

    References
    ----------
    Kyle (1985), "Continuous Auctions and Insider Trading", Econometrica 53(6).

    """

    __slots__ = ()
    _batch_kernel = staticmethod(kyle_batch)
    nan_until_ready = False  # a window without price variation gives NaN once initialized

    def __init__(self, window: int = 100, bar_ns: int = 0) -> None:
        super().__init__([window, bar_ns], kyle_state(window, bar_ns))
        self._step = bind_kernel(kyle_step_at, 0, 0, 0, 0.0, 0.0, 0.0)


class HawkesIntensity(BorrowedKernelIndicator):
    """
    Intensity of a Hawkes process of trades with an exponential kernel.

        λ(t) = μ + Σ_{t_i <= t} α e^{-β (t - t_i)}

    updated in O(1) per trade: the excitation sum decays by e^{-β Δt} between events and jumps by
    α at each event. ``value`` is λ just after the last trade (that trade included); use
    ``intensity_at(ts)`` for λ at a later time, e.g. a bar close. Rates are per second; the
    process is stationary when the branching ratio α/β < 1 (not required here).

    Parameters
    ----------
    mu : float
        Baseline intensity μ (> 0, events per second).
    alpha : float
        Jump α of the intensity per event (>= 0, events per second).
    beta : float
        Decay rate β (> 0, per second).
    side : int
        0 counts every trade; 1 only buyer-initiated, 2 only seller-initiated trades (the others
        still advance the clock). Zero-size trades are not events.

    References
    ----------
    Hawkes (1971), "Spectra of some self-exciting and mutually exciting point processes",
    Biometrika 58(1).

    """

    __slots__ = ()
    feed = "trades"
    feed_columns = ("ts", "size", "side")

    def __init__(self, mu: float, alpha: float, beta: float, side: int = 0) -> None:
        super().__init__([mu, alpha, beta, side], hawkes_state(mu, alpha, beta, side))
        self._step = bind_kernel(hawkes_step_at, 0, 0, 0, 0.0, 0.0)

    def _advance(self, ts, size, side) -> np.ndarray:
        return hawkes_batch(self._state, as_int64(ts), as_float64(size), as_float64(side))

    @property
    def branching_ratio(self) -> float:
        """Return α/β, the expected number of events each event triggers."""
        return float(self._state[H_ALPHA] / self._state[H_BETA])

    def intensity_at(self, ts: int) -> float:
        """
        Return λ(ts) without recording an event.

        Parameters
        ----------
        ts : int
            A time (ns) not before the last update; before any update λ = μ.

        Returns
        -------
        float

        """
        require_finite(self.name, ts=ts)
        return hawkes_intensity_at(self._state, int(ts))

    def handle_trade_tick(self, tick: TradeTick) -> None:
        """Update the indicator with a trade tick."""
        self.value = self._step(
            self._address, self._slots, tick.ts_event, tick.size.as_double(), tick.aggressor_side
        )
        if not self.initialized:
            self._warm_up()

    def update_raw(self, ts: int, size: float = 1.0, aggressor_side: int = 0) -> float:
        """
        Update with one trade and return the new value (as ``PriceTradeIndicator.update_raw``).

        The trade has no price.

        A trade of size 0 is not an event.

        Raises
        ------
        ValueError
            As ``PriceTradeIndicator.update_raw``.

        """
        ts = require_trade(self.name, ts, size, aggressor_side)
        self.value = self._step(self._address, self._slots, ts, size, aggressor_side)
        if not self.initialized:
            self._warm_up()
        return self.value

    def batch(self, ts: ArrayLike, size: ArrayLike, side: ArrayLike) -> np.ndarray:
        """
        Return λ after each trade (batch twin; this indicator is not changed).

        Parameters
        ----------
        ts, size, side : array-like
            Trade times (ns), sizes and aggressor side codes.

        Returns
        -------
        np.ndarray

        """
        return hawkes_batch(self._start(), as_int64(ts), as_float64(size), as_float64(side))
