"""
Custom NautilusTrader data types for Binance futures data that has no built-in type, and what a
strategy shares with the runtime without importing it: the ``FundingPayment`` event, the
``series`` and ``trade_tags`` conventions.
"""

from data_types.book_depth import BookDepth
from data_types.funding_payment import FundingPayment
from data_types.funding_rate import FundingRate
from data_types.futures_metrics import FuturesMetrics
from data_types.indicator_values import IndicatorValues
from data_types.price_klines import IndexPriceKline
from data_types.price_klines import PremiumIndexKline

__all__ = [
    "BookDepth",
    "FundingPayment",
    "FundingRate",
    "FuturesMetrics",
    "IndicatorValues",
    "IndexPriceKline",
    "PremiumIndexKline",
]
