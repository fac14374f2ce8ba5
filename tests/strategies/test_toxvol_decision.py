"""Scenario tests of the ToxicityConditionedVolatility decision logic with controlled inputs."""

import math

import pytest

from strategies.toxvol.decision import Action
from strategies.toxvol.decision import Alpha
from strategies.toxvol.decision import Blocker
from strategies.toxvol.decision import Entry
from strategies.toxvol.decision import ExitReason
from strategies.toxvol.decision import OpenTrade
from strategies.toxvol.decision import Signals
from strategies.toxvol.decision import decide
from strategies.toxvol.decision import entry_blocker
from strategies.toxvol.decision import exit_reason
from strategies.toxvol.decision import gated_pressure
from strategies.toxvol.decision import open_trade
from strategies.toxvol.decision import stop_distance
from strategies.toxvol.schedule import DecisionSchedule
from tests.strategies.conftest import toxvol_config

SECOND = 1_000_000_000
MINUTE = 60 * SECOND
NOW = 1_704_067_200 * SECOND  # 2024-01-01 00:00 UTC
CROWDED_LONG, NEUTRAL, CROWDED_SHORT = 1, 0, -1
CONFIG = toxvol_config(
    alpha_a_compression=0.5,
    alpha_a_pressure=1.5,
    alpha_b_pressure=1.0,
    stop_multiple=2.0,
    stop_horizon_minutes=16,
    take_profit_multiple=1.5,
    max_hold_minutes=30,
    max_quote_age_secs=5.0,
)


def signals(
    compression: float = 2.0,
    pressure: float = 2.5,
    toxicity: float = -1.0,
    threshold: float = 0.5,
    regime: int = NEUTRAL,
) -> Signals:
    """Return a decision's features: by default compressed, strong buy pressure, calm, neutral."""
    return Signals(compression, pressure, toxicity, threshold, regime)


def flat_decision(s: Signals, config=CONFIG) -> Action:
    """Return the action of a decision taken flat, with no guard blocking."""
    return decide(None, s, 42_000.0, 42_000.1, NOW, None, config)


def long_trade(regime: int = NEUTRAL, alpha: Alpha = Alpha.A) -> OpenTrade:
    """Return a long opened at 42,000 with a 100-dollar stop (take-profit 150 above)."""
    return open_trade(Entry(1, alpha), 42_000.0, 100.0, NOW, regime, CONFIG)


# -- entries ---------------------------------------------------------------------------------


def test_compression_and_positive_pressure_in_a_neutral_regime_go_long():
    # Arrange
    s = signals(compression=1.2, pressure=2.0, regime=NEUTRAL)

    # Act
    action = flat_decision(s)

    # Assert
    assert action == Action(enter=Entry(1, Alpha.A))


def test_compression_and_negative_pressure_in_a_neutral_regime_go_short():
    # Arrange
    s = signals(compression=1.2, pressure=-2.0, regime=NEUTRAL)

    # Act
    action = flat_decision(s)

    # Assert
    assert action.enter == Entry(-1, Alpha.A)


def test_toxicity_above_tau_blocks_the_same_entry_and_is_counted_as_gate_blocked():
    # Arrange: T = 1.1 above τ_T = 0.5
    s = signals(compression=1.2, pressure=2.0, toxicity=1.1, threshold=0.5, regime=NEUTRAL)

    # Act
    action = flat_decision(s)

    # Assert
    assert gated_pressure(s, use_toxicity_gate=True) == 0.0
    assert action.enter is None
    assert action.gate_blocked


def test_without_the_toxicity_gate_the_toxic_entry_goes_through():
    # Arrange
    s = signals(compression=1.2, pressure=2.0, toxicity=1.1, threshold=0.5)

    # Act
    action = flat_decision(s, toxvol_config(use_toxicity_gate=False))

    # Assert
    assert action == Action(enter=Entry(1, Alpha.A))


@pytest.mark.parametrize(
    ("compression", "pressure"),
    [(0.4, 2.5), (2.0, 1.4), (2.0, -1.4), (math.nan, 2.5), (2.0, math.nan)],
    ids=["no-compression", "weak-buying", "weak-selling", "f1-unknown", "pressure-unknown"],
)
def test_alpha_a_needs_both_compression_and_strong_pressure(compression, pressure):
    # Arrange
    s = signals(compression=compression, pressure=pressure)

    # Act
    action = flat_decision(s)

    # Assert
    assert action.enter is None


def test_crowded_long_and_negative_pressure_go_short():
    # Arrange: no compression needed for Alpha B
    s = signals(compression=-2.0, pressure=-1.5, regime=CROWDED_LONG)

    # Act
    action = flat_decision(s)

    # Assert
    assert action.enter == Entry(-1, Alpha.B)


def test_crowded_long_and_positive_pressure_do_nothing():
    # Arrange: even with compression and strong buying (Alpha A's setup), the crowd is not chased
    s = signals(compression=2.0, pressure=2.5, regime=CROWDED_LONG)

    # Act
    action = flat_decision(s)

    # Assert
    assert action == Action()


def test_crowded_short_and_positive_pressure_go_long():
    # Arrange
    s = signals(pressure=1.5, regime=CROWDED_SHORT)

    # Act
    action = flat_decision(s)

    # Assert
    assert action.enter == Entry(1, Alpha.B)


def test_alpha_b_needs_the_flow_beyond_its_threshold_and_past_the_toxicity_gate():
    # Arrange
    weak = signals(pressure=-0.9, regime=CROWDED_LONG)
    toxic = signals(pressure=-3.0, toxicity=2.0, threshold=1.0, regime=CROWDED_LONG)

    # Act
    actions = [flat_decision(weak), flat_decision(toxic)]

    # Assert
    assert [a.enter for a in actions] == [None, None]
    assert [a.gate_blocked for a in actions] == [False, True]


def test_each_alpha_can_be_switched_off():
    # Arrange
    neutral = signals(regime=NEUTRAL)
    crowded = signals(pressure=-2.0, regime=CROWDED_LONG)

    # Act
    no_a = flat_decision(neutral, toxvol_config(enable_alpha_a=False))
    no_b = flat_decision(crowded, toxvol_config(enable_alpha_b=False))

    # Assert
    assert no_a.enter is None
    assert no_b.enter is None


def test_without_the_regime_filter_every_regime_is_neutral_so_only_alpha_a_trades():
    # Arrange
    config = toxvol_config(use_regime_filter=False)
    crowded_with_buying = signals(compression=2.0, pressure=2.5, regime=CROWDED_LONG)
    crowded_with_selling = signals(compression=-1.0, pressure=-2.0, regime=CROWDED_LONG)

    # Act
    actions = [flat_decision(s, config) for s in (crowded_with_buying, crowded_with_selling)]

    # Assert
    assert actions[0].enter == Entry(1, Alpha.A)
    assert actions[1].enter is None


def test_a_guard_blocks_every_entry():
    # Arrange
    s = signals()

    # Act
    actions = [
        decide(None, s, 42_000.0, 42_000.1, NOW, blocker, CONFIG)
        for blocker in (Blocker.STALE_QUOTE, Blocker.KLINE_GAP, Blocker.NOT_INITIALIZED)
    ]

    # Assert
    assert actions == [Action()] * 3


# -- exits -----------------------------------------------------------------------------------


def test_a_regime_flip_while_in_a_position_goes_flat_not_reverse():
    # Arrange: long from Alpha A in a neutral regime; the crowd turns long and the flow sells,
    # which flat would be an Alpha B short
    trade = long_trade(regime=NEUTRAL)
    s = signals(compression=-1.0, pressure=-2.5, regime=CROWDED_LONG)

    # Act
    in_position = decide(trade, s, 42_010.0, 42_010.1, NOW + MINUTE, None, CONFIG)

    # Assert
    assert in_position == Action(close=ExitReason.REGIME_FLIP)
    assert flat_decision(s).enter == Entry(-1, Alpha.B)  # only a later decision, once flat


def test_an_unchanged_regime_keeps_the_trade_and_the_filter_off_ignores_flips():
    # Arrange
    trade = long_trade(regime=NEUTRAL)
    no_filter = toxvol_config(use_regime_filter=False)
    unfiltered = open_trade(Entry(1, Alpha.A), 42_000.0, 100.0, NOW, CROWDED_SHORT, no_filter)

    # Act
    same = exit_reason(trade, 42_010.0, 42_010.1, NOW + MINUTE, NEUTRAL, CONFIG)
    flipped_unfiltered = exit_reason(unfiltered, 42_010.0, 42_010.1, NOW, CROWDED_LONG, no_filter)

    # Assert
    assert same is None
    assert flipped_unfiltered is None


def test_the_stop_distance_is_k_stop_sigma_sqrt_h_stop_price():
    # Arrange: k_stop 2, σ̂ 5 bp a minute, H_stop 16 minutes
    sigma, price = 0.0005, 40_000.0

    # Act
    distance = stop_distance(price, sigma, CONFIG)

    # Assert
    assert distance == pytest.approx(2.0 * 0.0005 * 4.0 * 40_000.0)  # 160 dollars


def first_exit(trade: OpenTrade, path: list[tuple[int, float, float]], regime: int = NEUTRAL):
    """Return the first (time, reason) at which the trade exits along a quote path."""
    for ts, bid, ask in path:
        reason = exit_reason(trade, bid, ask, ts, regime, CONFIG)
        if reason is not None:
            return ts, reason
    return None


def test_a_long_is_stopped_at_the_first_bid_at_or_below_the_stop():
    # Arrange: stop 41,900; at t=1 the bid is a tick above it, at t=2 below it
    trade = long_trade()
    path = [
        (NOW + 1 * SECOND, 41_900.1, 41_950.0),
        (NOW + 2 * SECOND, 41_899.0, 41_899.9),
        (NOW + 3 * SECOND, 41_890.0, 41_890.1),
    ]

    # Act
    exit_at = first_exit(trade, path)

    # Assert
    assert trade.stop_price == 41_900.0
    assert exit_at == (NOW + 2 * SECOND, ExitReason.STOP)


def test_a_short_takes_profit_at_the_first_ask_at_or_below_the_target():
    # Arrange: short at 42,000, stop distance 100, target 1.5 stops = 41,850
    trade = open_trade(Entry(-1, Alpha.B), 42_000.0, 100.0, NOW, CROWDED_LONG, CONFIG)
    path = [
        (NOW + 1 * SECOND, 41_900.0, 41_900.1),
        (NOW + 2 * SECOND, 41_849.0, 41_850.1),  # bid through, ask not yet
        (NOW + 3 * SECOND, 41_849.9, 41_850.0),
    ]

    # Act
    exit_at = first_exit(trade, path, regime=CROWDED_LONG)

    # Assert
    assert trade.take_profit_price == 41_850.0
    assert exit_at == (NOW + 3 * SECOND, ExitReason.TAKE_PROFIT)


def test_the_time_stop_closes_exactly_max_hold_after_the_open():
    # Arrange: a quiet market every 10 seconds; max hold 30 minutes
    trade = long_trade()
    path = [(NOW + k * 10 * SECOND, 42_000.0, 42_000.1) for k in range(1, 400)]

    # Act
    exit_at = first_exit(trade, path)

    # Assert
    assert exit_at == (NOW + 30 * MINUTE, ExitReason.TIME)


def test_the_stop_wins_when_stop_and_time_fall_due_together():
    # Arrange
    trade = long_trade()

    # Act
    reason = exit_reason(trade, 41_800.0, 41_800.1, NOW + 30 * MINUTE, NEUTRAL, CONFIG)

    # Assert
    assert reason == ExitReason.STOP


# -- guards ----------------------------------------------------------------------------------


def test_a_stale_quote_blocks_entries():
    # Arrange: the last quote 6 s old with a 5 s limit, then 4 s old
    decision = NOW + 60 * SECOND

    # Act
    stale = entry_blocker(decision, decision - 6 * SECOND, True, False, CONFIG)
    fresh = entry_blocker(decision, decision - 4 * SECOND, True, False, CONFIG)
    none_yet = entry_blocker(decision, None, True, False, CONFIG)

    # Assert
    assert (stale, fresh, none_yet) == (Blocker.STALE_QUOTE, None, Blocker.STALE_QUOTE)


def test_uninitialized_indicators_block_entries_first():
    # Arrange, Act
    blocker = entry_blocker(NOW, None, False, True, CONFIG)

    # Assert
    assert blocker == Blocker.NOT_INITIALIZED


def bar_close(minute: int) -> int:
    """Return the ETL stamp of the 1-minute bar opening ``minute`` minutes after NOW."""
    return NOW + (minute + 1) * MINUTE - 1


def test_a_kline_gap_blocks_entries_until_the_cooldown_has_passed():
    # Arrange: bars for minutes 0-9, none for 10-11, then 12-20; cooldown 3 bars
    schedule = DecisionSchedule(cadence_minutes=1, cooldown_minutes=3)
    minutes = [*range(10), *range(12, 21)]

    # Act
    open_after = {}
    for m in minutes:
        schedule.on_bar(bar_close(m))
        open_after[m] = schedule.gap_open
    blockers = {
        m: entry_blocker(bar_close(m), bar_close(m), True, open_after[m], CONFIG) for m in minutes
    }

    # Assert
    assert [m for m in minutes if open_after[m]] == [12, 13, 14]
    assert {m for m, b in blockers.items() if b == Blocker.KLINE_GAP} == {12, 13, 14}
    assert schedule.gaps == 1


def test_decisions_fall_on_the_bars_that_close_each_cadence_window():
    # Arrange: 5-minute cadence; ETL stamps (close - 1 ns) and exact close stamps alike
    schedule = DecisionSchedule(cadence_minutes=5, cooldown_minutes=0)
    stamps = [bar_close(m) for m in range(7)] + [NOW + 9 * MINUTE, NOW + 10 * MINUTE]

    # Act
    decisions = [ts for ts in stamps if schedule.on_bar(ts)]

    # Assert: the bars of minutes 4 and 9 close 00:05 and 00:10
    assert decisions == [bar_close(4), NOW + 10 * MINUTE]
    assert schedule.gap_open is False  # the gap at minute 7 closed at once: no cooldown
