"""Plotly helpers shared by the reports' figures: thinning long series, stacked time panels."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

# A browser stays responsive with a few tens of thousands of WebGL points per trace.
MAX_POINTS = 20_000


def thin(n: int, max_points: int = MAX_POINTS) -> np.ndarray:
    """Return the indices of at most ``max_points`` evenly spread rows of ``n`` (the last kept)."""
    if n <= max_points:
        return np.arange(n)
    idx = np.unique(np.linspace(0, n - 1, max_points).astype(np.int64))
    return idx


def x_time(times: pd.Series) -> np.ndarray:
    """Return a UTC time column as naive datetime64[ns] (a tz-aware column converts per element)."""
    return times.dt.tz_convert(None).to_numpy()


def time_panels(
    titles: list[str], heights: list[float] | None = None, height: int = 900
) -> go.Figure:
    """Return a figure of panels stacked over one shared time axis (zoom one, zoom all)."""
    fig = make_subplots(
        rows=len(titles),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.04,
        subplot_titles=titles,
        row_heights=heights,
    )
    fig.update_layout(
        height=height, hovermode="x unified", template="plotly_white", legend={"orientation": "h"}
    )
    fig.update_xaxes(title_text="UTC", row=len(titles), col=1)
    return fig


def line(x: np.ndarray, y: np.ndarray, name: str, **style: object) -> go.Scattergl:
    """Return a WebGL line trace of at most ``MAX_POINTS`` points."""
    idx = thin(len(x))
    return go.Scattergl(
        x=np.asarray(x)[idx], y=np.asarray(y)[idx], name=name, mode="lines", **style
    )


def markers(x: np.ndarray, y: np.ndarray, name: str, **style: object) -> go.Scattergl:
    """Return a WebGL marker trace of at most ``MAX_POINTS`` points (events, flags)."""
    idx = thin(len(x))
    return go.Scattergl(
        x=np.asarray(x)[idx], y=np.asarray(y)[idx], name=name, mode="markers", **style
    )


def flagged(
    x: np.ndarray, y: np.ndarray, flag: np.ndarray, name: str, color: str = "red", size: int = 4
) -> go.Scattergl:
    """Return markers at the rows where ``flag`` is True (toxic buckets, extreme imbalances)."""
    flag = np.asarray(flag, dtype=bool)
    return markers(
        np.asarray(x)[flag], np.asarray(y)[flag], name, marker={"color": color, "size": size}
    )
