"""
How a strategy says why it traded, so that the runtime can attribute each trade's PnL.

A strategy puts tags on its orders (Nautilus's own ``tags`` argument of the order factory and of
``close_all_positions``): an entry order carries ``entry_tags(alpha, regime)``, an exit order
``exit_tags(reason)``. Each tag is ``"<key>=<value>"``; the results' fills keep them, and the
trade table (``backtest.attribution``) reads the alpha and regime from a trade's first fill and
the exit reason from its last. A strategy that tags nothing still gets a trade table, with those
columns ``"untagged"``.

Two published series also have a fixed meaning for the report: ``REGIME_SERIES`` (the regime the
rules act on: +1 crowded long, -1 crowded short, 0 neutral) and ``TOXIC_SERIES`` (1 while the
flow is toxic, else 0) shade the price panel.

"""

from collections.abc import Iterable

ALPHA = "alpha"
REGIME = "regime"
EXIT = "exit"
SEPARATOR = "="
UNTAGGED = "untagged"
REGIME_NAMES = {1: "crowded_long", -1: "crowded_short", 0: "neutral"}
REGIME_SERIES = "regime.state"
TOXIC_SERIES = "toxicity.toxic"


def regime_name(regime: int | float) -> str:
    """Return ``crowded_long``, ``crowded_short`` or ``neutral`` for +1, -1 or 0."""
    return REGIME_NAMES.get(int(regime), str(regime))


def entry_tags(alpha: str, regime: int | str) -> list[str]:
    """
    Return the tags of an entry order.

    Parameters
    ----------
    alpha : str
        The alpha that opened the trade (e.g. ``"A"``).
    regime : int | str
        The regime at entry: +1, -1, 0 or a name.

    Returns
    -------
    list[str]

    """
    name = regime if isinstance(regime, str) else regime_name(regime)
    return [f"{ALPHA}{SEPARATOR}{alpha}", f"{REGIME}{SEPARATOR}{name}"]


def exit_tags(reason: str) -> list[str]:
    """Return the tags of an exit order closing a trade for ``reason`` (e.g. ``"stop"``)."""
    return [f"{EXIT}{SEPARATOR}{reason}"]


def read_tags(tags: Iterable[str] | str | None) -> dict[str, str]:
    """
    Return the ``key=value`` tags as a dict (other tags are ignored).

    Parameters
    ----------
    tags : Iterable[str] | str | None
        An order's tags, or the same joined by commas (a fills table's ``tags`` cell).

    Returns
    -------
    dict[str, str]

    """
    if tags is None:
        return {}
    items = tags.split(",") if isinstance(tags, str) else tags
    found = {}
    for tag in items:
        key, sep, value = str(tag).strip().partition(SEPARATOR)
        if sep and key:
            found[key] = value
    return found
