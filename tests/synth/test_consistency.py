"""The generated files agree with each other exactly: klines, touch, ids, metrics, funding."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from etl.synth.generate import generate
from etl.synth.symbols import symbol_spec
from tests.synth.conftest import Market
from tests.synth.conftest import small_config


def _scaled(values: pd.Series, decimals: int) -> np.ndarray:
    """Return decimal numbers read as floats as exact integers in units of 10**-decimals."""
    return np.round(values.to_numpy(dtype=float) * 10**decimals).astype(np.int64)


def _independent_klines(trades: pd.DataFrame, price_dp: int, qty_dp: int, unit_per_minute: int) -> pd.DataFrame:
    """Aggregate aggTrades into 1m klines with pandas, in exact integer units."""
    t = pd.DataFrame(
        {
            "minute": trades["transact_time"] // unit_per_minute * unit_per_minute,
            "price": _scaled(trades["price"], price_dp),
            "qty": _scaled(trades["quantity"], qty_dp),
            "fills": trades["last_trade_id"] - trades["first_trade_id"] + 1,
            "taker_buy": ~trades["is_buyer_maker"].astype(bool),
        }
    )
    t["quote"] = t["price"] * t["qty"]
    t["buy_qty"] = t["qty"] * t["taker_buy"]
    t["buy_quote"] = t["quote"] * t["taker_buy"]
    g = t.groupby("minute")
    return pd.DataFrame(
        {
            "open": g["price"].first(),
            "high": g["price"].max(),
            "low": g["price"].min(),
            "close": g["price"].last(),
            "volume": g["qty"].sum(),
            "quote_volume": g["quote"].sum(),
            "count": g["fills"].sum(),
            "taker_buy_volume": g["buy_qty"].sum(),
            "taker_buy_quote_volume": g["buy_quote"].sum(),
        }
    )


def _assert_klines_match(klines: pd.DataFrame, expected: pd.DataFrame, price_dp: int, qty_dp: int) -> None:
    k = klines.set_index("open_time")
    traded = k.loc[expected.index]
    for col in ("open", "high", "low", "close"):
        np.testing.assert_array_equal(_scaled(traded[col], price_dp), expected[col].to_numpy(), err_msg=col)
    for col in ("volume", "taker_buy_volume"):
        np.testing.assert_array_equal(_scaled(traded[col], qty_dp), expected[col].to_numpy(), err_msg=col)
    for col in ("quote_volume", "taker_buy_quote_volume"):
        np.testing.assert_array_equal(
            _scaled(traded[col], price_dp + qty_dp), expected[col].to_numpy(), err_msg=col
        )
    np.testing.assert_array_equal(traded["count"].to_numpy(), expected["count"].to_numpy())
    # Minutes without trades are flat zero-volume bars at the previous close.
    idle = k.drop(expected.index)
    assert (idle["volume"] == 0).all() and (idle["count"] == 0).all()
    previous_close = k["close"].shift(1).loc[idle.index].dropna()
    assert (idle.loc[previous_close.index, "open"] == previous_close).all()


def test_klines_equal_independent_aggregation_of_agg_trades(market: Market) -> None:
    # Arrange
    trades = market.read("aggTrades")
    klines = market.read("klines")

    # Act
    expected = _independent_klines(trades, price_dp=2, qty_dp=3, unit_per_minute=60_000)

    # Assert
    assert len(klines) == market.config.days * 1440
    assert (klines["close_time"] == klines["open_time"] + 59_999).all()
    _assert_klines_match(klines, expected, price_dp=2, qty_dp=3)


def test_spot_klines_equal_independent_aggregation_of_spot_agg_trades(market: Market) -> None:
    # Arrange
    trades = market.read("aggTrades", market="spot")
    klines = market.read("klines", market="spot")

    # Act
    expected = _independent_klines(trades, price_dp=2, qty_dp=5, unit_per_minute=60_000)

    # Assert
    _assert_klines_match(klines, expected, price_dp=2, qty_dp=5)


def test_every_trade_prints_at_the_prevailing_touch(market: Market) -> None:
    # Arrange
    trades = market.read("aggTrades")
    quotes = market.read("bookTicker")

    # Act: prevailing = the last quote row with transaction_time <= trade time.
    row = np.searchsorted(quotes["transaction_time"].to_numpy(), trades["transact_time"].to_numpy(), "right") - 1
    touch = quotes.iloc[row]
    buyer_aggressor = ~trades["is_buyer_maker"].to_numpy()

    # Assert
    assert (row >= 0).all()
    expected = np.where(buyer_aggressor, touch["best_ask_price"], touch["best_bid_price"])
    np.testing.assert_array_equal(trades["price"].to_numpy(), expected)


def test_no_trade_exceeds_the_quantity_shown_at_its_touch(market: Market) -> None:
    # Arrange
    trades = market.read("aggTrades")
    quotes = market.read("bookTicker")

    # Act
    row = np.searchsorted(quotes["transaction_time"].to_numpy(), trades["transact_time"].to_numpy(), "right") - 1
    touch = quotes.iloc[row]
    shown = np.where(trades["is_buyer_maker"], touch["best_bid_qty"], touch["best_ask_qty"])

    # Assert
    assert (_scaled(trades["quantity"], 3) <= _scaled(pd.Series(shown), 3)).all()


def test_quotes_are_never_crossed_and_sizes_are_positive(market: Market) -> None:
    # Arrange
    quotes = market.read("bookTicker")

    # Act
    spread = quotes["best_ask_price"] - quotes["best_bid_price"]

    # Assert
    assert (spread > 0).all()
    assert (quotes["best_bid_qty"] > 0).all() and (quotes["best_ask_qty"] > 0).all()
    assert (np.diff(quotes["update_id"]) > 0).all()
    assert (np.diff(quotes["transaction_time"]) >= 0).all()
    assert (quotes["event_time"] >= quotes["transaction_time"]).all()
    assert (np.diff(quotes["event_time"]) >= 0).all()


def test_trade_ids_are_consecutive_across_days(market: Market) -> None:
    # Arrange
    for source in ("futures/um", "spot"):
        trades = market.read("aggTrades", market=source)

        # Act
        agg_step = np.diff(trades["agg_trade_id"])
        fill_step = trades["first_trade_id"].to_numpy()[1:] - trades["last_trade_id"].to_numpy()[:-1]

        # Assert
        assert (agg_step == 1).all(), source
        assert (fill_step == 1).all(), source
        assert (trades["last_trade_id"] >= trades["first_trade_id"]).all(), source
        assert (np.diff(trades["transact_time"]) >= 0).all(), source


def test_metrics_taker_ratio_is_the_previous_five_minutes_of_agg_trades(market: Market) -> None:
    # Arrange
    trades = market.read("aggTrades")
    metrics = market.read("metrics")
    create_ms = pd.to_datetime(metrics["create_time"]).astype("datetime64[ms]").astype(np.int64).to_numpy()

    # Act: window [T - 5 min, T) of each row after the first.
    window = (trades["transact_time"] // 300_000 + 1) * 300_000
    qty = trades["quantity"].to_numpy()
    buy = pd.Series(np.where(trades["is_buyer_maker"], 0.0, qty)).groupby(window.to_numpy()).sum()
    sell = pd.Series(np.where(trades["is_buyer_maker"], qty, 0.0)).groupby(window.to_numpy()).sum()
    expected = (buy / sell).reindex(create_ms[1:])

    # Assert
    assert len(metrics) == market.config.days * 288
    assert (np.diff(create_ms) == 300_000).all()
    measured = metrics["sum_taker_long_short_vol_ratio"].to_numpy()[1:]
    ok = np.isfinite(expected.to_numpy())
    assert ok.mean() > 0.99
    np.testing.assert_allclose(measured[ok], expected.to_numpy()[ok], atol=5e-7)


def test_metrics_open_interest_value_uses_the_last_close(market: Market) -> None:
    # Arrange
    metrics = market.read("metrics")
    klines = market.read("klines")

    # Act: rows after the first use the close of the minute before create_time.
    last_close = klines["close"].to_numpy()[4::5][:-1]
    expected = metrics["sum_open_interest"].to_numpy()[1:] * last_close

    # Assert
    np.testing.assert_allclose(metrics["sum_open_interest_value"].to_numpy()[1:], expected, rtol=0, atol=6e-5)


def test_funding_settles_every_eight_hours_a_few_ms_after_the_hour(market: Market) -> None:
    # Arrange
    funding = market.read("fundingRate")

    # Act
    late = funding["calc_time"] % (8 * 3_600_000)
    hour = (funding["calc_time"] - late) // 3_600_000 % 24

    # Assert
    assert len(funding) == market.config.days * 3
    assert set(hour) == {0, 8, 16}
    assert late.between(0, 10).all() and (late > 0).any()
    assert (funding["funding_interval_hours"] == 8).all()
    assert (np.diff(funding["calc_time"] - late) == 8 * 3_600_000).all()


def test_funding_is_the_interval_mean_of_the_ground_truth_premium(market: Market) -> None:
    # Arrange
    funding = market.read("fundingRate")
    truth = market.ground_truth()

    # Act: the first settlement's interval lies in the warm-up, before the ground truth starts.
    interval = (truth["open_time"] // (8 * 3_600_000) + 1) * (8 * 3_600_000)
    mean_premium = truth.groupby(interval)["premium"].mean()
    settle = funding["calc_time"] // 1000 * 1000
    expected = mean_premium.reindex(settle.to_numpy()[1:])

    # Assert
    np.testing.assert_allclose(funding["last_funding_rate"].to_numpy()[1:], expected.to_numpy(), atol=5.1e-9)


@pytest.mark.parametrize("symbol", ["ETHUSDT", "DOGEUSDT", "XRPUSDT", "ZETAUSDT"])
def test_klines_and_touch_hold_for_other_tick_and_lot_sizes(tmp_path: Path, symbol: str) -> None:
    # Arrange: coarse and fine ticks, whole-coin lots, and a symbol outside the known table.
    config = small_config(tmp_path, symbols=(symbol,), days=1, spot=False)
    spec = symbol_spec(symbol)
    generate(config)
    market = Market(config.out, config)
    trades, quotes, klines = (market.read(f, symbol) for f in ("aggTrades", "bookTicker", "klines"))

    # Act
    expected = _independent_klines(trades, spec.price_precision, spec.qty_precision, 60_000)
    row = np.searchsorted(quotes["transaction_time"].to_numpy(), trades["transact_time"].to_numpy(), "right") - 1
    touch = np.where(trades["is_buyer_maker"], quotes["best_bid_price"].to_numpy()[row], quotes["best_ask_price"].to_numpy()[row])

    # Assert
    _assert_klines_match(klines, expected, spec.price_precision, spec.qty_precision)
    np.testing.assert_array_equal(trades["price"].to_numpy(), touch)
