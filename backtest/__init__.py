"""Backtest runtime: config models, node builder, custom-data replay, funding settlement, results and reports."""

from backtest.memory import limit_malloc_arenas

# Before anything here imports nautilus_trader: its Rust runtime starts threads at import, and
# arenas they create before the cap stay uncapped (see backtest.memory).
limit_malloc_arenas()
