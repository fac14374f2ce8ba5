"""
The tearsheet's figure: every panel on one dated time axis, each with its own legend.

Panels, top to bottom: price per instrument with entries and exits, the crowded regimes shaded
behind it (``regime.state``) and toxic flow marked in a band along its foot (``toxicity.toxic``);
equity and balance; drawdown; one panel per series the strategy published with
``publish_signal`` (titled by prefix, ``toxicity: vpin``), the ``count.*`` running totals
together; funding payments with their running total. Every panel shows its own date labels, so a
reader never scrolls to the bottom to know when something happened.

"""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from backtest.results import RunOutcome
from backtest.stats import COUNT_PREFIX
from backtest.stats import drawdown_series
from backtest.tearsheet.data import regime_spans
from backtest.tearsheet.data import toxic_spans

MAX_POINTS = 5_000
PANEL_PX = 170
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
SHADES = {
    "crowded_long": ("rgba(215, 48, 39, 0.13)", "crowded long"),
    "crowded_short": ("rgba(69, 117, 180, 0.15)", "crowded short"),
    "toxic": ("rgba(253, 141, 60, 0.85)", "toxic flow"),
}
TOXIC_BAND = 0.06  # the toxic band's height, as a share of the price panel


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
    max_points : int, default 5_000
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


def times(ts) -> pd.DatetimeIndex:
    """Return nanosecond timestamps as UTC datetimes."""
    return pd.to_datetime(np.asarray(ts, dtype=np.int64), utc=True)


def epoch_ms(ts) -> np.ndarray:
    """
    Return nanosecond timestamps as milliseconds since the epoch, which a date axis reads.

    Numbers travel as compact typed arrays in the page; ISO strings cost ~35 bytes a point.
    """
    return np.asarray(ts, dtype=np.int64) // 1_000_000


def _line(ts, values, name: str, **kwargs) -> go.Scatter:
    x, y = decimate(np.asarray(ts, dtype=np.int64), np.asarray(values, dtype=float))
    return go.Scatter(x=epoch_ms(x), y=y, name=name, mode="lines", **kwargs)


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


class _Panels:
    """
    Collects traces for numbered rows, each row with its own legend beside it, and shapes.

    Everything is added to the figure at once in ``finish``: plotly validates the whole layout on
    every single ``add_trace``/``add_shape``, which made a 3-day report take 20 s.
    """

    def __init__(self, figure: go.Figure) -> None:
        self.figure = figure
        self.traces: list = []
        self.rows: list[int] = []
        self.shapes: list[dict] = []

    def add(self, trace, row: int) -> None:
        trace.legend = "legend" if row == 1 else f"legend{row}"
        self.traces.append(trace)
        self.rows.append(row)

    def finish(self, rows: int) -> None:
        self.figure.add_traces(self.traces, rows=self.rows, cols=[1] * len(self.rows))
        self.figure.update_layout(shapes=self.shapes)
        layout = {}
        for row in range(1, rows + 1):
            domain = self.figure.layout[f"yaxis{'' if row == 1 else row}"].domain
            layout["legend" if row == 1 else f"legend{row}"] = {
                "x": 1.01,
                "xanchor": "left",
                "y": domain[1],
                "yanchor": "top",
                "font": {"size": 11},
                "bgcolor": "rgba(255,255,255,0.8)",
                "tracegroupgap": 2,
            }
        self.figure.update_layout(**layout)


def _shade(panels: _Panels, outcome: RunOutcome, row: int) -> None:
    # Regimes fill the panel's height behind the price; toxic flow a band along its foot.
    end = outcome.end_ns + 1
    yref = f"y{'' if row == 1 else row} domain"
    xref = f"x{'' if row == 1 else row}"
    shown = set()
    for span in regime_spans(outcome.series, end) + toxic_spans(outcome.series, end):
        color, _ = SHADES[span.state]
        top = TOXIC_BAND if span.state == "toxic" else 1.0
        panels.shapes.append(
            {
                "type": "rect",
                "xref": xref,
                "yref": yref,
                "x0": int(epoch_ms([span.start])[0]),
                "x1": int(epoch_ms([span.end])[0]),
                "y0": 0.0,
                "y1": top,
                "fillcolor": color,
                "line": {"width": 0},
                "layer": "below",
            }
        )
        shown.add(span.state)
    for state in (s for s in SHADES if s in shown):
        color, label = SHADES[state]
        # A legend entry for a shape: shapes have none of their own.
        panels.add(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=label,
                marker={"symbol": "square", "size": 12, "color": color},
                hoverinfo="skip",
            ),
            row,
        )


def build_figure(outcome: RunOutcome) -> go.Figure:
    """
    Return the tearsheet's figure: price, equity, drawdown, series panels and funding.

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
    panels_of = series_titles(outcome.series)
    panel_rows = {title: n for n, title in enumerate(dict.fromkeys(panels_of.values()))}
    titles = [f"{c[6:-1]} mark price, entries and exits" for c in price_columns]
    titles += [f"Equity and balance ({outcome.currency})", "Drawdown"]
    titles += list(panel_rows)
    titles += [f"Funding payments ({outcome.currency}, received positive)"]
    # A panel is as tall as its legend needs (about six entries per unit of height).
    lines = pd.Series(list(panels_of.values())).value_counts() if panels_of else pd.Series()
    heights = [3] * len(price_columns) + [2, 1]
    heights += [max(1.0, lines.get(title, 1) / 6) for title in panel_rows] + [1.2]
    fig = make_subplots(
        rows=len(titles),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=min(0.05, 0.5 / len(titles)),
        subplot_titles=titles,
        row_heights=[h / sum(heights) for h in heights],
    )
    panels = _Panels(fig)
    row = 1
    fills = (
        outcome.fills.assign(kind=classify_fills(outcome.fills))
        if not outcome.fills.empty
        else outcome.fills
    )
    for column in price_columns:
        instrument = column[6:-1]
        panels.add(_line(equity["ts"], equity[column], f"{instrument} mark"), row)
        if not fills.empty:
            mine = fills[fills["instrument_id"] == instrument]
            for (kind, side), symbol in MARKERS.items():
                subset = mine[(mine["kind"] == kind) & (mine["side"] == side)]
                if subset.empty:
                    continue
                panels.add(
                    go.Scatter(
                        x=epoch_ms(subset["ts"]),
                        y=subset["price"],
                        mode="markers",
                        name=f"{side.lower()} {kind}",
                        marker={"symbol": symbol, "color": SIDE_COLORS[side], "size": 9},
                        customdata=np.c_[subset["qty"], subset["commission"]],
                        hovertemplate="%{x|%Y-%m-%d %H:%M:%S}<br>px %{y}<br>qty %{customdata[0]}<br>fee %{customdata[1]:.4f}",
                    ),
                    row,
                )
        _shade(panels, outcome, row)
        row += 1
    panels.add(_line(equity["ts"], equity["equity"], "equity"), row)
    panels.add(_line(equity["ts"], equity["balance"], "balance", line={"dash": "dot"}), row)
    row += 1
    drawdown = drawdown_series(equity["equity"].to_numpy(dtype=float))
    panels.add(_line(equity["ts"], drawdown, "drawdown", fill="tozeroy"), row)
    fig.update_yaxes(tickformat=".1%", row=row, col=1)
    row += 1
    for name, title in panels_of.items():
        one = outcome.series[outcome.series["name"] == name]
        # A published value holds until the next one: draw steps, not interpolations.
        label = name.split(".", 1)[-1]
        panels.add(
            _line(one["ts"], one["value"], label, line={"shape": "hv"}), row + panel_rows[title]
        )
    row += len(panel_rows)
    funding = outcome.funding
    paid = funding[funding["payment"] != 0] if not funding.empty else funding
    if not paid.empty:
        # Each payment's hover says where its mark came from (mark kline or book mid).
        sources = paid["mark_source"] if "mark_source" in paid else None
        panels.add(
            go.Bar(
                x=epoch_ms(paid["ts"]),
                y=paid["payment"],
                name="funding payment",
                hovertext=None if sources is None else "mark: " + sources.astype(str),
            ),
            row,
        )
        panels.add(
            go.Scatter(
                x=epoch_ms(paid["ts"]),
                y=paid["payment"].cumsum(),
                name="funding cumulative",
                mode="lines+markers",
                line={"shape": "hv"},
            ),
            row,
        )
    panels.finish(len(titles))
    # One time axis: every panel zooms together and shows its own dates.
    start, end = (int(v) for v in epoch_ms([outcome.start_ns, outcome.end_ns + 1]))
    fig.update_xaxes(
        type="date",
        showticklabels=True,
        tickformat="%b %d %H:%M",
        range=[start, end],
        showspikes=True,
        spikemode="across",
        spikethickness=1,
    )
    fig.update_layout(
        height=sum(PANEL_PX * h for h in heights) + 80,
        hovermode="x",
        template="plotly_white",
        margin={"l": 70, "r": 190, "t": 40, "b": 40},
    )
    return fig
