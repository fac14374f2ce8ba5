"""
Incremental microstructure and volatility indicators (Nautilus Indicator subclasses) with numba batch twins.

Every indicator follows one contract (``update_raw`` returns the new value, ``batch`` returns the
series without changing the indicator, one readiness rule, state layouts declared by name),
written down in ``indicators/README.md``, which also shows how to add one. ``indicators.registry``
lists every indicator with its inputs and example parameters.
"""
