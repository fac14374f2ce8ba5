"""Exact number text: the vectorised formatter against Python's own decimal formatting."""

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from etl.synth.rowtext import csv_rows
from etl.synth.rowtext import fixed
from etl.synth.rowtext import flag
from etl.synth.rowtext import integer
from etl.synth.textfmt import bool_text
from etl.synth.textfmt import csv_chunks
from etl.synth.textfmt import fixed_text
from etl.synth.textfmt import int_text
from etl.synth.textfmt import rescale


def _python_text(value: int, decimals: int, width: int) -> str:
    return f"{Decimal(value).scaleb(-decimals):.{width}f}"


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.integers(-(10**15), 10**15), min_size=1, max_size=50),
    decimals=st.integers(0, 8),
    extra=st.integers(0, 8),
)
def test_fixed_text_equals_python_decimal_formatting(values: list[int], decimals: int, extra: int) -> None:
    # Arrange
    width = decimals + extra

    # Act
    text = fixed_text(np.array(values, dtype=np.int64), decimals, width).to_pylist()

    # Assert
    assert text == [_python_text(v, decimals, width) for v in values]


def test_fixed_text_prints_the_archive_forms() -> None:
    # Arrange
    cases = [
        (np.array([781530]), 1, None, "78153.0"),
        (np.array([1]), 3, None, "0.001"),
        (np.array([4173490000000]), 8, None, "41734.90000000"),
        (np.array([-3449]), 8, None, "-0.00003449"),
        (np.array([103513561]), 3, 16, "103513.5610000000000000"),
        (np.array([7]), 0, 2, "7.00"),
    ]

    for values, decimals, width, expected in cases:
        # Act
        text = fixed_text(values, decimals, width).to_pylist()

        # Assert
        assert text == [expected]


def test_rescale_refuses_to_drop_digits() -> None:
    # Arrange
    values = np.array([4173490, 4173491])

    # Act
    up = rescale(values, 2, 8)

    # Assert
    assert up.tolist() == [4173490000000, 4173491000000]
    assert rescale(np.array([420010]), 2, 1).tolist() == [42001]
    with pytest.raises(ValueError, match="decimals"):
        rescale(values, 2, 1)


def test_csv_chunks_join_fields_and_rows_without_quotes() -> None:
    # Arrange
    columns = [int_text(np.array([1, 22])), bool_text(np.array([True, False]), "true", "false")]

    # Act
    with_header = b"".join(csv_chunks(columns, ("id", "flag")))
    chunked = b"".join(csv_chunks(columns, None, rows_per_chunk=1))

    # Assert
    assert with_header == b"id,flag\n1,true\n22,false\n"
    assert chunked == b"1,true\n22,false\n"


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(-(10**15), 10**15), st.integers(0, 10**12), st.booleans()), min_size=0, max_size=40
    ),
    decimals=st.integers(0, 8),
    extra=st.integers(0, 8),
)
def test_compiled_rows_equal_the_arrow_columns_joined(rows: list[tuple[int, int, bool]], decimals: int, extra: int) -> None:
    # Arrange
    signed = np.array([r[0] for r in rows], dtype=np.int64)
    plain = np.array([r[1] for r in rows], dtype=np.int64)
    mask = np.array([r[2] for r in rows], dtype=bool)
    width = decimals + extra

    # Act
    lines = csv_rows([fixed(signed, decimals, width), integer(plain), flag(mask, "true", "false"), fixed(plain, decimals)])
    joined = b"".join(
        bytes(c)
        for c in csv_chunks(
            [fixed_text(signed, decimals, width), int_text(plain), bool_text(mask, "true", "false"), fixed_text(plain, decimals)],
            None,
        )
    )

    # Assert
    assert bytes(lines.data) == joined and lines.rows == len(rows)
