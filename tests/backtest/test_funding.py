"""
Funding is charged: payment = -signed_qty x mark x rate at each calc_time, exactly once, with the
mark of the latest quote at or before calc_time; it changes the balance by exactly that amount.
"""

from decimal import ROUND_HALF_EVEN
from decimal import Decimal
from pathlib import Path

import pytest
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import BarType
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity
from nautilus_trader.persistence.catalog.parquet import ParquetDataCatalog

from backtest.funding import mark_klines_at
from tests.backtest.conftest import make_config
from tests.backtest.conftest import observe
from tests.backtest.conftest import observe_market
from tests.backtest.fixtures import FUNDING_OFFSET
from tests.backtest.fixtures import HOUR
from tests.backtest.fixtures import INSTRUMENT_ID
from tests.backtest.fixtures import MINUTE
from tests.backtest.fixtures import SECOND
from tests.backtest.fixtures import T0
from tests.backtest.fixtures import Market
from tests.backtest.fixtures import funding
from tests.backtest.fixtures import quote
from tests.backtest.fixtures import write_market

CENT = Decimal("0.00000001")  # USDT precision in Nautilus
F0, F1, F2, F3 = (T0 + h * HOUR + FUNDING_OFFSET for h in (0, 8, 16, 24))
BUY_AT, SELL_AT = T0 + MINUTE, T0 + 12 * HOUR


def scripted_market() -> Market:
    """
    Quotes chosen so each settlement's mark is known by hand.

    - F0 (rate +0.0001): flat.
    - F1 (rate +0.0001): long 0.5; last quote 10 s before F1 (mid 43000.2), next 30 s after it
      (mid 44000.1): no market event at F1, the mark is the earlier quote's.
    - F2 (rate -0.0002): short 1.0; a quote stamped exactly at F2 (mid 41000.1) counts.
    - F3 (rate +0.0003): short 1.0; last quote an hour before (mid 40000.05).
    """
    quotes = [
        quote(BUY_AT, 42_000.0, 42_000.2),
        quote(BUY_AT + SECOND, 42_000.0, 42_000.2),
        quote(F1 - 10 * SECOND, 43_000.0, 43_000.4),
        quote(F1 + 30 * SECOND, 44_000.0, 44_000.2),
        quote(SELL_AT, 42_500.0, 42_500.2),
        quote(SELL_AT + SECOND, 42_500.0, 42_500.2),
        quote(F2, 41_000.0, 41_000.2),
        quote(F2 + 5 * SECOND, 39_000.0, 39_000.2),
        quote(F3 - HOUR, 40_000.0, 40_000.1),
        quote(F3 + HOUR, 45_000.0, 45_000.2),
    ]
    rates = [funding(F0, 0.0001), funding(F1, 0.0001), funding(F2, -0.0002), funding(F3, 0.0003)]
    return Market(quotes=sorted(quotes, key=lambda q: q.ts_init), funding=rates)


def dec(value: float) -> Decimal:
    """Return a float read from a table as the decimal it prints as."""
    return Decimal(repr(float(value)))


def expected_payment(signed_qty: str, mark: str, rate: str) -> Decimal:
    """Return ``-signed_qty x mark x rate`` rounded to the USDT precision."""
    return (-Decimal(signed_qty) * Decimal(mark) * Decimal(rate)).quantize(
        CENT, rounding=ROUND_HALF_EVEN
    )


EXPECTED = [
    (F0, "0", None, Decimal(0)),
    (F1, "0.5", "43000.2", expected_payment("0.5", "43000.2", "0.0001")),
    (F2, "-1.0", "41000.1", expected_payment("-1.0", "41000.1", "-0.0002")),
    (F3, "-1.0", "40000.05", expected_payment("-1.0", "40000.05", "0.0003")),
]


def run_script(root: Path, **params):
    return observe_market(
        root,
        scripted_market(),
        "2024-01-02T02:00:00Z",
        families=["quotes", "funding"],
        orders=[[BUY_AT, "BUY", "0.500"], [SELL_AT, "SELL", "1.500"]],
        **params,
    )


@pytest.fixture(scope="module")
def scripted(tmp_path_factory):
    """Run the scripted long-then-short position through four settlements."""
    return run_script(tmp_path_factory.mktemp("funding"))


def test_each_settlement_charges_minus_qty_times_mark_times_rate(scripted):
    # Arrange
    outcome, _ = scripted
    ledger = outcome.funding

    # Act
    rows = list(
        zip(ledger["ts"], ledger["signed_qty"], ledger["mark"], ledger["payment"], strict=True)
    )

    # Assert
    assert [r[0] for r in rows] == [e[0] for e in EXPECTED]
    for (_, qty, mark, payment), (_, exp_qty, exp_mark, exp_payment) in zip(
        rows, EXPECTED, strict=True
    ):
        assert qty == float(exp_qty)
        assert (mark == pytest.approx(float(exp_mark), abs=1e-9)) if exp_mark else True
        assert dec(payment).quantize(CENT) == exp_payment


def test_longs_pay_a_positive_rate_and_shorts_pay_a_negative_one(scripted):
    # Arrange
    outcome, _ = scripted

    # Act
    payments = dict(zip(outcome.funding["ts"], outcome.funding["payment"], strict=True))

    # Assert
    assert payments[F1] < 0  # long, rate > 0
    assert payments[F2] < 0  # short, rate < 0
    assert payments[F3] > 0  # short, rate > 0
    assert payments[F0] == 0  # flat


def test_the_balance_moves_by_exactly_each_payment_at_its_calc_time(scripted):
    # Arrange
    outcome, _ = scripted
    account = outcome.account.reset_index(drop=True)

    # Act
    moves = {}
    for i in account.index[account["reported"]]:
        if i > 0 and account.loc[i, "ts"] in (F1, F2, F3):
            moves[int(account.loc[i, "ts"])] = dec(account.loc[i, "total"]) - dec(
                account.loc[i - 1, "total"]
            )

    # Assert
    assert {ts: m.quantize(CENT) for ts, m in moves.items()} == {
        ts: p for ts, _, _, p in EXPECTED[1:]
    }


def test_final_balance_reconciles_fees_realized_pnl_and_funding_by_hand(scripted):
    # Arrange
    outcome, _ = scripted
    taker = Decimal("0.0005")
    buy_px, sell_px = Decimal("42000.2"), Decimal("42500.0")
    fees = Decimal("0.5") * buy_px * taker + Decimal("1.5") * sell_px * taker
    realized = Decimal("0.5") * (sell_px - buy_px)
    funding_total = sum(p for _, _, _, p in EXPECTED)

    # Act
    final = dec(outcome.stats["final_balance"])

    # Assert
    assert final - Decimal(100_000) == pytest.approx(
        realized + funding_total - fees, abs=Decimal("1e-6")
    )
    assert outcome.stats["funding_net"] == pytest.approx(float(funding_total), abs=1e-9)
    assert outcome.stats["funding_settlements"] == 4


def test_strategies_see_a_funding_row_only_after_it_was_settled(scripted):
    # Arrange
    outcome, records = scripted

    # Act
    seen = {r["ts_init"]: r for r in records if r["kind"] == "funding"}
    ledger_balance = dict(zip(outcome.funding["ts"], outcome.funding["balance_after"], strict=True))

    # Assert
    for ts in (F1, F2, F3):
        assert seen[ts]["clock"] == ts
        assert seen[ts]["balance"] == pytest.approx(ledger_balance[ts], abs=1e-9)


def test_closing_in_reaction_to_the_funding_row_does_not_dodge_the_settlement(tmp_path: Path):
    # Arrange, Act
    outcome, records = run_script(tmp_path, close_on_funding=True)

    # Assert
    f1 = outcome.funding[outcome.funding["ts"] == F1].iloc[0]
    assert f1["signed_qty"] == 0.5
    assert dec(f1["payment"]).quantize(CENT) == EXPECTED[1][3]
    close = outcome.fills[outcome.fills["ts"] >= F1].iloc[0]
    assert close["side"] == "SELL" and close["qty"] == 0.5


def test_no_funding_is_charged_when_charging_is_off(tmp_path: Path):
    # Arrange, Act
    outcome, records = observe_market(
        tmp_path,
        scripted_market(),
        "2024-01-01T12:00:00Z",
        families=["quotes", "funding"],
        venue={"charge_funding": False},
        orders=[[BUY_AT, "BUY", "0.500"]],
    )

    # Assert
    assert outcome.funding.empty
    assert outcome.account["reported"].iloc[1:].sum() == 0  # only the opening state is reported
    assert outcome.stats["final_balance"] == pytest.approx(
        100_000 - 0.5 * 42_000.2 * 0.0005, abs=1e-9
    )
    assert [r["ts_init"] for r in records if r["kind"] == "funding"] == [F0, F1]


def test_each_instrument_settles_at_its_own_rate_and_mark(tmp_path: Path):
    # Arrange: long 0.5 BTCUSDT, short 2.0 ETHUSDT, both settling at F1 with different rates,
    # after the last market event (the settlement still happens at its time)
    eth = InstrumentId.from_str("ETHUSDT-PERP.BINANCE")
    market = Market(
        quotes=sorted(
            [
                quote(BUY_AT, 42_000.0, 42_000.2),
                quote(BUY_AT + SECOND, 42_000.0, 42_000.2),
                quote(F1 - SECOND, 43_000.0, 43_000.2),
                quote(BUY_AT, 2_200.0, 2_200.2, instrument_id=eth),
                quote(BUY_AT + SECOND, 2_200.0, 2_200.2, instrument_id=eth),
                quote(F1 - 2 * SECOND, 2_300.0, 2_300.4, instrument_id=eth),
            ],
            key=lambda q: q.ts_init,
        ),
        funding=[funding(F1, 0.0001), funding(F1, -0.0003, instrument_id=eth)],
    )
    write_market(tmp_path / "catalog", market, instrument_ids=(INSTRUMENT_ID, eth))
    config = make_config(
        tmp_path / "catalog",
        tmp_path / "results",
        "2024-01-01T09:00:00Z",
        params={
            "record_path": str(tmp_path / "records.jsonl"),
            "orders": [[BUY_AT, "BUY", "0.500"], [BUY_AT, "SELL", "2.000", str(eth)]],
        },
        families=["quotes", "funding"],
        data={"instruments": [str(INSTRUMENT_ID), str(eth)]},
        period={"allow_gaps": True},  # the quotes stop an hour before the period ends
    )

    # Act
    outcome, records = observe(config)

    # Assert
    at_f1 = outcome.funding[outcome.funding["ts"] == F1]
    assert at_f1["instrument_id"].tolist() == [str(INSTRUMENT_ID), str(eth)]
    assert [dec(p) for p in at_f1["payment"]] == [
        expected_payment("0.5", "43000.1", "0.0001"),
        expected_payment("-2.0", "2300.2", "-0.0003"),
    ]
    seen = [(r["ts_init"], r["instrument"]) for r in records if r["kind"] == "funding"]
    assert seen[-2:] == [(F1, str(INSTRUMENT_ID)), (F1, str(eth))]


# --- settlement at the exchange's mark price (markPriceKlines) ----------------------------------

MARK_BAR_TYPE = BarType.from_str("BTCUSDT-PERP.BINANCE-1-MINUTE-MARK-EXTERNAL")


def mark_kline(open_ns: int, close: str) -> Bar:
    """A 1-minute mark kline stamped as the ETL stamps klines: open + 60 s - 1 ns."""
    price = Price.from_str(close)
    return Bar(MARK_BAR_TYPE, price, price, price, price, Quantity.from_int(0), open_ns + MINUTE - 1, open_ns + MINUTE - 1)


def scripted_mark_klines() -> list[Bar]:
    """
    Mark klines around the scripted settlements (F = the hour + 4 ms).

    - F1: klines opening 07:58 and 07:59 (closed by 08:00:00.000 <= F1) and 08:00 (closes after
      F1: never used): the mark is the 07:59 close, 42950.12345678, not the book's 43000.2.
    - F2: the last kline closed two hours before: stale, so the book mid 41000.1 is used.
    - F3: kline opening 23:59 of day 1: 40100.5.
    """
    f1_hour, f2_hour, f3_hour = (f - FUNDING_OFFSET for f in (F1, F2, F3))
    return [
        mark_kline(f1_hour - 2 * MINUTE, "42900.00000000"),
        mark_kline(f1_hour - MINUTE, "42950.12345678"),
        mark_kline(f1_hour, "43999.00000000"),
        mark_kline(f2_hour - 2 * HOUR - MINUTE, "41500.00000000"),
        mark_kline(f3_hour - MINUTE, "40100.50000000"),
    ]


def test_mark_klines_give_the_close_of_the_last_kline_closed_by_each_calc_time(tmp_path: Path):
    # Arrange
    catalog = write_market(tmp_path / "catalog", scripted_market())
    catalog.write_data(scripted_mark_klines())

    # Act
    marks = mark_klines_at(catalog, scripted_market().funding, max_age_ns=HOUR)

    # Assert: F0 has no kline before it, F2's is stale
    assert marks == {
        (INSTRUMENT_ID, F1): Decimal("42950.12345678"),
        (INSTRUMENT_ID, F3): Decimal("40100.50000000"),
    }


def test_settlements_use_the_mark_kline_when_there_is_one_and_the_book_mid_otherwise(tmp_path: Path):
    # Arrange
    root = tmp_path
    (root / "catalog").mkdir()
    ParquetDataCatalog(str(root / "catalog")).write_data(scripted_mark_klines())

    # Act
    outcome, _ = run_script(root)

    # Assert
    ledger = outcome.funding.set_index("ts")
    assert dec(ledger.loc[F1, "mark"]) == Decimal("42950.12345678")
    assert dec(ledger.loc[F2, "mark"]) == Decimal("41000.1")
    assert dec(ledger.loc[F3, "mark"]) == Decimal("40100.5")
    assert dec(ledger.loc[F1, "payment"]).quantize(CENT) == expected_payment("0.5", "42950.12345678", "0.0001")
    assert dec(ledger.loc[F3, "payment"]).quantize(CENT) == expected_payment("-1.0", "40100.5", "0.0003")
    if "mark_source" in ledger.columns:  # the ledger column the recorder writes
        assert ledger["mark_source"].tolist() == ["", "mark_kline", "quote_mid", "mark_kline"]
