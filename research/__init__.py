"""
Research reports over the catalog: ``python -m research {vpin,book,flow} ...``.

Each report reads one instrument's rows straight from the catalog's Parquet files
(``research.catalog``), computes its tables and metrics on the batch twins of ``indicators``
(``research.compute``), draws them (``research.figures``), and writes tables (CSV and Parquet),
JSON metrics and an interactive HTML page (``research.output``). ``research.reports`` ties each
report's parts together; ``research.cli`` is the command line.
"""
