"""
The run's tearsheet (``report.html``): what it computes (``data``), its figure (``figure``), its
tables (``tables``); ``backtest.report`` puts them on one page.
"""
