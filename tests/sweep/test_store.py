"""The results store: atomic rewrites, one writer at a time, typed columns, replace by key."""

import pandas as pd
import pytest

from backtest.sweep.store import RunStore
from backtest.sweep.store import StoreBusy


def row(run_id: str, label: str, status: str = "ok", **values: object) -> dict:
    """Return a store row with the given identity and values."""
    return {"run_id": run_id, "label": label, "status": status, **values}


def test_rows_are_read_back_with_one_type_per_column(tmp_path):
    # Arrange
    rows = [
        row("a", "x", trades=3, sharpe=1.5, grid=[1, 2], mixed=1),
        row("b", "y", status="failed", trades=None, sharpe=None, grid=[3], mixed="fast"),
    ]

    # Act
    with RunStore(tmp_path) as store:
        store.add(rows)
    table = pd.read_parquet(tmp_path / "runs.parquet")

    # Assert
    assert str(table["trades"].dtype) == "Int64"
    assert table["trades"].tolist()[0] == 3 and pd.isna(table["trades"].tolist()[1])
    assert table["sharpe"].dtype == float
    assert table["grid"].tolist() == ["[1, 2]", "[3]"]
    assert table["mixed"].tolist() == ["1", '"fast"']


def test_a_second_writer_is_refused_while_the_first_holds_the_store(tmp_path):
    # Arrange
    with RunStore(tmp_path):
        # Act / Assert
        with pytest.raises(StoreBusy, match="another sweep process"):
            RunStore(tmp_path).__enter__()


def test_a_row_with_the_same_run_and_label_replaces_the_earlier_one(tmp_path):
    # Arrange
    with RunStore(tmp_path) as store:
        store.add([row("a", "x", status="failed"), row("a", "other")])

    # Act
    with RunStore(tmp_path) as store:
        store.add([row("a", "x", status="ok")])
        finished = store.finished()

    # Assert
    table = pd.read_parquet(tmp_path / "runs.parquet")
    assert sorted(zip(table["label"], table["status"], strict=True)) == [
        ("other", "ok"),
        ("x", "ok"),
    ]
    assert set(finished) == {"a"}


def test_an_interrupted_write_leaves_the_last_complete_table(tmp_path):
    # Arrange: a temporary file as a write killed before its rename leaves it
    with RunStore(tmp_path) as store:
        store.add([row("a", "x")])
    (tmp_path / ".runs.parquet.999.tmp").write_bytes(b"half a table")

    # Act
    with RunStore(tmp_path) as store:
        rows = store.rows()

    # Assert
    assert [r["run_id"] for r in rows] == ["a"]
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.tmp"))


def test_pending_rows_are_written_when_the_store_is_left_by_an_exception(tmp_path):
    # Arrange
    store = RunStore(tmp_path, min_flush_secs=3600)

    # Act
    with pytest.raises(KeyboardInterrupt), store:
        store.add([row("a", "x")])
        store.add([row("b", "y")])  # not due: the first add wrote, the interval has not passed
        raise KeyboardInterrupt

    # Assert
    assert pd.read_parquet(tmp_path / "runs.parquet")["run_id"].tolist() == ["a", "b"]
