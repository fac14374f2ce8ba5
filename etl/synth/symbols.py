"""
Per-symbol contract specifications for the synthetic market.

Prices are integers in units of ``10**-price_precision`` (the klines' decimals, Binance's
``pricePrecision``); the tick is a whole number of those units, and aggTrades print at the tick's
own decimals (``78153.0`` for BTCUSDT) while klines print ``pricePrecision`` decimals
(``30453.00``). Quantities are integers in units of ``10**-qty_precision`` (one lot).
"""

import math
from dataclasses import dataclass

from etl.synth.seeding import symbol_key


@dataclass(frozen=True)
class SymbolSpec:
    """
    One perpetual's (and its spot pair's) specification, plus the scale of its market.

    Parameters
    ----------
    symbol : str
        Binance symbol, e.g. ``BTCUSDT``.
    price_precision : int
        Decimals of the price unit (kline price decimals).
    tick : int
        Tick size in price units.
    qty_precision : int
        Decimals of the lot (quantity unit).
    start_price : float
        Price at the start of the warm-up.
    spot_price_precision : int
        Decimals of the spot tick (the spot tick is one unit).
    spot_qty_precision : int
        Decimals of the spot lot.
    daily_vol : float
        Typical daily log-return volatility in the normal regime.
    touch_notional : float
        Typical displayed quantity at the best bid/ask, in quote currency.
    trade_notional : float
        Median taker trade notional, in quote currency.
    open_interest_notional : float
        Typical open interest, in quote currency.

    """

    symbol: str
    price_precision: int
    tick: int
    qty_precision: int
    start_price: float
    spot_price_precision: int
    spot_qty_precision: int
    daily_vol: float
    touch_notional: float
    trade_notional: float
    open_interest_notional: float

    @property
    def tick_size(self) -> float:
        """Return the tick in price currency."""
        return self.tick * 10.0**-self.price_precision

    @property
    def agg_price_decimals(self) -> int:
        """Return the decimals aggTrades print: the tick's own (``0.10`` tick → 1 decimal)."""
        decimals = self.price_precision
        tick = self.tick
        while decimals > 0 and tick % 10 == 0:
            tick //= 10
            decimals -= 1
        return decimals

    @property
    def lot_size(self) -> float:
        """Return one quantity unit in base currency."""
        return 10.0**-self.qty_precision

    @property
    def spot_tick_size(self) -> float:
        """Return the spot tick in price currency."""
        return 10.0**-self.spot_price_precision

    @property
    def spot_lot_size(self) -> float:
        """Return one spot quantity unit in base currency."""
        return 10.0**-self.spot_qty_precision


_KNOWN = {
    s.symbol: s
    for s in (
        SymbolSpec("BTCUSDT", 2, 10, 3, 42_000.0, 2, 5, 0.020, 150_000.0, 800.0, 3.5e9),
        SymbolSpec("ETHUSDT", 2, 1, 3, 2_300.0, 2, 4, 0.026, 90_000.0, 600.0, 1.8e9),
        SymbolSpec("SOLUSDT", 4, 100, 0, 100.0, 2, 3, 0.036, 40_000.0, 400.0, 6.0e8),
        SymbolSpec("BNBUSDT", 3, 10, 2, 310.0, 1, 3, 0.024, 30_000.0, 300.0, 3.0e8),
        SymbolSpec("XRPUSDT", 4, 1, 1, 0.62, 4, 0, 0.028, 30_000.0, 300.0, 4.0e8),
        SymbolSpec("DOGEUSDT", 6, 10, 0, 0.09, 5, 0, 0.036, 25_000.0, 250.0, 3.0e8),
    )
}


def _unknown_spec(symbol: str) -> SymbolSpec:
    # Any other symbol gets a plausible small-cap contract; its start price comes from its name so
    # that it is the same on every run.
    u = symbol_key(symbol) / 2.0**64
    price = 10.0 ** (-0.5 + 3.0 * u)
    tick_exp = math.floor(math.log10(price * 1e-4))
    price_precision = max(0, -tick_exp)
    lot_exp = math.floor(math.log10(5.0 / price))
    qty_precision = max(0, -lot_exp)
    return SymbolSpec(
        symbol=symbol,
        price_precision=price_precision,
        tick=1,
        qty_precision=qty_precision,
        start_price=round(price, price_precision),
        spot_price_precision=price_precision,
        spot_qty_precision=qty_precision,
        daily_vol=0.05,
        touch_notional=20_000.0,
        trade_notional=200.0,
        open_interest_notional=1.0e8,
    )


def symbol_spec(symbol: str) -> SymbolSpec:
    """Return the specification of `symbol` (a known table, else one derived from its name)."""
    return _KNOWN.get(symbol) or _unknown_spec(symbol)
