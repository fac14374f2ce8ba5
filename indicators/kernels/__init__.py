"""
Numba kernels: the one implementation of each indicator's arithmetic.

Each indicator's update is an ``@njit(cache=True)`` *step* function over a float64 state array
(plus ring buffers where a window is needed). The batch twin loops the same step inside numba;
the incremental Nautilus indicator calls the same compiled step once per event. So the two paths
cannot drift apart: there is no second copy of the formula.
"""
