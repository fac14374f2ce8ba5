"""
The ``vpin`` report's figure: price with the toxic buckets, VPIN with its thresholds, and the
buckets' order imbalance (``research.compute.vpin``'s bucket table).
"""

import pandas as pd
import plotly.graph_objects as go

from research.compute.vpin import VpinConfig
from research.figures.panels import flagged
from research.figures.panels import line
from research.figures.panels import markers
from research.figures.panels import time_panels
from research.figures.panels import x_time


def vpin_figure(frame: pd.DataFrame, config: VpinConfig) -> go.Figure:
    """Return price, VPIN with both thresholds, and bucket imbalance over time."""
    fig = time_panels(
        [
            "price at bucket close (red: toxic, trailing flag)",
            "VPIN and toxic thresholds",
            "bucket order imbalance (B − S) / V",
        ],
        heights=[0.4, 0.35, 0.25],
    )
    t = x_time(frame["close_time"])
    toxic = frame["toxic"].to_numpy()
    fig.add_trace(line(t, frame["close_price"], "price"), row=1, col=1)
    fig.add_trace(flagged(t, frame["close_price"], toxic, "toxic bucket"), row=1, col=1)
    fig.add_trace(line(t, frame["vpin"], "VPIN"), row=2, col=1)
    q = f"{config.toxic_quantile:g}"
    fig.add_trace(
        line(
            t,
            frame["threshold"],
            f"trailing q{q} ({config.toxic_window} buckets)",
            line={"color": "orange"},
        ),
        row=2,
        col=1,
    )
    fig.add_trace(
        line(
            t,
            frame["threshold_lookahead"],
            f"full-sample q{q} (LOOK-AHEAD)",
            line={"color": "grey", "dash": "dash"},
        ),
        row=2,
        col=1,
    )
    fig.add_trace(
        markers(t, frame["signed_imbalance"], "signed imbalance", marker={"size": 2}), row=3, col=1
    )
    return fig
