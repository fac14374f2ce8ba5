"""
Typed tables of a finished run: fills, position lifecycles, account history.

Nautilus's own reports hold formatted strings; these tables hold numbers (timestamps in ns), so
they can be written to Parquet, hashed and checked against independent calculations.

"""

import pandas as pd
from nautilus_trader.accounting.accounts.base import Account
from nautilus_trader.cache.cache import Cache
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.events import AccountState
from nautilus_trader.model.events import OrderFilled
from nautilus_trader.model.events import PositionClosed
from nautilus_trader.model.position import Position

from backtest.execution.ledger import touch_of

FILL_COLUMNS = [
    "ts",
    "instrument_id",
    "strategy_id",
    "client_order_id",
    "trade_id",
    "position_id",
    "side",
    "qty",
    "price",
    "notional",
    "commission",
    "commission_currency",
    "liquidity",
    "touch",
    "level",
    "impact",
    "tags",
]
POSITION_COLUMNS = [
    "position_id",
    "instrument_id",
    "entry",
    "ts_opened",
    "ts_closed",
    "is_open",
    "peak_qty",
    "signed_qty",
    "avg_px_open",
    "avg_px_close",
    "realized_pnl",
    "realized_return",
]
ACCOUNT_COLUMNS = ["ts", "currency", "total", "locked", "free", "reported"]


def _typed(rows: list[tuple], columns: list[str], types: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns).astype(types)


def fills_frame(cache: Cache) -> pd.DataFrame:
    """
    Return every fill of the run, ordered by time then order and trade id.

    Parameters
    ----------
    cache : Cache
        The engine's cache after the run.

    Returns
    -------
    pd.DataFrame
        Columns ``FILL_COLUMNS``; ``side`` is ``BUY``/``SELL``, ``liquidity`` ``MAKER``/``TAKER``.
        ``touch`` is the best price on the opposite side when the order was filled (a maker
        fill: its own price), ``level`` the fill's distance beyond it in ticks (0: at the
        touch), ``impact`` the cost of that distance, ``(price - touch) x qty x multiplier``
        signed so that paying more than the touch is positive. A taker fill whose touch was not
        recorded (no ``backtest.execution`` module ran) has NaN touch and impact, and level -1.
        ``tags`` holds the order's tags joined by commas (``data_types.trade_tags``).

    """
    rows = []
    for order in cache.orders():
        touch = touch_of(cache, order.client_order_id.value)
        for event in order.events:
            if not isinstance(event, OrderFilled):
                continue
            qty = event.last_qty.as_double()
            price = event.last_px.as_double()
            instrument = cache.instrument(event.instrument_id)
            multiplier = instrument.multiplier.as_double() if instrument is not None else 1.0
            maker = event.liquidity_side.name == "MAKER"
            sign = 1.0 if event.is_buy else -1.0
            if maker:
                at, level, impact = price, 0, 0.0
            elif touch is not None:
                at = touch["touch"]
                level = round(sign * (price - at) / touch["tick"])
                impact = sign * (price - at) * qty * multiplier
            else:
                at, level, impact = float("nan"), -1, float("nan")
            rows.append(
                (
                    event.ts_event,
                    str(event.instrument_id),
                    str(event.strategy_id),
                    str(event.client_order_id),
                    str(event.trade_id),
                    str(event.position_id) if event.position_id is not None else "",
                    "BUY" if event.is_buy else "SELL",
                    qty,
                    price,
                    qty * price * multiplier,
                    event.commission.as_double(),
                    event.commission.currency.code,
                    "MAKER" if maker else "TAKER",
                    at,
                    level,
                    impact,
                    # The strategy's reasons (data_types.trade_tags), for trade attribution.
                    ",".join(order.tags or []),
                ),
            )
    rows.sort(key=lambda r: (r[0], r[3], r[4]))
    text = {
        c: "string"
        for c in FILL_COLUMNS
        if c not in ("ts", "qty", "price", "notional", "commission", "touch", "level", "impact")
    }
    return _typed(rows, FILL_COLUMNS, {"ts": "int64", "level": "int64", **text})


def _lifecycle_row(position_id: str, p: Position | PositionClosed, is_open: bool) -> tuple:
    # PositionClosed events and Position objects share these attribute names.
    return (
        position_id,
        str(p.instrument_id),
        "BUY" if p.entry == OrderSide.BUY else "SELL",
        p.ts_opened,
        -1 if is_open else p.ts_closed,
        is_open,
        p.peak_qty.as_double(),
        p.signed_qty,
        p.avg_px_open,
        p.avg_px_close if p.avg_px_close else float("nan"),
        p.realized_pnl.as_double() if p.realized_pnl is not None else 0.0,
        p.realized_return,
    )


def positions_frame(closed: list[PositionClosed], still_open: list[Position]) -> pd.DataFrame:
    """
    Return every position lifecycle (round trip) of the run, closed or still open.

    Closed lifecycles come from ``PositionClosed`` events: under NETTING a position id is reused,
    and a flip replaces the closed position in the cache, so the cache alone would lose them.

    Parameters
    ----------
    closed : list[PositionClosed]
        Every position-closed event of the run.
    still_open : list[Position]
        The positions open at the end.

    Returns
    -------
    pd.DataFrame
        Columns ``POSITION_COLUMNS``; ``realized_pnl`` is net of commissions (Nautilus's
        convention), ``ts_closed`` is -1 and ``signed_qty`` non-zero for an open position.

    """
    rows = [_lifecycle_row(e.position_id.value, e, False) for e in closed]
    rows += [_lifecycle_row(p.id.value, p, True) for p in still_open]
    rows.sort(key=lambda r: (r[3], r[0], r[4] < 0, r[4]))
    return _typed(
        rows,
        POSITION_COLUMNS,
        {
            "position_id": "string",
            "instrument_id": "string",
            "entry": "string",
            "ts_opened": "int64",
            "ts_closed": "int64",
        },
    )


def account_frame(account: Account) -> pd.DataFrame:
    """
    Return the account's balance history, one row per state event and currency.

    Parameters
    ----------
    account : Account
        The venue account after the run.

    Returns
    -------
    pd.DataFrame
        Columns ``ACCOUNT_COLUMNS``.

    """
    rows = []
    for event in account.events:
        if isinstance(event, AccountState):
            for balance in event.balances:
                rows.append(
                    (
                        event.ts_event,
                        balance.currency.code,
                        balance.total.as_double(),
                        balance.locked.as_double(),
                        balance.free.as_double(),
                        event.is_reported,
                    ),
                )
    return _typed(rows, ACCOUNT_COLUMNS, {"ts": "int64", "currency": "string"})
