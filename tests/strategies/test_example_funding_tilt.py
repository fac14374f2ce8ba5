"""
The example strategy ``FundingTilt`` in process: a ``BacktestEngine`` fed 318 generated events
(no catalog files), its orders and totals checked against decisions worked out by hand.
"""

import math
from decimal import Decimal

import msgspec
import pytest
from nautilus_trader.backtest.engine import BacktestEngine
from nautilus_trader.backtest.engine import BacktestEngineConfig
from nautilus_trader.config import LoggingConfig
from nautilus_trader.model.currencies import USDT
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import CustomData
from nautilus_trader.model.data import DataType
from nautilus_trader.model.enums import AccountType
from nautilus_trader.model.enums import OmsType
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.identifiers import ClientId
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import Venue
from nautilus_trader.model.objects import Money
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity

from data_types import FundingRate
from strategies.examples.funding_tilt import COUNT_NAMES
from strategies.examples.funding_tilt import FundingTilt
from strategies.examples.funding_tilt import FundingTiltConfig
from tests.backtest.fixtures import BAR_TYPE
from tests.backtest.fixtures import FUNDING_OFFSET
from tests.backtest.fixtures import INSTRUMENT_ID
from tests.backtest.fixtures import MINUTE
from tests.backtest.fixtures import SECOND
from tests.backtest.fixtures import T0
from tests.backtest.fixtures import btcusdt_perp
from tests.backtest.fixtures import funding
from tests.backtest.fixtures import quote

MINUTES = 45
QUOTE_OFFSETS_S = (5, 15, 25, 35, 45, 55)  # never on a minute: no tie with a kline close
UP, FLAT, DOWN = (3.0, 1.0), (2.0, 2.0), (1.0, 3.0)  # (bid size, ask size): OBI +0.5, 0, -0.5
# (first minute, end minute, top-of-book sizes, calm); a minute's kline closes at its end.
SEGMENTS = [
    (0, 10, UP, True),
    (10, 15, FLAT, True),
    (15, 20, DOWN, True),
    (20, 25, UP, True),
    (25, 30, DOWN, True),
    (30, 35, DOWN, False),
    (35, 45, UP, True),
]
# (minute, rate per 8 h settlement), stamped 4 ms past the minute (after that minute's kline).
FUNDING_RATES = [(0, 0.0001), (20, 0.0006), (30, -0.0006)]
PARAMS = {
    "instrument_id": str(INSTRUMENT_ID),
    "bar_type": str(BAR_TYPE),
    "obi_threshold": 0.3,
    "vol_window": 5,
    "max_vol_bps": 5.0,
    "max_funding_annualized": 0.3,
    "trade_notional": 4200.0,
}


def segment(minute: int) -> tuple[tuple[float, float], bool]:
    """Return the top-of-book sizes and calm of a minute."""
    for first, end, sizes, calm in SEGMENTS:
        if first <= minute < end:
            return sizes, calm
    raise ValueError(minute)


def close(minute: int) -> float:
    """Return a minute's kline close: calm minutes move 0.5, volatile ones 60 (14 bps)."""
    _, calm = segment(minute)
    if calm:
        return 42_000.5 if minute % 2 else 42_000.0
    return 42_060.0 if minute % 2 else 42_000.0


def market() -> tuple[list, list[Bar], list[CustomData]]:
    """Return the quotes (six a minute), the 1-minute klines and the funding rows."""
    quotes, bars = [], []
    for m in range(MINUTES):
        (bid_size, ask_size), _ = segment(m)
        price = close(m)
        for offset in QUOTE_OFFSETS_S:
            quotes.append(
                quote(T0 + m * MINUTE + offset * SECOND, price, price + 0.1, bid_size, ask_size)
            )
        p = Price(price, 1)
        bars.append(
            Bar(
                BAR_TYPE, p, p, p, p, Quantity(1.0, 3), T0 + (m + 1) * MINUTE, T0 + (m + 1) * MINUTE
            )
        )
    data_type = DataType(FundingRate, metadata={"instrument_id": str(INSTRUMENT_ID)})
    rows = [
        CustomData(data_type, funding(T0 + m * MINUTE + FUNDING_OFFSET, rate))
        for m, rate in FUNDING_RATES
    ]
    return quotes, bars, rows


def run(params: dict) -> tuple[list[tuple[float, OrderSide, float]], dict[str, int], float]:
    """Run the strategy over the market; return its orders (minute, side, qty), totals and position."""
    engine = BacktestEngine(BacktestEngineConfig(logging=LoggingConfig(bypass_logging=True)))
    engine.add_venue(
        Venue("BINANCE"),
        OmsType.NETTING,
        AccountType.MARGIN,
        [Money(100_000, USDT)],
        base_currency=USDT,
        default_leverage=Decimal(10),
        bar_execution=False,  # fills come from the quotes, as in the runtime
    )
    engine.add_instrument(btcusdt_perp())
    quotes, bars, rows = market()
    engine.add_data(quotes)
    engine.add_data(bars)
    engine.add_data(rows, client_id=ClientId("BINANCE"))
    # Parsed from text, as a run config's [strategy.params] are.
    strategy = FundingTilt(FundingTiltConfig.parse(msgspec.json.encode(params)))
    engine.add_strategy(strategy)
    engine.run()
    orders = [
        ((o.ts_init - T0) / MINUTE, o.side, o.quantity.as_double())
        for o in sorted(engine.cache.orders(), key=lambda o: o.ts_init)
    ]
    totals = {name: strategy.counts[name] for name in COUNT_NAMES}
    position = float(engine.portfolio.net_position(INSTRUMENT_ID))
    engine.dispose()
    return orders, totals, position


def test_the_config_parses_typed_values_from_text_and_refuses_a_zero_window():
    # Arrange, Act
    config = FundingTiltConfig.parse(msgspec.json.encode(PARAMS))

    # Assert
    assert config.instrument_id == InstrumentId.from_str("BTCUSDT-PERP.BINANCE")
    assert config.bar_type == BAR_TYPE
    with pytest.raises(msgspec.ValidationError, match="vol_window"):
        FundingTiltConfig.parse(msgspec.json.encode({**PARAMS, "vol_window": 0}))


def test_the_decisions_follow_the_book_funding_and_volatility_as_worked_out_by_hand():
    # Arrange: ready at 06:00 (5 returns need 6 closes); quantity 4200 / 42000(.5) = 0.100 BTC.
    # Funding a year: 0.0001 x 3 x 365 = 11 %, then +65.7 % from 20:00, -65.7 % from 30:00.
    expected = [
        (6, OrderSide.BUY, 0.1),  # book tilts up, calm, longs pay 11 % < 30 %: long
        (16, OrderSide.SELL, 0.2),  # book tilts down: short (0.1 to close, 0.1 to open)
        (21, OrderSide.BUY, 0.1),  # book up, but longs would pay 65.7 %: flat (blocked 21..25)
        (26, OrderSide.SELL, 0.1),  # book down, shorts receive 65.7 %: short
        (31, OrderSide.BUY, 0.1),  # funding turned: shorts would pay 65.7 %: flat
        (40, OrderSide.BUY, 0.1),  # 32..39: a 14 bp return in the window; then calm, book up
    ]

    # Act
    orders, totals, position = run(PARAMS)

    # Assert
    assert [(m, side, round(q, 3)) for m, side, q in orders] == expected
    assert totals == {
        "entries_long": 2,
        "entries_short": 2,
        "exits": 2,
        "funding_blocked": 6,  # 21..25 and 31
        "vol_blocked": 8,  # 32..39
    }
    assert position == pytest.approx(0.1)


def test_the_volatility_gate_reads_the_per_minute_sigma_of_the_last_returns():
    # Arrange: the windows at 32:00 and at 39:00 hold one 60 move and four 0.5 moves
    returns = [math.log(close(m) / close(m - 1)) for m in range(27, 32)]
    sigma_bps = 1e4 * math.sqrt(sum(r * r for r in returns) / 5)

    # Act
    below = run({**PARAMS, "max_vol_bps": sigma_bps - 0.01})
    above = run({**PARAMS, "max_vol_bps": sigma_bps + 0.01})

    # Assert: just below that sigma both windows are blocked; just above, neither (33..38 hold
    # two or more 60 moves), so the long comes at 39:00
    assert 6.3 < sigma_bps < 6.4
    assert below[1]["vol_blocked"] == 8  # 32..39
    assert above[1]["vol_blocked"] == 6  # 33..38
    assert above[1]["funding_blocked"] == 7  # 32:00 too: the book tilts down, shorts would pay
    assert above[0][-1] == (39, OrderSide.BUY, 0.1)
