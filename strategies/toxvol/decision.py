"""
The decision logic of ``ToxicityConditionedVolatility`` as pure functions on plain numbers.

Nothing here touches Nautilus: the strategy samples its features into ``Signals``, and these
functions say whether to enter (which alpha, which side), whether to exit (which reason) and
whether a guard blocks new risk; ``decide`` combines them into the action of one decision.
Scenario tests drive them with controlled inputs.

Conventions: sides and regimes are ints, +1 long / crowded long, -1 short / crowded short,
0 neutral; times are UTC nanoseconds.

"""

import math
from dataclasses import dataclass
from enum import StrEnum

from strategies.toxvol.config import MINUTE_NS
from strategies.toxvol.config import ToxVolConfig

NEUTRAL = 0


class Alpha(StrEnum):
    """The alpha that opened a trade."""

    A = "alpha_a"  # neutral regime: compression + strong gated pressure, with the pressure
    B = "alpha_b"  # crowded regime: fade the crowd once flow confirms


class ExitReason(StrEnum):
    """Why a trade was closed."""

    STOP = "exit_stop"
    TAKE_PROFIT = "exit_take_profit"
    TIME = "exit_time"
    REGIME_FLIP = "exit_regime_flip"


class Blocker(StrEnum):
    """Why no new risk may be taken now."""

    NOT_INITIALIZED = "not_initialized"
    STALE_QUOTE = "stale_quote"
    KLINE_GAP = "kline_gap"


@dataclass(frozen=True, slots=True)
class Signals:
    """
    The features of one decision.

    Parameters
    ----------
    compression : float
        F1 = z(-VC): high when volatility is compressed.
    pressure : float
        P = z(OBI) + z(SVI) + z(ΣOFI), before the toxicity gate.
    toxicity : float
        T = z(VPIN) + z(spread).
    toxicity_threshold : float
        τ_T, a trailing percentile of T (NaN while unknown: then nothing counts as toxic).
    regime : int
        F3: +1 crowded long, -1 crowded short, 0 neutral.

    """

    compression: float
    pressure: float
    toxicity: float
    toxicity_threshold: float
    regime: int

    @property
    def toxic(self) -> bool:
        """Return whether ``T >= τ_T``."""
        return self.toxicity >= self.toxicity_threshold


@dataclass(frozen=True, slots=True)
class Entry:
    """An entry decision: +1 buy or -1 sell, and the alpha that fired."""

    side: int
    alpha: Alpha


@dataclass(frozen=True, slots=True)
class Action:
    """
    What one decision does: close the open trade, open one, or nothing.

    Parameters
    ----------
    close : ExitReason | None
        Close the open trade for this reason.
    enter : Entry | None
        Open a trade (only ever when flat).
    gate_blocked : bool
        The toxicity gate stopped an entry the ungated pressure called for.

    """

    close: ExitReason | None = None
    enter: Entry | None = None
    gate_blocked: bool = False


@dataclass(frozen=True, slots=True)
class OpenTrade:
    """
    A trade as the exit rules see it.

    Parameters
    ----------
    side : int
        +1 long, -1 short.
    alpha : Alpha
        The alpha that opened it.
    entry_price : float
        The average fill price.
    stop_distance : float
        The stop's distance from the entry price (price units).
    take_profit_distance : float
        The take-profit's distance from the entry price (price units).
    opened_ns : int
        When the position opened.
    regime : int
        The regime it was opened in (0 when the regime filter is off).

    """

    side: int
    alpha: Alpha
    entry_price: float
    stop_distance: float
    take_profit_distance: float
    opened_ns: int
    regime: int

    @property
    def stop_price(self) -> float:
        """Return the stop level."""
        return self.entry_price - self.side * self.stop_distance

    @property
    def take_profit_price(self) -> float:
        """Return the take-profit level."""
        return self.entry_price + self.side * self.take_profit_distance


def effective_regime(regime: int, config: ToxVolConfig) -> int:
    """Return the regime the rules act on: neutral whenever the regime filter is off."""
    return regime if config.use_regime_filter else NEUTRAL


def gated_pressure(signals: Signals, use_toxicity_gate: bool) -> float:
    """Return F2 = P·1{T < τ_T} (P itself with the gate off)."""
    return 0.0 if use_toxicity_gate and signals.toxic else signals.pressure


def _entry(signals: Signals, f2: float, config: ToxVolConfig) -> Entry | None:
    regime = effective_regime(signals.regime, config)
    if regime == NEUTRAL:
        if (
            config.enable_alpha_a
            and signals.compression > config.alpha_a_compression
            and abs(f2) > config.alpha_a_pressure
        ):
            return Entry(1 if f2 > 0 else -1, Alpha.A)
        return None
    # Crowded long (+1) wants F2 < -x to go short; crowded short (-1) wants F2 > x to go long.
    if config.enable_alpha_b and regime * f2 < -config.alpha_b_pressure:
        return Entry(-regime, Alpha.B)
    return None


def entry_signal(signals: Signals, config: ToxVolConfig) -> Entry | None:
    """
    Return the entry the features call for, or ``None``.

    Alpha A (neutral regime): ``F1 > alpha_a_compression`` and ``|F2| > alpha_a_pressure``,
    in the direction of F2. Alpha B (crowded regime): fade the crowd when F2 confirms, crowded
    long and ``F2 < -alpha_b_pressure`` → short, crowded short and ``F2 > alpha_b_pressure`` →
    long. A comparison with NaN is false, so features not yet known never trigger.

    Parameters
    ----------
    signals : Signals
        The decision's features.
    config : ToxVolConfig
        Thresholds and ablation switches.

    Returns
    -------
    Entry | None

    """
    return _entry(signals, gated_pressure(signals, config.use_toxicity_gate), config)


def blocked_by_toxicity(signals: Signals, config: ToxVolConfig) -> bool:
    """Return whether an entry fires on the ungated pressure but the toxicity gate stops it."""
    return (
        config.use_toxicity_gate
        and signals.toxic
        and _entry(signals, signals.pressure, config) is not None
    )


def stop_distance(price: float, sigma: float, config: ToxVolConfig) -> float:
    """
    Return the volatility-scaled stop distance ``k_stop·σ̂·√H_stop·P`` (price units).

    Parameters
    ----------
    price : float
        The reference price P.
    sigma : float
        σ̂, the per-minute volatility of log returns.
    config : ToxVolConfig
        ``stop_multiple`` (k_stop) and ``stop_horizon_minutes`` (H_stop).

    Returns
    -------
    float

    """
    return config.stop_multiple * sigma * math.sqrt(config.stop_horizon_minutes) * price


def open_trade(
    entry: Entry,
    entry_price: float,
    distance: float,
    opened_ns: int,
    regime: int,
    config: ToxVolConfig,
) -> OpenTrade:
    """
    Return the trade an entry becomes once filled, with its stop and take-profit distances.

    Parameters
    ----------
    entry : Entry
        The entry decision.
    entry_price : float
        The average fill price.
    distance : float
        The stop distance decided with the entry (``stop_distance``).
    opened_ns : int
        When the position opened.
    regime : int
        The regime at the entry decision (before ``effective_regime``).
    config : ToxVolConfig
        ``take_profit_multiple`` and the regime filter switch.

    Returns
    -------
    OpenTrade

    """
    return OpenTrade(
        side=entry.side,
        alpha=entry.alpha,
        entry_price=entry_price,
        stop_distance=distance,
        take_profit_distance=config.take_profit_multiple * distance,
        opened_ns=opened_ns,
        regime=effective_regime(regime, config),
    )


def exit_reason(
    trade: OpenTrade, bid: float, ask: float, now_ns: int, regime: int, config: ToxVolConfig
) -> ExitReason | None:
    """
    Return why the trade must close now, or ``None`` to keep it.

    A long is stopped when the bid reaches the stop and takes profit when the bid reaches the
    target (a short: the ask), since that is the price an exit by market gets. The time stop
    closes it ``max_hold_minutes`` after it opened; a regime different from the one it was
    opened in flattens it (regime filter on only). Checked in that order.

    Parameters
    ----------
    trade : OpenTrade
        The open trade.
    bid, ask : float
        The current best bid and ask.
    now_ns : int
        The current time.
    regime : int
        The current regime.
    config : ToxVolConfig
        ``max_hold_minutes`` and the regime filter switch.

    Returns
    -------
    ExitReason | None

    """
    exit_price = bid if trade.side > 0 else ask
    if trade.side * (exit_price - trade.stop_price) <= 0.0:
        return ExitReason.STOP
    if trade.side * (exit_price - trade.take_profit_price) >= 0.0:
        return ExitReason.TAKE_PROFIT
    if now_ns - trade.opened_ns >= config.max_hold_minutes * MINUTE_NS:
        return ExitReason.TIME
    if effective_regime(regime, config) != trade.regime:
        return ExitReason.REGIME_FLIP
    return None


def entry_blocker(
    now_ns: int, last_quote_ns: int | None, ready: bool, gap_open: bool, config: ToxVolConfig
) -> Blocker | None:
    """
    Return what blocks new risk now, or ``None``.

    Parameters
    ----------
    now_ns : int
        The current time.
    last_quote_ns : int | None
        When the last quote arrived (``None``: none yet).
    ready : bool
        Whether every indicator the decision needs is initialized.
    gap_open : bool
        Whether a kline gap is open.
    config : ToxVolConfig
        ``max_quote_age_secs``.

    Returns
    -------
    Blocker | None

    """
    if not ready:
        return Blocker.NOT_INITIALIZED
    if last_quote_ns is None or now_ns - last_quote_ns > config.max_quote_age_secs * 1e9:
        return Blocker.STALE_QUOTE
    if gap_open:
        return Blocker.KLINE_GAP
    return None


def decide(
    trade: OpenTrade | None,
    signals: Signals,
    bid: float,
    ask: float,
    now_ns: int,
    blocker: Blocker | None,
    config: ToxVolConfig,
) -> Action:
    """
    Return the action of one decision.

    With a trade open, the only possible action is to close it (``exit_reason``): a regime flip
    or an opposite signal flattens, it never reverses; the next decision may enter afresh. When
    flat, enter on ``entry_signal`` unless a guard blocks new risk.

    Parameters
    ----------
    trade : OpenTrade | None
        The open trade, if any.
    signals : Signals
        The decision's features.
    bid, ask : float
        The current best bid and ask.
    now_ns : int
        The decision time.
    blocker : Blocker | None
        What blocks new risk (``entry_blocker``).
    config : ToxVolConfig
        The configuration.

    Returns
    -------
    Action

    """
    if trade is not None:
        return Action(close=exit_reason(trade, bid, ask, now_ns, signals.regime, config))
    if blocker is not None:
        return Action()
    return Action(
        enter=entry_signal(signals, config), gate_blocked=blocked_by_toxicity(signals, config)
    )
