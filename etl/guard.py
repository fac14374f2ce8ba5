"""
The mass-rejection guard: one reason rejecting a large share of a file is the file's problem.

Isolated bad rows are quarantined and the rest of the file is kept. But when one reason rejects
more than a small share of a file's rows (a missing dated rule, a file in the wrong folder, a
format change), quarantining them would silently drop most of the data: the file fails instead,
with one diagnostic that names the reason, an example line and the likely cause in words.
"""

import datetime as dt
from decimal import Decimal
from decimal import InvalidOperation

from etl.archive import FAMILIES
from etl.archive import ArchiveFile
from etl.instruments import InstrumentSpec
from etl.rules import decimals

DEFAULT_MAX_REJECT_SHARE = 0.01
# Fewer rows than this with one reason are isolated bad rows, whatever the file's size (a
# 5-row sample with one bad row is not a systematic problem).
GUARD_MIN_ROWS = 10
# Reasons that lose nothing: the first copy of a duplicated row is kept (the archive's metrics
# files of 2020-09 to 2021-01 repeat rows).
EXEMPT_REASONS = frozenset({"duplicate_key"})

_CAUSES = {
    "bad_timestamp": "timestamps are in neither ms nor µs: the file's time columns are not where the {family} layout puts them",
    "not_a_1m_kline": "open and close times do not span one minute: the file is not 1m klines (a wrong interval folder?)",
    "outside_file_period": "rows are stamped outside the file's {period}: the date in the file name does not match its contents",
    "column_count": "rows have another number of columns than the {family} layout: the file is not {family} (a wrong folder?)",
    "inconsistent_ohlc": "high/low do not bound open/close: the columns are not in the kline order",
    "non_positive_price": "prices are zero or negative: the columns are not where the {family} layout puts them",
    "crossed_book": "bid is not below ask: bid and ask columns are swapped or the file is not {family}",
    "wrong_symbol": "the rows name another symbol than the file name",
}


class MassRejection(Exception):
    """One reason rejected too large a share of a file: the message is the diagnostic."""


def mass_rejection_reason(rejects: dict[str, int], rows_read: int, max_share: float) -> str | None:
    """
    Return the reason that trips the guard (the most frequent one), or None.

    Parameters
    ----------
    rejects : dict[str, int]
        Rejected rows by reason.
    rows_read : int
        Rows read from the file.
    max_share : float
        The largest share of the file's rows one reason may reject.

    """
    over = [
        (count, reason)
        for reason, count in rejects.items()
        if reason not in EXEMPT_REASONS and count >= GUARD_MIN_ROWS and count > max_share * rows_read
    ]
    return max(over)[1] if over else None


def file_day(source: ArchiveFile) -> dt.date:
    """Return the file's day (a monthly file's first day)."""
    if source.day is not None:
        return source.day
    year, month = source.month
    return dt.date(year, month, 1)


def diagnose(
    source: ArchiveFile,
    spec: InstrumentSpec,
    reason: str,
    count: int,
    rows_read: int,
    example: tuple[int, str],
    price_columns: tuple[str, ...],
    size_columns: tuple[str, ...],
) -> str:
    """
    Return the one-paragraph diagnostic of a file failed by the guard.

    Parameters
    ----------
    source : ArchiveFile
        The failed file.
    spec : InstrumentSpec
        Its instrument's rules.
    reason : str
        The reason that tripped the guard.
    count, rows_read : int
        Rows rejected with `reason`, rows read.
    example : tuple[int, str]
        (line, text) of the first such row.
    price_columns, size_columns : tuple[str, ...]
        The family's price and quantity columns.

    """
    line, text = example
    head = f"{source.path}: {count:,} of {rows_read:,} rows ({count / rows_read:.1%}) rejected as {reason}, e.g. line {line}: {text[:160]}"
    return f"{head}. Likely cause: {_cause(source, spec, reason, text, price_columns, size_columns)}. Nothing of this file was written."


def _cause(source: ArchiveFile, spec: InstrumentSpec, reason: str, text: str, price_columns: tuple[str, ...], size_columns: tuple[str, ...]) -> str:
    day = file_day(source)
    if reason in ("off_step_size", "off_tick_price"):
        key, noun, columns = ("step_size", "step", size_columns) if reason == "off_step_size" else ("tick_size", "tick", price_columns)
        increment = getattr(spec.era_on(day), key)
        column, value = _finest(source, text, columns)
        where = f"{spec.section} {noun} {increment} in force on {day}"
        if value is None:
            return f"values are off the {where}: add a dated rule to {spec.source}"
        found = decimals(value)
        if found > decimals(increment):
            finer = format(Decimal(1).scaleb(-found), "f")
            return (
                f"{column} has {found} decimals ({value}); {where}: add a dated rule so that "
                f"{key} = \"{finer}\" (or that day's value) is in force on {day} "
                f"([{spec.section}] holds the rules at listing, [[{spec.section}.rules]] each change from its 'since' date) in {spec.source}"
            )
        return f"{column} {value} is not a multiple of the {where}: add a dated rule with that day's {key} to {spec.source}"
    if reason.startswith("not_numeric:"):
        column = reason.split(":", 1)[1]
        return f"column {column} is not numeric: the file's layout is not {source.family}'s (a wrong folder or a shifted column?)"
    template = _CAUSES.get(reason, "a systematic problem of the file, not isolated bad rows")
    period = "day" if source.day is not None else "month"
    return template.format(family=source.family, period=period)


def _finest(source: ArchiveFile, text: str, columns: tuple[str, ...]) -> tuple[str, str | None]:
    """Return the column of `columns` whose value in the row `text` has the most decimals."""
    cells = [c.strip() for c in text.split(",")]
    family = FAMILIES[source.family]
    layouts = [family.header] + ([family.spot_header] if family.spot_header else [])
    names = next((layout for layout in layouts if len(layout) == len(cells)), None)
    if names is None:
        return (columns[0] if columns else "value"), None
    best: tuple[int, str, str | None] = (-1, columns[0] if columns else "value", None)
    for column in columns:
        cell = cells[names.index(column)]
        try:
            places = decimals(cell)
        except (InvalidOperation, ValueError):
            continue
        if places > best[0]:
            best = (places, column, _plain(cell))
    return best[1], best[2]


def _plain(cell: str) -> str:
    """Return a decimal text without trailing zeros (``0.00207000`` → ``0.00207``)."""
    return format(Decimal(cell).normalize(), "f")
