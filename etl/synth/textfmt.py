"""
Exact, vectorised number-to-text formatting for the archive's CSV files.

Every number the generator writes is an integer in a known decimal unit (price in units of
``10**-price_precision``, quantity in ``10**-qty_precision`` ...), so its text is an integer cast
plus a decimal point inserted at a fixed place: exact, with no float rounding, and fast because
each step is one Arrow compute kernel over the whole column (about 30M values/s per kernel here).
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def int_text(values: np.ndarray) -> pa.StringArray:
    """Return the decimal text of an integer column (``-12``, ``0``, ``1705276800014``)."""
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())


def fixed_text(values: np.ndarray, decimals: int, width: int | None = None) -> pa.StringArray:
    """
    Return the fixed-point text of integers counted in units of ``10**-decimals``.

    Parameters
    ----------
    values : np.ndarray
        Integers, e.g. ``417349`` with ``decimals=1`` for ``41734.9``.
    decimals : int
        Digits after the point carried by `values`.
    width : int | None
        Digits to print after the point; the extra ones are trailing zeros (the metrics family
        prints 16 decimals of a 3-decimal quantity). Defaults to `decimals`.

    Returns
    -------
    pa.StringArray
        E.g. ``41734.9``, ``0.001``, ``-0.00003449``; zero prints as ``0.000``.

    """
    values = np.asarray(values, dtype=np.int64)
    width = decimals if width is None else width
    if width < decimals:
        raise ValueError(f"cannot print {decimals} decimals in {width}")
    negative = values < 0
    magnitude = np.abs(values)
    text = int_text(magnitude)
    if decimals > 0:
        # Left-pad to at least one integer digit (a pass prices never need), then insert the
        # point `decimals` from the end.
        if len(values) and magnitude.min() < 10**decimals:
            text = pc.utf8_lpad(text, width=decimals + 1, padding="0")
        text = pc.binary_replace_slice(text, -decimals, -decimals, ".")
    if width > decimals:
        text = pc.binary_join_element_wise(text, ("." if decimals == 0 else "") + "0" * (width - decimals), "")
    if negative.any():
        text = pc.if_else(pa.array(negative), pc.binary_join_element_wise("-", text, ""), text)
    return text


def rescale(values: np.ndarray, from_decimals: int, to_decimals: int) -> np.ndarray:
    """
    Return integers counted in ``10**-from_decimals`` re-counted in ``10**-to_decimals``.

    Raises
    ------
    ValueError
        If going to fewer decimals would drop non-zero digits (the text must stay exact).

    """
    values = np.asarray(values, dtype=np.int64)
    if to_decimals >= from_decimals:
        return values * np.int64(10 ** (to_decimals - from_decimals))
    factor = np.int64(10 ** (from_decimals - to_decimals))
    if np.any(values % factor):
        raise ValueError(f"values carry more than {to_decimals} decimals")
    return values // factor


def bool_text(mask: np.ndarray, true: str, false: str) -> pa.StringArray:
    """Return ``true``/``false`` text (futures) or ``True``/``False`` (spot) for a mask."""
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), true, false)


def const_text(text: str, n: int) -> pa.StringArray:
    """Return a column repeating one text `n` times."""
    return pa.array([text], pa.string()).take(np.zeros(n, dtype=np.int64))


def csv_chunks(
    columns: list[pa.StringArray], header: tuple[str, ...] | None, rows_per_chunk: int = 1 << 20
) -> list[memoryview]:
    """
    Join text columns into CSV bytes: ``,`` between fields, ``\\n`` after every row.

    Parameters
    ----------
    columns : list[pa.StringArray]
        Equal-length text columns (the archive never quotes a field, so none is quoted).
    header : tuple[str, ...] | None
        Column names for the first line, or None for files without a header (spot).
    rows_per_chunk : int
        Rows joined at a time, which keeps each Arrow string buffer far below its 2 GiB limit.

    Returns
    -------
    list[memoryview]
        The file's bytes in order (views on Arrow buffers, not copies).

    """
    chunks = [memoryview((",".join(header) + "\n").encode())] if header else []
    n = len(columns[0])
    for start in range(0, n, rows_per_chunk):
        part = [c.slice(start, rows_per_chunk) for c in columns]
        # Ending the last field with the newline costs a pass over one column, not over the rows.
        part[-1] = pc.binary_join_element_wise(part[-1], "\n", "")
        rows = pc.binary_join_element_wise(*part, ",")
        count = len(rows)
        offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32, count=count + 1, offset=4 * rows.offset)
        chunks.append(memoryview(rows.buffers()[2])[offsets[0] : offsets[-1]])
    return chunks
