"""
Precompute a strategy's tick-fed indicators at every 1-minute kline close (features fidelity).

A strategy supports the features fidelity by a class method
``precomputed_indicators(config) -> {instrument_id: {name: indicator}}`` naming the indicators it
feeds with quotes and trades. Here each indicator is advanced over the full-resolution catalog,
block by block and day by day, with its own batch twin (``Indicator.advance``: the same compiled
step as the live handler, on the indicator's own state), and sampled at each kline close ``T``:
the value after every event with ``ts_init < T``. That is exactly what the live indicator holds
when the strategy's ``on_bar`` runs at ``T`` in tick fidelity, where a kline is delivered before
any quote or trade stamped at the same instant.

Indicators carry state across days, so day ``d`` of a chain starting at the run start depends on
every day before it: each day file is stamped with a fingerprint chained over the sources of all
days so far, and a checkpoint of every indicator's state at the day's end lets a longer period, or
a rebuild after a later day changed, continue without recomputing the earlier days.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from nautilus_trader.indicators.base import Indicator

from catalog.derived import checkpoint_path
from catalog.derived import feature_day_path
from catalog.derived import features_dir
from catalog.derived import read_checkpoint
from catalog.derived import stored_fingerprint
from catalog.derived import write_checkpoint
from catalog.derived import write_feature_day
from catalog.fingerprint import Fingerprints
from catalog.layout import day_bounds
from catalog.layout import files_overlapping
from catalog.layout import market_dir
from catalog.layout import period_days
from catalog.reader import iter_blocks

FEEDS = ("quotes", "trades")


class FidelityError(RuntimeError):
    """The features fidelity cannot serve this run (unsupported strategy, unusable data)."""


@dataclass(frozen=True)
class FeatureSet:
    """
    The tick-fed indicators of one instrument that a strategy reads, by name.

    Parameters
    ----------
    instrument_id : str
        The instrument whose quotes and trades feed the indicators.
    build : Callable[[], dict[str, Indicator]]
        Returns fresh indicators (each build is independent).

    """

    instrument_id: str
    build: Callable[[], dict[str, Indicator]]

    @cached_property
    def key(self) -> str:
        """Return a digest of the names, classes and parameters (fresh states) of the indicators."""
        digest = hashlib.sha256(self.instrument_id.encode())
        for name, indicator in sorted(self.build().items()):
            cls = type(indicator)
            digest.update(f"\0{name}|{cls.__module__}.{cls.__qualname__}|".encode())
            digest.update(indicator.checkpoint()["state"].tobytes())
        return digest.hexdigest()[:16]

    @cached_property
    def names(self) -> list[str]:
        """Return the indicator names."""
        return sorted(self.build())


def feature_sets(strategy_cls: type, strategy_config: object) -> list[FeatureSet]:
    """
    Return the feature sets a strategy declares for a configuration.

    Parameters
    ----------
    strategy_cls : type
        The strategy class.
    strategy_config : StrategyConfig
        Its configuration.

    Returns
    -------
    list[FeatureSet]

    Raises
    ------
    FidelityError
        If the strategy does not declare ``precomputed_indicators``, or declares an indicator
        without a block update.

    """
    declare = getattr(strategy_cls, "precomputed_indicators", None)
    if declare is None:
        raise FidelityError(
            f"{strategy_cls.__name__} does not support data.fidelity = 'features': it declares no "
            "precomputed_indicators(config) (see docs/writing-a-strategy.md); use 'tick'"
        )
    sets = []
    for instrument_id, indicators in declare(strategy_config).items():
        for name, indicator in indicators.items():
            if getattr(indicator, "feed", None) not in FEEDS:
                raise FidelityError(
                    f"{strategy_cls.__name__}.precomputed_indicators: {name} = {indicator!r} is not "
                    "fed by quotes or trades (no block update); keep it live in the strategy"
                )
            if not indicator.nan_until_ready:
                raise FidelityError(
                    f"{strategy_cls.__name__}.precomputed_indicators: {name} = {indicator!r} can be "
                    "NaN once initialized, so its readiness cannot travel as a value; keep it live"
                )

        def build(key=instrument_id) -> dict[str, Indicator]:
            return declare(strategy_config)[key]

        # An InstrumentId or its text: the derived data is keyed by the text.
        sets.append(FeatureSet(str(instrument_id), build))
    return sets


@dataclass(frozen=True)
class FeatureChain:
    """Where one feature set's days live for a run start, and the days the run reads."""

    folder: Path
    days: list[int]
    names: list[str]
    built_days: int

    def paths(self) -> list[Path]:
        """Return the feature files of the run's days, in order."""
        return [feature_day_path(self.folder, day) for day in self.days]


class _Samples:
    """The values of one feed's indicators at the day's kline closes, filled block by block."""

    def __init__(self, closes: np.ndarray, names: list[str]) -> None:
        self.closes = closes
        self.values = {name: np.full(closes.size, np.nan) for name in names}
        self.filled = 0

    def take(self, ts_init: np.ndarray, series: dict[str, np.ndarray], before: dict[str, float]) -> None:
        # Closes up to the block's last event have all their earlier events in this or earlier
        # blocks: the value at close T is the one after the last event with ts_init < T.
        upto = int(np.searchsorted(self.closes, ts_init[-1], side="right"))
        if upto <= self.filled:
            return
        closes = self.closes[self.filled : upto]
        index = np.searchsorted(ts_init, closes, side="left") - 1
        inside = index >= 0
        for name, out in series.items():
            chunk = np.full(closes.size, before[name])
            chunk[inside] = out[index[inside]]
            self.values[name][self.filled : upto] = chunk
        self.filled = upto

    def finish(self, final: dict[str, float]) -> None:
        # Closes after the feed's last event of the day hold the indicators' last values.
        for name, value in final.items():
            self.values[name][self.filled :] = value
        self.filled = self.closes.size


def _day_files(root: Path, family: str, instrument_id: str, day: int) -> list[Path]:
    lo, hi = day_bounds(day)
    return [f.path for f in files_overlapping(market_dir(root, family, instrument_id), lo, hi)]


def _closes(files: list[Path], lo: int, hi: int) -> np.ndarray:
    parts = [
        block.columns["ts_init"] for path in files for block in iter_blocks(path, "bars", ())
    ]
    ts = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
    return np.unique(ts[(ts >= lo) & (ts <= hi)])


def _advance_day(
    indicators: dict[str, Indicator],
    feed_files: dict[str, list[Path]],
    closes: np.ndarray,
    start_ns: int,
) -> dict[str, np.ndarray]:
    values: dict[str, np.ndarray] = {}
    for feed in FEEDS:
        members = {n: i for n, i in indicators.items() if i.feed == feed}
        if not members:
            continue
        columns = sorted({c for i in members.values() for c in i.feed_columns})
        samples = _Samples(closes, list(members))
        last_ts = None  # the previous block's last row, of the file as stored
        for path in feed_files[feed]:
            for block in iter_blocks(path, feed, columns):
                ts_init = block.columns["ts_init"]
                if ts_init.size == 0:
                    continue
                if (last_ts is not None and ts_init[0] < last_ts) or np.any(ts_init[1:] < ts_init[:-1]):
                    raise FidelityError(f"{path}: rows are not in ts_init order")
                last_ts = int(ts_init[-1])
                # Rows before the run start (a period starting mid-day) are not streamed.
                keep = ts_init >= start_ns
                if not keep.all():
                    block_columns = {k: v[keep] for k, v in block.columns.items()}
                    ts_init = block_columns["ts_init"]
                else:
                    block_columns = block.columns
                if ts_init.size == 0:
                    continue
                before = {n: i.value for n, i in members.items()}
                series = {n: i.advance(block_columns) for n, i in members.items()}
                samples.take(ts_init, series, before)
        samples.finish({n: i.value for n, i in members.items()})
        values.update(samples.values)
    return values


def build_features(
    root: Path,
    feature_set: FeatureSet,
    start_ns: int,
    end_ns: int,
    fingerprints: Fingerprints,
    on_day: Callable[[int], None] | None = None,
) -> FeatureChain:
    """
    Make sure every day of ``[start_ns, end_ns]`` has current features; build what is missing.

    Parameters
    ----------
    root : Path
        The catalog.
    feature_set : FeatureSet
        The indicators.
    start_ns, end_ns : int
        The run period (inclusive bounds); indicators start fresh at ``start_ns``.
    fingerprints : Fingerprints
        Identities of the catalog's files.
    on_day : Callable[[int], None], optional
        Called after each day built (progress).

    Returns
    -------
    FeatureChain

    """
    folder = features_dir(root, feature_set.instrument_id, feature_set.key, start_ns)
    days = period_days(start_ns, end_ns)
    instrument_id = feature_set.instrument_id
    feeds = sorted({i.feed for i in feature_set.build().values()})
    chain = f"{feature_set.key}|{start_ns}"
    fingerprints_by_day = []
    files_by_day = []
    for day in days:
        files = {family: _day_files(root, family, instrument_id, day) for family in (*feeds, "bars")}
        chain = fingerprints.combine(chain, [p for family in sorted(files) for p in files[family]])
        fingerprints_by_day.append(chain)
        files_by_day.append(files)
    stale = [
        i
        for i, day in enumerate(days)
        if stored_fingerprint(feature_day_path(folder, day)) != fingerprints_by_day[i]
    ]
    result = FeatureChain(folder, days, feature_set.names, built_days=0)
    if not stale:
        return result
    first = stale[0]
    indicators = feature_set.build()
    if first > 0:
        saved = read_checkpoint(checkpoint_path(folder, days[first - 1]), fingerprints_by_day[first - 1])
        if saved is None or set(saved) != set(indicators):
            first = 0
        else:
            for name, indicator in indicators.items():
                indicator.restore(saved[name])
    for i in range(first, len(days)):
        day = days[i]
        lo, hi = day_bounds(day)
        closes = _closes(files_by_day[i]["bars"], max(lo, start_ns), hi)
        values = _advance_day(indicators, files_by_day[i], closes, start_ns)
        write_feature_day(feature_day_path(folder, day), closes, values, fingerprints_by_day[i])
        write_checkpoint(
            checkpoint_path(folder, day),
            {name: indicator.checkpoint() for name, indicator in indicators.items()},
            fingerprints_by_day[i],
        )
        if on_day is not None:
            on_day(day)
    return FeatureChain(folder, days, feature_set.names, built_days=len(days) - first)

