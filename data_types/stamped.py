"""A base for custom data stamped with one instant (``ts_event == ts_init``)."""

from nautilus_trader.core.data import Data


class Stamped(Data):
    """
    Custom data known at one instant: ``ts_event`` and ``ts_init`` are both ``ts``.

    Parameters
    ----------
    ts : int
        The instant (UNIX ns).

    """

    def __init__(self, ts: int) -> None:
        self._ts = ts

    @property
    def ts_event(self) -> int:
        """Return the instant."""
        return self._ts

    @property
    def ts_init(self) -> int:
        """Return the instant."""
        return self._ts
