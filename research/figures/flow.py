"""
The ``flow`` report's figures: price with the order-flow events, Kyle's lambda and the Hawkes
intensities over time, and each UTC day's volume profile (``research.compute.flow``'s tables).
"""

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from research.figures.panels import line
from research.figures.panels import markers
from research.figures.panels import time_panels
from research.figures.panels import x_time

_EVENT_STYLE = {
    "block": {"symbol": "circle-open", "color": "black", "size": 11},
    "sweep": {"symbol": "triangle-up", "color": "purple", "size": 6},
    "absorption": {"symbol": "x", "color": "orange", "size": 8},
    "iceberg": {"symbol": "diamond", "color": "teal", "size": 7},
}


def flow_figures(
    series: pd.DataFrame, events: pd.DataFrame, profile: pd.DataFrame, sessions: pd.DataFrame
) -> list[go.Figure]:
    """Return the time panels (price and events, Kyle's lambda, Hawkes) and the daily profiles."""
    fig = time_panels(
        [
            "price (interval close) and order-flow events",
            "Kyle's lambda (price per unit volume)",
            "Hawkes intensity (trades/s)",
        ],
        heights=[0.5, 0.25, 0.25],
    )
    t = x_time(series["time"])
    fig.add_trace(line(t, series["close"], "close"), row=1, col=1)
    for kind, style in _EVENT_STYLE.items():
        rows = events[events["type"] == kind]
        if len(rows):
            marker = {"symbol": style["symbol"], "color": style["color"], "size": style["size"]}
            fig.add_trace(
                markers(x_time(rows["start"]), rows["price"], kind, marker=marker), row=1, col=1
            )
    fig.add_trace(line(t, series["kyle_lambda"], "Kyle's lambda"), row=2, col=1)
    for name in ("hawkes", "hawkes_buy", "hawkes_sell"):
        fig.add_trace(line(t, series[name], name), row=3, col=1)
    return [fig, profile_figure(profile, sessions)]


def _profile_title(session: pd.Series) -> str:
    return (
        f"volume profile {session['day']}: POC {session['poc']:g}, value area {session['val']:g} – {session['vah']:g}"
        " (red: POC bin, blue: value area, grey: outside, stars: HVNs)"
    )


def profile_figure(profile: pd.DataFrame, sessions: pd.DataFrame) -> go.Figure:
    """Return the volume profile of one UTC day at a time (a menu picks the day)."""
    fig = go.Figure()
    traces_per_day = 4  # bars, HVN stars, VAH line, VAL line
    last = len(sessions) - 1
    for i, session in sessions.iterrows():
        rows = profile[profile["day"] == session["day"]]
        middle = 0.5 * (rows["price_low"] + rows["price_high"])
        colors = np.where(
            rows["poc"], "crimson", np.where(rows["value_area"], "steelblue", "lightgrey")
        )
        shown = i == last
        fig.add_trace(
            go.Bar(
                x=rows["volume"],
                y=middle,
                orientation="h",
                marker_color=colors,
                name="volume",
                visible=shown,
            )
        )
        hvn = rows["hvn"].to_numpy()
        star = {"symbol": "star", "size": 10, "color": "gold"}
        fig.add_trace(
            go.Scatter(
                x=rows["volume"][hvn],
                y=middle[hvn],
                mode="markers",
                marker=star,
                name="HVN",
                visible=shown,
            )
        )
        top = float(rows["volume"].max())
        for label in ("vah", "val"):
            price = session[label]
            dashed = {"dash": "dash", "color": "black"}
            fig.add_trace(
                go.Scatter(
                    x=[0, top],
                    y=[price, price],
                    mode="lines",
                    line=dashed,
                    name=f"{label.upper()} {price:g}",
                    visible=shown,
                )
            )
    buttons = []
    for i, session in sessions.iterrows():
        visible = [j // traces_per_day == i for j in range(traces_per_day * len(sessions))]
        buttons.append(
            {
                "label": str(session["day"]),
                "method": "update",
                "args": [{"visible": visible}, {"title": _profile_title(session)}],
            }
        )
    fig.update_layout(
        title=_profile_title(sessions.iloc[last]),
        updatemenus=[{"buttons": buttons, "active": last, "x": 1.0, "xanchor": "right", "y": 1.12}],
        xaxis_title="volume",
        yaxis_title="price",
        template="plotly_white",
        height=700,
        bargap=0.05,
    )
    return fig
