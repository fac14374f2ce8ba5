"""Custom data (FundingRate, FuturesMetrics) reaches strategies in a streaming run, in time order."""

from pathlib import Path

import pytest

from tests.backtest.conftest import observe_market
from tests.backtest.fixtures import HOUR
from tests.backtest.fixtures import MINUTE
from tests.backtest.fixtures import SECOND
from tests.backtest.fixtures import T0
from tests.backtest.fixtures import Market
from tests.backtest.fixtures import funding
from tests.backtest.fixtures import metrics
from tests.backtest.fixtures import quote

FIRST_MARKET_EVENT = T0 + 2 * HOUR


@pytest.fixture(scope="module")
def gap_run(tmp_path_factory):
    """
    Run over a market whose first quote comes two hours after the start, with custom rows before
    the start, inside that gap, and among the quotes (and a chunk size far below the row count).
    """
    root = tmp_path_factory.mktemp("gap")
    market = Market(
        quotes=[
            quote(FIRST_MARKET_EVENT + i * SECOND, 42_000.0, 42_000.1) for i in range(3 * 3600)
        ],
        funding=[
            funding(T0 - 9 * HOUR, 0.0004),  # superseded before the start
            funding(T0 - HOUR, 0.0001),  # the latest known at the start
            funding(T0 + 20 * MINUTE, 0.0002),
            funding(T0 + 4 * HOUR, 0.0003),
        ],
        metrics=[metrics(T0 - 5 * MINUTE, 1.0)]
        + [metrics(T0 + k * 5 * MINUTE, 2.0 + k) for k in range(1, 60)],
    )
    outcome, records = observe_market(
        # The market starts after the period does, deliberately: gaps allowed.
        root, market, "2024-01-01T05:00:00Z", families=["quotes", "funding", "metrics"], period={"allow_gaps": True}
    )
    return market, outcome, records


def test_every_custom_row_is_delivered_once_in_time_order(gap_run):
    # Arrange
    market, _, records = gap_run
    start, end = T0, T0 + 5 * HOUR
    expected_funding = [r.ts_init for r in market.funding if start < r.ts_init < end]
    expected_metrics = [r.ts_init for r in market.metrics if start < r.ts_init < end]

    # Act
    seen_funding = [
        r["ts_init"] for r in records if r["kind"] == "funding" and r["ts_init"] > start
    ]
    seen_metrics = [
        r["ts_init"] for r in records if r["kind"] == "metrics" and r["ts_init"] > start
    ]

    # Assert
    assert seen_funding == expected_funding
    assert seen_metrics == expected_metrics


def test_rows_inside_the_gap_before_the_first_market_event_arrive_before_it(gap_run):
    # Arrange
    _, _, records = gap_run

    # Act
    first_quote = next(i for i, r in enumerate(records) if r["kind"] == "quote")
    before = records[:first_quote]

    # Assert
    assert [r["ts_init"] for r in before if r["kind"] == "funding"] == [T0 - HOUR, T0 + 20 * MINUTE]
    assert [r["ts_init"] for r in before if r["kind"] == "metrics"][1:] == [
        T0 + k * 5 * MINUTE for k in range(1, 24)
    ]


def test_latest_rows_at_or_before_the_start_are_delivered_at_the_start(gap_run):
    # Arrange
    _, _, records = gap_run

    # Act
    at_start = [r for r in records if r["ts_init"] <= T0]

    # Assert
    assert {(r["kind"], r["ts_init"]) for r in at_start} == {
        ("funding", T0 - HOUR),
        ("metrics", T0 - 5 * MINUTE),
    }
    assert all(r["clock"] == T0 for r in at_start)
    assert next(r for r in at_start if r["kind"] == "funding")["rate"] == pytest.approx(0.0001)


def test_custom_rows_arrive_when_the_clock_reaches_them_interleaved_with_quotes(gap_run):
    # Arrange
    _, _, records = gap_run

    # Act
    clocks = [r["clock"] for r in records]
    late_custom = [r for r in records if r["kind"] in ("funding", "metrics") and r["ts_init"] > T0]

    # Assert
    assert clocks == sorted(clocks)
    assert all(r["clock"] == r["ts_init"] for r in late_custom)
    assert any(r["clock"] > FIRST_MARKET_EVENT for r in late_custom)


def test_a_run_without_custom_families_delivers_no_custom_rows(tmp_path: Path):
    # Arrange
    market = Market(
        quotes=[quote(T0 + i * SECOND, 42_000.0, 42_000.1) for i in range(60)],
        funding=[funding(T0 + 30 * SECOND, 0.0001)],
    )

    # Act
    outcome, records = observe_market(
        tmp_path,
        market,
        "2024-01-01T00:01:00Z",
        families=["quotes"],
        venue={"charge_funding": False},
    )

    # Assert
    assert {r["kind"] for r in records} == {"quote"}
    assert outcome.funding.empty
