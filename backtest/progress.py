"""
Show a long backtest's progress on stderr: simulated time reached and events per second.

The actor wakes on a simulated-time timer (cheap: one callback per simulated minute) and redraws
at most once per wall-clock interval, so it costs nothing measurable however fast the engine runs.
On a terminal it draws a rich progress bar; otherwise it prints a plain line now and then.

"""

import sys
import time
from collections.abc import Callable
from typing import TextIO

import pandas as pd
from nautilus_trader.common.actor import Actor
from nautilus_trader.common.config import ActorConfig
from nautilus_trader.common.events import TimeEvent
from rich.console import Console
from rich.progress import BarColumn
from rich.progress import Progress
from rich.progress import TaskProgressColumn
from rich.progress import TextColumn
from rich.progress import TimeElapsedColumn

# Live displays not yet stopped: an interrupt can skip ``on_stop``, and a live rich display hides
# the cursor until it is stopped.
_LIVE: set[Progress] = set()
_SHOW_CURSOR = "\x1b[?25h"


def restore_terminal(stream: TextIO | None = None) -> None:
    """
    Stop every progress display still live and show the cursor again.

    Called when a run is interrupted (Ctrl-C or SIGTERM) before its actors stop, so that the
    terminal is left as it was.

    Parameters
    ----------
    stream : TextIO, optional
        The terminal the displays drew on (default ``sys.stderr``).

    """
    for progress in list(_LIVE):
        progress.stop()
    _LIVE.clear()
    stream = stream or sys.stderr
    if stream.isatty():
        stream.write(_SHOW_CURSOR)
        stream.flush()


class ProgressConfig(ActorConfig, frozen=True, kw_only=True):
    """
    Configuration for ``ProgressActor``.

    Parameters
    ----------
    start_ns, end_ns : int
        The simulated period, for the fraction done.
    interval_ns : int, default 60 s
        The simulated time between wake-ups.
    min_wall_secs : float, default 0.5
        The least wall-clock time between two redraws on a terminal (ten times that otherwise).

    """

    start_ns: int
    end_ns: int
    interval_ns: int = 60_000_000_000
    min_wall_secs: float = 0.5
    component_id: str = "Progress"


class ProgressActor(Actor):
    """
    Report simulated time reached and events per second while a backtest runs.

    Parameters
    ----------
    config : ProgressConfig
        The configuration.
    events : Callable[[], int]
        Returns the number of events the engine has processed so far.
    stream : TextIO, optional
        Where to write (default ``sys.stderr``).

    """

    def __init__(
        self, config: ProgressConfig, events: Callable[[], int], stream: TextIO | None = None
    ) -> None:
        super().__init__(config)
        self._events = events
        self._stream = stream or sys.stderr
        self._interactive = self._stream.isatty()
        self._min_wall = config.min_wall_secs if self._interactive else 10 * config.min_wall_secs
        self._progress: Progress | None = None
        self._task = None
        self._t0 = 0.0
        self._last_wall = 0.0
        self._last_events = 0

    def on_start(self) -> None:
        """Start the wall clock, the display and the timer."""
        self._t0 = self._last_wall = time.perf_counter()
        self._last_events = self._events()
        if self._interactive:
            self._progress = Progress(
                TextColumn("[bold]backtest[/]"),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[status]}"),
                TimeElapsedColumn(),
                console=Console(file=self._stream),
                transient=True,
            )
            self._task = self._progress.add_task("run", total=self._span(), status="")
            self._progress.start()
            _LIVE.add(self._progress)
        self.clock.set_timer_ns("progress", self.config.interval_ns, 0, 0, self._on_timer)

    def _span(self) -> float:
        return max(self.config.end_ns - self.config.start_ns, 1) / 1e9

    def _on_timer(self, event: TimeEvent) -> None:
        now = time.perf_counter()
        if now - self._last_wall >= self._min_wall:
            self._report(now, event.ts_event)

    def _report(self, now: float, ts: int) -> None:
        events = self._events()
        rate = (events - self._last_events) / max(now - self._last_wall, 1e-9)
        self._last_wall, self._last_events = now, events
        reached = pd.Timestamp(ts, tz="UTC").strftime("%Y-%m-%d %H:%M")
        status = f"{reached} UTC  {events:,} events  {rate / 1000:,.0f}k ev/s"
        done = min(max(ts - self.config.start_ns, 0) / 1e9, self._span())
        if self._progress is not None:
            self._progress.update(self._task, completed=done, status=status)
        else:
            print(
                f"backtest {100 * done / self._span():5.1f}%  {status}",
                file=self._stream,
                flush=True,
            )

    def on_stop(self) -> None:
        """Close the display."""
        if self._progress is not None:
            self._progress.stop()
            _LIVE.discard(self._progress)
            self._progress = None
