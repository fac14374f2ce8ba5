"""
The strategy-developer commands of ``run_backtest.py``: ``--lookahead`` and ``--recursive``.

Each runs its analysis (``backtest.lookahead``, ``backtest.recursive``) on one run config, prints
what it found and writes it as JSON beside the run's results (``<output dir>/<run id>/``).
"""

from pathlib import Path

from rich.console import Console
from rich.table import Table

from backtest import lookahead
from backtest import recursive
from backtest.config import RunConfig
from backtest.results import results_dir

EXIT_LOOKAHEAD_FOUND = 1


def _ns_text(ts_ns: int) -> str:
    return lookahead.instant_text(ts_ns)


def run_lookahead(config: RunConfig, cuts: int, output_dir: Path | None, out: Console) -> int:
    """
    Run the look-ahead analysis, print it, write ``lookahead.json``.

    Parameters
    ----------
    config : RunConfig
        The run configuration.
    cuts : int
        How many cut instants.
    output_dir : Path, optional
        Overrides ``[output] dir``.
    out : Console
        Where the report is printed.

    Returns
    -------
    int
        0 when nothing differs, 1 when look-ahead was found.

    """
    def progress(cut: lookahead.CutResult) -> None:
        verdict = "same" if cut.clean else "DIFFERS"
        out.print(f"cut at {_ns_text(cut.cut_ns)}: {verdict} ({cut.seconds:.1f} s)", highlight=False)

    out.print(f"look-ahead analysis of {config.run_id()}: full run, then {cuts} cut run(s)", highlight=False)
    report = lookahead.analyse(config, cuts=cuts, on_cut=progress)
    path = lookahead.write_report(report, results_dir(output_dir or config.output.dir, config.run_id()))
    cut_secs = sum(c.seconds for c in report.cuts)
    out.print(
        f"full run {report.full_seconds:.1f} s, cut runs {cut_secs:.1f} s "
        f"({(report.full_seconds + cut_secs) / report.full_seconds:.1f}x one run); "
        f"{report.orders} order(s), {len(report.series)} series",
        highlight=False,
    )
    if report.clean:
        out.print("[bold green]no look-ahead found[/]: every decision, order and series up to each cut is unchanged")
    else:
        table = Table(title="series that change when the future is cut away")
        for column in ("series", "cut", "first difference", "points differing", "largest difference", "at the cut"):
            table.add_column(column)
        for cut in report.cuts:
            for s in cut.series:
                table.add_row(s.name, _ns_text(cut.cut_ns), _ns_text(s.first_ts), f"{s.differing}/{s.points}", f"{s.max_abs_diff:.6g}", "yes" if s.at_cut else "no")
        out.print(table)
        for cut in report.cuts:
            if cut.orders_full or cut.orders_cut:
                out.print(
                    f"orders up to {_ns_text(cut.cut_ns)}: {len(cut.orders_full)} only with the future, "
                    f"{len(cut.orders_cut)} only without it; decision at the cut "
                    f"{'differs' if cut.decision_differs else 'unchanged'}",
                    highlight=False,
                )
        out.print(f"[bold red]look-ahead found[/] in: {', '.join(report.offending_series()) or 'orders only'}")
    out.print(f"report: {path}", highlight=False)
    return 0 if report.clean else EXIT_LOOKAHEAD_FOUND


def run_recursive(config: RunConfig, starts: int, rtol: float, output_dir: Path | None, out: Console) -> int:
    """
    Run the start-date sensitivity analysis, print the warm-up per series, write ``recursive.json``.

    Parameters
    ----------
    config : RunConfig
        The run configuration.
    starts : int
        How many later starts inside the period.
    rtol : float
        The relative agreement tolerance.
    output_dir : Path, optional
        Overrides ``[output] dir``.
    out : Console
        Where the report is printed.

    Returns
    -------
    int
        0.

    """
    out.print(f"start-date sensitivity of {config.run_id()}", highlight=False)
    report = recursive.analyse(
        config,
        starts=starts,
        rtol=rtol,
        on_run=lambda s: out.print(f"run from {recursive.iso_time(s)}", highlight=False),
    )
    path = recursive.write_report(report, results_dir(output_dir or config.output.dir, config.run_id()))
    table = Table(title=f"warm-up each series needs (agreement within rtol {rtol:g})")
    table.add_column("series")
    for start in report.starts:
        table.add_column(f"from {start[:16]}")
    table.add_column("needed")
    for s in report.series:
        table.add_row(s.name, *(recursive.describe_ns(v) for v in s.needed_ns.values()), recursive.describe_ns(s.warmup_ns))
    out.print(table)
    recommended = report.recommended_warmup()
    out.print(
        f"set [period] warmup = \"{recommended}\" to cover every converged series"
        if recommended
        else "no series converged within the runs: lengthen the period",
        highlight=False,
        markup=False,
    )
    out.print(f"report: {path} ({report.seconds:.1f} s)", highlight=False)
    return 0
