"""
Prepare what a features-fidelity run reads: precomputed indicator values and conflated quotes.

Both are derived data kept with the catalog (``catalog.derived``), stamped with the identities of
their sources: a run builds what is missing or stale and reuses the rest, so the first run of a
period pays the precompute and every later run (another threshold, cadence, sizing, exit or
ablation switch of a sweep) reads the same files. ``python run_backtest.py --prepare`` runs this
alone for a config or a whole sweep, so a cluster can prepare once.
"""

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import msgspec
from nautilus_trader.common.config import resolve_path

from backtest.config import RunConfig
from backtest.fidelity.conflate import build_conflated
from backtest.fidelity.features import FeatureChain
from backtest.fidelity.features import FeatureSet
from backtest.fidelity.features import FidelityError
from backtest.fidelity.features import build_features
from backtest.fidelity.features import feature_sets
from catalog.derived import conflated_root
from catalog.derived import day_label
from catalog.fingerprint import Fingerprints

# The strategy config field the runtime sets in features fidelity.
PRECOMPUTED_FLAG = "precomputed_features"


@dataclass(frozen=True)
class Prepared:
    """What a features-fidelity run reads, and what preparing it cost."""

    chains: dict[str, FeatureChain]
    conflated_root: Path | None
    feature_days_built: int = 0
    quote_days_built: int = 0
    seconds: float = 0.0


def strategy_supports_features(config: RunConfig) -> None:
    """
    Check that a run's strategy can run in features fidelity.

    Raises
    ------
    FidelityError
        Naming what the strategy lacks.

    """
    config_cls = config.strategy_config_class()
    if PRECOMPUTED_FLAG not in {f.name for f in msgspec.structs.fields(config_cls)}:
        raise FidelityError(
            f"{config.strategy.path} does not support data.fidelity = 'features': its config "
            f"{config_cls.__name__} has no '{PRECOMPUTED_FLAG}' field; use 'tick'"
        )


def run_feature_sets(config: RunConfig) -> list[FeatureSet]:
    """
    Return the feature sets a run's strategy declares.

    Raises
    ------
    FidelityError
        If the strategy does not support the features fidelity.

    """
    strategy_supports_features(config)
    params = dict(config.strategy.params)
    strategy_config = config.strategy_config_class().parse(msgspec.json.encode(params))
    return feature_sets(resolve_path(config.strategy.path), strategy_config)


def prepare(config: RunConfig, progress: bool = False) -> Prepared:
    """
    Build the derived data a features-fidelity run needs (nothing that is already current).

    Parameters
    ----------
    config : RunConfig
        A run configuration with ``data.fidelity = "features"``.
    progress : bool, default False
        Say on stderr which days are being built.

    Returns
    -------
    Prepared

    Raises
    ------
    FidelityError
        If the strategy does not support the features fidelity or the data cannot be read.

    """
    started = time.perf_counter()
    sets = run_feature_sets(config)
    root = config.catalog.resolved()
    fingerprints = Fingerprints(root)
    # Indicators start where the stream starts: at the warm-up's start, as in tick fidelity.
    start, end = config.period.stream_start_ns, config.period.end_ns

    def say(text: str) -> None:
        if progress:
            print(text, file=sys.stderr, flush=True)

    chains: dict[str, FeatureChain] = {}
    built = 0
    for feature_set in sets:
        def on_day(day: int, instrument_id: str = feature_set.instrument_id) -> None:
            say(f"features  {instrument_id}  {day_label(day)} built")

        chain = build_features(root, feature_set, start, end, fingerprints, on_day=on_day)
        chains[feature_set.instrument_id] = chain
        built += chain.built_days
    interval = config.data.conflation_ms
    quotes_built = 0
    if interval > 0 and "quotes" in config.data.families:
        for instrument_id in config.data.instruments:
            quotes_built += build_conflated(root, instrument_id, interval, start, end, fingerprints)
        say(f"quotes    conflated to {interval} ms: {quotes_built} day(s) built")
    return Prepared(
        chains=chains,
        conflated_root=conflated_root(root, interval) if interval > 0 else None,
        feature_days_built=built,
        quote_days_built=quotes_built,
        seconds=time.perf_counter() - started,
    )
