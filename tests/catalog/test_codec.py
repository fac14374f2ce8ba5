"""The catalog's fixed-point columns decode to exactly the doubles Nautilus's objects give."""

import numpy as np
import pyarrow as pa
import pytest
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity

from catalog.codec import CodecError
from catalog.codec import decode_as_double
from catalog.codec import decode_decimal
from catalog.codec import fixed_from_units
from catalog.codec import to_grid


def _column(raws: list[int]) -> pa.Array:
    data = b"".join(r.to_bytes(16, "little", signed=True) for r in raws)
    return pa.Array.from_buffers(pa.binary(16), len(raws), [None, pa.py_buffer(data)])


@pytest.mark.parametrize("precision", [0, 1, 2, 3, 6, 8])
def test_decoded_prices_equal_price_as_double_bit_for_bit(precision):
    # Arrange: prices of BTC, small coins and every magnitude between, on the precision's grid.
    rng = np.random.default_rng(precision)
    grid = rng.integers(1, 10**(precision + 6), size=5_000)
    prices = [Price(int(g) / 10**precision, precision) for g in grid]

    # Act
    decoded = decode_as_double(_column([p.raw for p in prices]), precision)

    # Assert: the same IEEE doubles, not merely close ones.
    expected = np.array([p.as_double() for p in prices])
    assert decoded.tobytes() == expected.tobytes()


def test_decoded_sizes_equal_quantity_as_double_bit_for_bit():
    # Arrange
    rng = np.random.default_rng(1)
    sizes = [Quantity(int(g) / 1000, 3) for g in rng.integers(1, 10**9, size=5_000)]

    # Act
    decoded = decode_as_double(_column([q.raw for q in sizes]), 3)

    # Assert
    assert decoded.tobytes() == np.array([q.as_double() for q in sizes]).tobytes()


def test_a_raw_off_the_precision_grid_is_refused_naming_its_row():
    # Arrange: the second raw is 42000.15 at precision 1.
    column = _column([Price(42000.1, 1).raw, Price(42000.15, 2).raw])

    # Act, Assert
    with pytest.raises(CodecError, match="row 1"):
        decode_as_double(column, 1)


def test_the_encoder_and_the_decimal_decoder_round_trip_including_negatives():
    # Arrange: prices on a 0.1 grid, around 2**64 raw units (42000 * 1e16 > 2**64), and < 0
    units = np.array([420003, 1, 0, -15, 999999999], dtype=np.int64)

    # Act
    values = decode_decimal(fixed_from_units(units, 1), 1)

    # Assert: exactly the decimal values, so equal prices compare equal
    assert values.tolist() == [42000.3, 0.1, 0.0, -1.5, 99999999.9]


def test_a_sliced_chunked_column_decodes_its_own_rows():
    # Arrange
    column = pa.chunked_array([fixed_from_units(np.arange(10, dtype=np.int64), 3)]).slice(4, 3)

    # Act, Assert
    assert decode_decimal(column, 3).tolist() == [0.004, 0.005, 0.006]


def test_a_column_that_is_not_fixed_point_is_refused():
    # Act, Assert
    with pytest.raises(CodecError, match="fixed-point"):
        decode_as_double(pa.array([1.0, 2.0]), 1)


def test_grid_units_flag_values_off_the_grid():
    # Arrange
    values = np.array([42000.1, 42000.15, np.nan, 1e30])

    # Act
    units, on_grid = to_grid(values, 1)

    # Assert
    assert on_grid.tolist() == [True, False, False, False]
    assert units[0] == 420001
