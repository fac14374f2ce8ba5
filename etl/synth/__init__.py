"""
Synthetic Binance USD-M market, written in the public archive's file formats and layout.

``python -m etl synth --out DIR --symbols BTCUSDT [...] --start 2024-01-01 --days N --seed S``
writes daily aggTrades, bookTicker, 1m klines and metrics, monthly fundingRate (CSV, or ZIP +
CHECKSUM with ``--zip``), optionally spot aggTrades and 1m klines (``--spot``), and a per-minute
ground truth of what was injected (``ground_truth/<SYM>/<SYM>-ground_truth.parquet``).

Modules, one job each:

- ``config``, ``params``, ``symbols``, ``seeding``: what to generate, model constants, contract
  specs, per-(seed, symbol) random streams;
- ``seasonality``, ``processes``, ``latent``: the latent market (volatility regimes, crowding,
  toxic episodes, activity, blocks) minute by minute;
- ``flow``, ``perp``, ``spot``: taker flow, the perp's joint book/trade simulation, spot trades;
- ``klines``, ``metrics``, ``funding``: the derived families, aggregated from the generated data;
- ``textfmt``, ``render``, ``writers``: exact vectorised CSV text, per-family columns, CSV/ZIP
  writers; ``ground_truth``; ``generate`` (the run), ``report`` (its figures) and ``cli``.
"""

from etl.synth.config import SynthConfig
from etl.synth.generate import generate
from etl.synth.report import SynthReport

__all__ = ["SynthConfig", "SynthReport", "generate"]
