"""
When to decide, and whether a kline gap is open: both read off the 1-minute bars' timestamps.

Decisions happen at the close of every ``cadence_minutes`` window of 1-minute bars, aligned on
UTC multiples of the cadence (a 5-minute decision at 00:05, 00:10, ...): the bar closing the
window triggers it, so the decision is taken the instant that bar is known. The indicators read
the 1-minute bars themselves (more observations per window than cadence bars would give), so no
cadence OHLC bar is built.

Bars are stamped at their close: the ETL stamps ``open + 60 s - 1 ns``, other sources
``open + 60 s``; ``(ts - 1) // 1 minute`` gives the bar's open minute either way.

"""

from strategies.toxvol.config import MINUTE_NS


def bar_minute(ts_ns: int) -> int:
    """Return the open minute (minutes since the epoch) of a 1-minute bar stamped at its close."""
    return (ts_ns - 1) // MINUTE_NS


class DecisionSchedule:
    """
    Say which 1-minute bars close a decision window, and track kline gaps.

    A gap opens when a bar arrives after one or more missing minutes, and stays open until
    ``cooldown_minutes`` contiguous bars have followed it: the indicators then hold a return
    across the hole, and any window of bars straddling it is incomplete.

    Parameters
    ----------
    cadence_minutes : int
        The decision interval in minutes.
    cooldown_minutes : int
        Contiguous bars needed after a gap before it closes (0: closes at once).

    """

    def __init__(self, cadence_minutes: int, cooldown_minutes: int) -> None:
        if cadence_minutes < 1:
            raise ValueError(f"cadence_minutes must be >= 1, was {cadence_minutes!r}")
        if cooldown_minutes < 0:
            raise ValueError(f"cooldown_minutes must be >= 0, was {cooldown_minutes!r}")
        self.cadence_minutes = cadence_minutes
        self.cooldown_minutes = cooldown_minutes
        self._last_minute: int | None = None
        self._contiguous = 0
        self.gaps = 0

    @property
    def gap_open(self) -> bool:
        """Return whether a kline gap is open."""
        return self.gaps > 0 and self._contiguous < self.cooldown_minutes

    def on_bar(self, ts_ns: int) -> bool:
        """
        Record a 1-minute bar and return whether it closes a decision window.

        Parameters
        ----------
        ts_ns : int
            The bar's close timestamp.

        Returns
        -------
        bool

        Raises
        ------
        ValueError
            If the bar is not after the previous one.

        """
        minute = bar_minute(ts_ns)
        if self._last_minute is not None:
            if minute <= self._last_minute:
                raise ValueError(f"bar at minute {minute} is not after minute {self._last_minute}")
            if minute > self._last_minute + 1:
                self.gaps += 1
                self._contiguous = 0
            else:
                self._contiguous += 1
        self._last_minute = minute
        return (minute + 1) % self.cadence_minutes == 0

    def reset(self) -> None:
        """Forget every bar seen."""
        self._last_minute = None
        self._contiguous = 0
        self.gaps = 0
