"""``python -m etl <command>``: synth, download, ingest, report."""

import argparse
import importlib
import sys

# Each command module exposes ``add_arguments(parser)`` and ``run(args) -> int``;
# imported lazily so that one command's heavy imports don't slow the others.
COMMANDS: dict[str, tuple[str, str]] = {
    "synth": ("etl.synth.cli", "Generate a synthetic Binance USD-M market in the archive's file formats."),
    "download": ("etl.download", "Fetch files from Binance's public data archive, verified and resumable."),
    "ingest": ("etl.ingest", "Ingest raw archive files into a ParquetDataCatalog."),
    "report": ("etl.report", "Report the catalog's coverage, gaps and rejects."),
}


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one ETL command."""
    parser = argparse.ArgumentParser(prog="python -m etl", description=__doc__)
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
    module = importlib.import_module(COMMANDS[args.command][0])
    return int(module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
