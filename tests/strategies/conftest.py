"""Shared helpers for the strategy tests: configs with controlled parameters."""

from typing import Any

from nautilus_trader.model.data import BarType
from nautilus_trader.model.identifiers import InstrumentId

from strategies.toxvol.config import ToxVolConfig

INSTRUMENT = "BTCUSDT-PERP.BINANCE"
BAR_TYPE = "BTCUSDT-PERP.BINANCE-1-MINUTE-LAST-EXTERNAL"


def toxvol_config(**overrides: Any) -> ToxVolConfig:
    """Return a ``ToxVolConfig`` for the fixtures' perpetual with ``overrides`` applied."""
    return ToxVolConfig(
        instrument_id=InstrumentId.from_str(INSTRUMENT),
        bar_type=BarType.from_str(BAR_TYPE),
        **overrides,
    )
