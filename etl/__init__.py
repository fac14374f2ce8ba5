"""Raw Binance archive files -> NautilusTrader ParquetDataCatalog (plus the synthetic market and the downloader)."""
