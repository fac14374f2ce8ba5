"""
The tearsheet's tables as HTML: headline numbers, PnL attribution, daily returns, the trade list.

Each function returns one ``<section>`` with an ``id`` (``headline``, ``attribution``,
``daily-returns``, ``trades``), so a test (or a reader's browser) finds every part of the page.

"""

import html
import math

import pandas as pd

from backtest.attribution import GROUPS
from backtest.attribution import breakdown
from backtest.tearsheet.figure import times

MAX_TRADES_SHOWN = 500
_GROUP_TITLES = {"alpha": "by alpha", "regime": "by regime", "exit_reason": "by exit reason"}


def _money(value: float) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:+,.2f}"


def _cell(text: str, numeric: bool = True, style: str = "") -> str:
    kind = "num" if numeric else "text"
    extra = f' style="{style}"' if style else ""
    return f'<td class="{kind}"{extra}>{html.escape(text)}</td>'


def _table(headers: list[str], rows: list[str], left: int = 1) -> str:
    head = "".join(
        f'<th class="{"text" if i < left else "num"}">{html.escape(h)}</th>'
        for i, h in enumerate(headers)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def headline_html(cards: list[tuple[str, str]], sample: str) -> str:
    """
    Return the headline numbers as cards, with the line saying what they stand on.

    Parameters
    ----------
    cards : list[tuple[str, str]]
        ``(label, value with its interval)`` pairs.
    sample : str
        ``backtest.report.sample_text``.

    Returns
    -------
    str

    """
    boxes = "".join(
        f'<div class="card"><div class="label">{html.escape(label)}</div>'
        f'<div class="value">{html.escape(value)}</div></div>'
        for label, value in cards
    )
    note = f'<div class="meta">{html.escape(sample)}</div>' if sample else ""
    return f'<section id="headline"><div class="cards">{boxes}</div>{note}</section>'


def attribution_html(trades: pd.DataFrame, currency: str) -> str:
    """
    Return the PnL split (gross, fees, funding, net) in total and by alpha, regime and exit.

    Parameters
    ----------
    trades : pd.DataFrame
        ``backtest.attribution.trade_table``.
    currency : str
        The account currency.

    Returns
    -------
    str

    """
    headers = ["", "trades", "gross", "fees", "funding", "net", "win rate", "mean hold"]
    total = [
        "<tr>"
        + _cell("all trades", False)
        + _cell(f"{len(trades):,}")
        + _cell(_money(float(trades["gross_pnl"].sum())))
        + _cell(_money(-float(trades["fees"].sum())))
        + _cell(_money(float(trades["funding"].sum())))
        + _cell(_money(float(trades["net_pnl"].sum())))
        + _cell(_rate(trades))
        + _cell(_hold(trades["holding_secs"].mean()))
        + "</tr>"
    ]
    blocks = [f"<h3>Total ({html.escape(currency)})</h3>" + _table(headers, total)]
    for column in GROUPS:
        table = breakdown(trades, column)
        rows = [
            "<tr>"
            + _cell(str(r[column]), False)
            + _cell(f"{int(r['trades']):,}")
            + _cell(_money(r["gross_pnl"]))
            + _cell(_money(-r["fees"]))
            + _cell(_money(r["funding"]))
            + _cell(_money(r["net_pnl"]))
            + _cell("–" if pd.isna(r["win_rate"]) else f"{r['win_rate']:.0%}")
            + _cell(_hold(r["mean_holding_secs"]))
            + "</tr>"
            for r in table.to_dict("records")
        ]
        blocks.append(f"<h3>{_GROUP_TITLES[column]}</h3>" + _table(headers, rows))
    return (
        '<section id="attribution"><h2>PnL attribution</h2>'
        '<div class="meta">gross = price PnL before costs; fees negative; funding received '
        "positive; net = gross + fees + funding; win rate = share of closed trades with a "
        "positive net (funding included, so it can differ from the run's win rate, which leaves "
        "funding out). Alpha, regime and exit reason are the tags the strategy put on its "
        "orders.</div>"
        f'<div class="row">{"".join(f"<div>{b}</div>" for b in blocks)}</div></section>'
    )


def _rate(trades: pd.DataFrame) -> str:
    closed = trades[~trades["is_open"]]
    return "–" if closed.empty else f"{(closed['net_pnl'] > 0).mean():.0%}"


def _hold(secs: float) -> str:
    if secs is None or not math.isfinite(secs):
        return "–"
    return f"{secs / 60:,.0f} min" if secs < 86_400 else f"{secs / 86_400:,.1f} d"


def _shade(value: float, scale: float) -> str:
    # Green for gains, red for losses, deeper with size (a heatmap in a table).
    if not math.isfinite(value) or scale <= 0:
        return ""
    alpha = min(abs(value) / scale, 1.0) * 0.55
    rgb = "26, 152, 80" if value > 0 else "215, 48, 39"
    return f"background: rgba({rgb}, {alpha:.2f})"


def daily_html(daily: pd.DataFrame, currency: str) -> str:
    """
    Return the daily returns as a table shaded like a heatmap (green up, red down).

    Parameters
    ----------
    daily : pd.DataFrame
        ``backtest.tearsheet.data.daily_returns``.
    currency : str
        The account currency.

    Returns
    -------
    str

    """
    scale = float(daily["return"].abs().max()) if len(daily) else 0.0
    rows = [
        "<tr>"
        + _cell(f"{r['date']:%Y-%m-%d %a}", False)
        + _cell(f"{r['return']:+.2%}", style=_shade(r["return"], scale))
        + _cell(_money(r["pnl"]))
        + _cell(f"{r['equity']:,.2f}")
        + _cell(f"{r['trades']:,}")
        + _cell(_money(r["trades_net_pnl"]))
        + "</tr>"
        for r in daily.to_dict("records")
    ]
    headers = ["day (UTC)", "return", f"PnL ({currency})", "equity", "trades closed", "their net"]
    return (
        '<section id="daily-returns"><h2>Daily returns</h2>' + _table(headers, rows) + "</section>"
    )


def trades_html(trades: pd.DataFrame, currency: str) -> str:
    """
    Return the trade list (the first ``MAX_TRADES_SHOWN``; every trade is in trades.parquet).

    Parameters
    ----------
    trades : pd.DataFrame
        ``backtest.attribution.trade_table``.
    currency : str
        The account currency.

    Returns
    -------
    str

    """
    shown = trades.head(MAX_TRADES_SHOWN)
    entries, exits = times(shown["entry_ts"]), times(shown["exit_ts"].clip(lower=0))
    rows = []
    for i, r in enumerate(shown.to_dict("records")):
        exit_text = "open" if r["is_open"] else f"{exits[i]:%m-%d %H:%M:%S}"
        rows.append(
            "<tr>"
            + _cell(str(r["trade"]))
            + _cell(f"{entries[i]:%m-%d %H:%M:%S}", False)
            + _cell(exit_text, False)
            + _cell(r["side"], False)
            + _cell(r["alpha"], False)
            + _cell(r["regime"], False)
            + _cell(r["exit_reason"], False)
            + _cell(f"{r['qty']:g}")
            + _cell(f"{r['entry_price']:,.2f}")
            + _cell("–" if not math.isfinite(r["exit_price"]) else f"{r['exit_price']:,.2f}")
            + _cell(_money(r["gross_pnl"]))
            + _cell(_money(-r["fees"]))
            + _cell(_money(r["funding"]))
            + _cell(_money(r["net_pnl"]), style=_shade(r["net_pnl"], 1e-12))
            + _cell(_hold(r["holding_secs"]))
            + "</tr>"
        )
    more = (
        f'<div class="meta">The first {MAX_TRADES_SHOWN} of {len(trades):,} trades; all are in '
        "trades.parquet.</div>"
        if len(trades) > MAX_TRADES_SHOWN
        else ""
    )
    headers = ["#", "entry (UTC)", "exit (UTC)", "side", "alpha", "regime", "exit reason", "qty"]
    headers += ["entry px", "exit px", f"gross ({currency})", "fees", "funding", "net", "held"]
    return (
        f'<section id="trades"><h2>Trades ({len(trades):,})</h2>{more}'
        f'<div class="scroll">{_table(headers, rows, left=0)}</div></section>'
    )
