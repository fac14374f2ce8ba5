"""
Book indicators: top-of-book imbalance, relative spread, Cont–Kukanov–Stoikov order flow
imbalance, and multi-level depth imbalance from Binance ``bookDepth`` rows (``BookDepth``).

Same pattern as ``indicators.flow``: a NautilusTrader ``Indicator`` over a compiled numba step,
``batch*`` methods running the step's batch twin. Quotes an indicator cannot use (see
``indicators.kernels.book``) are skipped and counted in ``skipped``; NaN/inf input and negative
sizes raise ValueError. ``value`` is NaN until ``initialized``.
"""

import numpy as np
from nautilus_trader.model.data import QuoteTick
from numpy.typing import ArrayLike

from data_types.book_depth import BookDepth
from indicators.base import BorrowedKernelIndicator
from indicators.base import RingIndicator
from indicators.base import bind_kernel
from indicators.kernels.book import OFI_INCREMENT
from indicators.kernels.book import OFI_WINDOW
from indicators.kernels.book import SKIPPED
from indicators.kernels.book import depth_batch
from indicators.kernels.book import depth_state
from indicators.kernels.book import depth_step_at
from indicators.kernels.book import imbalance_batch
from indicators.kernels.book import imbalance_step_at
from indicators.kernels.book import ofi_batch
from indicators.kernels.book import ofi_state
from indicators.kernels.book import ofi_step_at
from indicators.kernels.book import simple_state
from indicators.kernels.book import spread_batch
from indicators.kernels.book import spread_step_at
from indicators.kernels.windows import GROW
from indicators.validation import as_float64
from indicators.validation import as_int64
from indicators.validation import require_finite
from indicators.validation import require_size


class BookIndicator(BorrowedKernelIndicator):
    """Base of the book indicators: counts the inputs skipped as unusable."""

    __slots__ = ()

    @property
    def skipped(self) -> int:
        """Return how many quotes (rows) were skipped as unusable since the start (or reset)."""
        return int(self._state[SKIPPED])


class TopOfBookImbalance(BookIndicator):
    """
    Top-of-book size imbalance.

        OBI = (q^B - q^A) / (q^B + q^A)  in [-1, 1]

    with q^B, q^A the best bid and ask sizes. It reads sizes only: a quote with both sizes zero is
    skipped; crossed prices do not matter to it.
    """

    __slots__ = ()
    feed = "quotes"
    feed_columns = ("bid_size", "ask_size")

    def __init__(self) -> None:
        super().__init__([], simple_state())
        self._step = bind_kernel(imbalance_step_at, 0, 0, 0.0, 0.0)

    def _advance(self, bid_size: np.ndarray, ask_size: np.ndarray) -> np.ndarray:
        return imbalance_batch(self._state, as_float64(bid_size), as_float64(ask_size))

    def handle_quote_tick(self, tick: QuoteTick) -> None:
        """Update the indicator with a quote tick."""
        self.value = self._step(
            self._address, self._slots, tick.bid_size.as_double(), tick.ask_size.as_double()
        )
        if not self.initialized:
            self._warm_up()

    def update_raw(self, bid_size: float, ask_size: float) -> float:
        """
        Update with the best bid and ask sizes; return the new value (NaN during warm-up).

        Raises
        ------
        ValueError
            On NaN/inf or negative sizes.

        """
        require_size(self.name, bid_size=bid_size, ask_size=ask_size)
        self.value = self._step(self._address, self._slots, bid_size, ask_size)
        if not self.initialized:
            self._warm_up()
        return self.value

    def batch(self, bid_size: ArrayLike, ask_size: ArrayLike) -> np.ndarray:
        """
        Return the imbalance after each quote (batch twin; this indicator is not changed).

        Parameters
        ----------
        bid_size, ask_size : array-like
            Best bid and ask sizes.

        Returns
        -------
        np.ndarray

        """
        return imbalance_batch(self._start(), as_float64(bid_size), as_float64(ask_size))


class RelativeSpread(BookIndicator):
    """
    Relative quoted spread.

        s = (P^A - P^B) / m,  m = (P^A + P^B) / 2

    A quote with a non-positive price or crossed (bid > ask) is skipped; a locked quote gives 0.
    """

    __slots__ = ()
    feed = "quotes"
    feed_columns = ("bid_price", "ask_price")

    def __init__(self) -> None:
        super().__init__([], simple_state())
        self._step = bind_kernel(spread_step_at, 0, 0, 0.0, 0.0)

    def _advance(self, bid_price: np.ndarray, ask_price: np.ndarray) -> np.ndarray:
        return spread_batch(self._state, as_float64(bid_price), as_float64(ask_price))

    def handle_quote_tick(self, tick: QuoteTick) -> None:
        """Update the indicator with a quote tick."""
        self.value = self._step(
            self._address, self._slots, tick.bid_price.as_double(), tick.ask_price.as_double()
        )
        if not self.initialized:
            self._warm_up()

    def update_raw(self, bid_price: float, ask_price: float) -> float:
        """
        Update with the best bid and ask prices; return the new value (NaN during warm-up).

        Raises
        ------
        ValueError
            On NaN/inf input.

        """
        require_finite(self.name, bid_price=bid_price, ask_price=ask_price)
        self.value = self._step(self._address, self._slots, bid_price, ask_price)
        if not self.initialized:
            self._warm_up()
        return self.value

    def batch(self, bid_price: ArrayLike, ask_price: ArrayLike) -> np.ndarray:
        """
        Return the relative spread after each quote (batch twin; this indicator is not changed).

        Parameters
        ----------
        bid_price, ask_price : array-like
            Best bid and ask prices.

        Returns
        -------
        np.ndarray

        """
        return spread_batch(self._start(), as_float64(bid_price), as_float64(ask_price))


class OrderFlowImbalance(RingIndicator, BookIndicator):
    """
    Order flow imbalance of Cont, Kukanov and Stoikov (2014) from top-of-book quotes.

    Per quote n the increment is

        e_n = 1{P^B_n >= P^B_{n-1}} q^B_n - 1{P^B_n <= P^B_{n-1}} q^B_{n-1}
            - 1{P^A_n <= P^A_{n-1}} q^A_n + 1{P^A_n >= P^A_{n-1}} q^A_{n-1}

    (bid up: +q^B_n; bid unchanged: q^B_n - q^B_{n-1}; bid down: -q^B_{n-1}; ask down: -q^A_n;
    ask unchanged: -(q^A_n - q^A_{n-1}); ask up: +q^A_{n-1}). ``value`` is the sum of e_n since
    the start (no window), over the last ``window`` increments, or over quotes with
    ``ts > now - window_ns``. Quotes with a non-positive price or crossed are skipped, and the
    next increment is taken against the last used quote.

    Parameters
    ----------
    window : int, optional
        Sum over the last ``window`` increments (initialized when full).
    window_ns : int, optional
        Sum over a time window in nanoseconds (initialized once it has elapsed since the first
        used quote). At most one of the two; neither: cumulative (initialized at the first
        increment).

    References
    ----------
    Cont, Kukanov, Stoikov (2014), "The Price Impact of Order Book Events", Journal of Financial
    Econometrics 12(1).

    """

    __slots__ = ()
    _ring_offset = OFI_WINDOW
    feed = "quotes"
    feed_columns = ("ts", "bid_price", "bid_size", "ask_price", "ask_size")

    def __init__(self, window: int | None = None, window_ns: int | None = None) -> None:
        super().__init__([window, window_ns], ofi_state(window, window_ns))
        self._step = bind_kernel(ofi_step_at, 0, 0, 0, 0, 0, 0.0, 0.0, 0.0, 0.0)

    def _advance(self, ts, bid_price, bid_size, ask_price, ask_size) -> np.ndarray:
        columns = (
            as_int64(ts),
            *(as_float64(c) for c in (bid_price, bid_size, ask_price, ask_size)),
        )
        return self._advance_ring(ofi_batch, *columns)

    @property
    def increment(self) -> float:
        """Return e_n of the last used quote (NaN before the second)."""
        return float(self._state[OFI_INCREMENT])

    def handle_quote_tick(self, tick: QuoteTick) -> None:
        """Update the indicator with a quote tick."""
        self._update(
            tick.ts_event,
            tick.bid_price.as_double(),
            tick.bid_size.as_double(),
            tick.ask_price.as_double(),
            tick.ask_size.as_double(),
        )

    def update_raw(
        self, ts: int, bid_price: float, bid_size: float, ask_price: float, ask_size: float
    ) -> float:
        """
        Update the indicator with one top-of-book quote; return its new value (NaN during warm-up).

        Parameters
        ----------
        ts : int
            Quote time (ns); must not decrease with a time window.
        bid_price, bid_size, ask_price, ask_size : float
            Best bid and ask.

        Raises
        ------
        ValueError
            On NaN/inf input, negative sizes, or a decreasing timestamp (time window).

        """
        require_size(self.name, bid_size=bid_size, ask_size=ask_size)
        require_finite(self.name, ts=ts, bid_price=bid_price, ask_price=ask_price)
        return self._update(int(ts), bid_price, bid_size, ask_price, ask_size)

    def _update(self, ts: int, bid: float, bid_size: float, ask: float, ask_size: float) -> float:
        value = self._step(
            self._address,
            self._slots,
            self._ring_address,
            self._ring_slots,
            ts,
            bid,
            bid_size,
            ask,
            ask_size,
        )
        if value == GROW:
            value = self._step_grown(ts, bid, bid_size, ask, ask_size)
        self.value = value
        if not self.initialized:
            self._warm_up()
        return value

    def batch(
        self,
        ts: ArrayLike,
        bid_price: ArrayLike,
        bid_size: ArrayLike,
        ask_price: ArrayLike,
        ask_size: ArrayLike,
    ) -> np.ndarray:
        """
        Return the OFI sum after each quote (batch twin; this indicator is not changed).

        Parameters
        ----------
        ts, bid_price, bid_size, ask_price, ask_size : array-like
            Quote times (ns) and best bid and ask.

        Returns
        -------
        np.ndarray

        """
        out, _ = ofi_batch(
            self._start(),
            self._new_ring(),
            as_int64(ts),
            as_float64(bid_price),
            as_float64(bid_size),
            as_float64(ask_price),
            as_float64(ask_size),
        )
        return out


class DepthImbalance(BookIndicator):
    """
    Multi-level depth imbalance from Binance ``bookDepth`` snapshots (``BookDepth`` rows).

        DI = Σ_k w_k (B_k - A_k) / Σ_k w_k (B_k + A_k)  in [-1, 1]

    with B_k / A_k the cumulative bid / ask depth (or notional) within ``levels[k]`` percent of
    the mid (rows at percentage -level / +level). A snapshot is the set of rows sharing a
    timestamp; the value changes when every configured level's bid and ask row of the snapshot
    has arrived (so it is never a mix of two snapshots). Rows of other bands are ignored; a
    snapshot with zero total depth is skipped.

    Parameters
    ----------
    levels : tuple of float
        Band half-widths in percent, e.g. ``(1.0,)`` or ``(1.0, 2.0, 5.0)``.
    weights : tuple of float, optional
        One non-negative weight per level (default equal). Bands are cumulative, so equal weights
        already weigh the depth near the mid more.
    field : str
        ``"depth"`` (base units) or ``"notional"`` (quote units).

    """

    __slots__ = ("_field",)

    def __init__(
        self,
        levels: tuple[float, ...] = (1.0,),
        weights: tuple[float, ...] | None = None,
        field: str = "depth",
    ) -> None:
        if field not in ("depth", "notional"):
            raise ValueError(f"field must be 'depth' or 'notional', was {field!r}")
        super().__init__([levels, weights, field], depth_state(levels, weights))
        self._field = field
        self._step = bind_kernel(depth_step_at, 0, 0, 0, 0.0, 0.0)

    def handle_book_depth(self, row: BookDepth) -> None:
        """Update the indicator with one ``BookDepth`` row (call it from ``on_data``)."""
        self.value = self._step(
            self._address, self._slots, row.ts_event, row.percentage, getattr(row, self._field)
        )
        if not self.initialized:
            self._warm_up()

    def update_raw(self, ts: int, percentage: float, amount: float) -> float:
        """
        Update the indicator with one bookDepth row; return its new value (NaN during warm-up).

        Parameters
        ----------
        ts : int
            Snapshot time (ns), not before the previous row.
        percentage : float
            Signed band in percent (negative: bids, positive: asks).
        amount : float
            Cumulative depth or notional of the band (>= 0).

        Raises
        ------
        ValueError
            On NaN/inf input, a negative amount or a decreasing timestamp.

        """
        require_size(self.name, amount=amount)
        require_finite(self.name, ts=ts, percentage=percentage)
        self.value = self._step(self._address, self._slots, int(ts), percentage, amount)
        if not self.initialized:
            self._warm_up()
        return self.value

    def batch(self, ts: ArrayLike, percentage: ArrayLike, amount: ArrayLike) -> np.ndarray:
        """
        Return the imbalance after each row (batch twin; this indicator is not changed).

        Parameters
        ----------
        ts, percentage, amount : array-like
            Row times (ns), signed bands (percent) and depths (or notionals).

        Returns
        -------
        np.ndarray

        """
        return depth_batch(self._start(), as_int64(ts), as_float64(percentage), as_float64(amount))
