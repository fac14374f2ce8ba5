"""Trade table and PnL attribution, checked against hand-worked trades and the tagging convention."""

import math

import pandas as pd
import pytest

from backtest.attribution import TRADE_COLUMNS
from backtest.attribution import attribution_block
from backtest.attribution import breakdown
from backtest.attribution import trade_table
from backtest.summary import attribution_text
from data_types.trade_tags import entry_tags
from data_types.trade_tags import exit_tags
from data_types.trade_tags import read_tags

S = 1_000_000_000
INSTRUMENT = "BTCUSDT-PERP.BINANCE"


def _fills(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["ts", "side", "qty", "price", "commission", "tags"])
    return frame.assign(
        instrument_id=INSTRUMENT, notional=frame["qty"] * frame["price"]
    )  # multiplier 1


def _funding(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["ts", "signed_qty", "payment"])
    return frame.assign(instrument_id=INSTRUMENT)


def test_tags_round_trip_through_a_fills_cell():
    cell = ",".join(entry_tags("B", -1) + ["free text"])
    assert read_tags(cell) == {"alpha": "B", "regime": "crowded_short"}
    assert read_tags(exit_tags("take_profit")) == {"exit": "take_profit"}
    assert read_tags(None) == {} and read_tags("") == {}


def test_a_partial_exit_a_reversal_and_funding_split_as_worked_by_hand():
    tagged = ",".join(entry_tags("A", 0))
    fills = _fills(
        [
            (1 * S, "BUY", 1.0, 100.0, 0.10, tagged),
            (2 * S, "BUY", 1.0, 110.0, 0.10, ""),
            # sells 3: closes the long 2 (average 105) and opens a short 1 at 120
            (3 * S, "SELL", 3.0, 120.0, 0.30, ",".join(exit_tags("stop"))),
            (5 * S, "BUY", 1.0, 115.0, 0.10, ",".join(exit_tags("time"))),
            (7 * S, "BUY", 0.5, 118.0, 0.05, ",".join(entry_tags("B", 1))),
        ]
    )
    funding = _funding([(2 * S, 2.0, -1.5), (4 * S, -1.0, 0.7), (6 * S, 0.0, 0.0)])
    trades = trade_table(fills, funding)
    assert list(trades.columns) == TRADE_COLUMNS
    first, second, third = trades.to_dict("records")
    # long 2 at an average 105, out at 120: 2 x 15 = 30; fees 0.1 + 0.1 + 2/3 of 0.3
    assert first["side"] == "long" and first["qty"] == 2.0
    assert first["gross_pnl"] == pytest.approx(30.0)
    assert first["fees"] == pytest.approx(0.4)
    assert first["funding"] == pytest.approx(-1.5)
    assert first["net_pnl"] == pytest.approx(30.0 - 0.4 - 1.5)
    assert (first["alpha"], first["regime"], first["exit_reason"]) == ("A", "neutral", "stop")
    assert first["entry_price"] == pytest.approx(105.0) and first["exit_price"] == 120.0
    assert first["holding_secs"] == pytest.approx(2.0)
    # short 1 from 120 to 115: +5; fees 1/3 of 0.3 + 0.1; opened by an untagged share of a fill
    assert second["side"] == "short" and second["gross_pnl"] == pytest.approx(5.0)
    assert second["fees"] == pytest.approx(0.2)
    assert second["funding"] == pytest.approx(0.7)
    assert (second["alpha"], second["exit_reason"]) == ("untagged", "time")
    assert (second["entry_ts"], second["exit_ts"]) == (3 * S, 5 * S)
    # still open at the end: no exit, nothing realized
    assert third["is_open"] and third["exit_reason"] == "open" and third["exit_ts"] == -1
    assert third["gross_pnl"] == 0.0 and math.isnan(third["holding_secs"])
    assert (third["alpha"], third["regime"]) == ("B", "crowded_long")


def test_breakdown_and_block_sum_to_the_trades():
    fills = _fills(
        [
            (1 * S, "BUY", 1.0, 100.0, 0.1, ",".join(entry_tags("A", 0))),
            (2 * S, "SELL", 1.0, 104.0, 0.1, ",".join(exit_tags("take_profit"))),
            (3 * S, "SELL", 2.0, 100.0, 0.2, ",".join(entry_tags("B", 1))),
            (4 * S, "BUY", 2.0, 101.0, 0.2, ",".join(exit_tags("stop"))),
            (5 * S, "BUY", 1.0, 100.0, 0.1, ",".join(entry_tags("A", 0))),
            (6 * S, "SELL", 1.0, 99.0, 0.1, ",".join(exit_tags("stop"))),
        ]
    )
    trades = trade_table(fills, _funding([]))
    by_alpha = breakdown(trades, "alpha").set_index("alpha")
    # A: +4 - 0.2 and -1 - 0.2; B: -2 - 0.4
    assert by_alpha.loc["A", "net_pnl"] == pytest.approx(2.6)
    assert by_alpha.loc["A", "trades"] == 2 and by_alpha.loc["A", "win_rate"] == 0.5
    assert by_alpha.loc["B", "net_pnl"] == pytest.approx(-2.4)
    block = attribution_block(trades)
    assert block["gross_pnl"] == pytest.approx(4 - 2 - 1)
    assert block["fees"] == pytest.approx(0.8)
    assert block["by_exit"]["stop"] == {"trades": 2, "net_pnl": pytest.approx(-3.6)}
    assert block["by_regime"]["neutral"]["trades"] == 2
    assert block["net_pnl"] == pytest.approx(sum(v["net_pnl"] for v in block["by_alpha"].values()))


def test_no_fills_give_an_empty_table_and_zero_totals():
    trades = trade_table(_fills([]), _funding([]))
    assert trades.empty and list(trades.columns) == TRADE_COLUMNS
    assert attribution_block(trades)["net_pnl"] == 0.0


def test_the_run_summary_prints_the_split_and_each_group():
    # Arrange
    fills = _fills(
        [
            (1 * S, "BUY", 1.0, 100.0, 0.1, ",".join(entry_tags("A", 0))),
            (2 * S, "SELL", 1.0, 104.0, 0.1, ",".join(exit_tags("stop"))),
        ]
    )

    # Act
    text = attribution_text(attribution_block(trade_table(fills, _funding([]))))

    # Assert
    assert text.splitlines() == [
        "PnL: gross +4.00, fees -0.20, funding +0.00, net +3.80",
        "  net by alpha: A +3.80 (1)",
        "  net by regime: neutral +3.80 (1)",
        "  net by exit: stop +3.80 (1)",
    ]
    assert attribution_text(attribution_block(trade_table(_fills([]), _funding([])))) == ""
