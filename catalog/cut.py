"""
A copy of a catalog cut at an instant: every row stamped after it is gone (for look-ahead analysis).

Files wholly at or before the instant are hard-linked (symlinked across file systems), files wholly
after it are left out, and the file holding the instant is rewritten with its rows up to it, named
by its new bounds. The instrument files and the recorded rule history come along; derived data
(``_derived``) and the ingest manifest do not: a cut catalog's derived data is built from its own
files, and keyed by their fingerprints (``catalog.fingerprint``).
"""

import os
import shutil
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
from nautilus_trader.persistence.catalog.parquet import _parse_filename_timestamps

from catalog.layout import file_name
from catalog.rules import RULES_DIR

TS_COLUMN = "ts_init"


def _link(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        os.symlink(source.resolve(), target)


def cut_catalog(source: Path, target: Path, cut_ns: int) -> Path:
    """
    Write a copy of the catalog at `source` into `target` holding only rows with ``ts_init <= cut_ns``.

    Parameters
    ----------
    source : Path
        The catalog root.
    target : Path
        An empty or missing folder.
    cut_ns : int
        The last nanosecond kept.

    Returns
    -------
    Path
        `target`.

    Raises
    ------
    FileExistsError
        If `target` holds anything.

    """
    source, target = Path(source), Path(target)
    if target.exists() and any(target.iterdir()):
        raise FileExistsError(f"{target}: the cut catalog's folder must be empty")
    for path in sorted((source / "data").rglob("*.parquet")):
        lo, hi = _parse_filename_timestamps(path.name)
        relative = path.relative_to(source)
        if hi <= cut_ns:
            _link(path, target / relative)
        elif lo <= cut_ns:
            table = pq.read_table(path)  # one day of one family: bounded by the ETL's day files
            kept = table.filter(pc.less_equal(table[TS_COLUMN].cast("int64"), cut_ns))
            if kept.num_rows:
                out = target / relative.parent / file_name(lo, cut_ns)
                out.parent.mkdir(parents=True, exist_ok=True)
                pq.write_table(kept, out)
    rules = source.joinpath(*RULES_DIR)
    if rules.is_dir():
        shutil.copytree(rules, target.joinpath(*RULES_DIR))
    return target
