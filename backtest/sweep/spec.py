"""
The sweep spec: a TOML file validated by pydantic models (unknown keys are rejected by name).

A spec names one or more base run configs and the overrides to run them with; every run is
``base × period × seed × grid point × ablation``::

    [sweep]
    name = "demo-grid"            # results go to <output_dir>/<name>/
    baseline = "baseline"         # the ablation the others are compared against
    metric = "sharpe"             # the top-N ranking (lower is better for max_drawdown)
    seeds = [1, 2]                # optional: each sets seed_key (default execution.seed)

    [bases]                       # name = a run config path (relative to this file), or a table
    demo = "demo.toml"

    [overrides]                   # optional: set in every run
    data.chunk_size = 20000

    [grid]                        # the cartesian product of these values
    strategy.params.fast_period = [10, 20]
    strategy.params.slow_period = [60, 120]

    [ablations.baseline]          # named override sets (an empty one is the base as it is)
    [ablations.small_size]
    strategy.params.trade_notional = 5000.0

    [[periods]]                   # optional windows; or [walk_forward] start/end/window/step
    start = 2024-01-01
    end = 2024-01-02

    [walk_forward]                # or: walk-forward optimisation (instead of [[periods]])
    start = 2024-01-01
    end = 2024-03-01
    train = "P14D"                # choose the best grid point by the metric on 14 days ...
    test = "P7D"                  # ... run it on the 7 days after, and stitch those
    step = "P7D"                  # default: test

Keys of ``[overrides]``, ``[grid]`` and ``[ablations.*]`` are dotted keys of the run config
(see ``backtest.sweep.keys``); whether they exist is checked against each resolved run config
by ``backtest.config.parse_config``, strategy parameters against the strategy's config class.

"""

import tomllib
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Annotated
from typing import Any
from typing import Literal
from typing import NamedTuple

from pydantic import Field
from pydantic import StringConstraints
from pydantic import ValidationError
from pydantic import model_validator

from backtest.config import ConfigError
from backtest.config import PeriodSection
from backtest.config import _describe
from backtest.config import _Section
from backtest.sweep.keys import KeyPath
from backtest.sweep.keys import dotted
from backtest.sweep.keys import flatten

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN, max_length=40)]
PERIOD_KEYS: tuple[KeyPath, ...] = (("period", "start"), ("period", "end"))


class SpecError(ConfigError):
    """
    A sweep spec that cannot be used; each entry of ``problems`` names a key and a value.

    Parameters
    ----------
    source : str
        Where the spec came from.
    problems : list[str]
        One line per problem.

    """

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(source, problems)
        self.args = (f"invalid sweep spec {source}:\n" + "\n".join(f"  - {p}" for p in problems),)


class SweepSection(_Section):
    """What the sweep is called, where its results go, and how they are summarised."""

    name: str = Field(pattern=NAME_PATTERN, max_length=80)
    output_dir: str = "results"
    baseline: str = "baseline"
    metric: str = "sharpe"
    top: int = Field(default=10, ge=1)
    seeds: list[int] = Field(default_factory=list)
    seed_key: str = "execution.seed"
    write_runs: bool = False
    run_reports: bool = False
    cache_dir: str | None = None
    fidelity: Literal["tick", "features"] | None = None
    confirm_top: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _confirm_needs_features(self) -> "SweepSection":
        if self.confirm_top and self.fidelity != "features":
            raise ValueError(
                f"sweep.confirm_top = {self.confirm_top}: confirms a features-fidelity screen in "
                "tick fidelity, so it needs sweep.fidelity = 'features'"
            )
        return self


class Window(PeriodSection):
    """One evaluation period ``[start, end)``; ``name`` defaults to its dates."""

    name: Name | None = None

    def label(self) -> str:
        """Return the name, or ``<start>..<end>`` (dates, or minutes where not midnight)."""
        if self.name:
            return self.name
        return f"{_stamp(self.start)}..{_stamp(self.end)}"


def _stamp(value: datetime) -> str:
    midnight = (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0)
    return f"{value:%Y-%m-%d}" if midnight else f"{value:%Y-%m-%dT%H:%M}"


class Fold(NamedTuple):
    """One walk-forward step: choose on ``train``, then run the choice on ``test`` (after it)."""

    train: Window
    test: Window


class WalkForward(PeriodSection):
    """
    Windows over the span ``[start, end)``, in one of two forms.

    - ``window`` (and ``step``, default ``window``): rolling evaluation windows; every run is
      evaluated on each, nothing is chosen.
    - ``train`` and ``test`` (and ``step``, default ``test``): walk-forward optimisation. Fold
      ``k`` trains on ``[start + k·step, + train)`` and tests on the ``test`` that follows; every
      run is evaluated on each train window, the best grid point by ``[sweep] metric`` is run on
      the test window, and the test windows' returns are stitched into one out-of-sample curve.
      ``step`` must be at least ``test``, so that out-of-sample windows never overlap.

    ``warmup`` applies to every window: each run streams that much data before its window.
    """

    window: timedelta | None = None
    train: timedelta | None = None
    test: timedelta | None = None
    step: timedelta | None = None

    @model_validator(mode="after")
    def _positive(self) -> "WalkForward":
        for key in ("window", "train", "test", "step"):
            value = getattr(self, key)
            if value is not None and value <= timedelta(0):
                raise ValueError(f"walk_forward.{key} = {value}: must be positive")
        if self.window is not None and (self.train is not None or self.test is not None):
            raise ValueError(
                "walk_forward: give window (evaluate every run on rolling windows) or train and "
                "test (walk-forward optimisation), not both"
            )
        if self.window is None and (self.train is None or self.test is None):
            raise ValueError("walk_forward: give window, or both train and test")
        if self.test is not None and self.step is not None and self.step < self.test:
            raise ValueError(
                f"walk_forward.step = {self.step}: shorter than test ({self.test}), so "
                "out-of-sample windows would overlap"
            )
        return self

    @property
    def optimises(self) -> bool:
        """Return whether this is walk-forward optimisation (train and test windows)."""
        return self.train is not None

    def folds(self) -> list[Fold]:
        """Return the train/test folds whose test window ends inside the span (none: rolling)."""
        if not self.optimises:
            return []
        folds = []
        start = self.start
        while start + self.train + self.test <= self.end:
            middle = start + self.train
            folds.append(
                Fold(Window(start=start, end=middle), Window(start=middle, end=middle + self.test))
            )
            start += self.step or self.test
        return folds

    def windows(self) -> list[Window]:
        """Return the windows every run is evaluated on: rolling windows, or the train windows."""
        if self.optimises:
            return [fold.train for fold in self.folds()]
        windows = []
        start = self.start
        while start + self.window <= self.end:
            windows.append(Window(start=start, end=start + self.window))
            start += self.step or self.window
        return windows


class SweepSpec(_Section):
    """A sweep: base run configs and the overrides that make its runs."""

    sweep: SweepSection
    bases: dict[Name, str | dict[str, Any]] = Field(min_length=1)
    overrides: dict[str, Any] = Field(default_factory=dict)
    grid: dict[str, Any] = Field(default_factory=dict)
    ablations: dict[Name, dict[str, Any]] = Field(default_factory=dict)
    periods: list[Window] = Field(default_factory=list)
    walk_forward: WalkForward | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "SweepSpec":
        problems = []
        for path, values in flatten(self.grid).items():
            if not isinstance(values, list) or not values:
                problems.append(f"grid.{dotted(path)} = {values!r}: must be a non-empty list")
        if self.ablations and self.sweep.baseline not in self.ablations:
            problems.append(
                f"sweep.baseline = {self.sweep.baseline!r}: not one of the ablations "
                f"{sorted(self.ablations)}",
            )
        if self.periods and self.walk_forward is not None:
            problems.append("periods and walk_forward: give one or the other")
        labels = [w.label() for w in self.windows()]
        if len(set(labels)) != len(labels):
            problems.append(f"periods: names must be unique, got {labels}")
        if self.walk_forward is not None and not labels:
            problems.append("walk_forward: the window (train + test) is longer than the span")
        problems += self._overlaps()
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _overlaps(self) -> list[str]:
        # A key set by two axes would make a run's label lie about its config.
        owners: dict[KeyPath, str] = {}
        if self.windows():
            owners.update(dict.fromkeys(PERIOD_KEYS, "periods"))
        if self.sweep.seeds:
            owners[self.seed_path()] = "sweep.seeds"
        problems = []
        for path in self.grid_axes():
            if path in owners:
                problems.append(f"grid.{dotted(path)}: also set by {owners[path]}")
            owners[path] = "grid"
        for name, changes in self.ablation_sets().items():
            for path in changes:
                if path in owners:
                    problems.append(
                        f"ablations.{name}.{dotted(path)}: also set by {owners[path]}",
                    )
        return problems

    def seed_path(self) -> KeyPath:
        """Return the key path the seeds set."""
        return tuple(self.sweep.seed_key.split("."))

    def windows(self) -> list[Window]:
        """Return the evaluation windows (empty: each base's own period)."""
        return self.walk_forward.windows() if self.walk_forward is not None else self.periods

    def grid_axes(self) -> dict[KeyPath, list[Any]]:
        """Return the grid's values by key path."""
        return flatten(self.grid)

    def ablation_sets(self) -> dict[str, dict[KeyPath, Any]]:
        """Return each ablation's overrides (only the baseline, unchanged, when none are given)."""
        if not self.ablations:
            return {self.sweep.baseline: {}}
        return {name: flatten(changes) for name, changes in self.ablations.items()}


def parse_spec(data: dict[str, Any], source: str = "<dict>") -> SweepSpec:
    """
    Return the validated spec of a parsed TOML document; ``source`` names it in errors.

    Raises ``SpecError`` listing every unknown key, missing key and bad value.
    """
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as e:
        problems = [line for err in e.errors() for line in _describe(err).split("\n")]
        raise SpecError(source, problems) from None


def load_spec(path: str | Path) -> SweepSpec:
    """
    Return the validated spec in a TOML file.

    Raises ``SpecError`` if the file is missing, is not TOML, or does not validate.
    """
    path = Path(path)
    if not path.is_file():
        raise SpecError(str(path), ["file not found"])
    try:
        return parse_spec(tomllib.loads(path.read_text()), source=str(path))
    except tomllib.TOMLDecodeError as e:
        raise SpecError(str(path), [f"not valid TOML: {e}"]) from None
