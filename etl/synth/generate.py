"""
Run the synthetic market: for each symbol, the latent paths, then day by day the perpetual (and
spot), their klines and metrics, then the monthly funding files and the ground truth. Each day is
simulated in blocks and its day-long files are written part by part, so memory stays bounded.
"""

import datetime as dt
import time
from collections.abc import Callable
from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from etl.archive import AGG_TRADES
from etl.archive import BOOK_TICKER
from etl.archive import FUNDING_RATE
from etl.archive import FUTURES_UM
from etl.archive import INDEX_PRICE_KLINES
from etl.archive import KLINES_1M
from etl.archive import MARK_PRICE_KLINES
from etl.archive import METRICS
from etl.archive import PREMIUM_INDEX_KLINES
from etl.archive import SPOT
from etl.archive import Family
from etl.synth import render
from etl.synth.config import SynthConfig
from etl.synth.funding import Settlements
from etl.synth.funding import settlements
from etl.synth.ground_truth import ground_truth_table
from etl.synth.ground_truth import write_ground_truth
from etl.synth.klines import Klines
from etl.synth.klines import aggregate_klines
from etl.synth.latent import DAY_MINUTES
from etl.synth.latent import MINUTE_MS
from etl.synth.latent import build_latent
from etl.synth.latent import epoch_ms
from etl.synth.metrics import VALUE_DECIMALS
from etl.synth.metrics import MetricsRows
from etl.synth.metrics import TakerTail
from etl.synth.metrics import metrics_day
from etl.synth.perp import PerpDay
from etl.synth.perp import PerpState
from etl.synth.perp import Trades
from etl.synth.perp import quote_parts
from etl.synth.perp import simulate_perp_day
from etl.synth.perp import trade_parts
from etl.synth.reference import PRINT_DECIMALS
from etl.synth.reference import ReferenceBars
from etl.synth.reference import reference_klines
from etl.synth.reference import second_marks
from etl.synth.report import SynthReport
from etl.synth.report import timed
from etl.synth.rowtext import CsvRows
from etl.synth.seeding import Stream
from etl.synth.seeding import rng
from etl.synth.spot import SpotDay
from etl.synth.spot import SpotState
from etl.synth.spot import simulate_spot_day
from etl.synth.spot import spot_arrivals
from etl.synth.symbols import SymbolSpec
from etl.synth.symbols import symbol_spec
from etl.synth.writers import ArchiveWriter

# Report keys: the archive families, with the spot ones told apart.
SPOT_AGG_TRADES = "spot aggTrades"
SPOT_KLINES = "spot klines"
# Rows formatted at a time in the day-long files (aggTrades, bookTicker): ~100 MB of text.
ROWS_PER_PART = 1 << 20


def _emit(
    writer: ArchiveWriter,
    key: str,
    family: Family,
    where: tuple[str, str, str, dt.date],
    make: Callable[..., list[pa.StringArray]],
    *args: object,
) -> None:
    """Queue one archive file; `where` is (market, symbol, period label, first day after it)."""
    market, symbol, label, period_end = where
    header = family.columns(market) if market == FUTURES_UM else None
    writer.submit(key, family.archive_path(market, symbol, label, ext="csv"), header, period_end, make, *args)


def _emit_parts(
    writer: ArchiveWriter,
    key: str,
    family: Family,
    where: tuple[str, str, str, dt.date],
    make: Callable[..., list[pa.StringArray] | CsvRows],
    parts: Iterator[object],
    *args: object,
) -> None:
    """Queue one archive file written part by part: text columns ``make(part, *args)`` per part."""
    market, symbol, label, period_end = where
    header = family.columns(market) if market == FUTURES_UM else None
    stream = writer.open(key, family.archive_path(market, symbol, label, ext="csv"), header, period_end)
    for part in parts:
        stream.write(make, part, *args)
    stream.close()


def _spot_open_times(day_ms: int, micros: bool) -> tuple[np.ndarray, int]:
    scale = 1000 if micros else 1
    opens = (day_ms + np.arange(DAY_MINUTES, dtype=np.int64) * MINUTE_MS) * scale
    return opens, MINUTE_MS * scale


def _kline_bars(trades: Trades, previous_close: int) -> Klines:
    return aggregate_klines(
        trades.minute,
        trades.price,
        trades.qty,
        trades.buyer_maker,
        trades.ids.last_id - trades.ids.first_id + 1,
        previous_close,
    )


def _write_perp_day(
    writer: ArchiveWriter,
    spec: SymbolSpec,
    where: tuple[str, str, str, dt.date],
    day_ms: int,
    perp: PerpDay,
    bars: Klines,
    rows: MetricsRows,
) -> None:
    pp, qd = spec.price_precision, spec.qty_precision
    opens = day_ms + np.arange(DAY_MINUTES, dtype=np.int64) * MINUTE_MS
    agg_dp = spec.agg_price_decimals
    trades = trade_parts(perp.trades, ROWS_PER_PART)
    _emit_parts(writer, AGG_TRADES.name, AGG_TRADES, where, render.futures_agg_trades, trades, pp, agg_dp, qd)
    quotes = quote_parts(perp.quotes, ROWS_PER_PART)
    _emit_parts(writer, BOOK_TICKER.name, BOOK_TICKER, where, render.book_ticker, quotes, pp, qd)
    _emit(writer, KLINES_1M.name, KLINES_1M, where, render.klines, bars, opens, MINUTE_MS, pp, qd, pp, qd, pp + qd)
    ratios = [rows.count_toptrader, rows.sum_toptrader, rows.count_long_short, rows.taker_ratio]
    oi = (rows.open_interest, qd, rows.open_interest_value, VALUE_DECIMALS)
    _emit(writer, METRICS.name, METRICS, where, render.metrics, rows.create_ms, spec.symbol, *oi, ratios)


def _write_reference_day(
    writer: ArchiveWriter, where: tuple[str, str, str, dt.date], day_ms: int, bars: ReferenceBars
) -> None:
    opens = day_ms + np.arange(DAY_MINUTES, dtype=np.int64) * MINUTE_MS
    # Values in 1e-8 units printed with 8 decimals; volumes are zero lots of no decimals ("0").
    prints = (PRINT_DECIMALS, 0, PRINT_DECIMALS, 0, 0)
    for family, family_bars in ((MARK_PRICE_KLINES, bars.mark), (INDEX_PRICE_KLINES, bars.index), (PREMIUM_INDEX_KLINES, bars.premium)):
        _emit(writer, family.name, family, where, render.klines, family_bars, opens, MINUTE_MS, *prints)


def _write_spot_day(
    writer: ArchiveWriter,
    spec: SymbolSpec,
    where: tuple[str, str, str, dt.date],
    day_ms: int,
    spot: SpotDay,
    bars: Klines,
) -> None:
    spp, sqd = spec.spot_price_precision, spec.spot_qty_precision
    opens, bar_length = _spot_open_times(day_ms, spot.micros)
    prints = [render.SPOT_DECIMALS] * 3
    _emit(writer, SPOT_AGG_TRADES, AGG_TRADES, where, render.spot_agg_trades, spot.trades, spp, sqd)
    _emit(writer, SPOT_KLINES, KLINES_1M, where, render.klines, bars, opens, bar_length, spp, sqd, *prints)


def _write_funding(writer: ArchiveWriter, symbol: str, settled: Settlements) -> None:
    months = (settled.settle_ms // 86_400_000).astype("datetime64[D]").astype("datetime64[M]")
    for month in np.unique(months):
        sel = months == month
        where = (FUTURES_UM, symbol, f"{month.astype(dt.date):%Y-%m}", (month + 1).astype("datetime64[D]").astype(dt.date))
        columns = (settled.calc_ms[sel], settled.interval_hours, settled.rate_e8[sel])
        _emit(writer, FUNDING_RATE.name, FUNDING_RATE, where, render.funding, *columns)


def _generate_symbol(config: SynthConfig, spec: SymbolSpec, writer: ArchiveWriter, report: SynthReport) -> None:
    p, symbol, stages = config.params, spec.symbol, report.stage_seconds
    with timed(stages, "model"):
        latent = build_latent(spec, config, rng(config.seed, symbol, Stream.LATENT))
    state = PerpState.initial(spec, config.start, epoch_ms(config.start))
    spot_state = SpotState.initial(spec, config.start)
    # Closes before the first trade: the start price on each market's tick grid.
    close = int(round(spec.start_price / spec.tick_size)) * spec.tick
    spot_close = int(round(spec.start_price / (1 + latent.premium[latent.horizon_start]) / spec.spot_tick_size))
    tail: TakerTail | None = None

    for d, day in enumerate(config.day_list):
        day_ms = epoch_ms(day)
        period = (symbol, day.isoformat(), day + dt.timedelta(days=1))
        # Spot trade times come first from the spot stream: the perp reports its efficient price
        # at them (and at every second, for the mark and index klines) as it goes.
        samples = [second_marks(day_ms)]
        if config.spot:
            spot_rng = rng(config.seed, symbol, Stream.SPOT_EVENTS, d)
            with timed(stages, "simulate spot"):
                spot_times = spot_arrivals(latent, d, day, spot_rng, p)
            samples.append(spot_times.arrivals.ms)
        with timed(stages, "simulate perp"):
            perp_rng = rng(config.seed, symbol, Stream.PERP_EVENTS, d)
            perp = simulate_perp_day(spec, latent, d, state, perp_rng, p, tuple(samples), config.block_events)
        stages["simulate perp"] += perp.book_seconds
        with timed(stages, "klines+metrics"):
            bars = _kline_bars(perp.trades, close)
            rows, tail = metrics_day(spec, latent, d, bars, close, tail)
        _write_perp_day(writer, spec, (FUTURES_UM, *period), day_ms, perp, bars, rows)
        with timed(stages, "reference klines"):
            reference = reference_klines(perp.sampled[0], latent.premium[latent.day_slice(d)])
        _write_reference_day(writer, (FUTURES_UM, *period), day_ms, reference)
        close, state = int(bars.close[-1]), perp.state
        if config.spot:
            with timed(stages, "simulate spot"):
                spot = simulate_spot_day(spec, latent, d, spot_times, perp.sampled[1], spot_state, spot_rng, p)
                spot_bars = _kline_bars(spot.trades, spot_close)
            _write_spot_day(writer, spec, (SPOT, *period), day_ms, spot, spot_bars)
            spot_close, spot_state = int(spot_bars.close[-1]), spot.state
        # The queued parts are copies: the day's arrays go before the next day allocates its own.
        del perp

    _write_funding(writer, symbol, settlements(latent, config, rng(config.seed, symbol, Stream.SETTLEMENT)))
    if config.ground_truth:
        with timed(stages, "ground truth"):
            write_ground_truth(config.out, ground_truth_table(latent, spec, config))


def generate(config: SynthConfig, log: Callable[[str], None] | None = None) -> SynthReport:
    """
    Generate the synthetic market described by `config`.

    Parameters
    ----------
    config : SynthConfig
        Symbols, days, seed, output form and sizes.
    log : Callable[[str], None] | None
        Called with a line when each symbol is done.

    Returns
    -------
    SynthReport
        Files written, rows per family and timings.

    """
    report = SynthReport()
    t0, cpu0 = time.perf_counter(), time.process_time()
    with ArchiveWriter(config.out, config.zipped, config.zip_level) as writer:
        for symbol in config.symbols:
            _generate_symbol(config, symbol_spec(symbol), writer, report)
            if log:
                log(f"{symbol}: {config.days} day(s) generated")
        report.files = list(writer.wait())
    report.wall_seconds = time.perf_counter() - t0
    report.cpu_seconds = time.process_time() - cpu0
    return report
