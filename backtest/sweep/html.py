"""
The sweep's HTML summary: one page that opens offline, loading ``plotly.min.js`` from beside it.

It shows the walk-forward results (the point chosen per window, in-sample vs out-of-sample, the
stitched out-of-sample equity), the ablation table, the grid against its best point, the top
runs, the selection-bias verdict (deflated Sharpe ratio, PBO), the failed runs, and for a grid of
two or more keys a heatmap of the chosen metric over each pair of keys, one per base and ablation
(the mean over the other keys, periods and seeds; each cell also shows the mean of its runs'
bootstrap interval bounds when the runs have them). A difference whose interval excludes zero
(``*``) is set in bold.

"""

import html
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from backtest.plotly_asset import PLOTLY_FILE
from backtest.plotly_asset import ensure_plotly
from backtest.plotly_asset import script_tag
from backtest.sweep.summary import SIGNIFICANT
from backtest.sweep.summary import Display
from backtest.sweep.task import OK

MAX_HEATMAPS = 24


def _cell_class(cell: str, numeric: bool) -> str:
    kind = "num" if numeric else "text"
    return f"{kind} sig" if cell.endswith(SIGNIFICANT) else kind


def display_html(display: Display) -> str:
    """Return a ``Display`` as an HTML table with its title."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in display.headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{_cell_class(cell, i >= display.left)}">{html.escape(cell)}</td>'
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in display.rows
    )
    return (
        f"<h2>{html.escape(display.title)}</h2>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def heatmaps(table: pd.DataFrame, grid_keys: list[str], metric: str) -> list[go.Figure]:
    """
    Return a heatmap of ``metric`` for each pair of grid keys, base and ablation.

    Parameters
    ----------
    table : pd.DataFrame
        The sweep's rows.
    grid_keys : list[str]
        The grid's dotted keys (fewer than two: no heatmap).
    metric : str
        The statistic shown.

    Returns
    -------
    list[go.Figure]
        At most ``MAX_HEATMAPS``.

    """
    done = table[table["status"] == OK]
    if len(grid_keys) < 2 or done.empty or metric not in done.columns:
        return []
    low, high = f"intervals.{metric}.low", f"intervals.{metric}.high"
    bounded = low in done.columns and high in done.columns
    done = done.assign(
        _m=pd.to_numeric(done[metric], errors="coerce"),
        _lo=pd.to_numeric(done[low], errors="coerce") if bounded else np.nan,
        _hi=pd.to_numeric(done[high], errors="coerce") if bounded else np.nan,
    )
    figures = []
    for (x_key, y_key), ((base, ablation), group) in itertools.product(
        itertools.combinations(grid_keys, 2), done.groupby(["base", "ablation"], sort=False)
    ):
        cells = group.pivot_table(
            index=y_key, columns=x_key, values=["_m", "_lo", "_hi"], aggfunc="mean", dropna=False
        )
        grid = cells["_m"]
        lows = cells["_lo"].reindex_like(grid) if "_lo" in cells else grid * np.nan
        highs = cells["_hi"].reindex_like(grid) if "_hi" in cells else grid * np.nan
        figure = go.Figure(
            go.Heatmap(
                z=grid.to_numpy(),
                x=[str(v) for v in grid.columns],
                y=[str(v) for v in grid.index],
                colorscale="RdYlGn_r" if metric == "max_drawdown" else "RdYlGn",
                text=_cell_texts(grid.to_numpy(), lows.to_numpy(), highs.to_numpy()),
                texttemplate="%{text}",
                hovertemplate=f"{x_key}=%{{x}}<br>{y_key}=%{{y}}<br>{metric} %{{text}}<extra></extra>",
                colorbar={"title": metric},
            ),
        )
        figure.update_layout(
            title=f"{metric}: {base} / {ablation}",
            xaxis={"title": x_key, "type": "category"},
            yaxis={"title": y_key, "type": "category"},
            height=380,
            width=560,
            margin={"l": 70, "r": 20, "t": 50, "b": 60},
            template="plotly_white",
        )
        figures.append(figure)
        if len(figures) == MAX_HEATMAPS:
            break
    return figures


def _cell_texts(values: np.ndarray, lows: np.ndarray, highs: np.ndarray) -> list[list[str]]:
    # "0.0123<br>[-0.01, 0.03]": the mean metric over the cell's runs with their mean bounds.
    texts = []
    for value_row, low_row, high_row in zip(values, lows, highs, strict=True):
        row = []
        for value, low, high in zip(value_row, low_row, high_row, strict=True):
            text = "–" if not np.isfinite(value) else f"{value:.4g}"
            if np.isfinite(value) and np.isfinite(low) and np.isfinite(high):
                text += f"<br>[{low:.3g}, {high:.3g}]"
            row.append(text)
        texts.append(row)
    return texts


def out_of_sample_figure(curves: list) -> go.Figure:
    """
    Return the walk-forward's stitched out-of-sample equity (growth of 1), one line per chain.

    Parameters
    ----------
    curves : list[backtest.sweep.walk_forward.OutOfSample]
        The stitched curves.

    Returns
    -------
    go.Figure

    """
    figure = go.Figure()
    for curve in curves:
        name = f"{curve.base}/{curve.ablation}" + (f"/seed={curve.seed}" if curve.seed else "")
        figure.add_trace(
            go.Scatter(
                x=pd.to_datetime(curve.returns["ts"].to_numpy(dtype=np.int64), utc=True),
                y=curve.returns["equity"],
                name=name,
                mode="lines",
            )
        )
    figure.update_layout(
        title="Walk-forward: stitched out-of-sample equity (growth of 1)",
        height=380,
        width=900,
        xaxis={"title": "time (UTC)", "type": "date"},
        yaxis={"title": "equity"},
        showlegend=True,
        margin={"l": 70, "r": 20, "t": 50, "b": 60},
        template="plotly_white",
    )
    return figure


def render_summary(
    name: str, overview: str, displays: list[Display], figures: list[go.Figure]
) -> str:
    """
    Return the summary page.

    Parameters
    ----------
    name : str
        The sweep's name.
    overview : str
        One line: runs, completed, failed.
    displays : list[Display]
        The tables, in order.
    figures : list[go.Figure]
        The heatmaps.

    Returns
    -------
    str

    """
    tables = "".join(display_html(d) for d in displays)
    plots = "".join(
        f'<div class="plot">{f.to_html(full_html=False, include_plotlyjs=False)}</div>'
        for f in figures
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(name)} · sweep summary</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 24px; color: #222; }}
h1 {{ font-size: 20px; margin-bottom: 4px; }}
h2 {{ font-size: 15px; margin: 24px 0 6px; }}
table {{ border-collapse: collapse; font-size: 12px; }}
th, td {{ padding: 3px 10px; border-bottom: 1px solid #eee; }}
th {{ background: #f6f6f6; font-weight: 600; text-align: left; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
td.sig {{ font-weight: 600; color: #1a5e9a; }}
.plot {{ display: inline-block; vertical-align: top; }}
</style>
{script_tag(PLOTLY_FILE)}
</head><body>
<h1>{html.escape(name)}</h1>
<div>{html.escape(overview)}</div>
{tables}
{"<h2>Figures</h2>" if plots else ""}{plots}
</body></html>
"""


def write_summary(path: Path, page: str) -> Path:
    """
    Write the page atomically (a reader never sees half of it) and return its path.

    ``plotly.min.js``, which the page loads, is written beside it once.
    """
    ensure_plotly(path.parent)
    partial = path.with_suffix(".html.tmp")
    partial.write_text(page, encoding="utf-8")
    partial.replace(path)
    return path
