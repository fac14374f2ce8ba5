"""
``etl report``'s tables on the terminal: a summary row per family and instrument, then the days
worth a look (the scan is ``etl.report_compute``'s).
"""

import numpy as np

from etl.archive import KLINE_FAMILIES
from etl.report_compute import FAMILIES
from etl.report_compute import CatalogReport
from etl.report_compute import DayReport
from etl.report_compute import SeriesReport

DEFAULT_MAX_DAYS = 50


def day_issues(day: DayReport) -> list[str]:
    """Return one short text per problem of a day, for the table."""
    issues = []
    if day.missing_minutes:
        runs = ", ".join(r.first if r.count == 1 else f"{r.first}-{r.last}" for r in day.missing_minute_runs[:4])
        more = ", ..." if len(day.missing_minute_runs) > 4 else ""
        issues.append(f"{day.missing_minutes} min missing: {runs}{more}")
    if day.silences:
        longest = day.largest_gaps[0]
        issues.append(f"{day.silences} quote silence(s), longest {_seconds(longest.seconds)} from {_clock(longest.start_ns)}")
    if day.missing_settlements:
        issues.append("funding missing at " + ", ".join(s[11:16] for s in day.missing_settlements))
    if day.out_of_order:
        issues.append(f"{day.out_of_order} row(s) out of order")
    if day.rejects:
        issues.append("rejected " + ", ".join(f"{k}={v:,}" for k, v in day.rejects.items()))
    return issues


def _seconds(seconds: float) -> str:
    return f"{seconds:,.1f} s" if seconds >= 1 else f"{seconds:.3f} s"


def _clock(ns: int | None) -> str:
    if ns is None:
        return "-"
    return np.datetime_as_string(np.datetime64(int(ns), "ns"), unit="ms")[11:]


def _gap_summary(series: SeriesReport) -> str:
    t = series.totals()
    parts = []
    if series.family in KLINE_FAMILIES:
        parts.append(f"{t['missing_minutes']:,} min missing on {t['days_missing_minutes']} day(s)" if t["missing_minutes"] else "no missing minutes")
    if series.family == "bookTicker" and t["longest_gap_s"] is not None:
        silences = f"{t['silences']:,} silence(s) on {t['days_with_silences']} day(s)" if t["silences"] else "no silences"
        parts.append(f"{silences}, longest gap {_seconds(t['longest_gap_s'])}")
    if series.family == "fundingRate":
        parts.append(f"{t['missing_settlements']} settlement(s) missing" if t["missing_settlements"] else "no missing settlements")
    if t["missing_days"]:
        parts.append(f"{t['missing_days']} day(s) missing")
    if t["out_of_order"]:
        parts.append(f"{t['out_of_order']:,} out of order")
    return "; ".join(parts) or "-"


def print_report(report: CatalogReport, *, max_days: int = DEFAULT_MAX_DAYS, all_days: bool = False) -> None:
    """
    Print the report: a summary row per family and instrument, then the days worth a look.

    Parameters
    ----------
    report : CatalogReport
        The report.
    max_days : int
        At most this many day rows (the JSON has them all).
    all_days : bool
        List every day, not only those with gaps, rejects or missing data.

    """
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        # Piped or redirected: a log file has room for the whole row.
        console = Console(width=160)
    if not report.series and not report.failed_sources:
        console.print(f"{report.catalog}: no data in the catalog")
        return
    summary = Table(title=f"catalog {report.catalog}: coverage (quote silence > {report.quote_silence_s:g} s)")
    for name in ("family", "instrument", "days", "from", "to", "rows", "gaps", "rejected"):
        summary.add_column(name, justify="right" if name in ("days", "rows", "rejected") else "left", no_wrap=name != "gaps")
    for s in report.series:
        t = s.totals()
        summary.add_row(s.family, s.instrument_id, f"{t['days']}", t["first_day"] or "-", t["last_day"] or "-", f"{t['rows']:,}", _gap_summary(s), f"{t['rows_rejected']:,}")
    console.print(summary)

    rows = []
    for s in report.series:
        for d in s.days:
            issues = day_issues(d)
            if issues or all_days:
                rows.append((s.family, s.instrument_id, d.day, f"{d.rows:,}", _clock(d.ts_first), _clock(d.ts_last), "; ".join(issues) or "ok"))
        for r in s.missing_days:
            label = r.first if r.count == 1 else f"{r.first}..{r.last}"
            rows.append((s.family, s.instrument_id, label, "0", "-", "-", f"no data ({r.count} day(s))"))
    rows.sort(key=lambda r: (FAMILIES.index(r[0]), r[1], r[2]))
    if rows:
        days = Table(title="every day" if all_days else "days with gaps, rejects or no data")
        for name in ("family", "instrument", "day", "rows", "first", "last", "issues"):
            days.add_column(name, justify="right" if name == "rows" else "left", no_wrap=name != "issues")
        for row in rows[:max_days]:
            days.add_row(*row)
        console.print(days)
        if len(rows) > max_days:
            console.print(f"... {len(rows) - max_days} more day row(s) in the JSON report")
    elif not report.failed_sources:
        console.print("every day complete: no gaps, rejects or missing days")
    for s in report.series:
        for r in s.source_rejects:
            console.print(f"rejected in {r.key}: {r.rows_rejected:,} of {r.rows_read:,} rows ({', '.join(f'{k}={v:,}' for k, v in r.rejects.items())}); see {r.quarantine}")
        for m in s.row_mismatches:
            console.print(f"[yellow]row count[/]: {m.key}: manifest says {m.manifest_rows:,} rows written, the catalog holds {m.catalog_rows:,}")
    for f in report.failed_sources:
        console.print(f"[red]failed[/] ({escape(f.status)}): {escape(f.key)}: {escape(str(f.error))}")
    if report.failed_sources:
        # Never a clean bill of health above a failure: the days of a failed file are not in the catalog.
        console.print(f"[red]incomplete[/]: {len(report.failed_sources)} source file(s) failed to ingest; fix or replace them and run the ingest again")
