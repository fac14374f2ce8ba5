"""Print a one-screen summary of a finished run (a rich table on stderr or stdout)."""

from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from backtest.report import STATS_SHOWN
from backtest.report import period_text
from backtest.report import sample_text
from backtest.report import stat_cell
from backtest.results import RunOutcome
from backtest.stats import COUNT_PREFIX

EXTRA_SHOWN = [
    ("final_equity", "Final equity", "{:,.2f}"),
    ("realized_pnl", "Realized PnL (gross)", "{:+,.2f}"),
    ("funding_net", "Funding net", "{:+,.2f}"),
    ("unrealized_pnl_end", "Unrealized PnL at end", "{:+,.2f}"),
    ("wall_secs", "Wall time (s)", "{:,.1f}"),
]


def attribution_text(block: dict | None) -> str:
    """
    Return the PnL split and the net PnL by alpha, regime and exit reason in a few lines.

    Parameters
    ----------
    block : dict | None
        ``stats.json``'s ``attribution`` block.

    Returns
    -------
    str
        ``""`` without a block or without trades.

    """
    if not block or not block.get("by_alpha"):
        return ""
    lines = [
        f"PnL: gross {block['gross_pnl']:+,.2f}, fees {-block['fees']:+,.2f}, "
        f"funding {block['funding']:+,.2f}, net {block['net_pnl']:+,.2f}"
    ]
    for key, title in (("by_alpha", "alpha"), ("by_regime", "regime"), ("by_exit", "exit")):
        parts = [f"{name} {v['net_pnl']:+,.2f} ({v['trades']})" for name, v in block[key].items()]
        lines.append(f"  net by {title}: " + ", ".join(parts))
    return "\n".join(lines)


def print_summary(
    outcome: RunOutcome, folder: Path, report: Path | None, console: Console | None = None
) -> None:
    """
    Print the run's key statistics and where its results are.

    Parameters
    ----------
    outcome : RunOutcome
        The run.
    folder : Path
        The results folder.
    report : Path | None
        The report, if one was written.
    console : Console, optional
        Where to print (default: stdout).

    """
    console = console or Console(soft_wrap=True)
    table = Table(title=f"{outcome.run_id}  ·  {period_text(outcome)}", show_header=False)
    table.add_column(style="dim")
    table.add_column(justify="right")
    table.add_column(style="dim")
    table.add_column(justify="right")
    cells = [
        (label, stat_cell(outcome.stats, key, spec))
        for key, label, spec in STATS_SHOWN + EXTRA_SHOWN
    ]
    half = (len(cells) + 1) // 2
    for left, right in zip(cells[:half], cells[half:] + [("", "")], strict=False):
        # Text, not rich markup: an interval "[-1.5%, +8.4%]" prints as written.
        table.add_row(*(escape(cell) for cell in (*left, *right)))
    # The strategy's own counters (entries per alpha, gate blocks, exits per reason) are what a
    # researcher checks first: beside the headline statistics, in the strategy's order.
    counters = [
        (key.removeprefix(COUNT_PREFIX), _count_text(value))
        for key, value in outcome.stats.items()
        if key.startswith(COUNT_PREFIX)
    ]
    if counters:
        table.add_section()
        half = (len(counters) + 1) // 2
        for left, right in zip(counters[:half], counters[half:] + [("", "")], strict=False):
            table.add_row(*(escape(cell) for cell in (*left, *right)))
    console.print(table)
    sample = sample_text(outcome.stats)
    if sample:
        console.print(escape(sample), style="dim", highlight=False)
    attribution = attribution_text(outcome.stats.get("attribution"))
    if attribution:
        console.print(escape(attribution), highlight=False)
    for note in outcome.notes:
        console.print(f"[yellow]note:[/] {note}")
    console.print(f"results: {folder}")
    if report is not None:
        console.print(f"report:  {report}")


def _count_text(value: object) -> str:
    # A running total is a whole number; anything else (a missing series) reads "–" as elsewhere.
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "–"
    if number != number:
        return "–"
    return f"{int(number):,}" if number.is_integer() else f"{number:,.2f}"
