"""The half-open UTC period ``[start, end)`` a report covers (dates mean midnight UTC)."""

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from research.errors import ResearchError

NS_PER_S = 1_000_000_000
NS_PER_DAY = 86_400 * NS_PER_S


def parse_time(text: str) -> int:
    """
    Return a UTC time given as ``YYYY-MM-DD`` or an ISO 8601 datetime, in epoch nanoseconds.

    A datetime without a zone is taken as UTC, as the backtest's ``[period]`` does.

    Raises
    ------
    ResearchError
        If the text is not a date or datetime.

    """
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ResearchError(
            f"not a date or ISO datetime: {text!r} (use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    # Integer arithmetic: a float timestamp would lose the nanoseconds.
    delta = value - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * NS_PER_S + delta.microseconds * 1_000


def parse_duration(text: str) -> int:
    """
    Return a duration such as ``500ms``, ``1s``, ``5min`` or ``1h`` in nanoseconds (pandas syntax).

    Raises
    ------
    ResearchError
        If the text is not a positive duration.

    """
    try:
        ns = pd.Timedelta(text).value
    except ValueError:
        raise ResearchError(f"not a duration: {text!r} (e.g. 500ms, 1s, 5min, 1h)") from None
    if ns <= 0:
        raise ResearchError(f"duration must be positive, was {text!r}")
    return int(ns)


def format_duration(ns: int) -> str:
    """Return a short label of a duration in nanoseconds (``5s``, ``1min``, ``250ms``)."""
    for unit, size in (
        ("h", 3_600 * NS_PER_S),
        ("min", 60 * NS_PER_S),
        ("s", NS_PER_S),
        ("ms", 1_000_000),
    ):
        if ns % size == 0:
            return f"{ns // size}{unit}"
    return f"{ns}ns"


def iso(ns: int) -> str:
    """Return epoch nanoseconds as an ISO 8601 UTC string (``...Z``)."""
    return pd.Timestamp(ns, tz="UTC").isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Period:
    """
    A half-open UTC period ``[start_ns, end_ns)``.

    Parameters
    ----------
    start_ns, end_ns : int
        Epoch nanoseconds; ``end_ns > start_ns``.

    """

    start_ns: int
    end_ns: int

    def __post_init__(self) -> None:
        if self.end_ns <= self.start_ns:
            raise ResearchError(
                f"end ({iso(self.end_ns)}) must be after start ({iso(self.start_ns)})"
            )

    @classmethod
    def parse(cls, start: str, end: str) -> "Period":
        """Return the period between two texts accepted by ``parse_time``."""
        return cls(parse_time(start), parse_time(end))

    def as_dict(self) -> dict[str, str]:
        """Return the period as ISO strings (for the metrics JSON)."""
        return {"start": iso(self.start_ns), "end": iso(self.end_ns)}
