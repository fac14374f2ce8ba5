"""
A test strategy for sweeps: the example strategy, counting its runs and optionally slowed down.

Each run leaves one file in ``count_dir`` when it starts, so a test counts the backtests that
actually ran in worker processes it cannot see into.

"""

import os
import signal
import time
import uuid
from pathlib import Path

from strategies.examples.imbalance_momentum import ImbalanceMomentum
from strategies.examples.imbalance_momentum import ImbalanceMomentumConfig


class CountedMomentumConfig(ImbalanceMomentumConfig, frozen=True, kw_only=True):
    """
    Configuration for ``CountedMomentum``.

    Parameters
    ----------
    count_dir : str
        Where each run leaves its file.
    delay_secs : float, default 0.0
        Wall-clock seconds to sleep at start (keeps a sweep busy long enough to interrupt it).
    kill_worker : bool, default False
        Kill the process at start, as the kernel's out-of-memory killer would.

    """

    count_dir: str
    delay_secs: float = 0.0
    kill_worker: bool = False


class CountedMomentum(ImbalanceMomentum):
    """``ImbalanceMomentum`` that records each run's start in ``count_dir`` (and may die there)."""

    def on_start(self) -> None:
        """Leave this run's file, wait if asked, then start as the example strategy does."""
        Path(self.config.count_dir, f"{os.getpid()}-{uuid.uuid4().hex}").touch()
        if self.config.kill_worker:
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(self.config.delay_secs)
        super().on_start()
        self.publish_signal("count.starts", 1)  # a strategy count: the statistic count.starts


def runs_started(count_dir: Path) -> int:
    """Return how many runs have started."""
    return sum(1 for _ in Path(count_dir).iterdir())
