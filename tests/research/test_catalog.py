"""Reading the catalog with pyarrow: fixed-point decoding, the half-open period, refusals."""

import numpy as np
import pyarrow as pa
import pytest

from research.catalog import CatalogReader
from research.errors import ResearchError
from research.period import Period
from tests.research.catalog_factory import INSTRUMENT
from tests.research.catalog_factory import SECOND
from tests.research.catalog_factory import T0
from tests.research.catalog_factory import write_trades


def test_reader_keeps_the_rows_of_the_half_open_period_across_day_files(tmp_path):
    # Arrange: one trade a minute from 23:58 to 00:02 (two day files)
    ts = T0 + np.arange(-2, 3) * 60 * SECOND
    write_trades(tmp_path, ts, [100.0, 100.1, 100.2, 100.3, 100.4], [1.0] * 5, [1, 2, 1, 2, 0])
    reader = CatalogReader(tmp_path, INSTRUMENT)
    # Act: [23:59, 00:01) holds the trades at 23:59 and 00:00 only
    rows = reader.read("trades", Period(int(ts[1]), int(ts[3])))
    # Assert
    assert rows["ts"].tolist() == ts[1:3].tolist()
    assert rows["price"].tolist() == [100.1, 100.2]
    assert rows["side"].tolist() == [2, 1]
    assert len(reader.files("trades", Period(int(ts[0]), int(ts[-1]) + 1))) == 2


def test_reader_refuses_an_unknown_instrument_and_names_the_known_ones(small_catalog):
    with pytest.raises(
        ResearchError,
        match=r"unknown instrument 'ETHUSDT-PERP.BINANCE'.*known: BTCUSDT-PERP.BINANCE",
    ):
        CatalogReader(small_catalog, "ETHUSDT-PERP.BINANCE")


def test_reader_refuses_a_folder_that_is_not_a_catalog(tmp_path):
    with pytest.raises(ResearchError, match="no catalog"):
        CatalogReader(tmp_path / "nowhere", INSTRUMENT)


def test_reader_refuses_a_period_without_rows_unless_the_family_is_optional(small_catalog):
    # Arrange
    reader = CatalogReader(small_catalog, INSTRUMENT)
    empty = Period(T0 + 86_400 * SECOND, T0 + 2 * 86_400 * SECOND)
    # Act / Assert
    with pytest.raises(ResearchError, match="no trade ticks for BTCUSDT-PERP.BINANCE in"):
        reader.read("trades", empty)
    assert reader.read("book_depth", empty, required=False)["ts"].size == 0
