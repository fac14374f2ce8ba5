"""Which files a request covers: day and month ranges, archive paths, argument validation."""

import datetime as dt

import pytest

from etl.archive import FUTURES_UM
from etl.archive import SPOT
from etl.download.plan import PlanError
from etl.download.plan import daily_labels
from etl.download.plan import monthly_labels
from etl.download.plan import plan_targets

D = dt.date


def test_daily_labels_include_both_ends_and_cross_month_boundaries() -> None:
    # Arrange / Act
    labels = daily_labels(D(2024, 1, 30), D(2024, 2, 2))

    # Assert
    assert labels == ["2024-01-30", "2024-01-31", "2024-02-01", "2024-02-02"]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2024, 1, 1), D(2024, 1, 31), ["2024-01"]),
        (D(2024, 1, 15), D(2024, 1, 15), ["2024-01"]),
        (D(2024, 1, 15), D(2024, 3, 2), ["2024-01", "2024-02", "2024-03"]),
        (D(2023, 12, 31), D(2024, 1, 1), ["2023-12", "2024-01"]),
        (D(2023, 11, 30), D(2025, 1, 1), [f"{y}-{m:02d}" for y, m in [(2023, 11), (2023, 12)]]
         + [f"2024-{m:02d}" for m in range(1, 13)] + ["2025-01"]),
    ],
)  # fmt: skip
def test_monthly_labels_are_every_month_that_overlaps_the_range(
    start: dt.date, end: dt.date, expected: list[str]
) -> None:
    # Arrange / Act
    labels = monthly_labels(start, end)

    # Assert
    assert labels == expected


def test_plan_gives_one_file_per_day_for_daily_families_and_one_per_month_for_funding() -> None:
    # Arrange / Act
    targets = plan_targets(
        FUTURES_UM, ["BTCUSDT"], ["aggTrades", "fundingRate"], D(2024, 1, 1), D(2024, 1, 31)
    )

    # Assert
    paths = [str(t.path) for t in targets]
    assert len(paths) == 32
    assert paths[0] == "futures/um/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2024-01-01.zip"
    assert paths[30] == "futures/um/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2024-01-31.zip"
    assert paths[31] == "futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2024-01.zip"
    assert str(targets[31].checksum_path) == paths[31] + ".CHECKSUM"


def test_plan_puts_klines_under_their_interval_folder_for_both_markets() -> None:
    # Arrange / Act
    (futures,) = plan_targets(FUTURES_UM, ["BTCUSDT"], ["klines"], D(2024, 1, 1), D(2024, 1, 1))
    (spot,) = plan_targets(SPOT, ["BTCUSDT"], ["klines"], D(2024, 1, 1), D(2024, 1, 1))

    # Assert
    assert str(futures.path) == "futures/um/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-01.zip"
    assert str(spot.path) == "spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-01.zip"


def test_plan_upper_cases_symbols_and_drops_duplicates() -> None:
    # Arrange / Act
    targets = plan_targets(
        FUTURES_UM,
        ["btcusdt", "BTCUSDT", "ethusdt"],
        ["metrics", "metrics"],
        D(2024, 1, 1),
        D(2024, 1, 1),
    )

    # Assert
    assert [t.symbol for t in targets] == ["BTCUSDT", "ETHUSDT"]


@pytest.mark.parametrize(
    ("market", "symbols", "families", "start", "end", "message"),
    [
        (FUTURES_UM, ["BTCUSDT"], ["aggtrade"], D(2024, 1, 1), D(2024, 1, 1), "unknown family 'aggtrade' (did you mean 'aggTrades'?)"),
        (FUTURES_UM, ["BTCUSDT"], ["trades"], D(2024, 1, 1), D(2024, 1, 1), "known families: aggTrades, bookTicker"),
        (SPOT, ["BTCUSDT"], ["bookTicker"], D(2024, 1, 1), D(2024, 1, 1), "'bookTicker' is not published for market 'spot' (spot publishes: aggTrades, klines)"),
        (FUTURES_UM, ["BTCUSDT"], ["metrics"], D(2024, 2, 1), D(2024, 1, 31), "start 2024-02-01 is after end 2024-01-31"),
        (FUTURES_UM, ["BTC-USDT"], ["metrics"], D(2024, 1, 1), D(2024, 1, 1), "symbol 'BTC-USDT' is not a Binance symbol"),
        (FUTURES_UM, [], ["metrics"], D(2024, 1, 1), D(2024, 1, 1), "no symbols given"),
        ("coin/m", ["BTCUSDT"], ["metrics"], D(2024, 1, 1), D(2024, 1, 1), "unknown market 'coin/m'"),
    ],
)  # fmt: skip
def test_plan_rejects_bad_arguments_with_a_message_that_names_the_problem(
    market: str, symbols: list[str], families: list[str], start: dt.date, end: dt.date, message: str
) -> None:
    # Arrange / Act / Assert
    with pytest.raises(PlanError) as raised:
        plan_targets(market, symbols, families, start, end)
    assert message in str(raised.value)
