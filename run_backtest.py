"""
``python run_backtest.py configs/<name>.toml``: run one backtest and write its results folder.

``python run_backtest.py --sweep configs/<sweep>.toml [--workers N] [--backend local|ray]
[--ray-address ADDRESS]``: run a parameter or ablation sweep (see ``backtest.sweep``), resumable,
into ``<output dir>/<sweep name>/`` (``runs.parquet``, ``summary.html``).

``python run_backtest.py --lookahead CONFIG [--cuts N]``: look-ahead analysis (``backtest.lookahead``):
re-run the config with the catalog cut at N of its order instants and report every published
series or order that changes; exit code 1 when one does. ``python run_backtest.py --recursive
CONFIG [--starts N] [--tolerance RTOL]``: start-date sensitivity (``backtest.recursive``): the
warm-up each published series needs. Both write JSON beside the run's results.

``python run_backtest.py --prepare (CONFIG | --sweep SPEC)``: build the derived data (precomputed
features, conflated quotes) that the features-fidelity runs of a config or a whole sweep read, and
nothing else, so that a cluster prepares once; what is current is not rebuilt.

Prints a progress line while it runs and a one-screen summary at the end. A bad configuration or a
catalog that lacks requested data is reported in a few lines naming the key, without a traceback
(exit code 2 and 3). A sweep in which some runs failed exits with 1 (the failures are in the
results table); one already running elsewhere with 4; an interrupted one (Ctrl-C or SIGTERM) with
130, its finished runs stored (run the same command to resume).
"""

import argparse
import signal
import sys
from pathlib import Path

from rich.console import Console

from backtest.config import ConfigError
from backtest.config import load_config
from backtest.fidelity.features import FidelityError
from backtest.node import DataError
from backtest.node import check_catalog
from backtest.node import run_backtest
from backtest.node import streamed_config
from backtest.progress import restore_terminal
from backtest.report import write_report
from backtest.results import write_results
from backtest.summary import print_summary

EXIT_RUNS_FAILED = 1
EXIT_CONFIG = 2
EXIT_DATA = 3
EXIT_BUSY = 4
EXIT_INTERRUPTED = 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run_backtest.py",
        description=__doc__.split("\n\n")[0].strip().replace("``", ""),
        epilog=(
            "Periods are half-open UTC ([period] start included, end excluded). Exit codes: 0 ok; "
            "1 some sweep runs failed, or --lookahead found a difference; 2 usage or configuration "
            "error; 3 data error (the catalog lacks the data); 4 busy (the sweep is running "
            "elsewhere); 130 interrupted (Ctrl-C or SIGTERM)."
        ),
    )
    parser.add_argument("config", type=Path, nargs="?", help="the run configuration (TOML)")
    parser.add_argument("--output-dir", type=Path, help="override [output] dir")
    parser.add_argument("--no-report", action="store_true", help="skip report.html")
    parser.add_argument("--no-progress", action="store_true", help="no progress display")
    parser.add_argument(
        "--prepare",
        action="store_true",
        help="only build the derived data the features-fidelity runs need (config or --sweep)",
    )
    tools = parser.add_argument_group("strategy developer tools (on one run configuration)")
    tools.add_argument("--lookahead", action="store_true", help="look-ahead analysis of the config")
    tools.add_argument("--cuts", type=int, default=3, help="cut instants of --lookahead (default 3)")
    tools.add_argument("--recursive", action="store_true", help="start-date sensitivity: the warm-up each series needs")
    tools.add_argument("--starts", type=int, default=2, help="later starts of --recursive (default 2)")
    tools.add_argument("--tolerance", type=float, default=1e-4, help="relative agreement of --recursive (default 1e-4)")
    sweep = parser.add_argument_group("sweeps")
    sweep.add_argument("--sweep", type=Path, metavar="SPEC", help="run the sweep spec (TOML)")
    sweep.add_argument("--workers", type=int, help="worker processes (default: the CPUs here)")
    sweep.add_argument("--backend", choices=("local", "ray"), default="local")
    sweep.add_argument("--ray-address", help="Ray cluster to use (default: start a local one)")
    sweep.add_argument(
        "--max-tasks-per-child",
        type=int,
        default=4,
        help="runs per worker process before it is replaced (default 4)",
    )
    return parser


def _print_config_error(err: Console, e: ConfigError) -> None:
    err.print(f"[bold red]config error[/] in {e.source}:", highlight=False)
    for problem in e.problems:
        err.print(f"  - {problem}", highlight=False, markup=False)


def _input_error(
    err: Console, e: ConfigError | DataError | FidelityError, config: Path | None = None
) -> int:
    """
    Report a bad configuration or missing data in a few lines; return the exit code.

    Every command that loads a config and reads the catalog ends these errors alike, without a
    traceback, so the wording and the exit codes stay one.

    Parameters
    ----------
    err : Console
        Where the error is printed.
    e : ConfigError | DataError | FidelityError
        The error.
    config : Path, optional
        The run configuration a data error is named after (none: the message names no file).

    Returns
    -------
    int
        ``EXIT_CONFIG`` for a configuration error, else ``EXIT_DATA``.

    """
    if isinstance(e, ConfigError):
        _print_config_error(err, e)
        return EXIT_CONFIG
    where = "" if config is None else f" in {config}"
    err.print(f"[bold red]data error[/]{where}: {e}", highlight=False)
    return EXIT_DATA


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _run_sweep(args: argparse.Namespace, err: Console) -> int:
    # Imported here: the single-run path does not need the sweep machinery.
    from backtest.sweep.backends import BackendError
    from backtest.sweep.backends import make_backend
    from backtest.sweep.runner import print_summary as print_sweep_summary
    from backtest.sweep.runner import run_sweep
    from backtest.sweep.store import StoreBusy

    # A kill (a cluster job cancelled, a scheduler's timeout) stops the sweep as Ctrl-C does: the
    # workers are stopped and the finished runs written before the process ends.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        backend = make_backend(
            args.backend, args.workers, args.max_tasks_per_child, args.ray_address
        )
        outcome = run_sweep(args.sweep, backend, console=err, progress=not args.no_progress)
    except ConfigError as e:
        _print_config_error(err, e)
        return EXIT_CONFIG
    except (StoreBusy, BackendError) as e:
        err.print(f"[bold red]sweep error[/]: {e}", highlight=False)
        return EXIT_BUSY if isinstance(e, StoreBusy) else EXIT_CONFIG
    except KeyboardInterrupt:
        err.print("interrupted: finished runs are stored; run the same command to resume")
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)
    print_sweep_summary(outcome)
    return EXIT_RUNS_FAILED if outcome.failed else 0


def _prepare(args: argparse.Namespace, err: Console) -> int:
    from backtest.fidelity.prepare import prepare
    from backtest.sweep.expand import expand
    from backtest.sweep.spec import load_spec

    try:
        if args.sweep is not None:
            configs = {r.run_id: r.config for r in expand(load_spec(args.sweep), args.sweep.parent, str(args.sweep))}
        else:
            config = load_config(args.config)
            configs = {config.config_hash(): config}
        wanted = [c for c in configs.values() if c.data.fidelity == "features"]
        if not wanted:
            err.print("nothing to prepare: no run uses data.fidelity = 'features'", highlight=False)
            return 0
        built = quotes = 0
        for config in wanted:
            check_catalog(config)
            # From the warm-up's start: the run streams (and so reads features) from there.
            prepared = prepare(streamed_config(config), progress=not args.no_progress)
            built += prepared.feature_days_built
            quotes += prepared.quote_days_built
    except (ConfigError, DataError, FidelityError) as e:
        return _input_error(err, e)
    err.print(
        f"prepared {len(wanted)} run config(s): {built} feature day(s) and {quotes} conflated "
        "quote day(s) built, the rest current",
        highlight=False,
    )
    return 0


def _developer_tool(args: argparse.Namespace, err: Console) -> int:
    from backtest.dev_tools import run_lookahead
    from backtest.dev_tools import run_recursive

    out = Console(soft_wrap=True)
    try:
        config = load_config(args.config)
        if args.lookahead:
            return run_lookahead(config, args.cuts, args.output_dir, out)
        return run_recursive(config, args.starts, args.tolerance, args.output_dir, out)
    except (ConfigError, DataError, FidelityError) as e:
        return _input_error(err, e, args.config)


def main(argv: list[str] | None = None) -> int:
    """
    Parse the command line, run the backtest (or the sweep) and write its results.

    Returns
    -------
    int
        The exit code; 130 when interrupted (one line, no traceback, the terminal restored).

    """
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return _main(argv)
    except KeyboardInterrupt:
        restore_terminal()
        print("interrupted: run_backtest.py stopped; run the same command again", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)


# Option -> the mode that reads it; given in any other mode it would be silently ignored.
_MODE_OPTIONS = {
    "cuts": ("--cuts", "--lookahead"),
    "starts": ("--starts", "--recursive"),
    "tolerance": ("--tolerance", "--recursive"),
    "workers": ("--workers", "--sweep"),
    "backend": ("--backend", "--sweep"),
    "ray_address": ("--ray-address", "--sweep"),
    "max_tasks_per_child": ("--max-tasks-per-child", "--sweep"),
    "no_report": ("--no-report", "a single run"),
}


def _unused_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str:
    if args.prepare:
        mode = "--prepare"
    elif args.lookahead:
        mode = "--lookahead"
    elif args.recursive:
        mode = "--recursive"
    else:
        mode = "--sweep" if args.sweep is not None else "a single run"
    unused = [
        f"{flag} is only read by {wanted}"
        for dest, (flag, wanted) in _MODE_OPTIONS.items()
        if wanted != mode and getattr(args, dest) != parser.get_default(dest)
    ]
    if mode == "--prepare" and args.output_dir is not None:
        unused.append("--output-dir is not read by --prepare (it builds into the catalog)")
    return "; ".join(unused)


def _main(argv: list[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if (args.config is None) == (args.sweep is None):
        parser.error("give either a run configuration or --sweep SPEC")
    if args.sweep is not None and args.output_dir is not None:
        parser.error("--output-dir is for single runs; a sweep writes to its [sweep] output_dir")
    unused = _unused_options(parser, args)
    if unused:
        parser.error(f"{unused}: here it would be ignored")
    err = Console(stderr=True, soft_wrap=True)
    # Before any clock starts: a cold numba cache says so and compiles with progress, and the
    # compile time stays out of the run's wall time and events/s (and out of each sweep worker).
    from indicators.warmup import ensure_warm

    ensure_warm(False if args.no_progress else None)
    if args.prepare:
        return _prepare(args, err)
    if args.lookahead or args.recursive:
        if args.config is None or args.lookahead and args.recursive:
            parser.error("--lookahead and --recursive take one run configuration, one at a time")
        if args.cuts < 1 or args.starts < 1:
            parser.error("--cuts and --starts must be at least 1")
        return _developer_tool(args, err)
    if args.sweep is not None:
        return _run_sweep(args, err)
    try:
        config = load_config(args.config)
        outcome = run_backtest(config, progress=False if args.no_progress else None)
    except (ConfigError, DataError, FidelityError) as e:
        return _input_error(err, e, args.config)
    folder = write_results(outcome, args.output_dir or config.output.dir)
    report = None if args.no_report or not config.output.report else write_report(outcome, folder)
    print_summary(outcome, folder, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
