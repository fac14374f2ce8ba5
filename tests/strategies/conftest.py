"""Shared helpers for the strategy tests: configs with controlled parameters."""

from typing import Any

from strategies.toxvol.config import ToxVolConfig

INSTRUMENT = "BTCUSDT-PERP.BINANCE"
BAR_TYPE = "BTCUSDT-PERP.BINANCE-1-MINUTE-LAST-EXTERNAL"


def toxvol_config(**overrides: Any) -> ToxVolConfig:
    """Return a ``ToxVolConfig`` for the fixtures' perpetual with ``overrides`` applied."""
    return ToxVolConfig(instrument_id=INSTRUMENT, bar_type=BAR_TYPE, **overrides)
