"""
Numba kernels: the one implementation of each indicator's arithmetic.

Each indicator's update is an ``@njit(cache=True)`` *step* function over a float64 state array
(plus ring buffers where a window is needed). The batch twin loops the same step inside numba;
the incremental Nautilus indicator calls the same compiled step once per event. So the two paths
cannot drift apart: there is no second copy of the formula.

Numba's on-disk cache is keyed by each function's own source file, not by the kernels it inlines
from other files: editing ``rolling.py`` would leave a stale ``flow.py`` kernel in the cache. So
the cache lives in a folder named by a digest of every kernel source, unless the user chose one.
"""

import hashlib
import os
from pathlib import Path

import numba

_HERE = Path(__file__).resolve().parent

if not os.environ.get("NUMBA_CACHE_DIR"):
    _digest = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(_HERE.glob("*.py")))).hexdigest()[:16]
    numba.config.CACHE_DIR = str(_HERE / "__pycache__" / f"numba-{_digest}")
