"""
Synthetic Binance USD-M market, written in the public archive's file formats and layout.

``python -m etl synth --out DIR --symbols BTCUSDT [...] --start 2024-01-01 --days N --seed S``
writes daily aggTrades, bookTicker, 1m klines, 1m mark-price, index-price and premium-index klines
and metrics, monthly fundingRate (CSV, or ZIP + CHECKSUM with ``--zip``), optionally spot
aggTrades and 1m klines (``--spot``), and a per-minute ground truth of what was injected
(``ground_truth/<SYM>/<SYM>-ground_truth.parquet``). It works one day at a time, each day in
blocks of ``block_events`` trades and quotes, so memory is bounded (a real-volume day of 22M rows
peaks near 2 GiB, whatever the number of days) and the files do not depend on the block size.

Modules, one job each:

- ``config``, ``params``, ``symbols``, ``seeding``: what to generate, model constants, contract
  specs, per-(seed, symbol) random streams;
- ``seasonality``, ``processes``, ``latent``: the latent market (volatility regimes, crowding,
  toxic episodes, activity, blocks) minute by minute;
- ``flow``, ``perp``, ``quotes``, ``spot``: taker flow, the perp's joint book/trade simulation
  (its book side in ``quotes``), spot trades;
- ``draws``, ``perp_draws``, ``lookback``: a day's random stream read phase by phase and block by
  block with whole-day values, and interpolation across blocks;
- ``klines``, ``metrics``, ``funding``, ``reference``: the derived families (mark, index and
  premium-index klines in ``reference``), aggregated from the generated data;
- ``textfmt``, ``rowtext``, ``render``, ``writers``: exact CSV text (Arrow columns; a compiled row
  writer for the day-long files), per-family columns, CSV/ZIP writers fed part by part;
  ``ground_truth``; ``generate`` (the run), ``report`` (its figures) and ``cli``.
"""

from etl.synth.config import SynthConfig
from etl.synth.generate import generate
from etl.synth.report import SynthReport

__all__ = ["SynthConfig", "SynthReport", "generate"]
