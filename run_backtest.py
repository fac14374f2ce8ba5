"""
``python run_backtest.py configs/<name>.toml``: run one backtest and write its results folder.

Prints a progress line while it runs and a one-screen summary at the end. A bad configuration or a
catalog that lacks requested data is reported in a few lines naming the key, without a traceback
(exit code 2 and 3).
"""

import argparse
import sys
from pathlib import Path

from rich.console import Console

from backtest.config import ConfigError
from backtest.config import load_config
from backtest.node import DataError
from backtest.node import run_backtest
from backtest.report import write_report
from backtest.results import write_results
from backtest.summary import print_summary

EXIT_CONFIG = 2
EXIT_DATA = 3


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run the backtest and write its results."""
    parser = argparse.ArgumentParser(
        prog="run_backtest.py", description=__doc__.split("\n\n")[0].strip()
    )
    parser.add_argument("config", type=Path, help="the run configuration (TOML)")
    parser.add_argument("--output-dir", type=Path, help="override [output] dir")
    parser.add_argument("--no-report", action="store_true", help="skip report.html")
    parser.add_argument("--no-progress", action="store_true", help="no progress display")
    args = parser.parse_args(argv)
    err = Console(stderr=True, soft_wrap=True)
    try:
        config = load_config(args.config)
        outcome = run_backtest(config, progress=False if args.no_progress else None)
    except ConfigError as e:
        err.print(f"[bold red]config error[/] in {e.source}:", highlight=False)
        for problem in e.problems:
            err.print(f"  - {problem}", highlight=False, markup=False)
        return EXIT_CONFIG
    except DataError as e:
        err.print(f"[bold red]data error[/] in {args.config}: {e}", highlight=False)
        return EXIT_DATA
    folder = write_results(outcome, args.output_dir or config.output.dir)
    report = None if args.no_report or not config.output.report else write_report(outcome, folder)
    print_summary(outcome, folder, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
