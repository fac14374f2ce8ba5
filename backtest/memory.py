"""
Keep a long streaming run's resident memory flat: cap glibc's malloc arenas.

The catalog backend decodes Parquet on a pool of threads, and glibc gives each thread its own
malloc arena; memory freed in those arenas stays mapped, so the resident set creeps up day after
day of a run (measured with ``MALLOC_ARENA_MAX`` unset: 1 day 436 MiB, 10 days 541 MiB peak; capped
at two arenas: 438 and 479). The cap only binds arenas created after it, and nautilus_trader's Rust
runtime starts threads at import, so ``backtest/__init__.py`` sets it before any backtest module
imports Nautilus (a process that imported nautilus_trader earlier gets a weaker effect). Elsewhere
than glibc it does nothing.

"""

import ctypes
import ctypes.util
import functools

M_ARENA_MAX = -8  # mallopt parameter number in glibc's malloc.h
ARENAS = 2


@functools.cache
def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """
    Cap the number of glibc malloc arenas of this process (once; later calls do nothing).

    Parameters
    ----------
    arenas : int, default 2
        The most arenas glibc may create.

    Returns
    -------
    bool
        Whether the cap was set (False off glibc).

    """
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_ARENA_MAX, arenas))
