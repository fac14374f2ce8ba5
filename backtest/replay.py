"""
Deliver custom catalog data (``FundingRate``, ``FuturesMetrics``) at its own timestamps.

A streaming ``BacktestNode`` cannot carry custom types, so this actor reads them from the catalog
and publishes each row on the message bus from a clock alert at its timestamp (one alert per
distinct timestamp). Strategies subscribe the normal way: ``self.subscribe_data(DataType(FundingRate))``
(every instrument) or ``DataType(FundingRate, metadata={"instrument_id": "BTCUSDT-PERP.BINANCE"})``
(one instrument), and receive the rows in ``on_data``.

Timing rules:
- the latest row of each (type, instrument) at or before the run start is published at the start,
  so a strategy knows the current funding rate and open interest from its first event;
- every later row is published when the simulated clock reaches its ``ts_init``, in time order
  with the market data: alerts before the first market event fire before it (the run clock starts
  at the period start, not at the first market event), so none is lost; rows are armed a horizon
  (7 days) ahead, because the engine fires an alert armed inside another alert's callback only
  after the next market event: a market-data gap longer than the horizon would delay the rows
  beyond it to that next event;
- at one timestamp, market data is processed before custom data (the engine fires time events at
  a timestamp after that timestamp's data).

"""

import heapq
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from nautilus_trader.common.actor import Actor
from nautilus_trader.common.config import ActorConfig
from nautilus_trader.common.config import resolve_path
from nautilus_trader.common.events import TimeEvent
from nautilus_trader.core.data import Data
from nautilus_trader.model.data import DataType
from nautilus_trader.persistence.catalog.parquet import ParquetDataCatalog

from catalog.custom import iter_custom
from catalog.custom import latest_at_or_before
from catalog.derived import read_feature_day
from data_types import IndicatorValues


def _tagged(rows: Iterator[Data], index: int) -> Iterator[tuple[int, int, Data]]:
    for row in rows:
        yield row.ts_init, index, row


class CustomDataReplayConfig(ActorConfig, frozen=True, kw_only=True):
    """
    Configuration for ``CustomDataReplay``.

    Parameters
    ----------
    catalog_path : str
        The catalog to read.
    data_types : tuple[str, ...]
        The custom data classes as ``"module:Class"`` paths.
    instrument_ids : tuple[str, ...]
        The instruments whose rows are replayed.
    start_ns : int
        The run start: the latest row at or before it is published at the start.
    end_ns : int
        The last nanosecond of the run: later rows are never read.
    horizon_ns : int, default 7 days
        How far ahead of the clock rows are armed as alerts (rows are read lazily, file by file).

    """

    catalog_path: str
    data_types: tuple[str, ...]
    instrument_ids: tuple[str, ...]
    start_ns: int
    end_ns: int
    horizon_ns: int = 7 * 86_400_000_000_000
    component_id: str = "CustomDataReplay"


class CustomDataReplay(Actor):
    """
    Publish custom catalog rows on the message bus at their own timestamps.

    Parameters
    ----------
    config : CustomDataReplayConfig
        The configuration.

    """

    def __init__(self, config: CustomDataReplayConfig) -> None:
        super().__init__(config)
        self._pending: Iterator[tuple[int, int, Data]] = iter(())
        self._next: tuple[int, int, Data] | None = None
        self._data_types: list[DataType] = []
        self._groups: dict[str, list[tuple[int, int, Data]]] = {}
        self._alerts = 0
        self.published = 0

    def _open_streams(self) -> tuple[list[Iterator[tuple[int, int, Data]]], list[tuple[int, int, Data]]]:
        """Return the tagged row streams after the start, and the rows to publish at the start."""
        config: CustomDataReplayConfig = self.config
        catalog = ParquetDataCatalog(config.catalog_path)
        streams: list[Iterator[tuple[int, int, Data]]] = []
        at_start: list[tuple[int, int, Data]] = []
        for type_path in config.data_types:
            data_cls = resolve_path(type_path)
            for instrument_id in config.instrument_ids:
                index = self._add_type(DataType(data_cls, metadata={"instrument_id": instrument_id}))
                known = latest_at_or_before(catalog, data_cls, instrument_id, config.start_ns)
                if known is not None:
                    at_start.append((known.ts_init, index, known))
                rows = iter_custom(
                    catalog, data_cls, instrument_id, config.start_ns + 1, config.end_ns
                )
                streams.append(_tagged(rows, index))
        return streams, at_start

    def _add_type(self, data_type: DataType) -> int:
        # The index breaks timestamp ties in configuration order.
        self._data_types.append(data_type)
        return len(self._data_types) - 1

    def on_start(self) -> None:
        """Open the row streams, then arm the alerts of the start and of the horizon ahead."""
        config = self.config
        streams, at_start = self._open_streams()
        self._pending = heapq.merge(*streams, key=lambda item: (item[0], item[1]))
        self._next = next(self._pending, None)
        now = self.clock.timestamp_ns()
        if at_start:
            # Published from an alert rather than here: strategies start (and subscribe) after actors.
            self._arm(now, sorted(at_start, key=lambda item: (item[0], item[1])))
        self._arm_through(now + config.horizon_ns)

    def _arm(self, ts: int, group: list[tuple[int, int, Data]]) -> None:
        self._alerts += 1
        name = f"replay-{self._alerts}"
        self._groups[name] = group
        self.clock.set_time_alert_ns(name, ts, self._on_alert)

    def _arm_through(self, limit: int) -> None:
        # The engine collects due alerts before it fires them, so an alert armed from a callback
        # for a time before the next market event would fire only after that event: alerts are
        # armed a horizon ahead instead of one by one. With none armed, the next one always is.
        while self._next is not None and (self._next[0] <= limit or not self._groups):
            ts = self._next[0]
            group = []
            while self._next is not None and self._next[0] == ts:
                group.append(self._next)
                self._next = next(self._pending, None)
            self._arm(ts, group)

    def _on_alert(self, event: TimeEvent) -> None:
        for _, index, row in self._groups.pop(event.name):
            self.publish_data(self._data_types[index], row)
            self.published += 1
        self._arm_through(event.ts_event + self.config.horizon_ns)

    def on_reset(self) -> None:
        """Forget the streams; ``on_start`` reopens them."""
        self._pending = iter(())
        self._next = None
        self._data_types = []
        self._groups = {}
        self.published = 0


class FeatureReplayConfig(ActorConfig, frozen=True, kw_only=True):
    """
    Configuration for ``FeatureReplay``.

    Parameters
    ----------
    instrument_ids : tuple[str, ...]
        One instrument per feature chain.
    files : tuple[tuple[str, ...], ...]
        Per instrument, the feature day files of the period in order (``catalog.derived``).
    start_ns, end_ns : int
        The run period: rows with ``start_ns < ts <= end_ns`` are published.
    horizon_ns : int, default 7 days
        As ``CustomDataReplayConfig.horizon_ns``.

    """

    instrument_ids: tuple[str, ...]
    files: tuple[tuple[str, ...], ...]
    start_ns: int
    end_ns: int
    horizon_ns: int = 7 * 86_400_000_000_000
    component_id: str = "FeatureReplay"


def _feature_rows(instrument_id: str, files: tuple[str, ...], start_ns: int, end_ns: int) -> Iterator[Data]:
    for path in files:
        closes, values = read_feature_day(Path(path))
        # A row is published one nanosecond before its kline close: it summarises every event
        # before the close, all of them delivered by then, and it reaches the strategy before
        # the kline and before any event stamped at the close, as the live indicators' values do.
        stamps = closes - 1
        keep = np.flatnonzero((stamps > start_ns) & (closes <= end_ns))
        columns = {name: column[keep].tolist() for name, column in values.items()}
        for row, stamp in enumerate(stamps[keep].tolist()):
            yield IndicatorValues(
                instrument_id, {name: column[row] for name, column in columns.items()}, stamp
            )


class FeatureReplay(CustomDataReplay):
    """
    Publish precomputed indicator values (``IndicatorValues``) just before their kline closes.

    The same alert mechanism as ``CustomDataReplay``. A row is stamped one nanosecond before the
    close it was sampled at, so the strategy holds the values when the kline arrives and decides
    in ``on_bar`` exactly as in tick fidelity, before any event stamped at the close.

    Parameters
    ----------
    config : FeatureReplayConfig
        The configuration.

    """

    def _open_streams(self) -> tuple[list[Iterator[tuple[int, int, Data]]], list[tuple[int, int, Data]]]:
        config: FeatureReplayConfig = self.config
        streams = []
        for instrument_id, files in zip(config.instrument_ids, config.files, strict=True):
            index = self._add_type(DataType(IndicatorValues, metadata={"instrument_id": instrument_id}))
            rows = _feature_rows(instrument_id, files, config.start_ns, config.end_ns)
            streams.append(_tagged(rows, index))
        return streams, []
