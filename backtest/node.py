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
from datetime import timedelta
from pathlib import Path

import pandas as pd
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
from nautilus_trader.model.enums import OrderStatus
from nautilus_trader.model.identifiers import ComponentId
from nautilus_trader.model.identifiers import Venue
from nautilus_trader.model.instruments import CurrencyPair
from nautilus_trader.persistence.catalog.parquet import ParquetDataCatalog

from backtest.config import MARK_BAR_SPEC
from backtest.config import RunConfig
from backtest.covered import covered_stats
from backtest.fidelity.prepare import PRECOMPUTED_FLAG
from backtest.fidelity.prepare import Prepared
from backtest.fidelity.prepare import prepare
from backtest.frames import account_frame
from backtest.frames import fills_frame
from backtest.frames import positions_frame
from backtest.funding import BAR_CLOSE
from backtest.funding import LAST_TRADE
from backtest.funding import MARK_KLINE
from backtest.funding import QUOTE_MID
from backtest.period_rules import period_rules
from backtest.progress import ProgressActor
from backtest.progress import ProgressConfig
from backtest.recorder import BusRecorder
from backtest.results import RunOutcome
from backtest.stats import compute_stats
from backtest.streaming import OrderedStreamingNode
from backtest.warmup import TradingGate
from catalog.coverage import PeriodCoverage
from catalog.coverage import coverage
from catalog.derived import conflated_root
from data_types import FundingRate
from data_types import FuturesMetrics
from data_types import IndexPriceKline
from data_types import PremiumIndexKline

# "mark" streams the mark-price klines as bars of their own bar type (``DataSection.mark_bar_types``).
MARKET_TYPES: dict[str, type] = {"trades": TradeTick, "quotes": QuoteTick, "bars": Bar, "mark": Bar}
CUSTOM_TYPES: dict[str, type] = {
    "funding": FundingRate,
    "metrics": FuturesMetrics,
    "index": IndexPriceKline,
    "premium": PremiumIndexKline,
}
SAMPLER_ID = "EquitySampler"
HOUR_NS = 3_600_000_000_000
# The longest stretch without rows at either end of a day that still counts as covered: an hour
# for ticks and klines (a real day has rows within seconds of midnight); funding rows come every
# 1 to 8 hours, so a day with any row is covered.
DEFAULT_EDGE_TOLERANCE_NS = HOUR_NS
EDGE_TOLERANCE_NS: dict[str, int] = {"funding": 24 * HOUR_NS}


class DataError(RuntimeError):
    """The catalog lacks something the run config asks for."""


def _path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__name__}"


def catalog_path(config: RunConfig) -> str:
    """Return the catalog's absolute path (relative paths are relative to the working directory)."""
    return str(config.catalog.resolved())


def _sources(config: RunConfig, instrument_id: str, spot: bool) -> list[tuple[str, type, str]]:
    """Return (family, data class, catalog identifier) of every family the run reads of an instrument."""
    sources = []
    for family in config.data.families:
        if spot and family not in MARKET_TYPES and family != "mark":
            continue  # a spot hedge leg has no funding, metrics or premium
        if family == "bars":
            sources.append((family, Bar, f"{instrument_id}-{config.data.bar_spec}-EXTERNAL"))
        elif family == "mark":
            if not spot:
                sources.append((family, Bar, f"{instrument_id}-{MARK_BAR_SPEC}-EXTERNAL"))
        else:
            sources.append((family, {**MARKET_TYPES, **CUSTOM_TYPES}[family], instrument_id))
    return sources


def check_catalog(config: RunConfig) -> PeriodCoverage:
    """
    Check that the catalog holds every instrument, and covers the streamed time for every family.

    The streamed time is the period with its warm-up (``[period] warmup``). A day without rows
    of a requested family, or a day whose rows stop more than ``EDGE_TOLERANCE_NS`` short of its
    ends (funding rows: of a whole day), is a gap (``catalog.coverage``). A spot hedge leg needs
    only some market data: its families are checked among those the catalog has for it.

    Parameters
    ----------
    config : RunConfig
        The run configuration.

    Returns
    -------
    PeriodCoverage
        What the catalog covers of the streamed time, per source.

    Raises
    ------
    DataError
        Naming a missing instrument, or listing the missing days per family unless
        ``[period] allow_gaps`` is true.

    """
    path = catalog_path(config)
    if not Path(path).is_dir():
        raise DataError(f"catalog.path: no catalog at {path}")
    catalog = ParquetDataCatalog(path)
    start, end = config.period.stream_start_ns, config.period.end_ns
    sources = []
    for instrument_id in config.data.instruments:
        found = catalog.instruments(instrument_ids=[instrument_id])
        if not found:
            raise DataError(f"data.instruments: {instrument_id} is not in the catalog at {path}")
        spot = isinstance(found[0], CurrencyPair)
        checked = [
            coverage(
                Path(path),
                cls,
                identifier,
                start,
                end,
                EDGE_TOLERANCE_NS.get(family, DEFAULT_EDGE_TOLERANCE_NS),
                label=f"{family} {identifier}",
            )
            for family, cls, identifier in _sources(config, instrument_id, spot)
        ]
        if spot:
            # A hedge leg is priced by whichever market family the catalog has for it.
            held = [c for c in checked if c.covered]
            if not held:
                raise DataError(
                    f"data.families: no {', '.join(f for f, _, _ in _sources(config, instrument_id, spot))} "
                    f"for {instrument_id} in the catalog at {path} for {_period_text(config)}"
                )
            checked = held
        sources += checked
    found_coverage = PeriodCoverage(start, end, sources)
    empty = [s.label for s in sources if not s.covered]
    if not found_coverage.complete and not config.period.allow_gaps:
        raise DataError(
            f"data.families: the catalog at {path} does not cover {_period_text(config)}; "
            f"missing days per family:\n{found_coverage.describe()}\n"
            "(set [period] allow_gaps = true to run on the covered time only)"
        )
    if empty:
        raise DataError(
            f"data.families: no {', '.join(empty)} in the catalog at {path} for {_period_text(config)}"
        )
    return found_coverage


def _period_text(config: RunConfig) -> str:
    period = config.period
    text = f"{period.start.isoformat()} .. {period.end.isoformat()}"
    return f"{text} (with its warm-up from {(period.start - period.warmup).isoformat()})" if period.warmup else text


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
    for family in ("trades", "quotes", "bars", "mark"):
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
    # Everything is streamed from the warm-up's start; funding is settled from the period's start.
    start, end = config.period.stream_start_ns, config.period.end_ns
    instruments = tuple(config.data.instruments)
    features = config.data.fidelity == "features"
    if features and prepared is None:
        raise ValueError("a features-fidelity run needs its prepared derived data")
    data = []
    for family, source in streamed_families(config):
        selection = (
            {"bar_types": config.data.bar_types()}
            if family == "bars"
            else {"bar_types": config.data.mark_bar_types()}
            if family == "mark"
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
    custom = tuple(_path(CUSTOM_TYPES[f]) for f in CUSTOM_TYPES if f in config.data.families)
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
                    "start_ns": config.period.start_ns,
                    "end_ns": end,
                    "bar_types": tuple(config.data.bar_types())
                    if "bars" in config.data.families
                    else (),
                },
            ),
        )
    execution = config.execution
    # After funding: a queue fill at a trade must not change the position a settlement due
    # before that trade charges.
    modules.append(
        ImportableActorConfig(
            actor_path="backtest.execution:ExecutionRealismModule",
            config_path="backtest.execution:ExecutionRealismConfig",
            config={
                "model": execution.model,
                "catalog_path": path,
                "instrument_ids": instruments,
                "bar_types": tuple(config.data.bar_types())
                if "bars" in config.data.families
                else (),
                "start_ns": start,
                "end_ns": end,
                "impact_coefficient": execution.impact_coefficient,
                "impact_window_minutes": execution.impact_window_minutes,
                "book_depth_max_age_ns": execution.book_depth_max_age_secs * 1_000_000_000,
            },
        ),
    )
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
            fill_model_path="backtest.execution:RealismFillModel",
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
    config: RunConfig,
    progress: bool | None = None,
    bypass_logging: bool = False,
    recorder: BusRecorder | None = None,
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
    recorder : BusRecorder, optional
        The recorder to attach (a caller that wants everything published, warm-up included,
        e.g. the look-ahead analysis); a new one by default.

    Returns
    -------
    RunOutcome
        Equity, series and funding from the period's start (the warm-up is left out).

    Raises
    ------
    DataError
        If the catalog lacks an instrument, or does not cover the streamed time for a requested
        family and ``[period] allow_gaps`` is false.

    """
    found = check_catalog(config)
    show_progress = config.output.progress if progress is None else progress
    prepared = None
    if config.data.fidelity == "features":
        prepared = prepare(streamed_config(config), progress=show_progress)
    rules = period_rules(
        config.catalog.resolved(), config.data.instruments, config.period.start, config.period.end
    )
    run_config = build_run_config(config, bypass_logging=bypass_logging, prepared=prepared)
    node = OrderedStreamingNode(configs=[run_config])
    start_ns = config.period.start_ns
    try:
        node.build()
        engine = node.get_engine(run_config.id)
        for instrument in rules.instruments:
            # Replaces the catalog's instrument (and its matching engine) before anything runs.
            engine.add_instrument(instrument)
        gate = None
        if config.period.stream_start_ns < start_ns:
            gate = TradingGate(engine.kernel.risk_engine, start_ns)
            engine.add_actor(gate)
        recorder = recorder or BusRecorder()
        recorder.attach(engine.kernel.msgbus)
        if show_progress:
            engine.add_actor(
                ProgressActor(
                    ProgressConfig(start_ns=config.period.stream_start_ns, end_ns=config.period.end_ns),
                    events=lambda: engine.iteration,
                ),
            )
        t0 = time.perf_counter()
        node.run()
        wall = time.perf_counter() - t0
        sampler = next(a for a in engine.trader.actors() if a.id == ComponentId(SAMPLER_ID))
        equity = sampler.frame()
        tables = {
            "fills": fills_frame(engine.cache),
            "positions": positions_frame(recorder.closed_positions, engine.cache.positions_open()),
            # The warm-up's samples are left out: equity starts at the period's start.
            "equity": equity[equity["ts"] >= start_ns].reset_index(drop=True),
            "funding": recorder.funding_frame(),
        }
        stats = compute_stats(
            **tables,
            starting_balance=float(config.venue.starting_balance),
            start_ns=start_ns,
            end_ns=config.period.end_ns,
            events=engine.iteration,
            wall_secs=wall,
            settings=config.stats,
        )
        stats = covered_stats(
            stats,
            tables["equity"],
            float(config.venue.starting_balance),
            period_coverage(found, start_ns),
            config.stats,
        )
        stats["warmup_secs"] = config.period.warmup.total_seconds()
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
            series=_from(recorder.series_frame(), start_ns),
            notes=run_notes(config, tables, stats) + rules.notes + _warmup_notes(config, gate, engine),
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
    if config.venue.charge_funding and not tables["funding"].empty:
        notes.append(mark_source_note(tables["funding"]))
    covered = stats.get("coverage") or {}
    if covered and not covered["complete"]:
        missing = "; ".join(f"{label}: {', '.join(days)}" for label, days in covered["missing"].items())
        if covered["share"] >= 1.0:
            notes.append(f"the catalog lacks part of the warm-up (gaps: {missing}); the period is covered")
        else:
            notes.append(
                f"the catalog covers {covered['share']:.1%} of the period (gaps: {missing}); "
                "return statistics use the covered time only"
            )
    return notes


# How the run notes name each mark source (backtest.funding).
_SOURCE_WORDS = {
    MARK_KLINE: "the exchange's mark price (mark klines)",
    QUOTE_MID: "the book mid",
    LAST_TRADE: "the last trade",
    BAR_CLOSE: "the last bar close",
    "": "no price (flat book)",
}


def mark_source_note(funding: pd.DataFrame) -> str:
    """
    Return how many settlements used each mark source, e.g. ``9 at the exchange's mark price``.

    Parameters
    ----------
    funding : pd.DataFrame
        The funding ledger (``ts``, ``instrument_id``, ``mark_source``).

    Returns
    -------
    str

    """
    # One ledger row per settled position: a settlement is one (calc_time, instrument).
    settlements = funding.drop_duplicates(["ts", "instrument_id"])
    counts = settlements["mark_source"].fillna("").value_counts()
    parts = [f"{n} at {_SOURCE_WORDS.get(source, source)}" for source, n in counts.items()]
    return f"funding marks: {', '.join(parts)}"


def streamed_config(config: RunConfig) -> RunConfig:
    """Return the config whose period is the streamed time (its warm-up included, none left)."""
    period = config.period
    if not period.warmup:
        return config
    moved = period.model_copy(update={"start": period.start - period.warmup, "warmup": timedelta(0)})
    return config.model_copy(update={"period": moved})


def period_coverage(found: PeriodCoverage, start_ns: int) -> PeriodCoverage:
    """Return the coverage of the period itself from that of the streamed time (warm-up included)."""
    return PeriodCoverage(start_ns, found.end_ns, found.sources)


def _from(frame: pd.DataFrame, start_ns: int) -> pd.DataFrame:
    return frame[frame["ts"] >= start_ns].reset_index(drop=True)


def _warmup_notes(config: RunConfig, gate: TradingGate | None, engine) -> list[str]:
    if gate is None:
        return []
    start_ns = config.period.start_ns
    denied = [o for o in engine.cache.orders() if o.status == OrderStatus.DENIED and o.ts_init < start_ns]
    warm_start = (config.period.start - config.period.warmup).isoformat()
    return [
        f"warm-up from {warm_start}: data streamed, trading halted until the start; "
        f"{len(denied)} order(s) submitted before it were denied"
    ]
