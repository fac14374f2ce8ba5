"""``python -m etl <command>``: synth, download, ingest, report."""

import argparse
import importlib
import signal
import sys

# Each command module exposes ``add_arguments(parser)`` and ``run(args) -> int``;
# imported lazily so that one command's heavy imports don't slow the others.
COMMANDS: dict[str, tuple[str, str]] = {
    "synth": ("etl.synth.cli", "Generate a synthetic Binance USD-M market in the archive's file formats."),
    "download": ("etl.download", "Fetch files from Binance's public data archive, verified and resumable."),
    "ingest": ("etl.ingest", "Ingest raw archive files into a ParquetDataCatalog."),
    "report": ("etl.report", "Report the catalog's coverage, gaps and rejects."),
}


EXIT_CODES = (
    "Exit codes (every command): 0 ok; 1 some items failed (listed); 2 usage or configuration "
    "error; 3 data error (nothing usable in the input); 4 busy (another process holds the "
    "catalog); 130 interrupted (Ctrl-C or SIGTERM)."
)


def _terminate(signum: int, frame: object) -> None:
    # SIGTERM stops a command the way Ctrl-C does (commands with workers install their own).
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """
    Parse the command line and run one ETL command.

    Returns
    -------
    int
        The command's exit code; 130 when interrupted (one line on stderr, no traceback).

    """
    # Help is plain text: the docstring's ``literal`` markup is for the source only.
    parser = argparse.ArgumentParser(prog="python -m etl", description=__doc__.replace("``", ""), epilog=EXIT_CODES)
    sub = parser.add_subparsers(dest="command", required=True)
    argv = sys.argv[1:] if argv is None else argv
    chosen = argv[0] if argv and argv[0] in COMMANDS else None
    for name, (module_name, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            importlib.import_module(module_name).add_arguments(p)
    args, extra = parser.parse_known_args(argv)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        module = importlib.import_module(COMMANDS[args.command][0])
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        print(f"interrupted: python -m etl {args.command} stopped; run the same command again to resume", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
