"""The ground truth marks what the data really contains: toxic flow, crowding, regimes, blocks."""

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.synth.conftest import Market

HOUR_MS = 3_600_000
FUNDING_MS = 8 * HOUR_MS


def _runs(values: np.ndarray) -> list[tuple[int, int, int]]:
    """Return (start, end, value) of each run of equal consecutive values."""
    edges = np.flatnonzero(np.diff(values)) + 1
    starts, ends = np.r_[0, edges], np.r_[edges, len(values)]
    return [(int(a), int(b), int(values[a])) for a, b in zip(starts, ends, strict=True)]


@pytest.fixture(scope="module")
def trades(market: Market) -> pd.DataFrame:
    """Return the perp trades with their minute, signed quantity and notional."""
    t = market.read("aggTrades")
    t["minute"] = t["transact_time"] // 60_000 * 60_000
    t["signed"] = np.where(t["is_buyer_maker"], -t["quantity"], t["quantity"])
    t["notional"] = t["price"] * t["quantity"]
    return t


@pytest.fixture(scope="module")
def truth(market: Market) -> pd.DataFrame:
    """Return the per-minute ground truth."""
    return market.ground_truth()


def test_taker_imbalance_inside_toxic_windows_is_far_above_outside(trades: pd.DataFrame, truth: pd.DataFrame) -> None:
    # Arrange: per-minute signed and total taker volume, as running sums for window totals.
    per_minute = trades.groupby("minute")[["signed", "quantity"]].sum().reindex(truth["open_time"], fill_value=0.0)
    signed = np.r_[0.0, np.cumsum(per_minute["signed"].to_numpy())]
    volume = np.r_[0.0, np.cumsum(per_minute["quantity"].to_numpy())]
    # Episodes partly painted over by a later one leave short remnants: keep whole-sized ones.
    episodes = [r for r in _runs(truth["toxic_side"].to_numpy()) if r[2] != 0 and r[1] - r[0] >= 5]
    calm = [r for r in _runs(truth["toxic"].to_numpy().astype(int)) if r[2] == 0]

    def imbalance(a: int, b: int) -> float:
        return (signed[b] - signed[a]) / (volume[b] - volume[a])

    # Act: signed imbalance of each episode; |imbalance| of 20-minute windows of calm stretches.
    inside = np.array([side * imbalance(a, b) for a, b, side in episodes])
    outside = np.array([abs(imbalance(s, s + 20)) for a, b, _ in calm for s in range(a, b - 20, 20)])

    # Assert
    assert len(episodes) >= 20 and len(outside) >= 100
    assert inside.mean() > 0.5
    assert inside.mean() > 2.5 * outside.mean()
    assert np.mean(inside > 0) > 0.95


def test_price_follows_the_toxic_side(market: Market, truth: pd.DataFrame) -> None:
    # Arrange
    close = np.log(market.read("klines")["close"].to_numpy())
    sigma = truth["sigma"].to_numpy()
    episodes = [r for r in _runs(truth["toxic_side"].to_numpy()) if r[2] != 0]

    # Act: the move from before the episode to a third of its length after it, in sigmas.
    moves = []
    for a, b, side in episodes:
        end = min(len(close) - 1, b + (b - a) // 3)
        start = max(a - 1, 0)
        moves.append(side * (close[end] - close[start]) / (sigma[a:end].mean() * np.sqrt(end - start)))

    # Assert
    assert np.mean(moves) > 1.5
    assert np.mean(np.array(moves) > 0) > 0.85


def test_vpin_is_higher_in_toxic_windows(trades: pd.DataFrame, truth: pd.DataFrame) -> None:
    # Arrange: equal-volume buckets, trades split at bucket edges. The fixture trades ~15x thinner
    # than the default market, so a bucket holds five median minutes' volume (not one).
    qty = trades["quantity"].to_numpy()
    buy = np.where(trades["is_buyer_maker"], 0.0, qty)
    bucket = 5 * trades.groupby("minute")["quantity"].sum().median()
    cum_volume, cum_buy = np.cumsum(qty), np.cumsum(buy)
    edges = np.arange(1, int(cum_volume[-1] // bucket) + 1) * bucket

    # Act
    bucket_buy = np.diff(np.interp(edges, cum_volume, cum_buy), prepend=0.0)
    order_imbalance = np.abs(2 * bucket_buy - bucket) / bucket
    vpin = pd.Series(order_imbalance).rolling(5).mean().to_numpy()
    bucket_minute = trades["minute"].to_numpy()[np.searchsorted(cum_volume, edges)]
    toxic = truth.set_index("open_time")["toxic"].reindex(bucket_minute).to_numpy(dtype=bool)
    ok = ~np.isnan(vpin)

    # Assert
    assert np.mean(vpin[ok & toxic]) > 1.5 * np.mean(vpin[ok & ~toxic])


@pytest.mark.parametrize("state", [1, -1], ids=["crowded_long", "crowded_short"])
def test_crowded_periods_show_their_funding_long_short_ratios_and_open_interest(
    market: Market, truth: pd.DataFrame, state: int
) -> None:
    # Arrange
    metrics = market.read("metrics")
    funding = market.read("fundingRate")
    by_minute = truth.set_index("open_time")
    create_ms = pd.to_datetime(metrics["create_time"]).astype("datetime64[ms]").astype(np.int64)
    row_state = by_minute["crowding_state"].reindex(create_ms).to_numpy()
    settle = funding["calc_time"].to_numpy() // 1000 * 1000
    # A settlement belongs to a state when every minute of its interval is in that state.
    interval = (truth["open_time"] // FUNDING_MS + 1) * FUNDING_MS
    whole = truth.groupby(interval)["crowding_state"].agg(lambda s: s.iloc[0] if s.nunique() == 1 else 0)
    rate_state = whole.reindex(settle).fillna(0).to_numpy()
    oi = metrics["sum_open_interest"].to_numpy()
    phase = by_minute["crowding_phase"].reindex(create_ms).to_numpy()
    side = np.sign(by_minute["crowding_intensity"].reindex(create_ms).to_numpy())

    # Act
    ls = metrics.loc[row_state == state, "count_long_short_ratio"]
    top = metrics.loc[row_state == state, "sum_toptrader_long_short_ratio"]
    rates = funding.loc[rate_state == state, "last_funding_rate"]
    # Whole phases only: one cut by the start or the end of the data shows just part of its move.
    whole = [(a, b, v) for a, b, v in _runs(phase) if a > 0 and b < len(phase)]
    builds = [(a, b) for a, b, v in whole if v == 1 and side[b - 1] == state and b - a >= 144]
    unwinds = [(a, b) for a, b, v in whole if v == 2 and side[a] == state and b - a >= 24]

    # Assert
    assert len(ls) > 288 and len(rates) >= 3 and builds, "the fixture holds this crowding state"
    assert state * np.log(ls).mean() > 0.1 and state * np.log(top).mean() > 0.1
    assert (state * rates > 0).all()
    assert all(oi[b - 1] > 1.1 * oi[a] for a, b in builds)
    assert all(oi[b - 1] < 0.9 * oi[a] for a, b in unwinds)


def test_realized_volatility_follows_the_volatility_regime(market: Market, truth: pd.DataFrame) -> None:
    # Arrange
    returns = np.diff(np.log(market.read("klines")["close"].to_numpy()), prepend=np.nan)
    regime = truth["vol_regime"].to_numpy()

    # Act
    realized = [np.nanstd(returns[regime == r]) for r in (0, 1, 2)]
    stated = [truth["sigma"][regime == r].mean() for r in (0, 1, 2)]

    # Assert
    assert realized[2] > 3.0 * realized[0]
    assert realized[0] < realized[1] < realized[2]
    assert all(0.8 < r / s < 1.5 for r, s in zip(realized, stated, strict=True))


def test_compression_phases_are_mostly_followed_by_expansions(truth: pd.DataFrame) -> None:
    # Arrange
    runs = _runs(truth["vol_regime"].to_numpy())

    # Act
    after_compression = [nxt[2] for cur, nxt in zip(runs[:-1], runs[1:], strict=True) if cur[2] == 0]

    # Assert
    assert len(after_compression) >= 5
    assert np.mean(np.array(after_compression) == 2) > 0.6


def test_busy_hours_trade_more_than_quiet_hours(trades: pd.DataFrame) -> None:
    # Arrange
    hour = trades["transact_time"] // HOUR_MS % 24

    # Act
    per_hour = hour.value_counts().sort_index()

    # Assert: the US session against the late-Asia lull.
    assert per_hour.loc[13:16].mean() > 1.5 * per_hour.loc[3:6].mean()


def test_book_imbalance_leads_mid_returns(market: Market) -> None:
    # Arrange
    quotes = market.read("bookTicker")
    imbalance = ((quotes["best_bid_qty"] - quotes["best_ask_qty"]) / (quotes["best_bid_qty"] + quotes["best_ask_qty"])).to_numpy()
    log_mid = np.log((quotes["best_bid_price"] + quotes["best_ask_price"]).to_numpy())
    h = 20

    # Act
    lead = np.corrcoef(imbalance[:-h], log_mid[h:] - log_mid[:-h])[0, 1]
    lag = np.corrcoef(imbalance[h:], log_mid[h:] - log_mid[:-h])[0, 1]

    # Assert: it predicts the next moves, slightly, and does not merely echo the last ones.
    assert 0.05 < lead < 0.5
    assert abs(lag) < 0.05


def test_block_trades_in_the_data_are_the_ones_the_ground_truth_lists(
    market: Market, trades: pd.DataFrame, truth: pd.DataFrame
) -> None:
    # Arrange
    path = market.root / "ground_truth" / "BTCUSDT" / "BTCUSDT-ground_truth.parquet"
    threshold = float(pq.read_schema(path).metadata[b"block_min_notional"])

    # Act
    blocks = trades[trades["notional"] >= threshold]
    per_minute = blocks.groupby("minute").size().reindex(truth["open_time"], fill_value=0)

    # Assert
    assert truth["block_trades"].sum() >= 10
    np.testing.assert_array_equal(per_minute.to_numpy(), truth["block_trades"].to_numpy())
    assert trades.loc[trades["notional"] < threshold, "notional"].max() < threshold / 3


def test_spot_tracks_the_perp_with_a_basis_consistent_with_funding(market: Market) -> None:
    # Arrange
    perp = market.read("klines")
    spot = market.read("klines", market="spot")
    funding = market.read("fundingRate")

    # Act: mean perp/spot basis over each funding interval against that interval's rate.
    basis = perp["close"].to_numpy() / spot["close"].to_numpy() - 1.0
    interval = (perp["open_time"].to_numpy() // FUNDING_MS + 1) * FUNDING_MS
    mean_basis = pd.Series(basis).groupby(interval).mean()
    rate = pd.Series(funding["last_funding_rate"].to_numpy(), index=funding["calc_time"] // 1000 * 1000)
    both = pd.concat([mean_basis, rate], axis=1, join="inner")

    # Assert
    assert len(both) >= 3 * market.config.days - 1
    assert np.corrcoef(both.iloc[:, 0], both.iloc[:, 1])[0, 1] > 0.95
    assert (both.iloc[:, 0] - both.iloc[:, 1]).abs().mean() < 3e-5
