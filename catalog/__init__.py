"""
The catalog format in one place: paths, fixed-point codec, and derived data.

The ParquetDataCatalog itself lives in a data folder (``data/catalog`` by default); this package
is the code that knows its layout. ``etl`` writes through it; ``backtest``, ``research``, sweeps
and benches read through it.
"""
