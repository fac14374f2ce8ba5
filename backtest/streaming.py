"""
A ``BacktestNode`` whose streaming loop keeps memory bounded and orders same-timestamp events.

Memory: Nautilus's own loop opens one backend query over the whole period; the backend merges one
stream per catalog file and holds decoded data of each, so peak memory grows with the number of
days (measured: 395 MiB for 1 day of quotes, 551 MiB for 10). This loop queries one UTC day at a
time (``window_ns``), so memory is bounded by a day's data however long the period.

Order: the backend's merge puts events with equal ``ts_init`` in an order that depends on how many
files the query spans, so adding a later day to the catalog, or consolidating it, could reorder a
bar and a quote stamped at the same instant weeks earlier and change a decision there (future data
influencing the past). This loop sorts each chunk by ``(ts_init, kind)``, kinds ranked bars,
quotes, trades, anything else (a kline stamped at its close sums up the minute before that
instant, so it comes first), and carries the chunk's last timestamp over to the next chunk so that
no group of equal timestamps is split.

End: Nautilus stops at the last market event, so clock alerts between it and the period end never
fire. This loop ends with an ``EndOfPeriod`` event at the period's last nanosecond, so funding
rows and settlements, equity samples and strategy timers cover the whole period (positions are
then marked at the last known prices).

"""

from operator import attrgetter

import nautilus_trader
import numpy as np
from nautilus_trader.backtest.config import BacktestDataConfig
from nautilus_trader.backtest.config import BacktestRunConfig
from nautilus_trader.backtest.engine import BacktestEngine
from nautilus_trader.backtest.node import BacktestNode
from nautilus_trader.core.data import Data
from nautilus_trader.core.nautilus_pyo3 import DataBackendSession
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import CustomData
from nautilus_trader.model.data import DataType
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.data import capsule_to_list

from data_types.stamped import Stamped

DAY_NS = 86_400_000_000_000
KIND_ORDER: dict[type, int] = {Bar: 0, QuoteTick: 1, TradeTick: 2}
OTHER_KIND = len(KIND_ORDER)


def event_order(data: Data) -> tuple[int, int]:
    """Return the sort key of an event: its ``ts_init``, then its kind's rank."""
    return data.ts_init, KIND_ORDER.get(type(data), OTHER_KIND)


def order_events(data: list[Data]) -> None:
    """
    Sort events in place by ``event_order``.

    The backend already yields them by ``ts_init``, so only runs of equal timestamps are sorted
    (a full keyed sort costs several percent of a run).

    """
    ts = np.fromiter(map(attrgetter("ts_init"), data), dtype=np.uint64, count=len(data))
    if len(ts) < 2:
        return
    if np.any(ts[1:] < ts[:-1]):
        data.sort(key=event_order)
        return
    tied = np.flatnonzero(ts[1:] == ts[:-1])
    if len(tied) == 0:
        return
    breaks = np.flatnonzero(np.diff(tied) > 1)
    starts = tied[np.r_[0, breaks + 1]]
    stops = tied[np.r_[breaks, len(tied) - 1]] + 2
    rank = KIND_ORDER.get
    for start, stop in zip(starts.tolist(), stops.tolist(), strict=True):
        data[start:stop] = sorted(data[start:stop], key=lambda d: rank(type(d), OTHER_KIND))


class EndOfPeriod(Stamped):
    """
    The last nanosecond of a run's period, published as custom data on ``data.EndOfPeriod``.

    Parameters
    ----------
    ts : int
        The period's last nanosecond.

    """


def end_of_period(ts: int) -> CustomData:
    """Return the end-of-period event the engine processes last."""
    return CustomData(data_type=DataType(EndOfPeriod), data=EndOfPeriod(ts))


def windows(first: int, last: int, length: int) -> list[tuple[int, int]]:
    """Return ``[lo, hi]`` windows covering ``[first, last]``, cut at multiples of ``length`` (UTC)."""
    bounds = []
    lo = first
    while lo <= last:
        hi = min((lo // length + 1) * length - 1, last)
        bounds.append((lo, hi))
        lo = hi + 1
    return bounds


# The override below replaces a private method of exactly this release; tests pin its source.
NAUTILUS_VERSION = "1.221.0"


class OrderedStreamingNode(BacktestNode):
    """
    Run streaming backtests with bounded memory and a deterministic order of same-timestamp events.

    Only the streaming loop differs from ``BacktestNode`` (Nautilus 1.221's ``_run_streaming``):
    it overrides a private method, so another Nautilus release is refused rather than trusted
    (``tests/architecture`` pins the overridden method's signature and source).

    Parameters
    ----------
    configs : list[BacktestRunConfig]
        The backtest run configurations.
    window_ns : int, default one day
        The span of one backend query; windows are cut at UTC multiples of it.

    """

    def __init__(self, configs: list[BacktestRunConfig], window_ns: int = DAY_NS) -> None:
        if nautilus_trader.__version__ != NAUTILUS_VERSION:
            raise RuntimeError(
                f"backtest.streaming overrides BacktestNode._run_streaming of nautilus_trader "
                f"{NAUTILUS_VERSION}; {nautilus_trader.__version__} is installed (pyproject pins "
                f"{NAUTILUS_VERSION}: reinstall it, or re-check the override against the new release)"
            )
        super().__init__(configs)
        self.window_ns = window_ns

    def _run_streaming(
        self,
        run_config_id: str,
        engine: BacktestEngine,
        data_configs: list[BacktestDataConfig],
        chunk_size: int,
        start: str | int | None = None,
        end: str | int | None = None,
    ) -> None:
        sources = [(config, self.load_catalog(config)) for config in data_configs]
        first = min(config.start_time_nanos for config in data_configs)
        last = max(config.end_time_nanos for config in data_configs)
        carried: list[Data] = []
        for lo, hi in windows(first, last, self.window_ns):
            session = DataBackendSession(chunk_size=chunk_size)
            for config, catalog in sources:
                session = catalog.backend_session(
                    data_cls=config.data_type,
                    identifiers=config.bar_types
                    if config.data_type is Bar
                    else config.query["identifiers"],
                    start=lo,
                    end=hi,
                    session=session,
                )
            for chunk in session.to_query_result():
                # Not followed by upstream 1.222's drop_cvec_pycapsule(chunk): in 1.221 the chunk
                # frees its own buffer (that call aborts the process with a double free), and
                # memory does not grow without it (8M real-volume quotes streamed: peak RSS 264
                # MiB after the first 50k, 293 MiB at the end).
                data = carried + capsule_to_list(chunk)
                last_ts = data[-1].ts_init
                cut = len(data)
                while cut > 0 and data[cut - 1].ts_init == last_ts:
                    cut -= 1
                carried = data[cut:]
                self._feed(engine, data[:cut], run_config_id, start, end)
        # The period's last nanosecond as a final event: clock alerts up to the period end fire
        # (funding rows, settlements, samples, strategy timers) even after the market data stops.
        self._feed(engine, [*carried, end_of_period(last)], run_config_id, start, end)
        engine.end()

    @staticmethod
    def _feed(engine: BacktestEngine, data: list[Data], run_config_id: str, start, end) -> None:
        if not data:
            return
        order_events(data)
        engine.add_data(data=data, validate=False, sort=False)
        engine.run(start=start, end=end, run_config_id=run_config_id, streaming=True)
        engine.clear_data()
