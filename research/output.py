"""
Write a report's files: each table as CSV and Parquet, the metrics as JSON, the figures as one
self-contained interactive HTML page.

Files in the output folder, for a report ``<name>`` with tables ``<t>``: ``<name>_<t>.csv``,
``<name>_<t>.parquet``, ``<name>_metrics.json`` and ``<name>.html``.
"""

import datetime as dt
import html
import json
import math
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq


@dataclass
class ReportResult:
    """
    What a report computed, before it is written.

    Parameters
    ----------
    name : str
        The report (``vpin``, ``book``, ``flow``): the files' prefix.
    title : str
        The HTML page's title.
    tables : dict[str, pd.DataFrame]
        The tables by short name (``buckets``, ``series``, ...).
    metrics : dict[str, Any]
        The JSON metrics (numpy scalars and NaN are converted on writing).
    figures : list[go.Figure]
        The figures of the HTML page, top to bottom.
    headline : dict[str, str]
        A few key figures shown above the plots.

    """

    name: str
    title: str
    tables: dict[str, pd.DataFrame]
    metrics: dict[str, Any]
    figures: list[go.Figure] = field(default_factory=list)
    headline: dict[str, str] = field(default_factory=dict)


def json_safe(value: Any) -> Any:
    """Return ``value`` with numpy scalars/arrays, timestamps and NaN/inf made JSON-friendly."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return [json_safe(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN; null reads as "undefined here"
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return value


def write_table(frame: pd.DataFrame, stem: Path) -> list[Path]:
    """Write ``frame`` as ``<stem>.csv`` and ``<stem>.parquet``; return both paths."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    csv_path, parquet_path = stem.with_suffix(".csv"), stem.with_suffix(".parquet")
    pacsv.write_csv(table, csv_path)
    pq.write_table(table, parquet_path, compression="zstd")
    return [csv_path, parquet_path]


def html_page(title: str, headline: dict[str, str], figures: list[go.Figure]) -> str:
    """Return one self-contained HTML page: a title, a table of key figures, then the plots."""
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in headline.items()
    )
    # plotly.js is inlined once, with the first figure; the page works offline.
    plots = "".join(
        fig.to_html(full_html=False, include_plotlyjs=(i == 0), config={"displaylogo": False})
        for i, fig in enumerate(figures)
    )
    style = (
        "body{font-family:system-ui,sans-serif;margin:1.5em}"
        "table{border-collapse:collapse;margin-bottom:1em}"
        "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}th{background:#f4f4f4}"
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body><h2>{html.escape(title)}</h2>"
        f"<table>{rows}</table>{plots}</body></html>"
    )


def write_report(result: ReportResult, out_dir: Path) -> list[Path]:
    """
    Write a report's tables, metrics and HTML page into ``out_dir`` (created if needed).

    Returns
    -------
    list[Path]
        The files written.

    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, frame in result.tables.items():
        written += write_table(frame, out_dir / f"{result.name}_{name}")
    metrics_path = out_dir / f"{result.name}_metrics.json"
    metrics_path.write_text(json.dumps(json_safe(result.metrics), indent=2) + "\n")
    written.append(metrics_path)
    html_path = out_dir / f"{result.name}.html"
    html_path.write_text(html_page(result.title, result.headline, result.figures), encoding="utf-8")
    written.append(html_path)
    return written
