"""
``Indicator.advance`` (the batch twin on the indicator's own state) equals handling every event.

The features fidelity advances indicators block by block and day by day and restores them from
checkpoints; each of those must leave the indicator exactly where the incremental path would.
"""

import numpy as np
import pytest

from indicators.book import OrderFlowImbalance
from indicators.book import RelativeSpread
from indicators.book import TopOfBookImbalance
from indicators.flow import VPIN
from indicators.flow import HawkesIntensity
from indicators.flow import KyleLambda
from indicators.flow import SignedVolumeImbalance

SECOND = 1_000_000_000


def _quotes(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    mid = 42_000 + np.cumsum(rng.choice([-0.1, 0.0, 0.1], size=n))
    spread = rng.choice([0.1, 0.2], size=n)
    # Bursts of quotes in one millisecond, as on Binance.
    ts = 1_704_067_200 * SECOND + np.cumsum(rng.choice([0, 0, 1_000_000, 7_000_000], size=n))
    return {
        "ts": ts.astype(np.int64),
        "bid_price": np.round(mid - spread / 2, 1),
        "ask_price": np.round(mid + spread / 2, 1),
        "bid_size": rng.uniform(0.0, 5.0, size=n).round(3),
        "ask_size": rng.uniform(0.0, 5.0, size=n).round(3),
    }


def _trades(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    ts = 1_704_067_200 * SECOND + np.cumsum(rng.choice([0, 1_000_000, 40_000_000], size=n))
    return {
        "ts": ts.astype(np.int64),
        "price": np.round(42_000 + np.cumsum(rng.normal(0, 0.3, size=n)), 1),
        "size": rng.exponential(0.3, size=n).round(3),
        "side": rng.choice([1.0, 2.0], size=n),
    }


def _live(indicator, columns: dict[str, np.ndarray]) -> np.ndarray:
    rows = zip(*(columns[name] for name in indicator.feed_columns), strict=True)
    values = []
    for row in rows:
        if indicator.feed == "quotes":
            if isinstance(indicator, OrderFlowImbalance):
                indicator.update_raw(int(row[0]), *row[1:])
            else:
                indicator.update_raw(*row)
        elif isinstance(indicator, (SignedVolumeImbalance, HawkesIntensity)):
            indicator.update_raw(int(row[0]), row[1], int(row[2]))
        else:
            indicator.update_raw(int(row[0]), row[1], row[2], int(row[3]))
        values.append(indicator.value)
    return np.array(values)


MAKERS = {
    "spread": (RelativeSpread, "quotes"),
    "obi": (TopOfBookImbalance, "quotes"),
    "ofi_time": (lambda: OrderFlowImbalance(window_ns=30 * SECOND), "quotes"),
    "ofi_count": (lambda: OrderFlowImbalance(window=50), "quotes"),
    "svi_time": (lambda: SignedVolumeImbalance(window_ns=20 * SECOND), "trades"),
    "vpin_dynamic": (
        lambda: VPIN(window=5, period_ns=60 * SECOND, lookback_periods=3, min_periods=1),
        "trades",
    ),
    "vpin_notional": (lambda: VPIN(window=5, bucket_volume=20_000.0, quote_volume=True), "trades"),
    "kyle": (lambda: KyleLambda(window=30), "trades"),
    "hawkes": (lambda: HawkesIntensity(mu=0.5, alpha=0.4, beta=1.0), "trades"),
}


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_advancing_in_uneven_blocks_equals_handling_each_event(name):
    # Arrange: enough events that the event rings grow more than once mid-block.
    make, feed = MAKERS[name]
    columns = _quotes(6_000, seed=3) if feed == "quotes" else _trades(6_000, seed=4)
    live, blocked = make(), make()
    cuts = [0, 1, 700, 701, 3_333, 6_000]

    # Act
    expected = _live(live, columns)
    got = np.concatenate(
        [blocked.advance({k: v[a:b] for k, v in columns.items()}) for a, b in zip(cuts, cuts[1:], strict=False)]
    )

    # Assert: every value, the final state and the readiness flag.
    np.testing.assert_array_equal(got, expected)
    assert blocked.value == live.value or (np.isnan(blocked.value) and np.isnan(live.value))
    assert blocked.initialized == live.initialized
    np.testing.assert_array_equal(blocked.checkpoint()["state"], live.checkpoint()["state"])


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_an_indicator_restored_from_a_checkpoint_continues_exactly(name):
    # Arrange
    make, feed = MAKERS[name]
    columns = _quotes(4_000, seed=5) if feed == "quotes" else _trades(4_000, seed=6)
    first = {k: v[:2_500] for k, v in columns.items()}
    rest = {k: v[2_500:] for k, v in columns.items()}
    straight = make()
    straight.advance(first)
    resumed = make()
    resumed.restore(straight.checkpoint())

    # Act
    expected = straight.advance(rest)
    got = resumed.advance(rest)

    # Assert
    np.testing.assert_array_equal(got, expected)
    assert resumed.initialized == straight.initialized


def test_an_initialized_kernel_indicator_has_a_finite_value_and_a_warming_one_nan():
    # Arrange: the precomputed stand-in reads readiness off NaN; the live indicators must agree.
    columns = _trades(3_000, seed=8)

    # Act, Assert
    for name, (make, feed) in MAKERS.items():
        indicator = make()
        if feed != "trades" or not indicator.nan_until_ready:
            continue
        for a in range(0, 3_000, 100):
            indicator.advance({k: v[a : a + 100] for k, v in columns.items()})
            assert indicator.initialized == (indicator.value == indicator.value), name


def test_an_indicator_without_a_block_update_refuses_advance():
    # Arrange
    from indicators.volatility import HarComposite

    # Act, Assert
    with pytest.raises(TypeError, match="no block update"):
        HarComposite((60, 360, 720), (1 / 3, 1 / 3, 1 / 3)).advance({})
