"""The two stream transformations the fidelities rely on: distinct tick times and conflation."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given
from hypothesis import strategies as st

from backtest.fidelity.conflate import conflate_file
from catalog.codec import decode_as_double
from etl.writer import distinct_ts_init
from tests.backtest.fixtures import T0
from tests.backtest.fixtures import random_walk_market
from tests.backtest.fixtures import write_market


@given(
    gaps=st.lists(st.sampled_from([0, 0, 0, 1, 2, 1_000_000]), min_size=1, max_size=200),
    previous=st.one_of(st.none(), st.integers(0, 50)),
)
def test_distinct_ts_init_is_the_smallest_strictly_increasing_delay(gaps, previous):
    # Arrange
    ts = 100 + np.cumsum(np.array(gaps, dtype=np.int64))

    # Act
    got = distinct_ts_init(ts, previous)

    # Assert: a plain loop of the rule max(own time, previous + 1).
    expected, last = [], previous
    for t in ts.tolist():
        last = t if last is None else max(t, last + 1)
        expected.append(last)
    assert got.tolist() == expected
    assert (got >= ts).all()


def test_the_last_quote_of_each_interval_is_kept_at_its_own_time(tmp_path):
    # Arrange: quotes every 300 ms, conflated to 1 s.
    write_market(tmp_path, random_walk_market(T0, 0.5, seed=4, quote_every_ms=300, trade_every_ms=5_000))
    path = next((tmp_path / "data" / "quote_tick").rglob("*.parquet"))
    source = pq.read_table(path)
    ts = source.column("ts_init").to_numpy().astype(np.int64)

    # Act
    kept = conflate_file(path, 1_000)

    # Assert: a brute-force pass over the rows gives the same rows, bytes included.
    last_of_second: dict[int, int] = {}
    for row, stamp in enumerate(ts.tolist()):
        last_of_second[stamp // 1_000_000_000] = row
    expected = source.take(pa.array(sorted(last_of_second.values())))
    assert kept.equals(expected)
    assert kept.schema.metadata == source.schema.metadata
    minutes = np.arange(T0 + 60_000_000_000, ts[-1], 60_000_000_000) - 1
    in_force = np.searchsorted(ts, minutes, side="right") - 1
    kept_ts = kept.column("ts_init").to_numpy().astype(np.int64)
    assert set(ts[in_force].tolist()) <= set(kept_ts.tolist())
    bid = decode_as_double(kept.column("bid_price"), 1)
    assert len(bid) == len(kept_ts) < len(ts) / 3
