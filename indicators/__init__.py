"""Incremental microstructure and volatility indicators (Nautilus Indicator subclasses) with numba batch twins."""
