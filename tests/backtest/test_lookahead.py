"""No look-ahead: a decision never depends on data stamped after it, and bars arrive at their close."""

import pytest

from tests.backtest.conftest import observe_market
from tests.backtest.fixtures import BAR_TYPE
from tests.backtest.fixtures import HOUR
from tests.backtest.fixtures import MINUTE
from tests.backtest.fixtures import T0
from tests.backtest.fixtures import random_walk_market

CUT = T0 + 20 * HOUR + 7 * MINUTE + 3_000_000_000  # between bars, and before the 24:00 settlement


def run_on(root, market):
    # The cut catalog ends before the period does, deliberately: gaps allowed.
    return observe_market(
        root,
        market,
        "2024-01-02T06:00:00Z",
        period={"allow_gaps": True},
        bar_type=str(BAR_TYPE),
        bar_rule_qty="0.010",
    )


@pytest.fixture(scope="module")
def full_and_cut(tmp_path_factory):
    """Run a bar-trading strategy on a 30-hour market and on the same market cut at ``CUT``."""
    market = random_walk_market(T0, 30.0, seed=5, quote_every_ms=5_000, trade_every_ms=7_000)
    full = run_on(tmp_path_factory.mktemp("full"), market)
    cut = run_on(tmp_path_factory.mktemp("cut"), market.cut(CUT))
    return market, full, cut


def test_cutting_the_catalog_at_t_leaves_every_decision_before_t_unchanged(full_and_cut):
    # Arrange
    _, (full, full_records), (cut, cut_records) = full_and_cut

    # Act
    before_full = [r for r in full_records if r["clock"] < CUT]
    before_cut = [r for r in cut_records if r["clock"] < CUT]

    # Assert
    assert sum(r["kind"] == "order" for r in before_full) > 100
    assert before_full == before_cut  # every event seen, order decided and balance observed
    assert full.fills[full.fills["ts"] < CUT].equals(cut.fills[cut.fills["ts"] < CUT])
    assert full.funding[full.funding["ts"] < CUT].equals(cut.funding[cut.funding["ts"] < CUT])


def test_the_full_run_goes_on_after_t(full_and_cut):
    # Arrange
    _, (full, full_records), (cut, cut_records) = full_and_cut

    # Act
    after_full = [r for r in full_records if r["clock"] > CUT and r["kind"] != "order"]
    after_cut = [r for r in cut_records if r["clock"] > CUT and r["kind"] != "order"]

    # Assert
    assert after_full and not after_cut
    assert full.funding["ts"].max() > CUT >= cut.funding["ts"].max()


def test_bars_reach_the_strategy_at_their_close_time(full_and_cut):
    # Arrange
    _, (_, records), _ = full_and_cut

    # Act
    bars = [r for r in records if r["kind"] == "bar"]

    # Assert
    assert len(bars) > 1000
    assert all(b["clock"] == b["ts_init"] == b["ts_event"] for b in bars)
    assert all(b["ts_init"] % MINUTE == 0 for b in bars)


def test_no_event_stamped_after_a_bar_close_is_seen_before_the_bar(full_and_cut):
    # Arrange
    _, (_, records), _ = full_and_cut

    # Act
    latest_seen = 0
    violations = []
    for record in records:
        if record["kind"] == "bar" and latest_seen > record["ts_init"]:
            violations.append(record)
        if record["kind"] in ("quote", "trade", "bar", "metrics", "funding"):
            latest_seen = max(latest_seen, record["ts_init"])

    # Assert
    assert violations == []


def test_each_bar_holds_only_the_trades_before_its_close_and_all_of_them_were_seen(full_and_cut):
    # Arrange
    market, (_, records), _ = full_and_cut
    seen_trades: list[tuple[int, float]] = []
    mismatches = []

    # Act
    for record in records:
        if record["kind"] == "trade":
            seen_trades.append((record["ts_init"], record["price"]))
        elif record["kind"] == "bar":
            close = record["ts_init"]
            in_bar = [p for ts, p in seen_trades if close - MINUTE <= ts < close]
            if not in_bar or in_bar[-1] != pytest.approx(record["close"]):
                mismatches.append(record)
            seen_trades = [(ts, p) for ts, p in seen_trades if ts >= close]

    # Assert
    assert mismatches == []
