"""VPIN is clearly higher inside the synthetic market's injected toxic episodes than outside."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import mannwhitneyu

from indicators.flow import VPIN

SYMBOL = "BTCUSDT"
DAYS = 7
MINUTE_MS = 60_000
DAY_OF_MINUTES = 1440


def _auc(higher: np.ndarray, lower: np.ndarray) -> float:
    """Return P(a value from `higher` exceeds one from `lower`): the ROC AUC of separating them."""
    return mannwhitneyu(higher, lower).statistic / (higher.size * lower.size)


@pytest.fixture(scope="module")
def market(make_synthetic_market) -> Path:
    return make_synthetic_market(SYMBOL, DAYS, seed=3, trades_per_day=40_000, quotes_per_day=2000)


def _read(market: Path, family: str) -> pd.DataFrame:
    folder = market / "futures" / "um" / "daily" / family / SYMBOL
    return pd.concat(pd.read_csv(f) for f in sorted(folder.rglob("*.csv")))


def _separation(market: Path, minute_open_ms: np.ndarray, vpin: np.ndarray) -> tuple[float, float]:
    # The last VPIN of each minute against the ground truth's toxic flag of that minute.
    truth = pd.read_parquet(next((market / "ground_truth" / SYMBOL).glob("*.parquet")))
    last = pd.Series(vpin).groupby(minute_open_ms).last().rename("vpin")
    frame = truth.set_index("open_time").join(last).dropna(subset=["vpin"])
    toxic = frame.loc[frame["toxic"], "vpin"].to_numpy()
    calm = frame.loc[~frame["toxic"], "vpin"].to_numpy()
    assert toxic.size > 300 and calm.size > 3000, "enough minutes of each kind to judge"
    return toxic.mean() / calm.mean(), _auc(toxic, calm)


@pytest.mark.slow
def test_trade_vpin_is_clearly_higher_inside_toxic_episodes(market):
    # Arrange: aggTrades as written (is_buyer_maker = true: the seller was the aggressor); buckets
    # of the trailing day's median 1-minute volume, 20 buckets (about 20 minutes of volume).
    trades = _read(market, "aggTrades")
    ts = trades["transact_time"].to_numpy() * 1_000_000
    side = np.where(trades["is_buyer_maker"].to_numpy(), 2, 1)
    vpin = VPIN(window=20, lookback_periods=DAY_OF_MINUTES)
    # Act
    series = vpin.batch(ts, trades["price"], trades["quantity"], side)
    # Assert
    ratio, auc = _separation(
        market, trades["transact_time"].to_numpy() // MINUTE_MS * MINUTE_MS, series
    )
    print(f"\ntrade VPIN (aggressor) toxic/calm mean ratio {ratio:.2f}, AUC {auc:.3f}")
    assert ratio > 1.3
    assert auc > 0.85


@pytest.mark.slow
@pytest.mark.parametrize(
    ("classifier", "source"),
    [("bvc", "aggTrades"), ("bar_taker", "klines"), ("bar_sign", "klines"), ("bvc", "klines")],
)
def test_every_classifier_separates_toxic_episodes(market, classifier, source):
    # Arrange
    options = {"window": 20, "classifier": classifier, "lookback_periods": DAY_OF_MINUTES}
    if classifier == "bvc":
        options["sigma_window"] = 240
    vpin = VPIN(**options)
    # Act
    if source == "aggTrades":
        frame = _read(market, "aggTrades")
        ts = frame["transact_time"].to_numpy() * 1_000_000
        series = vpin.batch(ts, frame["price"], frame["quantity"], np.ones(len(frame)))
        minutes = frame["transact_time"].to_numpy() // MINUTE_MS * MINUTE_MS
    else:
        frame = _read(market, "klines")
        minutes = frame["open_time"].to_numpy()
        closes_at = (minutes + MINUTE_MS) * 1_000_000  # a kline is known at its close
        series = vpin.batch_bars(
            closes_at, frame["open"], frame["close"], frame["volume"], frame["taker_buy_volume"]
        )
    # Assert
    ratio, auc = _separation(market, minutes, series)
    print(f"\nVPIN {classifier} from {source}: toxic/calm mean ratio {ratio:.2f}, AUC {auc:.3f}")
    assert ratio > 1.1
    assert auc > 0.65
