"""
Running totals a strategy publishes as ``count.<name>`` signals (entries per alpha, exits, ...).

The runtime records every published signal and turns the last value of each ``count.*`` series
(``data_types.series.COUNT_PREFIX``) into a statistic of the run (``stats.json``, the sweep table);
the report draws them together in one panel. Every total is published once at the start, so a count
that never moves still shows up as 0.

"""

from collections.abc import Iterable

from nautilus_trader.common.actor import Actor

from data_types.series import COUNT_PREFIX


class RunCounts:
    """
    Named running totals of one strategy, published on every change.

    Parameters
    ----------
    actor : Actor
        The strategy that publishes them.
    names : Iterable[str]
        The totals' names (lower case, no dots: ``alpha_a``, ``exit_stop``).

    """

    def __init__(self, actor: Actor, names: Iterable[str]) -> None:
        self._actor = actor
        self._values = dict.fromkeys((str(n) for n in names), 0)

    def __getitem__(self, name: str) -> int:
        return self._values[name]

    def publish_all(self) -> None:
        """Publish every total (call from ``on_start``)."""
        for name, value in self._values.items():
            self._actor.publish_signal(COUNT_PREFIX + name, value)

    def add(self, name: str, n: int = 1) -> None:
        """
        Add ``n`` to a total and publish it.

        Raises
        ------
        KeyError
            If ``name`` was not declared.

        """
        name = str(name)
        self._values[name] += n
        self._actor.publish_signal(COUNT_PREFIX + name, self._values[name])

    def reset(self) -> None:
        """Set every total back to 0 (not published until ``publish_all``)."""
        self._values = dict.fromkeys(self._values, 0)
