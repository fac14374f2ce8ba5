"""
Dated exchange rules of one symbol: the filters in force on each UTC day, and the grids they allow.

Binance changes a symbol's filters over its life (a spot step size of 0.000001 became 0.00001, the
USD-M minimum notional went from none to 1, 5 and 100 USDT). ``configs/instruments.toml`` gives
the history as a table (the rules at listing) plus ``[[<section>.<symbol>.rules]]`` entries, each
with the UTC date it took effect (``since``) and the fields it changed. An *era* is the full set of
rules between two such dates.

Binance changes rules during a day (e.g. 07:00 UTC): the first day of an era holds rows of both
eras, so that day's rows may lie on either era's grid.
"""

import datetime as dt
import math
from decimal import Decimal

import numpy as np

# The rules' data model is the catalog's (the catalog records the history the ETL validated with).
from catalog.rules import RULE_KEYS
from catalog.rules import Era
from catalog.rules import decimals
from catalog.rules import era_on

__all__ = ["RULE_KEYS", "Era", "Grid", "build_eras", "day_start_ns", "decimals", "era_on", "parse_since"]

NS_PER_DAY = 86_400 * 1_000_000_000
_EPOCH = dt.date(1970, 1, 1)


def parse_since(value: object, where: str) -> dt.date:
    """
    Return a rule's ``since`` as a date (a TOML date or a ``YYYY-MM-DD`` string).

    Raises
    ------
    ValueError
        If it is neither; the message says where.

    """
    if isinstance(value, dt.datetime):
        raise ValueError(f"{where}: since = {value!r} must be a date (YYYY-MM-DD), not a date-time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{where}: since = {value!r} is not a UTC date (YYYY-MM-DD)")


def build_eras(base: dict[str, str], changes: list[dict], where: str) -> tuple[Era, ...]:
    """
    Return the eras of a symbol: its base rules, then each dated change applied in turn.

    Parameters
    ----------
    base : dict[str, str]
        The rules at listing (every key of `RULE_KEYS`).
    changes : list[dict]
        ``{"since": date, <rule key>: value, ...}`` entries, in strictly increasing date order.
    where : str
        ``<file>: [<section>.<symbol>]``, for error messages.

    Raises
    ------
    ValueError
        On an unknown key, a missing ``since``, dates out of order, or a non-positive increment.

    """
    eras = [Era(since=None, **{k: str(base[k]) for k in RULE_KEYS})]
    for i, change in enumerate(changes):
        label = f"{where} rules[{i}]"
        if "since" not in change:
            raise ValueError(f"{label}: missing 'since' (the UTC date the rules took effect)")
        unknown = set(change) - RULE_KEYS - {"since"}
        if unknown:
            raise ValueError(f"{label}: unknown key(s) {sorted(unknown)} (a dated rule may set {sorted(RULE_KEYS)})")
        since = parse_since(change["since"], label)
        previous = eras[-1].since
        if previous is not None and since <= previous:
            raise ValueError(f"{label}: since = {since} is not after the previous rule's {previous}")
        values = {k: getattr(eras[-1], k) for k in RULE_KEYS} | {k: str(v) for k, v in change.items() if k != "since"}
        eras.append(Era(since=since, **values))
    for era in eras:
        for key in ("tick_size", "step_size"):
            if not Decimal(getattr(era, key)) > 0:
                raise ValueError(f"{where}: {key} = {getattr(era, key)!r} must be positive")
    return tuple(eras)


def day_start_ns(day: dt.date) -> int:
    """Return the first nanosecond of a UTC day."""
    return (day - _EPOCH).days * NS_PER_DAY


class Grid:
    """
    The increments a column may take on each UTC day, in units of the catalog's finest grid.

    Parameters
    ----------
    eras : tuple[Era, ...]
        The symbol's eras.
    key : str
        ``tick_size`` (prices) or ``step_size`` (quantities).
    precision : int
        Decimal places of the catalog grid (at least every era's).

    """

    def __init__(self, eras: tuple[Era, ...], key: str, precision: int) -> None:
        scale = Decimal(10) ** precision
        units = [int(Decimal(getattr(era, key)) * scale) for era in eras]
        starts = [np.iinfo(np.int64).min]
        increments = [units[0]]
        for i in range(1, len(eras)):
            start = day_start_ns(eras[i].since)
            # The change day holds rows of both eras: either grid is allowed (their gcd).
            starts += [start, start + NS_PER_DAY]
            increments += [math.gcd(units[i - 1], units[i]), units[i]]
        self._starts = np.asarray(starts, dtype=np.int64)
        self._increments = np.asarray(increments, dtype=np.int64)
        # One era whose increment is the grid itself: every grid value is allowed.
        self.trivial = bool((self._increments == 1).all())

    def off_grid(self, units: np.ndarray, ts_ns: np.ndarray) -> np.ndarray:
        """
        Return which values are not multiples of the increment in force at their timestamp.

        Parameters
        ----------
        units : np.ndarray
            int64 values in catalog grid units.
        ts_ns : np.ndarray
            The rows' timestamps (ns), which pick the day's rules.

        """
        if self.trivial:
            return np.zeros(len(units), dtype=bool)
        if len(self._increments) == 1:
            return units % self._increments[0] != 0
        segment = np.searchsorted(self._starts, ts_ns, side="right") - 1
        return units % self._increments[segment] != 0
