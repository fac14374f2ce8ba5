"""Backtest runtime: config models, node builder, custom-data replay, funding settlement, results and reports."""
