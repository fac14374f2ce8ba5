"""
The sweep's HTML summary: one self-contained page (plotly.js inlined) that opens offline.

It shows the ablation table, the grid against its best point, the top runs, the selection-bias
verdict (deflated Sharpe ratio, PBO), the failed runs, and for a grid of two or more keys a
heatmap of the chosen metric over each pair of keys, one per base and ablation (the mean over the
other keys, periods and seeds). A difference whose interval excludes zero (``*``) is set in bold.

"""

import html
import itertools
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

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
    done = done.assign(_m=pd.to_numeric(done[metric], errors="coerce"))
    figures = []
    for (x_key, y_key), ((base, ablation), group) in itertools.product(
        itertools.combinations(grid_keys, 2), done.groupby(["base", "ablation"], sort=False)
    ):
        grid = group.pivot_table(index=y_key, columns=x_key, values="_m", aggfunc="mean")
        figure = go.Figure(
            go.Heatmap(
                z=grid.to_numpy(),
                x=[str(v) for v in grid.columns],
                y=[str(v) for v in grid.index],
                colorscale="RdYlGn_r" if metric == "max_drawdown" else "RdYlGn",
                texttemplate="%{z:.4g}",
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
<script>{get_plotlyjs()}</script>
</head><body>
<h1>{html.escape(name)}</h1>
<div>{html.escape(overview)}</div>
{tables}
{"<h2>Grid heatmaps</h2>" if plots else ""}{plots}
</body></html>
"""


def write_summary(path: Path, page: str) -> Path:
    """Write the page atomically (a reader never sees half of it) and return its path."""
    partial = path.with_suffix(".html.tmp")
    partial.write_text(page, encoding="utf-8")
    partial.replace(path)
    return path
