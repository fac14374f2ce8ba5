"""
The run's tearsheet, ``report.html``: one page that opens offline, loading ``plotly.min.js`` from
the results folder's parent (written there once, ``backtest.plotly_asset``).

Top to bottom: the headline numbers with their bootstrap intervals and the sample they stand on;
the figure (``backtest.tearsheet.figure``: price with entries, exits, regimes and toxic flow
shaded, equity, drawdown, the strategy's series, funding, all on one dated time axis with a
legend per panel); PnL attribution (gross, fees, funding, net; by alpha, regime and exit reason);
daily returns; the trade list; every statistic; the run's notes and configuration.

"""

import html
import json
from pathlib import Path

import pandas as pd

from backtest.plotly_asset import PLOTLY_FILE
from backtest.plotly_asset import ensure_plotly
from backtest.plotly_asset import script_tag
from backtest.results import RunOutcome
from backtest.stats import COUNT_PREFIX
from backtest.tearsheet.data import daily_returns
from backtest.tearsheet.figure import build_figure
from backtest.tearsheet.tables import attribution_html
from backtest.tearsheet.tables import daily_html
from backtest.tearsheet.tables import headline_html
from backtest.tearsheet.tables import trades_html

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
HEADLINE = (
    "total_return",
    "sharpe",
    "max_drawdown",
    "sortino",
    "calmar",
    "trades",
    "win_rate",
    "fees_paid",
    "exposure_time",
)


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


def period_text(outcome: RunOutcome) -> str:
    """Return the simulated period as ``YYYY-mm-dd HH:MM → YYYY-mm-dd HH:MM UTC``."""
    start = pd.Timestamp(outcome.start_ns, tz="UTC")
    end = pd.Timestamp(outcome.end_ns + 1, tz="UTC")
    return f"{start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M} UTC"


def _headline(stats: dict) -> list[tuple[str, str]]:
    shown = {key: (label, spec) for key, label, spec in STATS_SHOWN}
    cards = [(shown[key][0], stat_cell(stats, key, shown[key][1])) for key in HEADLINE]
    funding = stats.get("funding_net")
    cards.append(("Funding net", "–" if funding is None else f"{funding:+,.2f}"))
    return cards


def render_html(outcome: RunOutcome, plotly_src: str = f"../{PLOTLY_FILE}") -> str:
    """
    Return the tearsheet as one HTML page.

    Parameters
    ----------
    outcome : RunOutcome
        The run.
    plotly_src : str, default "../plotly.min.js"
        Where the page loads plotly.js from (relative to the page).

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
    period = period_text(outcome)
    strategy = outcome.config["strategy"]["path"]
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in outcome.notes)
    figure = build_figure(outcome).to_html(
        full_html=False, include_plotlyjs=False, div_id="figure", config={"responsive": True}
    )
    start = float(stats.get("starting_balance") or outcome.equity["equity"].iloc[0])
    daily = daily_returns(outcome.equity, start, outcome.start_ns, outcome.end_ns, outcome.trades)
    currency = outcome.currency
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(outcome.run_id)} · backtest tearsheet</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 24px; color: #222; max-width: 1500px; }}
h1 {{ font-size: 20px; margin: 0 0 4px; }}
h2 {{ font-size: 16px; margin: 28px 0 6px; }}
h3 {{ font-size: 13px; margin: 10px 0 4px; color: #444; }}
.meta {{ color: #666; margin: 4px 0 10px; font-size: 12px; }}
.cards {{ display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0 4px; }}
.card {{ border: 1px solid #e3e3e3; border-radius: 6px; padding: 8px 12px; min-width: 150px; }}
.card .label {{ color: #666; font-size: 12px; }}
.card .value {{ font-size: 17px; font-weight: 600; font-variant-numeric: tabular-nums; }}
table {{ border-collapse: collapse; font-size: 12px; }}
th {{ text-align: left; font-weight: 500; padding: 2px 12px 2px 0; color: #555; }}
th.num {{ text-align: right; }}
td {{ padding: 2px 0 2px 12px; font-variant-numeric: tabular-nums; border-bottom: 1px solid #f0f0f0; }}
td.num {{ text-align: right; }}
td.text {{ text-align: left; }}
.row {{ display: flex; flex-wrap: wrap; gap: 28px; }}
.scroll {{ max-height: 480px; overflow: auto; border: 1px solid #eee; }}
.stats {{ columns: 3; max-width: 900px; }}
.stats td {{ text-align: right; }}
details {{ margin: 12px 0; font-size: 12px; }}
</style>
{script_tag(plotly_src)}
</head><body>
<h1>{html.escape(outcome.run_id)}</h1>
<div class="meta">{html.escape(strategy)} · {html.escape(period)}</div>
{headline_html(_headline(stats), sample_text(stats))}
<ul class="meta">{notes}</ul>
<section id="chart">{figure}</section>
{attribution_html(outcome.trades, currency)}
<div class="row">{daily_html(daily, currency)}
<section id="statistics"><h2>Every statistic</h2><div class="stats"><table>{cells}</table></div></section></div>
{trades_html(outcome.trades, currency)}
<details><summary>Resolved configuration</summary><pre>{html.escape(json.dumps(outcome.config, indent=2))}</pre></details>
</body></html>
"""


def write_report(outcome: RunOutcome, folder: str | Path) -> Path:
    """
    Write ``report.html`` into the run's folder and return its path.

    ``plotly.min.js``, which it loads, is written once into the folder's parent (the results
    folder every run of a config file or sweep shares).
    """
    Path(folder).mkdir(parents=True, exist_ok=True)
    ensure_plotly(Path(folder).parent)
    path = Path(folder) / "report.html"
    path.write_text(render_html(outcome), encoding="utf-8")
    return path
