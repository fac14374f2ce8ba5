"""Progress on stderr for the long parts of a report: files read, then named stages."""

import sys
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")


class Stages:
    """
    A bar over a report's named stages; ``start(name)`` completes the previous stage.

    Parameters
    ----------
    bar : tqdm
        The bar, with ``total`` the number of stages.

    """

    def __init__(self, bar: tqdm) -> None:
        self._bar = bar
        self._running = False

    def start(self, name: str) -> None:
        """Complete the running stage (if any) and show ``name`` as the running one."""
        if self._running:
            self._bar.update(1)
        self._running = True
        self._bar.set_postfix_str(name)

    def close(self) -> None:
        """Complete the running stage and close the bar."""
        if self._running:
            self._bar.update(1)
            self._running = False
        self._bar.close()


class Progress:
    """
    Progress bars on stderr, or none.

    Parameters
    ----------
    enabled : bool | None
        True: always show; False: never; None: only when stderr is a terminal (so logs and
        captured test output stay clean).

    """

    def __init__(self, enabled: bool | None = None) -> None:
        self._disable = None if enabled is None else not enabled

    def iterate(
        self, items: Sequence[T] | Iterable[T], desc: str, unit: str = "file"
    ) -> Iterator[T]:
        """Yield ``items`` while showing how many are done."""
        yield from tqdm(
            items, desc=desc, unit=unit, disable=self._disable, leave=False, file=sys.stderr
        )

    def stages(self, desc: str, names: Sequence[str]) -> Stages:
        """Return a bar over the stages ``names`` (call ``start`` for each, then ``close``)."""
        bar = tqdm(
            total=len(names),
            desc=desc,
            unit="stage",
            disable=self._disable,
            leave=False,
            file=sys.stderr,
        )
        return Stages(bar)
