"""The one error a research report raises for bad input: the CLI prints it as one line, exit 2."""


class ResearchError(ValueError):
    """A report cannot run: unknown instrument, empty period, missing catalog, bad option value."""
