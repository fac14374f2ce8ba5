"""
Command-line options of the reports: argparse value types that refuse bad values with a message
naming the expected range, and the report parameters built from the parsed options.
"""

import argparse
import dataclasses
import math
from collections.abc import Callable
from typing import Any
from typing import TypeVar

from research.errors import ResearchError
from research.period import parse_duration

T = TypeVar("T")


def _number(text: str, convert: Callable[[str], T], valid: Callable[[T], bool], expected: str) -> T:
    # One refusal message for both an unparseable text and a value out of range.
    try:
        value = convert(text)
    except ValueError:
        value = None
    if value is None or not valid(value):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """Return an integer >= 1."""
    return _number(text, int, lambda v: v >= 1, "an integer >= 1")


def positive_float(text: str) -> float:
    """Return a finite number > 0."""
    return _number(text, float, lambda v: 0.0 < v < math.inf, "a number > 0")


def fraction(text: str) -> float:
    """Return a number strictly between 0 and 1 (a quantile, a share)."""
    return _number(text, float, lambda v: 0.0 < v < 1.0, "a number in (0, 1)")


def duration(text: str) -> int:
    """Return a positive duration (``250ms``, ``1s``, ``5min``) in nanoseconds."""
    try:
        return parse_duration(text)
    except ResearchError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def durations(text: str) -> tuple[int, ...]:
    """Return a comma-separated list of positive durations in nanoseconds, sorted, distinct."""
    values = tuple(sorted({duration(part) for part in text.split(",") if part.strip()}))
    if not values:
        raise argparse.ArgumentTypeError(f"expected durations such as 1s,5s,30s, got {text!r}")
    return values


def positive_floats(text: str) -> tuple[float, ...]:
    """Return a comma-separated list of numbers > 0, in the given order."""
    values = tuple(positive_float(part) for part in text.split(",") if part.strip())
    if not values:
        raise argparse.ArgumentTypeError(f"expected numbers such as 1,2,5, got {text!r}")
    return values


def config_from_args(config_class: type[T], args: argparse.Namespace) -> T:
    """
    Return the parameters dataclass ``config_class`` filled from the parsed options.

    Each report names its options' ``dest`` after its parameters, so the mapping is by name.
    """
    values: dict[str, Any] = {
        f.name: getattr(args, f.name) for f in dataclasses.fields(config_class)
    }
    return config_class(**values)


@dataclasses.dataclass(frozen=True)
class Option:
    """
    One command-line option of a report parameter.

    Parameters
    ----------
    flag : str
        The option, e.g. ``--window``.
    field : str
        The parameter (a field of the report's config dataclass, and the option's ``dest``).
    type : Callable[[str], Any]
        Parses and checks the value.
    help : str
        The help text (``%(default)s`` shows the parameter's default).

    """

    flag: str
    field: str
    type: Callable[[str], Any]
    help: str


def add_options(parser: argparse.ArgumentParser, defaults: object, options: list[Option]) -> None:
    """Add ``options`` to ``parser``, each defaulting to its field's value in ``defaults``."""
    for o in options:
        parser.add_argument(
            o.flag,
            dest=o.field,
            metavar=o.flag.lstrip("-").replace("-", "_").upper(),  # not the field's ``_ns``
            type=o.type,
            default=getattr(defaults, o.field),
            help=o.help,
        )
