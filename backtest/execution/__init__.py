"""
Execution realism of the simulated venue: depth beyond the touch, queue position, the fill ledger.

The seam in Nautilus 1.221 is the venue's fill model (``FillModel.get_orderbook_for_fill_simulation``,
asked for a book at every market order and limit fill) together with a ``SimulationModule`` that
sees every quote, trade and bar before the matching engine and may fill a resting order itself
(``OrderMatchingEngine.fill_order``). Nautilus's own L2 path (``book_type = "L2_MBP"`` fed with
``OrderBookDepth10``) is not used: the archive has no level-by-level book to build it from (only
the touch and ±1..5 % cumulative bands), an L2 venue ignores quote ticks (so features fidelity's
conflated quotes would leave it empty), a derived depth-10 row per quote would multiply the
streamed bytes, and it would still fill a resting order with no queue.

- ``walk``: how an order walks the touch and the levels behind it (pure arithmetic);
- ``profiles``: the depth beyond the touch, from ``bookDepth`` or the square-root law;
- ``book_depth``: the ``bookDepth`` snapshots, replayed forward;
- ``queue``: queue position of resting orders;
- ``fill_model``, ``module``: the Nautilus side; ``ledger``: the touch each taker order met.

"""

from backtest.execution.fill_model import RealismFillModel
from backtest.execution.module import MODELS
from backtest.execution.module import ExecutionRealismConfig
from backtest.execution.module import ExecutionRealismModule

__all__ = ["MODELS", "ExecutionRealismConfig", "ExecutionRealismModule", "RealismFillModel"]
