"""The crowding index separates the synthetic market's injected crowded-long/short and neutral periods."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import mannwhitneyu

from data_types import FundingRate
from data_types import FuturesMetrics
from indicators.regime import CrowdingIndex

SYMBOL = "BTCUSDT"
DAYS = 60


def _auc(higher: np.ndarray, lower: np.ndarray) -> float:
    """Return P(a value from `higher` exceeds one from `lower`): the ROC AUC of separating them."""
    return mannwhitneyu(higher, lower).statistic / (higher.size * lower.size)


@pytest.fixture(scope="module")
def synthetic_market(make_synthetic_market) -> Path:
    return make_synthetic_market(SYMBOL, DAYS, seed=7, trades_per_day=2000, quotes_per_day=2000)


@pytest.mark.slow
def test_crowding_index_separates_crowded_long_short_and_neutral_periods(synthetic_market):
    # Arrange: the archive files as written, read with pandas; the generator's per-minute truth
    um = synthetic_market / "futures" / "um"
    metrics = pd.concat(
        pd.read_csv(f) for f in sorted((um / "daily" / "metrics" / SYMBOL).glob("*.csv"))
    )
    funding = pd.concat(
        pd.read_csv(f) for f in sorted((um / "monthly" / "fundingRate" / SYMBOL).glob("*.csv"))
    )
    truth = pd.read_parquet(next((synthetic_market / "ground_truth" / SYMBOL).glob("*.parquet")))
    events = [
        (
            int(t) * 1_000_000,
            0,
            FundingRate(
                ts_event=int(t) * 1_000_000, ts_init=int(t) * 1_000_000, last_funding_rate=r
            ),
        )
        for t, r in zip(funding["calc_time"], funding["last_funding_rate"], strict=True)
    ]
    metrics_ts = pd.to_datetime(metrics["create_time"], utc=True).astype("int64").to_numpy()
    events += [
        (
            int(t),
            1,
            FuturesMetrics(
                ts_event=int(t), ts_init=int(t), sum_open_interest=oi, count_long_short_ratio=ls
            ),
        )
        for t, oi, ls in zip(
            metrics_ts, metrics["sum_open_interest"], metrics["count_long_short_ratio"], strict=True
        )
    ]
    events.sort(key=lambda e: (e[0], e[1]))
    # One week of funding settlements and of 5-minute rows; Δ ln OI over one hour.
    indicator = CrowdingIndex(funding_window=21, metrics_window=2016, oi_lag=12)

    # Act: the index after each metrics row, once initialized
    ts, values = [], []
    for t, kind, obj in events:
        if kind == 0:
            indicator.handle_funding_rate(obj)
            continue
        indicator.handle_metrics(obj)
        if indicator.initialized:
            ts.append(t)
            values.append(indicator.value)

    # Assert
    truth_ts = truth["open_time"].to_numpy() * 1_000_000
    state = truth["crowding_state"].to_numpy()[
        np.searchsorted(truth_ts, np.array(ts), side="right") - 1
    ]
    c = np.array(values)
    long_, neutral, short = c[state == 1], c[state == 0], c[state == -1]
    assert min(long_.size, neutral.size, short.size) > 1_000, (
        "each state needs enough rows to judge"
    )
    auc_long = _auc(long_, neutral)
    auc_short = _auc(neutral, short)
    print(
        f"\ncrowding index on {DAYS} synthetic days: mean C long {long_.mean():.2f}, neutral "
        f"{neutral.mean():.2f}, short {short.mean():.2f}; AUC long>neutral {auc_long:.3f}, "
        f"neutral>short {auc_short:.3f}"
    )
    assert long_.mean() > neutral.mean() + 1.0 > short.mean() + 2.0
    assert auc_long > 0.8
    assert auc_short > 0.75
