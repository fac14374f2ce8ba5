"""``bookDepth`` snapshots replayed forward: the latest at or before a time, never a stale one."""

from nautilus_trader.persistence.catalog.parquet import ParquetDataCatalog

from backtest.execution.book_depth import BookDepthSnapshots
from data_types import BookDepth
from tests.backtest.fixtures import DAY
from tests.backtest.fixtures import INSTRUMENT_ID
from tests.backtest.fixtures import SECOND
from tests.backtest.fixtures import T0


def _snapshot(ts: int, scale: float) -> list[BookDepth]:
    return [
        BookDepth(
            instrument_id=INSTRUMENT_ID,
            percentage=float(p),
            depth=scale * abs(p),
            notional=0.0,
            ts_event=ts,
            ts_init=ts,
        )
        for p in (-2, -1, 1, 2)
    ]


def test_the_latest_snapshot_at_or_before_a_time_is_used_across_days_until_it_is_too_old(tmp_path):
    # Arrange: snapshots at 00:00:30 and 00:01:30 of day 1, and 00:00:30 of day 2.
    catalog = ParquetDataCatalog(str(tmp_path))
    catalog.write_data(
        _snapshot(T0 + 30 * SECOND, 1.0) + _snapshot(T0 + 90 * SECOND, 2.0),
        start=T0,
        end=T0 + DAY - 1,
    )
    catalog.write_data(_snapshot(T0 + DAY + 30 * SECOND, 3.0), start=T0 + DAY, end=T0 + 2 * DAY - 1)
    snapshots = BookDepthSnapshots(
        str(tmp_path), str(INSTRUMENT_ID), T0, T0 + 2 * DAY - 1, max_age_ns=600 * SECOND
    )

    # Act, Assert
    assert snapshots.at(T0 + 10 * SECOND) is None  # none yet
    assert snapshots.at(T0 + 30 * SECOND) == ([(1.0, 1.0), (2.0, 2.0)], [(1.0, 1.0), (2.0, 2.0)])
    assert snapshots.at(T0 + 100 * SECOND)[1] == [(1.0, 2.0), (2.0, 4.0)]
    assert snapshots.at(T0 + 90 * SECOND + 601 * SECOND) is None  # older than ten minutes
    # The first second of day 2 still sees day 1's last snapshot if young enough (it is not).
    assert snapshots.at(T0 + DAY + 10 * SECOND) is None
    assert snapshots.at(T0 + DAY + 31 * SECOND)[0] == [(1.0, 3.0), (2.0, 6.0)]


def test_a_catalog_without_book_depth_has_no_snapshots(tmp_path):
    # Arrange, Act
    snapshots = BookDepthSnapshots(
        str(tmp_path), str(INSTRUMENT_ID), T0, T0 + DAY - 1, max_age_ns=600 * SECOND
    )

    # Assert
    assert not snapshots.available
    assert snapshots.at(T0 + SECOND) is None
