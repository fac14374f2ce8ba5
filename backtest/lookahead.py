"""
Look-ahead analysis of any run config: does a decision change when the future is taken away?

The config is run once in full. Then, at a sample of its order instants (or evenly spaced instants
when it places few orders), the catalog is cut there (``catalog.cut``: every row stamped after the
instant is removed, from every family) and the config is run again up to the instant on the cut
catalog. Anything the strategy did or published at or before the instant must be the same in both
runs, since both saw the same data up to it; a difference means the full run used data from after
the instant. Compared, up to each cut:

- every published series (``publish_signal``), point by point, by name: a series that differs is
  reported with its first differing time and its largest difference, so the developer sees which
  feature peeks ahead;
- every order created (time, instrument, side, quantity, type, price), denied ones included: the
  decisions, and in particular the decision at the instant itself.

Strategy parameters whose value is the config's catalog path are pointed at the cut catalog too
(a strategy that reads the catalog itself is a data source like any other). Orders a strategy
creates after the run's last event (in ``on_stop``) decide nothing and are left out. Works in both
fidelities: a cut catalog's derived features are built from its own files. Each cut run stops at
its cut, so N cuts at the period's order times cost about N/2 to N full runs (the demo: 3 cuts,
about 3x one run).
"""

import json
import shutil
import tempfile
import time
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from backtest.config import RunConfig
from backtest.node import run_backtest
from backtest.recorder import BusRecorder
from catalog.cut import cut_catalog

DEFAULT_CUTS = 3
# Two runs of one config give bitwise-equal numbers; the tolerance only absorbs printing noise.
DEFAULT_RTOL = 1e-12
ORDER_KEY = ["ts", "instrument_id", "side", "quantity", "order_type", "price"]


@dataclass
class Trace:
    """What a run decided and published: ``series`` (``ts``, ``name``, ``value``) and ``orders``."""

    series: pd.DataFrame
    orders: pd.DataFrame


@dataclass
class SeriesDifference:
    """
    One published series that differs between the full run and a cut run, up to the cut.

    Parameters
    ----------
    name : str
        The series name (``"toxicity.vpin"``).
    points : int
        Points compared (published in either run up to the cut).
    differing : int
        Points whose values differ, or that only one run published.
    first_ts : int
        The first differing point's time (ns).
    max_abs_diff : float
        The largest difference between values both runs published (NaN when none).
    at_cut : bool
        Whether the series differs at the cut instant itself.

    """

    name: str
    points: int
    differing: int
    first_ts: int
    max_abs_diff: float
    at_cut: bool


@dataclass
class CutResult:
    """
    The comparison at one cut instant.

    Parameters
    ----------
    cut_ns : int
        The instant (ns); the cut catalog holds rows stamped at or before it.
    series : list[SeriesDifference]
        The series that differ, in order of their first difference.
    orders_full, orders_cut : list[list]
        Orders up to the cut that only the full run, or only the cut run, created
        (``[ts, instrument, side, quantity, type, price]``).
    decision_differs : bool
        Whether the orders created at the cut instant itself differ.
    seconds : float
        The cut run's wall time, cutting the catalog included.

    """

    cut_ns: int
    series: list[SeriesDifference] = field(default_factory=list)
    orders_full: list[list] = field(default_factory=list)
    orders_cut: list[list] = field(default_factory=list)
    decision_differs: bool = False
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        """Return whether nothing differs."""
        return not self.series and not self.orders_full and not self.orders_cut


@dataclass
class LookaheadReport:
    """
    The look-ahead analysis of one run config.

    Parameters
    ----------
    run_id : str
        The analysed config's run id.
    cuts : list[CutResult]
        One per cut instant, in time order.
    full_seconds : float
        The full run's wall time.
    orders : int
        Orders the full run created in the period.
    series : list[str]
        The series names the full run published.

    """

    run_id: str
    cuts: list[CutResult]
    full_seconds: float
    orders: int
    series: list[str]

    @property
    def clean(self) -> bool:
        """Return whether no cut showed a difference."""
        return all(cut.clean for cut in self.cuts)

    def offending_series(self) -> list[str]:
        """Return the names of the series that differed at any cut, first seen first."""
        names: list[str] = []
        for cut in self.cuts:
            names += [s.name for s in cut.series if s.name not in names]
        return names

    def to_dict(self) -> dict:
        """Return the report as JSON-ready data."""
        return {
            "run_id": self.run_id,
            "clean": self.clean,
            "offending_series": self.offending_series(),
            "full_seconds": self.full_seconds,
            "cut_seconds": sum(c.seconds for c in self.cuts),
            "orders": self.orders,
            "series": self.series,
            "cuts": [asdict(c) | {"cut": instant_text(c.cut_ns), "clean": c.clean} for c in self.cuts],
        }


def instant_text(ts_ns: int) -> str:
    """Return an instant as ISO seconds with the nanoseconds beyond them."""
    return datetime.fromtimestamp(ts_ns // 1_000_000_000, tz=UTC).isoformat() + f" (+{ts_ns % 1_000_000_000} ns)"


def traced_run(config: RunConfig) -> tuple[Trace, float]:
    """
    Run a config and return everything it decided and published (warm-up included) and its wall time.

    Parameters
    ----------
    config : RunConfig
        The run configuration.

    Returns
    -------
    tuple[Trace, float]

    """
    recorder = BusRecorder()
    started = time.perf_counter()
    run_backtest(config, progress=False, bypass_logging=True, recorder=recorder)
    seconds = time.perf_counter() - started
    orders = recorder.orders_frame()
    return Trace(recorder.series_frame(), orders[~orders["at_stop"]].reset_index(drop=True)), seconds


def cut_instants(trace: Trace, start_ns: int, end_ns: int, count: int) -> list[int]:
    """
    Return up to `count` cut instants: order times of the period, spread over it, else even steps.

    The orders are the decisions most worth checking; when there are fewer than `count`, the rest
    are spread evenly over the period (at its interior, never its first or last nanosecond).

    Parameters
    ----------
    trace : Trace
        The full run's trace.
    start_ns, end_ns : int
        The period (inclusive).
    count : int
        How many instants.

    Returns
    -------
    list[int]
        Sorted, distinct.

    """
    times = np.unique(trace.orders["ts"].to_numpy(dtype=np.int64)) if not trace.orders.empty else np.empty(0, np.int64)
    times = times[(times >= start_ns) & (times < end_ns)]
    if len(times) >= count:
        picks = np.linspace(0, len(times) - 1, count + 2)[1:-1] if count < len(times) else np.arange(len(times))
        return sorted({int(times[int(round(i))]) for i in picks})
    chosen = {int(t) for t in times}
    step = (end_ns - start_ns) / (count - len(chosen) + 1)
    for i in range(1, count - len(chosen) + 1):
        chosen.add(int(start_ns + i * step))
    return sorted(chosen)


def cut_config(config: RunConfig, catalog: Path, cut_ns: int) -> RunConfig:
    """
    Return the config run up to `cut_ns` on the cut catalog at `catalog`.

    The period ends at the first microsecond after the cut (a config's times are microseconds),
    gaps are allowed (the cut catalog ends there), and strategy parameters equal to the catalog
    path point at the cut catalog.

    """
    original = str(config.catalog.resolved())
    end = datetime.fromtimestamp(0, tz=UTC) + timedelta(microseconds=cut_ns // 1_000 + 1)
    params = {
        key: str(catalog) if isinstance(value, str) and _same_path(value, original) else value
        for key, value in config.strategy.params.items()
    }
    data = config.model_dump(mode="json")
    data["catalog"]["path"] = str(catalog)
    data["period"]["end"] = end.isoformat()
    data["period"]["allow_gaps"] = True
    data["strategy"]["params"] = params
    data["output"] = {**data["output"], "progress": False, "report": False}
    return RunConfig.model_validate(data)


def _same_path(value: str, path: str) -> bool:
    try:
        return str(Path(value).expanduser().resolve()) == path
    except (OSError, RuntimeError):
        return False


def compare_series(full: pd.DataFrame, cut: pd.DataFrame, cut_ns: int, rtol: float) -> list[SeriesDifference]:
    """
    Return the series that differ up to `cut_ns`, point by point (the n-th point of a name at a time).

    Parameters
    ----------
    full, cut : pd.DataFrame
        ``ts``, ``name``, ``value`` of the two runs.
    cut_ns : int
        The cut instant.
    rtol : float
        The relative tolerance (NaN equals NaN).

    Returns
    -------
    list[SeriesDifference]
        In order of first difference.

    """
    def keyed(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame[frame["ts"] <= cut_ns].copy()
        frame["n"] = frame.groupby(["name", "ts"]).cumcount()
        return frame.set_index(["name", "ts", "n"])["value"]

    both = pd.concat([keyed(full).rename("full"), keyed(cut).rename("cut")], axis=1).reset_index()
    a, b = both["full"].to_numpy(float), both["cut"].to_numpy(float)
    present = both["full"].notna() | both["cut"].notna()
    same = np.isclose(a, b, rtol=rtol, atol=0.0, equal_nan=True)
    # A point only one run published is a difference (NaN in the other column from the join).
    one_sided = both["full"].isna() != both["cut"].isna()
    both["differs"] = (~same | one_sided) & present
    both["abs_diff"] = np.abs(a - b)
    found = []
    for name, group in both.groupby("name", sort=False):
        bad = group[group["differs"]]
        if bad.empty:
            continue
        diffs = bad["abs_diff"].dropna()
        found.append(
            SeriesDifference(
                name=str(name),
                points=len(group),
                differing=len(bad),
                first_ts=int(bad["ts"].min()),
                max_abs_diff=float(diffs.max()) if len(diffs) else float("nan"),
                at_cut=bool((bad["ts"] == cut_ns).any()),
            )
        )
    return sorted(found, key=lambda s: (s.first_ts, s.name))


def compare_orders(full: pd.DataFrame, cut: pd.DataFrame, cut_ns: int) -> tuple[list[list], list[list], bool]:
    """
    Return the orders up to `cut_ns` only the full run created, only the cut run created, and
    whether the decision at the cut instant differs.
    """
    def rows(frame: pd.DataFrame) -> list[tuple]:
        return [tuple(r) for r in frame[frame["ts"] <= cut_ns][ORDER_KEY].itertuples(index=False)]

    a, b = rows(full), rows(cut)
    only_full = [list(r) for r in _multiset_minus(a, b)]
    only_cut = [list(r) for r in _multiset_minus(b, a)]
    at_cut = sorted(r for r in a if r[0] == cut_ns) != sorted(r for r in b if r[0] == cut_ns)
    return only_full, only_cut, at_cut


def _multiset_minus(a: list[tuple], b: list[tuple]) -> list[tuple]:
    left = list(b)
    out = []
    for row in a:
        if row in left:
            left.remove(row)
        else:
            out.append(row)
    return out


def analyse(
    config: RunConfig,
    cuts: int = DEFAULT_CUTS,
    rtol: float = DEFAULT_RTOL,
    workdir: Path | None = None,
    on_cut=None,
) -> LookaheadReport:
    """
    Run the look-ahead analysis of a config.

    Parameters
    ----------
    config : RunConfig
        The run configuration.
    cuts : int, default 3
        How many cut instants.
    rtol : float, default 1e-12
        The relative tolerance of a value comparison.
    workdir : Path, optional
        Where the cut catalogs are written (a temporary folder by default); each is deleted after
        its run.
    on_cut : callable, optional
        Called with each ``CutResult`` as it completes (progress).

    Returns
    -------
    LookaheadReport

    Raises
    ------
    ValueError
        If `cuts` is not positive.

    """
    if cuts < 1:
        raise ValueError(f"cuts = {cuts}: must be at least 1")
    full, full_seconds = traced_run(config)
    instants = cut_instants(full, config.period.start_ns, config.period.end_ns, cuts)
    results = []
    base = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="lookahead-"))
    base.mkdir(parents=True, exist_ok=True)
    try:
        for n, cut_ns in enumerate(instants):
            started = time.perf_counter()
            folder = base / f"cut-{n}"
            cut_catalog(config.catalog.resolved(), folder, cut_ns)
            try:
                trace, _ = traced_run(cut_config(config, folder, cut_ns))
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            only_full, only_cut, decision = compare_orders(full.orders, trace.orders, cut_ns)
            result = CutResult(
                cut_ns=cut_ns,
                series=compare_series(full.series, trace.series, cut_ns, rtol),
                orders_full=only_full,
                orders_cut=only_cut,
                decision_differs=decision,
                seconds=time.perf_counter() - started,
            )
            results.append(result)
            if on_cut is not None:
                on_cut(result)
    finally:
        if workdir is None:
            shutil.rmtree(base, ignore_errors=True)
    period_orders = full.orders[full.orders["ts"] >= config.period.start_ns]
    return LookaheadReport(
        run_id=config.run_id(),
        cuts=results,
        full_seconds=full_seconds,
        orders=len(period_orders),
        series=sorted(full.series["name"].unique().tolist()),
    )


def write_report(report: LookaheadReport, folder: Path) -> Path:
    """Write ``lookahead.json`` into `folder`; return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "lookahead.json"
    path.write_text(json.dumps(report.to_dict(), indent=2, default=str) + "\n")
    return path
