"""Turn download arguments into the list of archive files to fetch, or a clear error."""

import datetime as dt
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TypeVar

from etl.archive import FAMILIES
from etl.archive import MARKETS
from etl.archive import Family

_SYMBOL_RE = re.compile(r"[A-Z0-9]+")
_T = TypeVar("_T")


class PlanError(ValueError):
    """Raised when the arguments cannot describe a set of archive files."""


@dataclass(frozen=True)
class Target:
    """
    One archive file to fetch, together with the ``.CHECKSUM`` published beside it.

    Parameters
    ----------
    market : str
        ``futures/um`` or ``spot``.
    family : str
        Family name, a key of `etl.archive.FAMILIES`.
    symbol : str
        Binance symbol, e.g. ``BTCUSDT``.
    period_label : str
        ``YYYY-MM-DD`` for daily files, ``YYYY-MM`` for monthly ones.

    """

    market: str
    family: str
    symbol: str
    period_label: str

    @property
    def path(self) -> PurePosixPath:
        """Return the zip's archive-relative path (also its path under the destination)."""
        return FAMILIES[self.family].archive_path(self.market, self.symbol, self.period_label)

    @property
    def checksum_path(self) -> PurePosixPath:
        """Return the archive-relative path of the zip's ``.CHECKSUM``."""
        return FAMILIES[self.family].archive_path(
            self.market, self.symbol, self.period_label, ext="zip.CHECKSUM"
        )


def daily_labels(start: dt.date, end: dt.date) -> list[str]:
    """Return ``YYYY-MM-DD`` for every day from `start` to `end`, both included."""
    return [(start + dt.timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]


def monthly_labels(start: dt.date, end: dt.date) -> list[str]:
    """Return ``YYYY-MM`` for every calendar month that overlaps ``[start, end]``."""
    labels = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return labels


def period_labels(family: Family, start: dt.date, end: dt.date) -> list[str]:
    """Return the period labels of `family`'s files that cover ``[start, end]``."""
    if family.period == "daily":
        return daily_labels(start, end)
    if family.period == "monthly":
        return monthly_labels(start, end)
    raise PlanError(f"family {family.name!r} has an unknown period {family.period!r}")


def plan_targets(
    market: str,
    symbols: Iterable[str],
    families: Iterable[str],
    start: dt.date,
    end: dt.date,
) -> list[Target]:
    """
    List the archive files that cover the request, validating every argument first.

    Parameters
    ----------
    market : str
        ``futures/um`` or ``spot``.
    symbols : Iterable[str]
        Binance symbols; case is normalised to upper, duplicates are dropped.
    families : Iterable[str]
        Family names (``aggTrades``, ``klines`` ...); duplicates are dropped.
    start, end : datetime.date
        First and last UTC day, both included.

    Returns
    -------
    list[Target]
        Ordered by symbol, then family, then period, as given.

    Raises
    ------
    PlanError
        If the market or a family is unknown, a family is not published for the market, a symbol
        is malformed, a list is empty, or `start` is after `end`.

    """
    if market not in MARKETS:
        raise PlanError(f"unknown market {market!r}; choose from {', '.join(MARKETS)}")
    if start > end:
        raise PlanError(f"start {start} is after end {end}")
    chosen_symbols = _unique(_check_symbol(s) for s in symbols)
    chosen_families = _unique(_check_family(f, market) for f in families)
    if not chosen_symbols:
        raise PlanError("no symbols given")
    if not chosen_families:
        raise PlanError("no families given")
    return [
        Target(market, family.name, symbol, label)
        for symbol in chosen_symbols
        for family in chosen_families
        for label in period_labels(family, start, end)
    ]


def _check_symbol(symbol: str) -> str:
    normalised = symbol.strip().upper()
    if not _SYMBOL_RE.fullmatch(normalised):
        raise PlanError(
            f"symbol {symbol!r} is not a Binance symbol (letters and digits only, e.g. BTCUSDT)"
        )
    return normalised


def _check_family(name: str, market: str) -> Family:
    family = FAMILIES.get(name)
    if family is None:
        close = difflib.get_close_matches(name, FAMILIES, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise PlanError(f"unknown family {name!r}{hint}; known families: {', '.join(FAMILIES)}")
    if market not in family.markets:
        published = [f.name for f in FAMILIES.values() if market in f.markets]
        raise PlanError(
            f"family {name!r} is not published for market {market!r}"
            f" ({market} publishes: {', '.join(published)})"
        )
    return family


def _unique(items: Iterable[_T]) -> list[_T]:
    return list(dict.fromkeys(items))
