"""
Start-date sensitivity ("recursive analysis"): how much warm-up each published series really needs.

An indicator's value at a time should not depend on when the backtest started, once it has seen
enough data. The config is run as given (the *reference*, streamed from ``start - warmup``), and
again from later starts without warm-up (``start`` itself when the config has a warm-up, then
evenly spaced instants of the period). For each series the strategy publishes and each later start
``S``, the series *agrees from* ``t`` when every point of either run from ``t`` on equals the other
run's value in force then (within ``atol + rtol·|reference|``); the warm-up it needed is ``t - S``.
A series still disagreeing at its last point, or agreeing only over the last tenth of the later
run (``min_agreement``: a gated series matching by chance), never agreed within the run. VPIN-like
series whose buckets are aligned to the start never agree exactly. The report gives, per series, the largest warm-up needed over the
starts, and the ``[period] warmup`` that covers every series.

Running totals (``count.*`` series) depend on the start by construction and are left out. A series
that depends on the strategy's own position (which differs once runs trade differently) may never
agree; it is reported as such.
"""

import json
import math
import time
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from backtest.config import RunConfig
from backtest.node import run_backtest
from backtest.recorder import BusRecorder

DEFAULT_STARTS = 2
DEFAULT_RTOL = 1e-4
DEFAULT_ATOL = 1e-9
# Agreement over less than this share of a later run's span, at its very end, is chance (a gated
# or thresholded series that happens to match), not convergence.
DEFAULT_MIN_AGREEMENT = 0.1
RUNNING_TOTALS = "count."
HOUR_NS = 3_600_000_000_000


@dataclass
class SeriesWarmup:
    """
    The warm-up one series needed after each later start.

    Parameters
    ----------
    name : str
        The series name.
    needed_ns : dict[str, int | None]
        Per later start (ISO time): the nanoseconds from it until the series agrees with the
        reference for good; None when it never did within the run.

    """

    name: str
    needed_ns: dict[str, int | None] = field(default_factory=dict)

    @property
    def converged(self) -> bool:
        """Return whether the series agreed for good after every start."""
        return all(v is not None for v in self.needed_ns.values())

    @property
    def warmup_ns(self) -> int | None:
        """Return the largest warm-up needed over the starts (None if it never agreed after one)."""
        return max(self.needed_ns.values()) if self.converged and self.needed_ns else None


@dataclass
class RecursiveReport:
    """
    The start-date sensitivity of one run config.

    Parameters
    ----------
    run_id : str
        The analysed config's run id.
    reference_start : str
        Where the reference run's stream starts (ISO).
    starts : list[str]
        The later starts (ISO).
    series : list[SeriesWarmup]
        One per published series (running totals left out), by name.
    rtol, atol : float
        The agreement tolerance.
    seconds : float
        The wall time of every run together.

    """

    run_id: str
    reference_start: str
    starts: list[str]
    series: list[SeriesWarmup]
    rtol: float
    atol: float
    seconds: float

    def recommended_warmup(self) -> str | None:
        """Return the ``[period] warmup`` covering every converged series, in whole hours (ISO)."""
        needed = [s.warmup_ns for s in self.series if s.warmup_ns is not None]
        if not needed:
            return None
        hours = math.ceil(max(needed) / HOUR_NS)
        return f"PT{hours}H"

    def to_dict(self) -> dict:
        """Return the report as JSON-ready data."""
        return {
            "run_id": self.run_id,
            "reference_start": self.reference_start,
            "starts": self.starts,
            "rtol": self.rtol,
            "atol": self.atol,
            "seconds": self.seconds,
            "recommended_warmup": self.recommended_warmup(),
            "series": [
                asdict(s) | {"warmup_ns": s.warmup_ns, "converged": s.converged} for s in self.series
            ],
        }


def iso_time(ts_ns: int) -> str:
    """Return an instant as an ISO date-time (UTC)."""
    return datetime.fromtimestamp(ts_ns / 1e9, tz=UTC).isoformat()


def agrees_from(
    reference: pd.DataFrame, later: pd.DataFrame, start_ns: int, rtol: float, atol: float
) -> int | None:
    """
    Return the time from which a later run's series agrees with the reference's for good.

    A series is a step function (its value holds until the next point), so each point of either
    run is compared with the other run's latest value at or before it: a custom-data value the
    later run republishes at its start (the row in force then) agrees with the reference's value in
    force at that time.

    Parameters
    ----------
    reference, later : pd.DataFrame
        One series of each run: ``ts`` and ``value``, in publication order.
    start_ns : int
        The later run's start: points before it are not compared.
    rtol, atol : float
        Values agree when ``|later - reference| <= atol + rtol·|reference|`` (NaN equals NaN).

    Returns
    -------
    int | None
        The time of the first point after the last disagreement; None when the last point
        disagrees or neither run publishes after `start_ns`.

    """
    ref = reference.loc[reference["ts"] >= start_ns, ["ts", "value"]].sort_values("ts", kind="stable")
    new = later.loc[later["ts"] >= start_ns, ["ts", "value"]].sort_values("ts", kind="stable")
    if ref.empty and new.empty:
        return None
    # Each run's points against the other run's value in force at that time.
    checks = []
    for points, other in ((new, ref), (ref, new)):
        if points.empty:
            continue
        joined = pd.merge_asof(points, other.rename(columns={"value": "other"}), on="ts")
        mine, theirs = joined["value"].to_numpy(float), joined["other"].to_numpy(float)
        missing = joined["other"].isna().to_numpy() & ~np.isnan(mine)
        close = np.isclose(mine, theirs, rtol=rtol, atol=atol, equal_nan=True)
        if other is new:  # the tolerance is relative to the reference
            close = np.isclose(theirs, mine, rtol=rtol, atol=atol, equal_nan=True)
        checks.append(pd.DataFrame({"ts": joined["ts"].to_numpy(np.int64), "bad": ~close | missing}))
    both = pd.concat(checks).sort_values("ts", kind="stable")
    ts, bad = both["ts"].to_numpy(np.int64), both["bad"].to_numpy(bool)
    if not bad.any():
        return int(ts[0])
    last_bad = ts[np.flatnonzero(bad)[-1]]
    after = ts[ts > last_bad]
    return int(after[0]) if len(after) else None


def later_starts(config: RunConfig, count: int) -> list[int]:
    """
    Return the later starts: ``start`` when the config has a warm-up, then even steps of the period.

    Parameters
    ----------
    config : RunConfig
        The run configuration.
    count : int
        How many evenly spaced starts inside the period (besides ``start``).

    Returns
    -------
    list[int]
        Sorted start times (ns), each on a whole minute.

    """
    period = config.period
    first, end = period.start_ns, period.end_ns + 1
    starts = {first} if period.warmup else set()
    step = (end - first) // (count + 1)
    minute = 60_000_000_000
    for i in range(1, count + 1):
        starts.add((first + i * step) // minute * minute)
    return sorted(starts)


def _moved(config: RunConfig, start_ns: int) -> RunConfig:
    data = config.model_dump(mode="json")
    data["period"]["start"] = iso_time(start_ns)
    data["period"]["warmup"] = "PT0S"
    data["output"] = {**data["output"], "progress": False, "report": False}
    return RunConfig.model_validate(data)


def _series(config: RunConfig) -> pd.DataFrame:
    recorder = BusRecorder()
    run_backtest(config, progress=False, bypass_logging=True, recorder=recorder)
    frame = recorder.series_frame()
    return frame[~frame["name"].str.startswith(RUNNING_TOTALS)]


def analyse(
    config: RunConfig,
    starts: int = DEFAULT_STARTS,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    min_agreement: float = DEFAULT_MIN_AGREEMENT,
    on_run=None,
) -> RecursiveReport:
    """
    Run the start-date sensitivity analysis of a config.

    Parameters
    ----------
    config : RunConfig
        The run configuration.
    starts : int, default 2
        How many evenly spaced later starts inside the period (plus ``start`` itself when the
        config has a warm-up).
    rtol, atol : float
        The agreement tolerance.
    min_agreement : float, default 0.1
        The least share of a later run's span (from its start to the period's end) the agreement
        must last to count.
    on_run : callable, optional
        Called with each later start (ns) before its run (progress).

    Returns
    -------
    RecursiveReport

    Raises
    ------
    ValueError
        If `starts` is not positive.

    """
    if starts < 1:
        raise ValueError(f"starts = {starts}: must be at least 1")
    started = time.perf_counter()
    reference = _series(config)
    moved = later_starts(config, starts)
    found: dict[str, SeriesWarmup] = {
        name: SeriesWarmup(name) for name in sorted(reference["name"].unique())
    }
    for start_ns in moved:
        if on_run is not None:
            on_run(start_ns)
        later = _series(_moved(config, start_ns))
        for name, warmup in found.items():
            since = agrees_from(
                reference[reference["name"] == name], later[later["name"] == name], start_ns, rtol, atol
            )
            span = config.period.end_ns + 1 - start_ns
            lasting = since is not None and config.period.end_ns + 1 - since >= min_agreement * span
            warmup.needed_ns[iso_time(start_ns)] = since - start_ns if lasting else None
    return RecursiveReport(
        run_id=config.run_id(),
        reference_start=iso_time(config.period.stream_start_ns),
        starts=[iso_time(s) for s in moved],
        series=list(found.values()),
        rtol=rtol,
        atol=atol,
        seconds=time.perf_counter() - started,
    )


def describe_ns(value: int | None) -> str:
    """Return a warm-up as text (``3h 05m``), or ``never`` for None."""
    if value is None:
        return "never"
    minutes = round(value / 60e9)
    return f"{minutes // 60}h {minutes % 60:02d}m"


def write_report(report: RecursiveReport, folder: Path) -> Path:
    """Write ``recursive.json`` into `folder`; return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "recursive.json"
    path.write_text(json.dumps(report.to_dict(), indent=2) + "\n")
    return path

