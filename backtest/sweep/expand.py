"""
Expand a sweep spec into its runs: one validated ``RunConfig`` per base × period × seed × grid
point × ablation, identified by the hash of its resolved config (``RunConfig.config_hash``).

Overrides are applied to each base's resolved config (every default filled in) in the order
``[overrides]``, period, seed, grid point, ablation, and the result is validated by
``backtest.config.parse_config``: an unknown key or strategy parameter fails the whole expansion,
naming the key and the first run it appeared in, before any backtest starts.

"""

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backtest.config import ConfigError
from backtest.config import RunConfig
from backtest.config import load_config
from backtest.config import parse_config
from backtest.sweep.keys import KeyPath
from backtest.sweep.keys import dotted
from backtest.sweep.keys import flatten
from backtest.sweep.keys import get_path
from backtest.sweep.keys import with_overrides
from backtest.sweep.spec import SpecError
from backtest.sweep.spec import SweepSpec
from backtest.sweep.spec import Window

MAX_PROBLEMS = 20
RUNS_FOLDER = "runs"
# Store columns that say which run a row is (besides one per grid key), not how it went.
IDENTITY = frozenset(
    {"run_id", "label", "base", "ablation", "period", "period_start", "period_end", "seed"}
    | {"overrides", "walk_forward", "fold"}
)


@dataclass(frozen=True)
class SweepRun:
    """
    One run of a sweep: where it sits in the sweep and its validated config.

    Parameters
    ----------
    run_id : str
        The hash of the resolved config (equal configs share it, whatever their labels).
    label : str
        ``base/ablation[/grid point][/period][/seed=N]``, unique within the sweep.
    base, ablation, period : str
        The base config's name, the ablation's name and the period's label.
    seed : Any
        The value at the spec's ``seed_key`` in the resolved config.
    grid : dict[str, Any]
        The grid point, by dotted key.
    overrides : dict[str, Any]
        Everything set on the base, by dotted key.
    config : RunConfig
        The resolved, validated run config.
    role : str, optional
        In a walk-forward optimisation: ``"train"`` (a grid point on a train window) or
        ``"test"`` (the point chosen there, on the test window after it).
    fold : int, optional
        The walk-forward fold (0 first).

    """

    run_id: str
    label: str
    base: str
    ablation: str
    period: str
    seed: Any
    grid: dict[str, Any]
    overrides: dict[str, Any]
    config: RunConfig
    role: str | None = None
    fold: int | None = None

    def columns(self) -> dict[str, Any]:
        """Return the store columns that say which run this is."""
        walk = {"walk_forward": self.role, "fold": self.fold} if self.role is not None else {}
        return {
            "run_id": self.run_id,
            "label": self.label,
            "base": self.base,
            "ablation": self.ablation,
            "period": self.period,
            "period_start": self.config.period.start.isoformat(),
            "period_end": self.config.period.end.isoformat(),
            "seed": self.seed,
            **self.grid,
            "overrides": json.dumps(self.overrides, default=str, sort_keys=True),
            **walk,
        }


def results_root(spec: SweepSpec) -> Path:
    """Return the sweep's results folder, ``<output_dir>/<name>``."""
    return Path(spec.sweep.output_dir) / spec.sweep.name


def load_bases(spec: SweepSpec, root: Path, source: str) -> dict[str, RunConfig]:
    """
    Load and validate the base run configs.

    Parameters
    ----------
    spec : SweepSpec
        The spec.
    root : Path
        The folder relative base paths are resolved against (the spec's folder).
    source : str
        The spec's name, for error messages.

    Returns
    -------
    dict[str, RunConfig]

    Raises
    ------
    SpecError
        Naming each base that is missing or invalid, with its problems.

    """
    bases: dict[str, RunConfig] = {}
    problems: list[str] = []
    for name, base in spec.bases.items():
        try:
            if isinstance(base, str):
                bases[name] = load_config(root / base)
            else:
                # The sweep names every run itself, so an inline base may leave [run] out.
                run = {"name": name, **base.get("run", {})}
                bases[name] = parse_config({**base, "run": run}, source=f"bases.{name}")
        except ConfigError as e:
            problems += [f"bases.{name} ({e.source}): {p}" for p in e.problems]
    if problems:
        raise SpecError(source, problems)
    return bases


def _short_names(paths: list[KeyPath]) -> dict[KeyPath, str]:
    # Labels use the last segment of each grid key unless two keys share it.
    last = [p[-1] for p in paths]
    return {p: p[-1] if last.count(p[-1]) == 1 else dotted(p) for p in paths}


def _window_overrides(window: Window | None) -> dict[KeyPath, Any]:
    if window is None:
        return {}
    return {
        ("period", "start"): window.start.isoformat(),
        ("period", "end"): window.end.isoformat(),
    }


def _label(
    base: str,
    ablation: str,
    grid: dict[KeyPath, Any],
    names: dict[KeyPath, str],
    window: Window | None,
    seed: Any,
) -> str:
    parts = [base, ablation]
    if grid:
        parts.append(",".join(f"{names[path]}={value}" for path, value in grid.items()))
    if window is not None:
        parts.append(window.label())
    if seed is not None:
        parts.append(f"seed={seed}")
    return "/".join(parts)


def expand(spec: SweepSpec, root: Path, source: str = "<spec>") -> list[SweepRun]:
    """
    Return every run of a sweep, validated.

    Parameters
    ----------
    spec : SweepSpec
        The spec.
    root : Path
        The folder relative base paths are resolved against.
    source : str, default "<spec>"
        The spec's name, for error messages.

    Returns
    -------
    list[SweepRun]
        In order base, period, seed, grid point, ablation (a variant follows its baseline).

    Raises
    ------
    SpecError
        If a base is invalid, or an override makes an invalid config (an unknown key or strategy
        parameter, a bad value): each distinct problem once, with the first run it appeared in.

    """
    bases = load_bases(spec, root, source)
    common = flatten(spec.overrides)
    if spec.sweep.fidelity is not None:
        # The sweep's fidelity wins over each base's own.
        common[("data", "fidelity")] = spec.sweep.fidelity
    windows: list[Window | None] = list(spec.windows()) or [None]
    # Walk-forward optimisation: the windows are the folds' train windows, in fold order.
    optimising = spec.walk_forward is not None and spec.walk_forward.optimises
    fold_of = {id(w): k for k, w in enumerate(windows)} if optimising else {}
    seeds = spec.sweep.seeds or [None]
    axes = spec.grid_axes()
    names = _short_names(list(axes))
    ablations = spec.ablation_sets()
    output = {
        "dir": str(results_root(spec) / RUNS_FOLDER),
        "progress": False,
        "report": spec.sweep.run_reports,
    }
    runs: list[SweepRun] = []
    problems: dict[str, str] = {}
    for (base_name, base), window, seed, point in itertools.product(
        bases.items(), windows, seeds, itertools.product(*axes.values())
    ):
        resolved = base.resolved()
        grid = dict(zip(axes, point, strict=True))
        for ablation, changes in ablations.items():
            overrides = {
                **common,
                **_window_overrides(window),
                **({spec.seed_path(): seed} if seed is not None else {}),
                **grid,
                **changes,
            }
            label = _label(base_name, ablation, grid, names, window, seed)
            try:
                data = with_overrides(resolved, overrides)
                data["run"]["name"] = f"{base_name}.{ablation}"[:80]
                data["output"].update(output)
                config = parse_config(data, source=label)
            except ConfigError as e:
                for problem in e.problems:
                    problems.setdefault(problem, label)
                continue
            except ValueError as e:
                problems.setdefault(str(e), label)
                continue
            runs.append(
                SweepRun(
                    run_id=config.config_hash(),
                    label=label,
                    base=base_name,
                    ablation=ablation,
                    period=(window or Window(**config.period.model_dump())).label(),
                    seed=get_path(data, spec.seed_path()),
                    grid={dotted(p): v for p, v in grid.items()},
                    overrides={dotted(p): v for p, v in overrides.items()},
                    config=config,
                    role="train" if optimising else None,
                    fold=fold_of.get(id(window)),
                ),
            )
    if problems:
        listed = [f"{label}: {problem}" for problem, label in problems.items()]
        more = len(listed) - MAX_PROBLEMS
        raise SpecError(
            source, listed[:MAX_PROBLEMS] + ([f"... and {more} more"] if more > 0 else [])
        )
    return runs
