"""
Small, controlled catalogs built with Nautilus's own API, for the backtest tests and the benchmark.

Every row is placed by hand or by a seeded generator, so funding, reconciliation and look-ahead
tests can compute their expectations exactly.

"""

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
from nautilus_trader.model.currencies import BTC
from nautilus_trader.model.currencies import USDT
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import BarType
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.enums import AggressorSide
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import Symbol
from nautilus_trader.model.identifiers import TradeId
from nautilus_trader.model.instruments import CryptoPerpetual
from nautilus_trader.model.objects import Money
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity
from nautilus_trader.persistence.catalog.parquet import ParquetDataCatalog

from data_types import FundingRate
from data_types import FuturesMetrics

INSTRUMENT_ID = InstrumentId.from_str("BTCUSDT-PERP.BINANCE")
BAR_TYPE = BarType.from_str("BTCUSDT-PERP.BINANCE-1-MINUTE-LAST-EXTERNAL")
SECOND = 1_000_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
T0 = pd.Timestamp("2024-01-01", tz="UTC").value
# Binance stamps a settlement a few milliseconds past the hour.
FUNDING_OFFSET = 4_000_000


def btcusdt_perp(instrument_id: InstrumentId = INSTRUMENT_ID) -> CryptoPerpetual:
    """
    Return BTCUSDT USD-M perpetual with Binance's real tick, step and fees.

    Another ``instrument_id`` gives a second perpetual with the same specifications (tests of
    several instruments need their rows, not a second set of specs).

    """
    return CryptoPerpetual(
        instrument_id=instrument_id,
        raw_symbol=Symbol(instrument_id.symbol.value.removesuffix("-PERP")),
        base_currency=BTC,
        quote_currency=USDT,
        settlement_currency=USDT,
        is_inverse=False,
        price_precision=1,
        size_precision=3,
        price_increment=Price.from_str("0.1"),
        size_increment=Quantity.from_str("0.001"),
        max_quantity=Quantity.from_str("1000.000"),
        min_quantity=Quantity.from_str("0.001"),
        min_notional=Money(5, USDT),
        max_price=Price.from_str("4529764.0"),
        min_price=Price.from_str("556.8"),
        margin_init=Decimal("0.0100"),
        margin_maint=Decimal("0.0040"),
        maker_fee=Decimal("0.0002"),
        taker_fee=Decimal("0.0005"),
        ts_event=T0 - DAY,
        ts_init=T0 - DAY,
    )


def quote(
    ts: int,
    bid: float,
    ask: float,
    bid_size: float = 2.0,
    ask_size: float = 2.0,
    instrument_id: InstrumentId = INSTRUMENT_ID,
) -> QuoteTick:
    """Return a quote stamped ``ts`` (ns)."""
    return QuoteTick(
        instrument_id=instrument_id,
        bid_price=Price(bid, 1),
        ask_price=Price(ask, 1),
        bid_size=Quantity(bid_size, 3),
        ask_size=Quantity(ask_size, 3),
        ts_event=ts,
        ts_init=ts,
    )


def trade(ts: int, price: float, size: float, buyer_aggressor: bool, trade_id: int) -> TradeTick:
    """Return a BTCUSDT aggregated trade stamped ``ts`` (ns)."""
    return TradeTick(
        instrument_id=INSTRUMENT_ID,
        price=Price(price, 1),
        size=Quantity(size, 3),
        aggressor_side=AggressorSide.BUYER if buyer_aggressor else AggressorSide.SELLER,
        trade_id=TradeId(str(trade_id)),
        ts_event=ts,
        ts_init=ts,
    )


def funding(
    ts: int, rate: float, interval_hours: int = 8, instrument_id: InstrumentId = INSTRUMENT_ID
) -> FundingRate:
    """Return a funding settlement at ``ts`` (ns; ``calc_time`` is the same instant in ms)."""
    return FundingRate(
        instrument_id=instrument_id,
        calc_time=ts // 1_000_000,
        funding_interval_hours=interval_hours,
        last_funding_rate=rate,
        ts_event=ts,
        ts_init=ts,
    )


def metrics(ts: int, open_interest: float) -> FuturesMetrics:
    """Return a ``metrics`` row at ``ts`` (ns) with the given open interest."""
    return FuturesMetrics(
        instrument_id=INSTRUMENT_ID,
        symbol="BTCUSDT",
        sum_open_interest=open_interest,
        sum_open_interest_value=open_interest * 42_000.0,
        count_toptrader_long_short_ratio=1.1,
        sum_toptrader_long_short_ratio=1.2,
        count_long_short_ratio=1.3,
        sum_taker_long_short_vol_ratio=0.9,
        ts_event=ts,
        ts_init=ts,
    )


def bars_from_trades(trades: Iterable[TradeTick]) -> list[Bar]:
    """Aggregate trades into 1-minute bars over ``[open, close)``, stamped at the close."""
    buckets: dict[int, list[TradeTick]] = {}
    for t in trades:
        buckets.setdefault(t.ts_init // MINUTE, []).append(t)
    bars = []
    for minute in sorted(buckets):
        prices = [t.price.as_double() for t in buckets[minute]]
        volume = sum(t.size.as_double() for t in buckets[minute])
        close_ts = (minute + 1) * MINUTE
        bars.append(
            Bar(
                bar_type=BAR_TYPE,
                open=Price(prices[0], 1),
                high=Price(max(prices), 1),
                low=Price(min(prices), 1),
                close=Price(prices[-1], 1),
                volume=Quantity(volume, 3),
                ts_event=close_ts,
                ts_init=close_ts,
            ),
        )
    return bars


@dataclass
class Market:
    """The rows of one instrument's market, by family."""

    quotes: list[QuoteTick] = field(default_factory=list)
    trades: list[TradeTick] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    funding: list[FundingRate] = field(default_factory=list)
    metrics: list[FuturesMetrics] = field(default_factory=list)

    def families(self) -> dict[str, list]:
        """Return the rows by family name."""
        return {
            "quotes": self.quotes,
            "trades": self.trades,
            "bars": self.bars,
            "funding": self.funding,
            "metrics": self.metrics,
        }

    def cut(self, ts: int) -> "Market":
        """Return the market as known at ``ts``: every row with ``ts_init <= ts``."""
        kept = {
            name: [r for r in rows if r.ts_init <= ts] for name, rows in self.families().items()
        }
        return Market(**kept)


def random_walk_market(
    start: int,
    hours: float,
    seed: int,
    quote_every_ms: int = 1_000,
    trade_every_ms: int = 2_000,
    start_price: float = 42_000.0,
    funding_rates: Iterable[float] = (0.0001, -0.00005, 0.00015),
    metrics_every_min: int = 5,
) -> Market:
    """
    Return a seeded random-walk market: quotes with a one-tick spread, trades at the touch,
    1-minute bars from the trades, funding every 8 hours and metrics every few minutes.

    Parameters
    ----------
    start : int
        The first timestamp (ns).
    hours : float
        The length of the market.
    seed : int
        The random seed.
    quote_every_ms, trade_every_ms : int
        The quote and trade cadence.
    start_price : float
        The first mid price.
    funding_rates : Iterable[float]
        Rates for the settlements at 00:00, 08:00 and 16:00 UTC, used in turn.
    metrics_every_min : int
        The metrics cadence.

    Returns
    -------
    Market

    """
    rng = np.random.default_rng(seed)
    end = start + int(hours * HOUR)
    quote_ts = np.arange(start, end, quote_every_ms * 1_000_000, dtype=np.int64)
    steps = rng.choice([-1, 0, 1], size=len(quote_ts), p=[0.3, 0.4, 0.3]) * rng.integers(
        1, 30, len(quote_ts)
    )
    bids = np.round(start_price + np.cumsum(steps) * 0.1, 1)
    sizes = np.round(rng.uniform(0.05, 5.0, size=(len(quote_ts), 2)), 3)
    market = Market()
    market.quotes = [
        quote(int(ts), float(b), float(b) + 0.1, float(s[0]), float(s[1]))
        for ts, b, s in zip(quote_ts, bids, sizes, strict=True)
    ]
    trade_ts = np.arange(start + 500_000_000, end, trade_every_ms * 1_000_000, dtype=np.int64)
    idx = np.searchsorted(quote_ts, trade_ts, side="right") - 1
    buyer = rng.random(len(trade_ts)) < 0.5
    trade_sizes = np.round(rng.exponential(0.3, len(trade_ts)) + 0.001, 3)
    market.trades = [
        trade(int(ts), float(bids[i]) + (0.1 if b else 0.0), float(s), bool(b), n)
        for n, (ts, i, b, s) in enumerate(zip(trade_ts, idx, buyer, trade_sizes, strict=True))
    ]
    market.bars = bars_from_trades(market.trades)
    rates = list(funding_rates)
    first_settlement = -(-start // (8 * HOUR)) * 8 * HOUR
    for n, ts in enumerate(range(first_settlement, end, 8 * HOUR)):
        market.funding.append(funding(ts + FUNDING_OFFSET, rates[n % len(rates)]))
    first_metrics = -(-start // (metrics_every_min * MINUTE)) * metrics_every_min * MINUTE
    for n, ts in enumerate(range(first_metrics, end, metrics_every_min * MINUTE)):
        market.metrics.append(metrics(ts, 80_000.0 + 10.0 * n))
    return market


def write_market(
    path: Path, market: Market, instrument_ids: Iterable[InstrumentId] = (INSTRUMENT_ID,)
) -> ParquetDataCatalog:
    """
    Write the instruments and every family of ``market`` into a catalog at ``path``.

    One file per (family, instrument or bar type, UTC day), bounded ``[day_start,
    next_day_start - 1]``, as the ETL does.

    """
    catalog = ParquetDataCatalog(str(path))
    catalog.write_data([btcusdt_perp(i) for i in instrument_ids])
    for rows in market.families().values():
        by_file: dict[tuple[str, int], list] = {}
        for row in rows:
            key = str(row.bar_type if isinstance(row, Bar) else row.instrument_id)
            by_file.setdefault((key, row.ts_init // DAY), []).append(row)
        for (_, day), file_rows in sorted(by_file.items()):
            catalog.write_data(file_rows, start=day * DAY, end=(day + 1) * DAY - 1)
    return catalog


def write_random_walk_catalog(
    path: Path, start: int, days: int, seed: int, **kwargs
) -> ParquetDataCatalog:
    """
    Write ``days`` days of ``random_walk_market`` one day at a time (bounded memory).

    Parameters
    ----------
    path : Path
        The catalog folder.
    start : int
        The first day's midnight (ns).
    days : int
        How many days.
    seed : int
        The random seed; each day continues the previous day's last price.
    **kwargs
        Passed to ``random_walk_market``.

    Returns
    -------
    ParquetDataCatalog

    """
    catalog = ParquetDataCatalog(str(path))
    price = kwargs.pop("start_price", 42_000.0)
    carried: list[Bar] = []
    for day in range(days):
        day_end = start + (day + 1) * DAY
        market = random_walk_market(
            start + day * DAY, 24.0, seed + day, start_price=price, **kwargs
        )
        # The bar of the day's last minute closes at the next midnight: it belongs to tomorrow's file.
        bars = carried + market.bars
        market.bars = [b for b in bars if b.ts_init < day_end]
        carried = [b for b in bars if b.ts_init >= day_end]
        catalog = write_market(path, market)
        price = market.quotes[-1].bid_price.as_double()
    write_market(path, Market(bars=carried))
    return catalog
