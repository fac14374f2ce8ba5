"""Custom NautilusTrader data types for Binance futures data that has no built-in type."""

from data_types.book_depth import BookDepth
from data_types.funding_rate import FundingRate
from data_types.futures_metrics import FuturesMetrics

__all__ = ["BookDepth", "FundingRate", "FuturesMetrics"]
