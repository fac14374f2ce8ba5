"""
The ``book`` report's figures: mid, imbalance, its z-score and OFI over time, and the lead/lag
correlations (``research.compute.book``'s tables).
"""

import pandas as pd
import plotly.graph_objects as go

from research.compute.book import DEPTH_COLUMNS
from research.compute.book import BookConfig
from research.figures.panels import flagged
from research.figures.panels import line
from research.figures.panels import time_panels
from research.figures.panels import x_time
from research.period import format_duration


def book_figures(frame: pd.DataFrame, leadlag: pd.DataFrame, config: BookConfig) -> list[go.Figure]:
    """Return the time panels (mid, imbalance, z-score, OFI) and the lead/lag chart."""
    fig = time_panels(
        [
            "mid",
            "top-of-book imbalance",
            "z-score of the imbalance EWMA (markers: extreme)",
            "OFI (running sum)",
        ]
    )
    t = x_time(frame["time"])
    fig.add_trace(line(t, frame["mid"], "mid"), row=1, col=1)
    fig.add_trace(line(t, frame["obi"], "OBI", opacity=0.35), row=2, col=1)
    fig.add_trace(
        line(
            t, frame["obi_ewma"], f"OBI EWMA ({format_duration(config.ewma_halflife_ns)} half-life)"
        ),
        row=2,
        col=1,
    )
    for name in DEPTH_COLUMNS:
        if name in frame:
            fig.add_trace(line(t, frame[name], name), row=2, col=1)
    fig.add_trace(line(t, frame["obi_z"], "OBI EWMA z"), row=3, col=1)
    extreme = frame["extreme"].to_numpy() != 0
    fig.add_trace(flagged(t, frame["obi_z"], extreme, "extreme", size=3), row=3, col=1)
    fig.add_trace(line(t, frame["ofi"].cumsum(), "OFI running sum"), row=4, col=1)
    lag = go.Figure()
    for signal, rows in leadlag.groupby("signal", sort=False):
        lag.add_trace(
            go.Scatter(
                x=rows["horizon_s"],
                y=rows["corr"],
                mode="lines+markers",
                name=signal,
                text=rows["horizon"],
            )
        )
    lag.add_vline(x=0, line={"color": "grey", "dash": "dot"})
    lag.update_layout(
        title="correlation with mid log returns (right: forward returns, the signal leads; left: past returns)",
        xaxis_title="horizon (s)",
        yaxis_title="Pearson correlation",
        template="plotly_white",
        height=450,
    )
    return [fig, lag]
