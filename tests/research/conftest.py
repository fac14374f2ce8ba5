"""A small random market in a temporary catalog: two hours across a UTC midnight."""

from pathlib import Path

import numpy as np
import pytest

from tests.research.catalog_factory import SECOND
from tests.research.catalog_factory import T0
from tests.research.catalog_factory import write_bars
from tests.research.catalog_factory import write_book_depth
from tests.research.catalog_factory import write_quotes
from tests.research.catalog_factory import write_trades

START = T0 - 3_600 * SECOND  # 2023-12-31T23:00:00Z
HOURS = 2


@pytest.fixture(scope="session")
def small_catalog(tmp_path_factory) -> Path:
    """Return a catalog with trades, quotes, 1-minute bars and book depth from 23:00 to 01:00 UTC."""
    root = tmp_path_factory.mktemp("small_catalog")
    rng = np.random.default_rng(11)
    span = HOURS * 3_600 * SECOND
    # Trades: a random walk on a 0.1 grid, lognormal sizes, a few blocks.
    n = 6_000
    ts = START + np.sort(rng.integers(0, span, n))
    price = np.round(42_000 + 0.1 * np.cumsum(rng.integers(-3, 4, n)), 1)
    size = np.maximum(np.round(rng.lognormal(-3, 1.2, n), 3), 0.001)
    size[rng.choice(n, 5, replace=False)] = 30.0
    side = rng.choice([1, 2], n)
    write_trades(root, ts, price, size, side)
    # Quotes around the same walk.
    m = 12_000
    qts = START + np.sort(rng.integers(0, span, m))
    mid = np.round(42_000 + 0.1 * np.cumsum(rng.integers(-2, 3, m)), 1)
    write_quotes(
        root,
        qts,
        mid - 0.1,
        mid,
        np.round(rng.uniform(0.1, 5, m), 3),
        np.round(rng.uniform(0.1, 5, m), 3),
    )
    # One bar per minute, stamped at the minute's last nanosecond like the ETL's klines.
    minutes = HOURS * 60
    opens = np.round(42_000 + np.cumsum(rng.normal(0, 5, minutes)), 1)
    closes = np.round(opens + rng.normal(0, 3, minutes), 1)
    bar_ts = START + (np.arange(minutes) + 1) * 60 * SECOND - 1
    volume = np.round(rng.uniform(1, 10, minutes), 3)
    write_bars(
        root,
        bar_ts,
        opens,
        np.maximum(opens, closes) + 1,
        np.minimum(opens, closes) - 1,
        closes,
        volume,
    )
    # Book depth snapshots every 30 s, bands ±1..±5 %.
    snaps = START + np.arange(0, span, 30 * SECOND)
    bands = np.array([-5, -4, -3, -2, -1, 1, 2, 3, 4, 5], dtype=np.float64)
    dts = np.repeat(snaps, bands.size)
    pct = np.tile(bands, snaps.size)
    depth = np.abs(pct) * 10 * rng.uniform(0.5, 1.5, pct.size)
    write_book_depth(root, dts, pct, depth)
    return root
