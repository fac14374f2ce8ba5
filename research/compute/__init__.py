"""
The reports' numbers: tables and metrics from catalog columns, on the indicators' batch twins.

Nothing here draws or parses a command line: ``research.figures`` draws these tables and
``research.reports`` assembles them into a report.
"""
