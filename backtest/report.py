"""
A self-contained interactive HTML report of one run (plotly, with its JavaScript inlined).

Panels, top to bottom: price per instrument with entries and exits, equity and balance, drawdown,
one panel per named series, grouped by prefix (``toxicity.*``, ``regime.*``, ...: whatever the
strategy published with ``publish_signal``), and funding payments with their running total.

"""

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from backtest.results import RunOutcome
from backtest.stats import COUNT_PREFIX
from backtest.stats import drawdown_series

MAX_POINTS = 20_000
COUNTS_TITLE = "counts (running totals)"
ENTRY, EXIT, REVERSE = "entry", "exit", "reverse"
MARKERS = {
    (ENTRY, "BUY"): "triangle-up",
    (ENTRY, "SELL"): "triangle-down",
    (EXIT, "BUY"): "x",
    (EXIT, "SELL"): "x",
    (REVERSE, "BUY"): "diamond",
    (REVERSE, "SELL"): "diamond",
}
SIDE_COLORS = {"BUY": "#1a9850", "SELL": "#d73027"}
STATS_SHOWN = [
    ("total_return", "Total return", "{:+.2%}"),
    ("sharpe", "Sharpe (365d)", "{:.2f}"),
    ("sortino", "Sortino (365d)", "{:.2f}"),
    ("max_drawdown", "Max drawdown", "{:.2%}"),
    ("calmar", "Calmar", "{:.2f}"),
    ("trades", "Round trips", "{:,}"),
    ("win_rate", "Win rate", "{:.1%}"),
    ("fees_paid", "Fees paid", "{:,.2f}"),
    ("funding_paid", "Funding paid", "{:,.2f}"),
    ("funding_received", "Funding received", "{:,.2f}"),
    ("exposure_time", "Exposure time", "{:.1%}"),
    ("turnover", "Turnover (x balance)", "{:.2f}"),
    ("events", "Events", "{:,}"),
    ("events_per_sec", "Events/s", "{:,.0f}"),
]


def format_stat(value, spec: str) -> str:
    """Return ``value`` formatted with ``spec``, an en dash when undefined, a marker as it is."""
    if value is None:
        return "–"
    # A marker such as "insufficient" (too short a sample to annualise) is shown as written.
    return value if isinstance(value, str) else spec.format(value)


def stat_cell(stats: dict, key: str, spec: str) -> str:
    """
    Return a statistic with its bootstrap interval when ``stats["intervals"]`` has one.

    Parameters
    ----------
    stats : dict
        ``stats.json``'s content.
    key : str
        The statistic.
    spec : str
        Its format.

    Returns
    -------
    str
        ``"+1.20% [-0.40%, +2.80%]"``, or the statistic alone.

    """
    text = format_stat(stats.get(key), spec)
    interval = (stats.get("intervals") or {}).get(key)
    if isinstance(interval, dict) and not isinstance(stats.get(key), str):
        text += f" [{spec.format(interval['low'])}, {spec.format(interval['high'])}]"
    return text


def sample_text(stats: dict) -> str:
    """Return one line saying what the return statistics stand on, or ``""`` without a sample."""
    sample, intervals = stats.get("sample"), stats.get("intervals") or {}
    if not sample:
        return ""
    text = (
        f"{sample['returns']} {sample['frequency']} returns over {sample['days']:.1f} days; "
        f"{sample['annualisation']}."
    )
    if not sample["sufficient"]:
        text += (
            f" Fewer than {sample['min_returns']} returns or {sample['min_days']:g} days: "
            "annualised ratios are insufficient."
        )
    if intervals.get("block_length") is not None:
        text += (
            f" Brackets: {intervals['confidence']:.0%} intervals, {intervals['method']}, "
            f"mean block {intervals['block_length']:.1f} returns, "
            f"{intervals['resamples']} resamples."
        )
    return text


def classify_fills(fills: pd.DataFrame) -> pd.Series:
    """
    Label each fill ``entry`` (opens or adds), ``exit`` (reduces or closes) or ``reverse`` (flips).

    Parameters
    ----------
    fills : pd.DataFrame
        With ``instrument_id``, ``side`` and ``qty``, in time order.

    Returns
    -------
    pd.Series
        Aligned with ``fills``.

    """
    labels = []
    held: dict[str, float] = {}
    for instrument, side, qty in zip(
        fills["instrument_id"], fills["side"], fills["qty"], strict=True
    ):
        before = held.get(instrument, 0.0)
        after = round(before + (qty if side == "BUY" else -qty), 9)  # no float residue at flat
        held[instrument] = after
        same_side = (before > 0) == (after > 0)
        if before == 0.0 or (same_side and abs(after) > abs(before)):
            labels.append(ENTRY)
        elif after == 0.0 or same_side:
            labels.append(EXIT)
        else:
            labels.append(REVERSE)
    return pd.Series(labels, index=fills.index, dtype="string")


def decimate(
    ts: np.ndarray, values: np.ndarray, max_points: int = MAX_POINTS
) -> tuple[np.ndarray, np.ndarray]:
    """
    Thin a series to about ``max_points`` points, keeping each bucket's minimum and maximum.

    Plain subsampling could hide a spike or a trough (a drawdown's bottom); this never does.

    Parameters
    ----------
    ts, values : np.ndarray
        The series.
    max_points : int, default 20_000
        The budget.

    Returns
    -------
    tuple[np.ndarray, np.ndarray]
        The kept samples, in time order.

    """
    n = len(ts)
    if n <= max_points:
        return ts, values
    keep = []
    for bucket in np.array_split(np.arange(n), max_points // 2):
        finite = bucket[np.isfinite(values[bucket])]
        if len(finite):
            keep += [finite[np.argmin(values[finite])], finite[np.argmax(values[finite])]]
    keep = np.unique(keep)
    return ts[keep], values[keep]


def _times(ts) -> pd.DatetimeIndex:
    return pd.to_datetime(np.asarray(ts, dtype=np.int64), utc=True)


def _line(ts, values, name: str, **kwargs) -> go.Scattergl:
    x, y = decimate(np.asarray(ts, dtype=np.int64), np.asarray(values, dtype=float))
    return go.Scattergl(x=_times(x), y=y, name=name, mode="lines", **kwargs)


def series_titles(series: pd.DataFrame) -> dict[str, str]:
    """
    Return each series name with its panel title, grouped by prefix (``toxicity.vpin``).

    Every series gets its own panel: series of one group often differ in scale by orders of
    magnitude (a funding rate next to open interest). The strategy's ``count.*`` running totals
    share one panel: they are all counts.

    """
    names = sorted(series["name"].unique()) if not series.empty else []
    return {
        name: COUNTS_TITLE if name.startswith(COUNT_PREFIX) else ": ".join(name.split(".", 1))
        for name in names
    }


def period_text(outcome: RunOutcome) -> str:
    """Return the simulated period as ``YYYY-mm-dd HH:MM → YYYY-mm-dd HH:MM UTC``."""
    start = pd.Timestamp(outcome.start_ns, tz="UTC")
    end = pd.Timestamp(outcome.end_ns + 1, tz="UTC")
    return f"{start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M} UTC"


def build_figure(outcome: RunOutcome) -> go.Figure:
    """
    Return the report's figure: price, equity, drawdown, series panels and funding.

    Parameters
    ----------
    outcome : RunOutcome
        The run.

    Returns
    -------
    go.Figure

    """
    equity = outcome.equity
    price_columns = [c for c in equity.columns if c.startswith("price[")]
    panels = series_titles(outcome.series)
    panel_rows = {title: n for n, title in enumerate(dict.fromkeys(panels.values()))}
    titles = [f"{c[6:-1]} mark price, entries and exits" for c in price_columns]
    titles += [f"Equity and balance ({outcome.currency})", "Drawdown"]
    titles += list(panel_rows)
    titles += [f"Funding payments ({outcome.currency}, received positive)"]
    heights = [3] * len(price_columns) + [2, 1] + [1] * len(panel_rows) + [1.2]
    fig = make_subplots(
        rows=len(titles),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.04,
        subplot_titles=titles,
        row_heights=[h / sum(heights) for h in heights],
    )
    row = 1
    fills = (
        outcome.fills.assign(kind=classify_fills(outcome.fills))
        if not outcome.fills.empty
        else outcome.fills
    )
    for column in price_columns:
        instrument = column[6:-1]
        fig.add_trace(_line(equity["ts"], equity[column], f"{instrument} mark"), row=row, col=1)
        if not fills.empty:
            mine = fills[fills["instrument_id"] == instrument]
            for (kind, side), symbol in MARKERS.items():
                subset = mine[(mine["kind"] == kind) & (mine["side"] == side)]
                if subset.empty:
                    continue
                fig.add_trace(
                    go.Scattergl(
                        x=_times(subset["ts"]),
                        y=subset["price"],
                        mode="markers",
                        name=f"{side.lower()} {kind}",
                        marker={"symbol": symbol, "color": SIDE_COLORS[side], "size": 9},
                        customdata=np.c_[subset["qty"], subset["commission"]],
                        hovertemplate="%{x}<br>px %{y}<br>qty %{customdata[0]}<br>fee %{customdata[1]:.4f}",
                    ),
                    row=row,
                    col=1,
                )
        row += 1
    fig.add_trace(_line(equity["ts"], equity["equity"], "equity"), row=row, col=1)
    fig.add_trace(
        _line(equity["ts"], equity["balance"], "balance", line={"dash": "dot"}), row=row, col=1
    )
    row += 1
    drawdown = drawdown_series(equity["equity"].to_numpy(dtype=float))
    fig.add_trace(_line(equity["ts"], drawdown, "drawdown", fill="tozeroy"), row=row, col=1)
    fig.update_yaxes(tickformat=".1%", row=row, col=1)
    row += 1
    for name, title in panels.items():
        one = outcome.series[outcome.series["name"] == name]
        # A published value holds until the next one: draw steps, not interpolations.
        fig.add_trace(
            _line(one["ts"], one["value"], name, line={"shape": "hv"}),
            row=row + panel_rows[title],
            col=1,
        )
    row += len(panel_rows)
    funding = outcome.funding
    paid = funding[funding["payment"] != 0] if not funding.empty else funding
    if not paid.empty:
        # Each payment's hover says where its mark came from (mark kline or book mid).
        sources = paid["mark_source"] if "mark_source" in paid else None
        fig.add_trace(
            go.Bar(
                x=_times(paid["ts"]),
                y=paid["payment"],
                name="funding payment",
                hovertext=None if sources is None else "mark: " + sources.astype(str),
            ),
            row=row,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=_times(paid["ts"]),
                y=paid["payment"].cumsum(),
                name="funding cumulative",
                mode="lines+markers",
                line={"shape": "hv"},
            ),
            row=row,
            col=1,
        )
    fig.update_layout(
        height=sum(170 * h for h in heights),
        hovermode="x unified",
        template="plotly_white",
        legend={"orientation": "v", "x": 1.01, "y": 1.0, "yanchor": "top"},
        margin={"l": 60, "r": 20, "t": 40, "b": 40},
    )
    return fig


def render_html(outcome: RunOutcome) -> str:
    """
    Return the report as one HTML page that opens offline (plotly.js is inlined).

    Parameters
    ----------
    outcome : RunOutcome
        The run.

    Returns
    -------
    str

    """
    stats = outcome.stats
    # The strategy's own counts (entries per alpha, exits per reason, ...) follow the standard rows.
    counts = [(key, key, "{:,}") for key in stats if key.startswith(COUNT_PREFIX)]
    cells = "".join(
        f"<tr><th>{html.escape(label)}</th><td>{html.escape(stat_cell(stats, key, spec))}</td></tr>"
        for key, label, spec in STATS_SHOWN + counts
    )
    sample = sample_text(stats)
    period = period_text(outcome)
    strategy = outcome.config["strategy"]["path"]
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in outcome.notes)
    figure = build_figure(outcome).to_html(
        full_html=False, include_plotlyjs=False, config={"responsive": True}
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(outcome.run_id)} · backtest report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 24px; color: #222; }}
h1 {{ font-size: 20px; margin: 0 0 4px; }}
.meta {{ color: #666; margin-bottom: 12px; }}
table {{ border-collapse: collapse; font-size: 13px; }}
th {{ text-align: left; font-weight: 500; padding: 2px 16px 2px 0; color: #555; }}
td {{ text-align: right; padding: 2px 0; font-variant-numeric: tabular-nums; }}
.stats {{ columns: 3; max-width: 900px; }}
details {{ margin: 12px 0; font-size: 12px; }}
</style>
<script>{get_plotlyjs()}</script>
</head><body>
<h1>{html.escape(outcome.run_id)}</h1>
<div class="meta">{html.escape(strategy)} · {html.escape(period)}</div>
<div class="stats"><table>{cells}</table></div>
<div class="meta">{html.escape(sample)}</div>
<ul>{notes}</ul>
{figure}
<details><summary>Resolved configuration</summary><pre>{html.escape(json.dumps(outcome.config, indent=2))}</pre></details>
</body></html>
"""


def write_report(outcome: RunOutcome, folder: str | Path) -> Path:
    """Write ``report.html`` into the run's folder and return its path."""
    path = Path(folder) / "report.html"
    path.write_text(render_html(outcome), encoding="utf-8")
    return path
