"""
What to generate: symbols, dates, seed, output form and sizes.

Default sizes: 150,000 aggTrades and 400,000 bookTicker rows per symbol-day. The demo (3 days of
BTCUSDT) then holds about 1.65M trade and quote events: the generator writes them in a few
seconds, the ETL at its ≥ 1M rows/s budget in a few more, and an event-driven backtest at
~150k events/s replays them in about 11 s, so generate → ingest → backtest stays well inside a few
minutes on 2 cores. It is still dense enough for the strategy: ~100 trades a minute on average
(fewer at night, several hundred in busy or toxic minutes) fill VPIN buckets of a median minute's
volume with dozens of trades, and ~2.7 quote updates per trade keep the touch fresh for
top-of-book imbalance and OFI. Real BTCUSDT is 10-20x denser; raise the sizes for stress tests.
"""

import datetime as dt
import re
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from etl.synth.params import MarketParams

DEFAULT_TRADES_PER_DAY = 150_000
DEFAULT_QUOTES_PER_DAY = 400_000
DEFAULT_SPOT_TRADES_PER_DAY = 60_000
DEFAULT_BLOCKS_PER_DAY = 6.0
DEFAULT_TOXIC_PER_DAY = 4.0
# zlib level of ZIP members. The level is invisible in the archive format (the entry reads
# "deflated, normal" either way); 1 deflates ~4x faster than zlib's default 6 for files ~28%
# larger, which keeps `--zip` near the CSV speed. Use 6 for Binance-sized files.
DEFAULT_ZIP_LEVEL = 1
# Trades and quotes simulated at a time: ~0.5 GB of temporaries; a real-volume day (22M events)
# runs in about a dozen blocks. Any size gives the same files.
DEFAULT_BLOCK_EVENTS = 2_000_000

_SYMBOL_RE = re.compile(r"^[A-Z0-9]{2,20}$")


@dataclass(frozen=True)
class SynthConfig:
    """
    One synthetic-market run.

    Parameters
    ----------
    out : Path
        Output root (the archive layout is created below it).
    symbols : tuple[str, ...]
        Perpetual symbols, e.g. ``("BTCUSDT", "ETHUSDT")``.
    start : dt.date
        First UTC day.
    days : int
        Number of days.
    seed : int
        Non-negative seed; each symbol's streams derive from (seed, symbol).
    zipped : bool
        Write ZIP + CHECKSUM files instead of CSV.
    spot : bool
        Also write spot aggTrades and 1m klines.
    trades_per_day : int
        Mean aggTrades rows per symbol-day.
    quotes_per_day : int
        Mean bookTicker rows per symbol-day.
    spot_trades_per_day : int
        Mean spot aggTrades rows per symbol-day (with `spot`).
    blocks_per_day : float
        Mean block trades (large notional prints) per symbol-day.
    toxic_per_day : float
        Mean spontaneous toxic episodes per symbol-day (crowding unwinds and breakouts add some).
    zip_level : int
        zlib level of ZIP members.
    ground_truth : bool
        Write the per-minute ground-truth parquet beside the data.
    block_events : int
        Trades and quotes simulated at a time: bounds memory; the output does not depend on it.
    params : MarketParams
        Model constants.

    """

    out: Path
    symbols: tuple[str, ...]
    start: dt.date
    days: int
    seed: int
    zipped: bool = False
    spot: bool = False
    trades_per_day: int = DEFAULT_TRADES_PER_DAY
    quotes_per_day: int = DEFAULT_QUOTES_PER_DAY
    spot_trades_per_day: int = DEFAULT_SPOT_TRADES_PER_DAY
    blocks_per_day: float = DEFAULT_BLOCKS_PER_DAY
    toxic_per_day: float = DEFAULT_TOXIC_PER_DAY
    zip_level: int = DEFAULT_ZIP_LEVEL
    ground_truth: bool = True
    block_events: int = DEFAULT_BLOCK_EVENTS
    params: MarketParams = field(default_factory=MarketParams)

    def __post_init__(self) -> None:
        """Validate the run, naming the first bad field."""
        if not self.symbols:
            raise ValueError("at least one symbol is needed")
        for symbol in self.symbols:
            if not _SYMBOL_RE.match(symbol):
                raise ValueError(f"symbol {symbol!r} is not an upper-case Binance symbol")
        if len(set(self.symbols)) != len(self.symbols):
            raise ValueError(f"duplicate symbols in {self.symbols}")
        if self.days < 1:
            raise ValueError(f"days must be >= 1, got {self.days}")
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed}")
        for name in ("trades_per_day", "quotes_per_day", "spot_trades_per_day", "block_events"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("blocks_per_day", "toxic_per_day"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if not 0 <= self.zip_level <= 9:
            raise ValueError(f"zip_level must be 0..9, got {self.zip_level}")

    @property
    def day_list(self) -> list[dt.date]:
        """Return the generated UTC days in order."""
        return [self.start + dt.timedelta(days=i) for i in range(self.days)]
