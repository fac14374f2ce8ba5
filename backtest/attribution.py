"""
Where a run's PnL came from: one row per trade, and the PnL by alpha, regime and exit reason.

A trade runs from flat to flat on one instrument (a fill that reverses the position closes one
trade and opens the next, its quantity and fee split between them). Its numbers come from the
fills alone, independently of Nautilus's position accounting (a test checks they agree):

- ``gross_pnl``: the closed quantity times the exit price minus the average entry price (signed
  by the side, times the contract multiplier), before fees and funding;
- ``fees``: the commissions of its fills (a shared fill's pro rata by quantity);
- ``funding``: the funding ledger's payments settled while it was open, on its side
  (received positive, as in the ledger);
- ``net_pnl = gross_pnl - fees + funding``.

Its alpha and regime are read from the tags of its first fill, its exit reason from the tags of
its last (``data_types.trade_tags``); untagged orders give ``"untagged"``, a trade still open at
the end has exit reason ``"open"`` and only its realized part.

"""

import math
from dataclasses import dataclass
from dataclasses import field

import numpy as np
import pandas as pd

from data_types.trade_tags import ALPHA
from data_types.trade_tags import EXIT
from data_types.trade_tags import REGIME
from data_types.trade_tags import UNTAGGED
from data_types.trade_tags import read_tags

OPEN = "open"
TRADE_COLUMNS = [
    "trade",
    "instrument_id",
    "side",
    "entry_ts",
    "exit_ts",
    "qty",
    "entry_price",
    "exit_price",
    "alpha",
    "regime",
    "exit_reason",
    "gross_pnl",
    "fees",
    "funding",
    "net_pnl",
    "holding_secs",
    "is_open",
]
GROUPS = {"alpha": "by_alpha", "regime": "by_regime", "exit_reason": "by_exit"}
PARTS = ("gross_pnl", "fees", "funding", "net_pnl")


@dataclass
class _Open:
    instrument_id: str
    side: int
    entry_ts: int
    tags: dict[str, str]
    qty: float = 0.0  # open quantity now
    peak: float = 0.0
    cost: float = 0.0  # sum of qty x price of the open quantity (average entry = cost / qty)
    entered: float = 0.0  # qty x price of everything bought into the trade
    entered_qty: float = 0.0
    exited: float = 0.0
    exited_qty: float = 0.0
    gross: float = 0.0
    fees: float = 0.0
    exit_ts: int = -1
    exit_tags: dict[str, str] = field(default_factory=dict)


def _multiplier(notional: float, qty: float, price: float) -> float:
    # fills_frame records notional = qty x price x multiplier; the multiplier is not a column.
    return notional / (qty * price) if qty > 0 and price > 0 else 1.0


def _walk(fills: pd.DataFrame) -> list[_Open]:
    trades: list[_Open] = []
    holding: dict[str, _Open] = {}
    tags = fills["tags"] if "tags" in fills.columns else pd.Series([""] * len(fills))
    for ts, instrument, side, qty, price, notional, fee, tag in zip(
        fills["ts"],
        fills["instrument_id"],
        fills["side"],
        fills["qty"],
        fills["price"],
        fills["notional"],
        fills["commission"],
        tags,
        strict=True,
    ):
        sign = 1 if side == "BUY" else -1
        mult = _multiplier(float(notional), float(qty), float(price))
        read = read_tags(None if pd.isna(tag) else str(tag))
        remaining = float(qty)
        while remaining > 1e-12:
            trade = holding.get(instrument)
            if trade is None:
                trade = _Open(str(instrument), sign, int(ts), read)
                holding[instrument] = trade
                trades.append(trade)
            share = remaining / float(qty)
            if trade.side == sign:  # opens or adds
                trade.qty += remaining
                trade.peak = max(trade.peak, trade.qty)
                trade.cost += remaining * price
                trade.entered += remaining * price
                trade.entered_qty += remaining
                trade.fees += fee * share
                remaining = 0.0
                continue
            closed = min(remaining, trade.qty)
            average = trade.cost / trade.qty
            trade.gross += closed * (price - average) * trade.side * mult
            trade.cost -= closed * average
            trade.qty -= closed
            trade.exited += closed * price
            trade.exited_qty += closed
            trade.fees += fee * closed / float(qty)
            remaining -= closed
            if trade.qty <= 1e-12 * max(trade.peak, 1.0):
                trade.qty = 0.0
                trade.exit_ts = int(ts)
                trade.exit_tags = read
                del holding[instrument]
    return trades


def _funding(trades: list[_Open], funding: pd.DataFrame) -> np.ndarray:
    paid = np.zeros(len(trades))
    if funding.empty:
        return paid
    rows = funding[(funding["payment"] != 0) & (funding["signed_qty"] != 0)]
    for ts, instrument, signed, payment in zip(
        rows["ts"], rows["instrument_id"], rows["signed_qty"], rows["payment"], strict=True
    ):
        side = 1 if signed > 0 else -1
        for i, trade in enumerate(trades):
            end = trade.exit_ts if trade.exit_ts >= 0 else math.inf
            if (
                trade.instrument_id == instrument
                and trade.side == side
                and trade.entry_ts <= ts <= end
            ):
                paid[i] += payment
                break
    return paid


def trade_table(fills: pd.DataFrame, funding: pd.DataFrame) -> pd.DataFrame:
    """
    Return one row per trade (flat to flat) with its PnL split and what the strategy tagged.

    Parameters
    ----------
    fills : pd.DataFrame
        ``backtest.frames.fills_frame`` (time order; ``tags`` optional).
    funding : pd.DataFrame
        The funding ledger (``ts``, ``instrument_id``, ``signed_qty``, ``payment``).

    Returns
    -------
    pd.DataFrame
        Columns ``TRADE_COLUMNS``: ``side`` ``long``/``short``, times in ns (``exit_ts`` -1 while
        open), ``qty`` the largest quantity held, average entry and exit prices, ``alpha``,
        ``regime``, ``exit_reason``, ``gross_pnl``, ``fees``, ``funding``, ``net_pnl`` and
        ``holding_secs`` (NaN while open).

    """
    trades = _walk(fills) if not fills.empty else []
    paid = _funding(trades, funding)
    rows = []
    for i, (trade, funded) in enumerate(zip(trades, paid, strict=True), start=1):
        is_open = trade.exit_ts < 0
        rows.append(
            (
                i,
                trade.instrument_id,
                "long" if trade.side > 0 else "short",
                trade.entry_ts,
                trade.exit_ts,
                trade.peak,
                trade.entered / trade.entered_qty,
                trade.exited / trade.exited_qty if trade.exited_qty else math.nan,
                trade.tags.get(ALPHA, UNTAGGED),
                trade.tags.get(REGIME, UNTAGGED),
                OPEN if is_open else trade.exit_tags.get(EXIT, UNTAGGED),
                trade.gross,
                trade.fees,
                float(funded),
                trade.gross - trade.fees + float(funded),
                math.nan if is_open else (trade.exit_ts - trade.entry_ts) / 1e9,
                is_open,
            )
        )
    frame = pd.DataFrame(rows, columns=TRADE_COLUMNS)
    text = ["instrument_id", "side", "alpha", "regime", "exit_reason"]
    return frame.astype(
        {
            "trade": "int64",
            "entry_ts": "int64",
            "exit_ts": "int64",
            "is_open": "bool",
            **dict.fromkeys(text, "string"),
            **dict.fromkeys(["qty", "entry_price", "exit_price", *PARTS, "holding_secs"], float),
        }
    )


def breakdown(trades: pd.DataFrame, by: str) -> pd.DataFrame:
    """
    Return the trades' PnL grouped by one column (``alpha``, ``regime`` or ``exit_reason``).

    Parameters
    ----------
    trades : pd.DataFrame
        ``trade_table``.
    by : str
        The column.

    Returns
    -------
    pd.DataFrame
        One row per value (largest net PnL first): ``trades``, ``gross_pnl``, ``fees``,
        ``funding``, ``net_pnl``, ``win_rate`` (share of closed trades with a positive net PnL)
        and ``mean_holding_secs``.

    """
    if trades.empty:
        return pd.DataFrame(columns=[by, "trades", *PARTS, "win_rate", "mean_holding_secs"])
    closed = trades.assign(_win=(trades["net_pnl"] > 0).where(~trades["is_open"]))
    grouped = closed.groupby(by, sort=False)
    frame = grouped[list(PARTS)].sum()
    frame.insert(0, "trades", grouped.size())
    frame["win_rate"] = grouped["_win"].mean()
    frame["mean_holding_secs"] = grouped["holding_secs"].mean()
    return frame.sort_values("net_pnl", ascending=False).reset_index()


def attribution_block(trades: pd.DataFrame) -> dict[str, object]:
    """
    Return ``stats.json``'s ``attribution`` block.

    Parameters
    ----------
    trades : pd.DataFrame
        ``trade_table``.

    Returns
    -------
    dict[str, object]
        The totals of ``gross_pnl``, ``fees``, ``funding`` and ``net_pnl`` over every trade, and
        ``by_alpha``, ``by_regime``, ``by_exit``: per value, its ``trades`` and ``net_pnl``.

    """
    block: dict[str, object] = {part: float(trades[part].sum()) for part in PARTS}
    for column, key in GROUPS.items():
        table = breakdown(trades, column)
        block[key] = {
            str(row[column]): {"trades": int(row["trades"]), "net_pnl": float(row["net_pnl"])}
            for row in table.to_dict("records")
        }
    return block
