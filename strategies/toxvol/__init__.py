"""
ToxicityConditionedVolatility (DESIGN §6): compression, toxicity-gated pressure and crowding.

Modules: ``config`` (the frozen config: every parameter and ablation switch), ``features`` (F1,
F2, F3 and σ̂ from ``indicators/``), ``decision`` (alphas, gate, exits and guards as pure
functions), ``sizing`` (volatility-target sizing with caps), ``execution`` (MARKET or post-only
LIMIT entries), ``schedule`` (decision cadence and kline gaps), ``strategy`` (the Nautilus wiring).

"""

from strategies.toxvol.config import ToxVolConfig
from strategies.toxvol.strategy import ToxicityConditionedVolatility

__all__ = ["ToxVolConfig", "ToxicityConditionedVolatility"]
