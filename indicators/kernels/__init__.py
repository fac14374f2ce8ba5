"""
Numba kernels: the one implementation of each indicator's arithmetic.

Each indicator's update is an ``@njit(cache=True)`` *step* function over a float64 state array
(plus ring buffers where a window is needed). The batch twin loops the same step inside numba;
the incremental Nautilus indicator calls the same compiled step once per event. So the two paths
cannot drift apart: there is no second copy of the formula. Each state's slots are declared once,
by name and size, with ``kernels.layout.Layout`` (module-level ints numba compiles in as
constants); ``indicators/README.md`` has the whole indicator contract.

Numba's on-disk cache is keyed by each function's own source file, not by the kernels it inlines
from other files: editing ``rolling.py`` would leave a stale ``flow.py`` kernel in the cache. So
the kernels here are cached in a folder named by a digest of every kernel source
(``indicators.kernels.cache``), through a cache locator that answers for this folder only: other
libraries' numba caches, and ``NUMBA_CACHE_DIR``, are left as they are.
"""

from indicators.kernels.cache import install_locator

install_locator()
