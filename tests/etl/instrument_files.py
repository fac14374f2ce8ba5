"""Instrument TOML files with dated rules, written by the tests that need them."""

from pathlib import Path

HEADER = """
[defaults.perpetual]
quote = "USDT"
maker_fee = "0.0002"
taker_fee = "0.0005"
margin_init = "0.05"
margin_maint = "0.004"

[defaults.spot]
quote = "USDT"
maker_fee = "0.001"
taker_fee = "0.001"
margin_init = "0"
margin_maint = "0"
"""

# spot.BTCUSDT as in configs/instruments.toml, plus the 6-decimal era before a (test) change date.
SPOT_BTC_WITH_2020_ERA = """
[spot.BTCUSDT]
base = "BTC"
tick_size = "0.01"
step_size = "0.000001"
min_quantity = "0.000001"
max_quantity = "9000"
min_notional = "10"

[[spot.BTCUSDT.rules]]
since = 2021-06-01
step_size = "0.00001"
min_quantity = "0.00001"
min_notional = "5"
"""

# perpetual.BTCUSDT with a tick of 0.01 until a (test) change to 0.1 on 2024-01-02.
PERP_BTC_WITH_TICK_CHANGE = """
[perpetual.BTCUSDT]
base = "BTC"
tick_size = "0.01"
step_size = "0.001"
min_quantity = "0.001"
max_quantity = "1000"
min_notional = "5"

[[perpetual.BTCUSDT.rules]]
since = "2024-01-02"
tick_size = "0.1"
min_notional = "100"
"""


def write_instruments(path: Path, *tables: str) -> Path:
    """Write an instruments TOML of the default sections and `tables`; return its path."""
    path.write_text(HEADER + "".join(tables))
    return path
