"""
Research reports over the catalog: ``python -m research {vpin,book,flow} ...``.

Each report reads one instrument's rows straight from the catalog's Parquet files
(``research.catalog``), runs the batch twins of ``indicators`` over them, and writes tables (CSV
and Parquet), JSON metrics and an interactive HTML page (``research.output``).
"""
