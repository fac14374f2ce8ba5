"""Fixtures for the synthetic-market tests: small generated markets, read back like real files."""

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from etl.synth.config import SynthConfig
from etl.synth.generate import generate
from tests.synth.archive_io import read_family


@functools.cache
def _cached_read(root: Path, market: str, family: str, symbol: str) -> pd.DataFrame:
    # Session fixtures never change on disk, and many tests read the same files.
    return read_family(root, market, family, symbol)


@dataclass(frozen=True)
class Market:
    """A generated market on disk and its configuration."""

    root: Path
    config: SynthConfig

    def read(self, family: str, symbol: str = "BTCUSDT", market: str = "futures/um") -> pd.DataFrame:
        """Return all files of one family, concatenated in time order (a copy of a cached read)."""
        return _cached_read(self.root, market, family, symbol).copy()

    def ground_truth(self, symbol: str = "BTCUSDT") -> pd.DataFrame:
        """Return the per-minute ground truth."""
        return pd.read_parquet(self.root / "ground_truth" / symbol / f"{symbol}-ground_truth.parquet")


# Two weeks of thin BTCUSDT trading (about 14 trades a minute): long enough for crowding cycles of
# both signs and dozens of toxic episodes, small enough to generate and read back in seconds.
MARKET_DAYS = 14
MARKET_SEED = 5


@pytest.fixture(scope="session")
def market(tmp_path_factory: pytest.TempPathFactory) -> Market:
    """Return a 14-day BTCUSDT market with spot, as CSV."""
    config = SynthConfig(
        out=tmp_path_factory.mktemp("synth_market"),
        symbols=("BTCUSDT",),
        start=dt.date(2024, 1, 1),
        days=MARKET_DAYS,
        seed=MARKET_SEED,
        spot=True,
        trades_per_day=20_000,
        quotes_per_day=30_000,
        spot_trades_per_day=8_000,
        blocks_per_day=2.0,
    )
    generate(config)
    return Market(config.out, config)


def small_config(out: Path, **overrides: object) -> SynthConfig:
    """Return a tiny two-symbol, two-day configuration (fields overridable)."""
    fields: dict[str, object] = {
        "out": out,
        "symbols": ("BTCUSDT", "ETHUSDT"),
        "start": dt.date(2024, 1, 31),
        "days": 2,
        "seed": 42,
        "spot": True,
        "trades_per_day": 2_000,
        "quotes_per_day": 4_000,
        "spot_trades_per_day": 1_000,
    }
    fields.update(overrides)
    return SynthConfig(**fields)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def zipped_market(tmp_path_factory: pytest.TempPathFactory) -> Market:
    """Return a tiny two-symbol market spanning a month end, as ZIP + CHECKSUM."""
    config = small_config(tmp_path_factory.mktemp("synth_zip"), zipped=True)
    generate(config)
    return Market(config.out, config)


@pytest.fixture(scope="session")
def csv_twin(tmp_path_factory: pytest.TempPathFactory) -> Market:
    """Return the CSV twin of `zipped_market` (same arguments but ``zipped``)."""
    config = small_config(tmp_path_factory.mktemp("synth_csv"))
    generate(config)
    return Market(config.out, config)
