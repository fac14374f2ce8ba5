"""Start-date sensitivity (issue 17): the warm-up each published series needs, per later start."""

import pandas as pd
import pytest

from backtest.recursive import agrees_from
from backtest.recursive import analyse
from backtest.recursive import later_starts
from tests.backtest.conftest import MOMENTUM
from tests.backtest.conftest import make_config
from tests.backtest.fixtures import BAR_TYPE
from tests.backtest.fixtures import HOUR
from tests.backtest.fixtures import INSTRUMENT_ID
from tests.backtest.fixtures import T0
from tests.backtest.fixtures import random_walk_market
from tests.backtest.fixtures import write_market


def _frame(points):
    return pd.DataFrame(points, columns=["ts", "value"])


def test_agreement_starts_after_the_last_disagreement():
    # Arrange: the later run is off at 20 and 30, publishes nothing at 40, then equal
    reference = _frame([(10, 1.0), (20, 2.0), (30, 3.0), (40, 4.0), (50, 5.0), (60, 6.0)])
    later = _frame([(20, 2.5), (30, 3.5), (50, 5.0), (60, 6.0 + 1e-9)])

    # Act / Assert: points before the later start (15) are not compared; at 40 the later run still
    # holds 3.5; without its point at 60 it holds 5.0 there while the reference moved to 6.0
    assert agrees_from(reference, later, 15, 1e-6, 0.0) == 50
    assert agrees_from(reference, later[later["ts"] != 60], 15, 1e-6, 0.0) is None
    assert agrees_from(reference, reference, 15, 1e-6, 0.0) == 20


def test_later_starts_include_the_start_when_there_is_a_warmup():
    # Arrange
    config = make_config(
        "/nonexistent",
        "/tmp",
        "2024-01-04T00:00:00Z",
        start="2024-01-02T00:00:00Z",
        params={"record_path": "/tmp/x"},
        period={"warmup": "P1D"},
    )

    # Act / Assert: the start, then thirds of the two-day period
    assert later_starts(config, 2) == [T0 + 24 * HOUR, T0 + 40 * HOUR, T0 + 56 * HOUR]


MARKET = dict(seed=8, quote_every_ms=10_000, trade_every_ms=15_000)
FAST, SLOW, IMBALANCE = 5, 30, 120
END = T0 + 12 * HOUR


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("recursive")
    write_market(root / "catalog", random_walk_market(T0, 12.0, **MARKET))
    config = make_config(
        root / "catalog",
        root / "results",
        "2024-01-01T12:00:00Z",
        strategy=MOMENTUM,
        params={"bar_type": str(BAR_TYPE), "instrument_id": str(INSTRUMENT_ID), "fast_period": FAST, "slow_period": SLOW},
        families=["quotes", "bars", "funding", "metrics"],
    )
    return analyse(config, starts=2, rtol=1e-4)


def _ema_spread(start: int) -> dict[int, float]:
    """The example's published EMA spread (bps) of a run from `start`, computed with plain Python."""
    market = random_walk_market(T0, 12.0, **MARKET)
    quotes = sorted(q.ts_init for q in market.quotes if q.ts_init >= start)
    fast = slow = None
    out, n = {}, 0
    for bar in market.bars:
        if not start <= bar.ts_init < END:
            continue
        close = bar.close.as_double()
        fast = close if fast is None else 2 / (FAST + 1) * close + (1 - 2 / (FAST + 1)) * fast
        slow = close if slow is None else 2 / (SLOW + 1) * close + (1 - 2 / (SLOW + 1)) * slow
        n += 1
        # Published once both EMAs and the quote-imbalance EMA (quotes before the bar) are warm.
        warm_quotes = sum(q < bar.ts_init for q in quotes) >= IMBALANCE
        if n >= SLOW and warm_quotes:
            out[bar.ts_init] = (fast / slow - 1.0) * 1e4
    return out


def test_the_ema_spread_needs_the_warmup_computed_independently(report):
    # Arrange: the reference from the period start, and each later start's series
    reference = _ema_spread(T0)
    (spread,) = [s for s in report.series if s.name == "trend.ema_spread_bps"]

    for start_text, needed in spread.needed_ns.items():
        start = pd.Timestamp(start_text).value
        later = _ema_spread(start)

        # Act: the last reference point from `start` on that the later run lacks or misses by more
        # than the tolerance; agreement holds from the next point
        bad = [ts for ts, v in reference.items() if ts >= start and (ts not in later or abs(later[ts] - v) > 1e-9 + 1e-4 * abs(v))]
        agree = min(ts for ts in reference if ts > max(bad))
        lasting = END - agree >= 0.1 * (END - start)  # agreement over the last tenth is chance

        # Assert
        assert needed == (agree - start if lasting else None)


def test_every_example_series_converges_and_a_warmup_is_recommended(report):
    # Assert: the funding and open-interest rows republished at a later start agree at once
    names = {s.name: s for s in report.series}
    assert set(names) == {"trend.ema_spread_bps", "toxicity.book_imbalance", "regime.funding_annualized", "regime.open_interest"}
    assert all(s.converged for s in names.values())
    assert names["regime.open_interest"].warmup_ns == 0
    hours = -(-max(s.warmup_ns for s in names.values()) // HOUR)
    assert report.recommended_warmup() == f"PT{hours}H"
