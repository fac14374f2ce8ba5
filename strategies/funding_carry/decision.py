"""
FundingCarry's rules as pure functions: when a perpetual qualifies, which ones fill the slots,
when a short is closed; and the trailing quote-volume window of the liquidity filter.
"""

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from strategies.funding_carry.config import FundingCarryConfig


class CarryExit(StrEnum):
    """Why a carry short was closed."""

    FUNDING = "exit_funding"
    TOXICITY = "exit_toxicity"


class CarryBlocker(StrEnum):
    """Why a perpetual does not qualify for an entry now."""

    WARMING_UP = "warming_up"
    FUNDING = "funding"
    VOLUME = "volume"
    TOXICITY = "toxicity"


@dataclass(frozen=True, slots=True)
class LegState:
    """
    What the rules know about one perpetual.

    Parameters
    ----------
    annualized : float
        The latest settlement's annualised funding rate (NaN before the first).
    vpin : float
        The trade-based VPIN (NaN while warming up).
    quote_volume : float
        The quote volume over the trailing window (NaN until the window has elapsed).

    """

    annualized: float
    vpin: float
    quote_volume: float


def entry_blocker(leg: LegState, config: FundingCarryConfig) -> CarryBlocker | None:
    """
    Return why the perpetual does not qualify for a short now, or ``None`` if it does.

    It qualifies when its annualised funding exceeds ``entry_annualized``, its quote volume
    reaches ``min_quote_volume`` and its VPIN is below ``vpin_entry_max``.

    """
    if not (math.isfinite(leg.annualized) and math.isfinite(leg.vpin)):
        return CarryBlocker.WARMING_UP
    if config.min_quote_volume > 0 and not math.isfinite(leg.quote_volume):
        return CarryBlocker.WARMING_UP
    if not leg.annualized > config.entry_annualized:
        return CarryBlocker.FUNDING
    if config.min_quote_volume > 0 and leg.quote_volume < config.min_quote_volume:
        return CarryBlocker.VOLUME
    if not leg.vpin < config.vpin_entry_max:
        return CarryBlocker.TOXICITY
    return None


def exit_reason(leg: LegState, config: FundingCarryConfig) -> CarryExit | None:
    """Return why a held short must close now (funding under, VPIN over its gate), or ``None``."""
    if leg.annualized < config.exit_annualized:
        return CarryExit.FUNDING
    if leg.vpin > config.vpin_exit:
        return CarryExit.TOXICITY
    return None


def selected(candidates: Iterable[tuple[str, float]], free_slots: int) -> list[str]:
    """
    Return the candidates that get the free slots: the highest annualised funding first.

    Parameters
    ----------
    candidates : Iterable[tuple[str, float]]
        ``(instrument id, annualised funding)`` of every qualifying perpetual not held.
    free_slots : int
        Slots left of ``max_symbols``.

    Returns
    -------
    list[str]
        Ties are broken by instrument id, so the choice never depends on arrival order.

    """
    ranked = sorted(candidates, key=lambda item: (-item[1], item[0]))
    return [instrument_id for instrument_id, _ in ranked[: max(free_slots, 0)]]


class TrailingSum:
    """
    The sum of values stamped within a trailing time window (e.g. quote volume over 24 hours).

    ``value`` is NaN until the window has elapsed since the first value: a partial window
    would understate the volume.

    Parameters
    ----------
    window_ns : int
        The window length; values with ``ts > now - window_ns`` count.

    """

    def __init__(self, window_ns: int) -> None:
        if window_ns <= 0:
            raise ValueError(f"window_ns must be positive, was {window_ns!r}")
        self.window_ns = window_ns
        self._values: deque[tuple[int, float]] = deque()
        self._sum = 0.0
        self._first_ns: int | None = None
        self._now_ns: int | None = None

    @property
    def value(self) -> float:
        """Return the trailing sum, or NaN before a whole window has elapsed."""
        if self._first_ns is None or self._now_ns - self._first_ns < self.window_ns:
            return math.nan
        return self._sum

    def update(self, ts_ns: int, value: float) -> None:
        """Add a value stamped ``ts_ns`` (not before the previous one) and drop expired ones."""
        if self._first_ns is None:
            self._first_ns = ts_ns
        self._now_ns = ts_ns
        self._values.append((ts_ns, value))
        self._sum += value
        while self._values[0][0] <= ts_ns - self.window_ns:
            self._sum -= self._values.popleft()[1]

    def reset(self) -> None:
        """Forget every value."""
        self._values.clear()
        self._sum = 0.0
        self._first_ns = None
        self._now_ns = None
