"""
The exchange rules a backtest applies to its orders: those in force at its period's start.

The catalog's instrument carries the finest increments of the symbol's whole history (so that
data of every era lies on its grid) and the latest era's order limits. A backtest of 2020 must
round and limit orders as the exchange did in 2020, so the run replaces it with the instrument of
the period's start, built from the history the catalog records (``catalog.rules``). One set of
rules holds for the whole run: a change inside the period is reported, not applied.
"""

import datetime as dt
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from nautilus_trader.model.instruments import Instrument

from catalog.rules import read_rules

_COMPARED = ("tick_size", "step_size", "min_quantity", "max_quantity", "min_notional")


@dataclass
class PeriodRules:
    """
    The instruments of a run's period start, and what a reader should know about them.

    Parameters
    ----------
    instruments : list[Instrument]
        One per instrument with recorded rules.
    notes : list[str]
        Instruments without recorded rules, and rule changes inside the period.

    """

    instruments: list[Instrument] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def period_rules(catalog: Path, instrument_ids: list[str], start: dt.datetime, end: dt.datetime) -> PeriodRules:
    """
    Return the instruments in force at `start` and notes on rule changes before `end`.

    Parameters
    ----------
    catalog : Path
        The catalog root.
    instrument_ids : list[str]
        The run's instruments.
    start, end : dt.datetime
        The period ``[start, end)`` (UTC).

    Returns
    -------
    PeriodRules

    """
    found = PeriodRules()
    first = start.date()
    # The last day the period touches: a period ending at midnight does not touch that day.
    last = (end - dt.timedelta(microseconds=1)).date()
    for instrument_id in instrument_ids:
        try:
            rules = read_rules(catalog, instrument_id)
        except FileNotFoundError:
            found.notes.append(
                f"{instrument_id}: the catalog records no dated rules (ingested before they were "
                "recorded); orders follow the catalog instrument's latest rules"
            )
            continue
        found.instruments.append(rules.to_instrument(on=first))
        before = rules.era_on(first)
        for era in rules.changes_within(first, last):
            changed = ", ".join(
                f"{key} {getattr(before, key)} -> {getattr(era, key)}"
                for key in _COMPARED
                if getattr(before, key) != getattr(era, key)
            )
            found.notes.append(
                f"{instrument_id}: the exchange's rules changed on {era.since.isoformat()}, inside "
                f"the period ({changed or 'fees only'}); orders follow the rules of "
                f"{first.isoformat()} throughout"
            )
            before = era
    return found
