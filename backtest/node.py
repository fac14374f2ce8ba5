"""
Build and run a streaming ``BacktestNode`` from a ``RunConfig``; return the run as plain data.

Market data (trades, quotes, bars) streams from the catalog in chunks of ``[data] chunk_size``
through ``backtest.streaming.OrderedStreamingNode`` (same-timestamp events in a fixed order).
Custom data reaches strategies through ``backtest.replay.CustomDataReplay``; funding is charged by
``backtest.funding.FundingSettlementModule``; ``backtest.sampler.EquitySampler`` samples equity.

Venue settings that are not configurable, because the other value gives dishonest fills:
- ``bar_execution=False``: with it on, bar O/H/L/C override the quote book;
- ``trade_execution=True``: on an L1 book every trade tick also resets the book to the trade
  price, and with ``trade_execution=False`` a market order then fills at that price whatever its
  side (a buy after a sell-aggressor trade fills at the bid). With it on, a trade only moves the
  side it hit, so a buy fills at the ask.

"""

import time
from pathlib import Path

from nautilus_trader.backtest.config import BacktestDataConfig
from nautilus_trader.backtest.config import BacktestEngineConfig
from nautilus_trader.backtest.config import BacktestRunConfig
from nautilus_trader.backtest.config import BacktestVenueConfig
from nautilus_trader.backtest.config import ImportableFeeModelConfig
from nautilus_trader.backtest.config import ImportableFillModelConfig
from nautilus_trader.backtest.config import ImportableLatencyModelConfig
from nautilus_trader.config import ImportableActorConfig
from nautilus_trader.config import ImportableStrategyConfig
from nautilus_trader.config import LoggingConfig
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.identifiers import ComponentId
from nautilus_trader.model.identifiers import Venue
from nautilus_trader.model.instruments import CurrencyPair
from nautilus_trader.persistence.catalog.parquet import ParquetDataCatalog

from backtest.config import RunConfig
from backtest.fidelity.prepare import PRECOMPUTED_FLAG
from backtest.fidelity.prepare import Prepared
from backtest.fidelity.prepare import prepare
from backtest.frames import account_frame
from backtest.frames import fills_frame
from backtest.frames import positions_frame
from backtest.progress import ProgressActor
from backtest.progress import ProgressConfig
from backtest.recorder import BusRecorder
from backtest.results import RunOutcome
from backtest.stats import compute_stats
from backtest.streaming import OrderedStreamingNode
from catalog.derived import conflated_root
from data_types import FundingRate
from data_types import FuturesMetrics

MARKET_TYPES: dict[str, type] = {"trades": TradeTick, "quotes": QuoteTick, "bars": Bar}
CUSTOM_TYPES: dict[str, type] = {"funding": FundingRate, "metrics": FuturesMetrics}
SAMPLER_ID = "EquitySampler"


class DataError(RuntimeError):
    """The catalog lacks something the run config asks for."""


def _path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__name__}"


def catalog_path(config: RunConfig) -> str:
    """Return the catalog's absolute path (relative paths are relative to the working directory)."""
    return str(config.catalog.resolved())


def check_catalog(config: RunConfig) -> None:
    """
    Check that the catalog holds every instrument and requested family for the period.

    Parameters
    ----------
    config : RunConfig
        The run configuration.

    Raises
    ------
    DataError
        Naming the first missing instrument or family, and the catalog path.

    """
    path = catalog_path(config)
    if not Path(path).is_dir():
        raise DataError(f"catalog.path: no catalog at {path}")
    catalog = ParquetDataCatalog(path)
    period = f"{config.period.start.isoformat()} .. {config.period.end.isoformat()}"
    for instrument_id in config.data.instruments:
        found = catalog.instruments(instrument_ids=[instrument_id])
        if not found:
            raise DataError(f"data.instruments: {instrument_id} is not in the catalog at {path}")
        missing = [
            (family, identifier)
            for family, identifier in _family_identifiers(config, instrument_id)
            if not _has_rows(catalog, config, family, identifier)
        ]
        if not isinstance(found[0], CurrencyPair):
            if missing:
                family, identifier = missing[0]
                raise DataError(
                    f"data.families: no {family} for {identifier} in the catalog at {path} for {period}"
                )
            continue
        # A spot hedge leg has no funding or metrics, and needs only some market data to be priced.
        market = [f for f in config.data.families if f in MARKET_TYPES or f == "bars"]
        if market and all(f in {m for m, _ in missing} for f in market):
            raise DataError(
                f"data.families: no {', '.join(market)} for {instrument_id} in the catalog at {path} for {period}"
            )


def _family_identifiers(config: RunConfig, instrument_id: str) -> list[tuple[str, str]]:
    return [
        (
            family,
            f"{instrument_id}-{config.data.bar_spec}-EXTERNAL"
            if family == "bars"
            else instrument_id,
        )
        for family in config.data.families
    ]


def _has_rows(catalog: ParquetDataCatalog, config: RunConfig, family: str, identifier: str) -> bool:
    cls = Bar if family == "bars" else {**MARKET_TYPES, **CUSTOM_TYPES}[family]
    start, end = config.period.start_ns, config.period.end_ns
    # Custom rows from before the period still count: the latest one is delivered at start.
    return any(
        iv[0] <= end and (family in CUSTOM_TYPES or iv[1] >= start)
        for iv in catalog.get_intervals(cls, identifier)
    )


def streamed_families(config: RunConfig) -> list[tuple[str, str]]:
    """
    Return the market families a run streams and the catalog each one comes from.

    Tick fidelity streams every requested family from the catalog. Features fidelity with a
    quote conflation streams the bars and the conflated quotes (``catalog.derived``), and no
    trades: a resting limit order then fills only when a quote crosses it.

    """
    path = catalog_path(config)
    conflation = config.data.conflation_ms
    streamed = []
    for family in ("trades", "quotes", "bars"):
        if family not in config.data.families:
            continue
        if conflation and family == "trades":
            continue
        if conflation and family == "quotes":
            streamed.append((family, str(conflated_root(Path(path), conflation))))
        else:
            streamed.append((family, path))
    return streamed


def build_run_config(
    config: RunConfig, bypass_logging: bool = False, prepared: Prepared | None = None
) -> BacktestRunConfig:
    """
    Return the Nautilus ``BacktestRunConfig`` of a run configuration.

    Parameters
    ----------
    config : RunConfig
        The validated run configuration.
    bypass_logging : bool, default False
        Bypass Nautilus logging (sweep workers). Logging is process-global: the first engine
        built in a process decides.
    prepared : Prepared, optional
        The derived data of a features-fidelity run (``backtest.fidelity.prepare``); required
        when ``data.fidelity = "features"``.

    Returns
    -------
    BacktestRunConfig

    """
    path = catalog_path(config)
    start, end = config.period.start_ns, config.period.end_ns
    instruments = tuple(config.data.instruments)
    features = config.data.fidelity == "features"
    if features and prepared is None:
        raise ValueError("a features-fidelity run needs its prepared derived data")
    data = []
    for family, source in streamed_families(config):
        selection = (
            {"bar_types": config.data.bar_types()}
            if family == "bars"
            else {"instrument_ids": list(instruments)}
        )
        data.append(
            BacktestDataConfig(
                catalog_path=source,
                data_cls=_path(MARKET_TYPES[family]),
                start_time=start,
                end_time=end,
                **selection,
            ),
        )
    actors = []
    if features and prepared.chains:
        chains = prepared.chains
        actors.append(
            ImportableActorConfig(
                actor_path="backtest.replay:FeatureReplay",
                config_path="backtest.replay:FeatureReplayConfig",
                config={
                    "instrument_ids": tuple(chains),
                    "files": tuple(tuple(str(p) for p in c.paths()) for c in chains.values()),
                    "start_ns": start,
                    "end_ns": end,
                },
            ),
        )
    custom = tuple(
        _path(CUSTOM_TYPES[f]) for f in ("funding", "metrics") if f in config.data.families
    )
    if custom:
        actors.append(
            ImportableActorConfig(
                actor_path="backtest.replay:CustomDataReplay",
                config_path="backtest.replay:CustomDataReplayConfig",
                config={
                    "catalog_path": path,
                    "data_types": custom,
                    "instrument_ids": instruments,
                    "start_ns": start,
                    "end_ns": end,
                },
            ),
        )
    actors.append(
        ImportableActorConfig(
            actor_path="backtest.sampler:EquitySampler",
            config_path="backtest.sampler:EquitySamplerConfig",
            config={
                "venue": config.venue.name,
                "currency": config.venue.currency,
                "instrument_ids": instruments,
                "interval_ns": config.output.equity_interval_secs * 1_000_000_000,
                "component_id": SAMPLER_ID,
            },
        ),
    )
    modules = []
    if config.venue.charge_funding:
        modules.append(
            ImportableActorConfig(
                actor_path="backtest.funding:FundingSettlementModule",
                config_path="backtest.funding:FundingSettlementConfig",
                config={
                    "catalog_path": path,
                    "instrument_ids": instruments,
                    "start_ns": start,
                    "end_ns": end,
                    "bar_types": tuple(config.data.bar_types())
                    if "bars" in config.data.families
                    else (),
                },
            ),
        )
    execution = config.execution
    venue = BacktestVenueConfig(
        name=config.venue.name,
        oms_type=config.venue.oms_type,
        account_type="MARGIN",
        base_currency=config.venue.currency,
        starting_balances=[f"{config.venue.starting_balance} {config.venue.currency}"],
        default_leverage=float(config.venue.leverage),
        leverages={k: float(v) for k, v in config.venue.leverages.items()} or None,
        modules=modules,
        fill_model=ImportableFillModelConfig(
            fill_model_path="nautilus_trader.backtest.models:FillModel",
            config_path="nautilus_trader.backtest.config:FillModelConfig",
            config={
                "prob_fill_on_limit": execution.prob_fill_on_limit,
                "prob_slippage": execution.prob_slippage,
                "random_seed": execution.seed,
            },
        ),
        latency_model=(
            ImportableLatencyModelConfig(
                latency_model_path="nautilus_trader.backtest.models:LatencyModel",
                config_path="nautilus_trader.backtest.config:LatencyModelConfig",
                config={"base_latency_nanos": int(execution.latency_ms * 1_000_000)},
            )
            if execution.latency_ms > 0
            else None
        ),
        fee_model=(
            ImportableFeeModelConfig(
                fee_model_path="backtest.fees:OverrideFeeModel",
                config_path="backtest.fees:OverrideFeeModelConfig",
                config={
                    "maker_fee": str(config.venue.fees.maker),
                    "taker_fee": str(config.venue.fees.taker),
                },
            )
            if config.venue.fees is not None
            else None
        ),
        bar_execution=False,
        trade_execution=True,
        use_reduce_only=execution.use_reduce_only,
    )
    engine = BacktestEngineConfig(
        trader_id=config.run.trader_id,
        logging=LoggingConfig(log_level=config.output.log_level, bypass_logging=bypass_logging),
        strategies=[
            ImportableStrategyConfig(
                strategy_path=config.strategy.path,
                config_path=config.strategy.config_path,
                config={**config.strategy.params, **({PRECOMPUTED_FLAG: True} if features else {})},
            ),
        ],
        actors=actors,
    )
    return BacktestRunConfig(
        venues=[venue],
        data=data,
        engine=engine,
        chunk_size=config.data.chunk_size,
        raise_exception=True,
        dispose_on_completion=False,
        start=start,
        end=end,
    )


def run_backtest(
    config: RunConfig, progress: bool | None = None, bypass_logging: bool = False
) -> RunOutcome:
    """
    Run one backtest in streaming mode and return everything it produced as plain data.

    Parameters
    ----------
    config : RunConfig
        The validated run configuration.
    progress : bool, optional
        Show progress on stderr (default: ``[output] progress``).
    bypass_logging : bool, default False
        Bypass Nautilus logging (for sweep workers).

    Returns
    -------
    RunOutcome

    Raises
    ------
    DataError
        If the catalog lacks an instrument or a requested data family.

    """
    check_catalog(config)
    show_progress = config.output.progress if progress is None else progress
    prepared = None
    if config.data.fidelity == "features":
        prepared = prepare(config, progress=show_progress)
    run_config = build_run_config(config, bypass_logging=bypass_logging, prepared=prepared)
    node = OrderedStreamingNode(configs=[run_config])
    try:
        node.build()
        engine = node.get_engine(run_config.id)
        recorder = BusRecorder()
        recorder.attach(engine.kernel.msgbus)
        if show_progress:
            engine.add_actor(
                ProgressActor(
                    ProgressConfig(start_ns=config.period.start_ns, end_ns=config.period.end_ns),
                    events=lambda: engine.iteration,
                ),
            )
        t0 = time.perf_counter()
        node.run()
        wall = time.perf_counter() - t0
        sampler = next(a for a in engine.trader.actors() if a.id == ComponentId(SAMPLER_ID))
        tables = {
            "fills": fills_frame(engine.cache),
            "positions": positions_frame(recorder.closed_positions, engine.cache.positions_open()),
            "equity": sampler.frame(),
            "funding": recorder.funding_frame(),
        }
        stats = compute_stats(
            **tables,
            starting_balance=float(config.venue.starting_balance),
            start_ns=config.period.start_ns,
            end_ns=config.period.end_ns,
            events=engine.iteration,
            wall_secs=wall,
        )
        # Preparing derived data is part of what a features run costs: recorded apart from the
        # engine's wall time so that cold and warm runs can be compared.
        stats["fidelity"] = config.data.fidelity
        stats["quote_conflation_ms"] = config.data.conflation_ms
        stats["prepare_secs"] = prepared.seconds if prepared is not None else 0.0
        stats["feature_days_built"] = prepared.feature_days_built if prepared is not None else 0
        return RunOutcome(
            run_id=config.run_id(),
            config=config.resolved(),
            start_ns=config.period.start_ns,
            end_ns=config.period.end_ns,
            currency=config.venue.currency,
            stats=stats,
            account=account_frame(engine.cache.account_for_venue(Venue(config.venue.name))),
            series=recorder.series_frame(),
            notes=run_notes(config, tables, stats),
            **tables,
        )
    finally:
        node.dispose()


def run_notes(config: RunConfig, tables: dict, stats: dict) -> list[str]:
    """Return what a reader of the results should know that the numbers do not say."""
    notes = []
    still_open = tables["positions"][tables["positions"]["is_open"]]
    if len(still_open):
        held = ", ".join(
            f"{i} {q:+g}"
            for i, q in zip(still_open["instrument_id"], still_open["signed_qty"], strict=True)
        )
        notes.append(
            f"open at the end: {held}; valued at the last mark "
            f"(unrealized PnL {stats['unrealized_pnl_end']:+,.2f} {config.venue.currency} is in equity, not balance)",
        )
    if config.venue.charge_funding and stats["funding_settlements"] == 0:
        notes.append("no funding settlement fell in the period")
    return notes
