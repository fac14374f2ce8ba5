"""
Funding settlements: every ``funding_interval_hours`` from 00:00 UTC, the rate is the average
perp premium over the interval that ends there, and ``calc_time`` lands a few ms after the hour
(as in the real files, e.g. ``1775088000003``).
"""

from dataclasses import dataclass

import numpy as np

from etl.synth.config import SynthConfig
from etl.synth.latent import MINUTE_MS
from etl.synth.latent import LatentMarket

RATE_DIGITS = 8


@dataclass(frozen=True)
class Settlements:
    """Funding settlements inside the generated days, in time order."""

    calc_ms: np.ndarray
    settle_ms: np.ndarray
    rate_e8: np.ndarray
    interval_hours: int


def settlements(latent: LatentMarket, config: SynthConfig, rng: np.random.Generator) -> Settlements:
    """
    Return the settlements of the generated days.

    Parameters
    ----------
    latent : LatentMarket
        Latent paths (the premium, whose interval mean is the rate).
    config : SynthConfig
        Days of the run.
    rng : np.random.Generator
        Stream for the calc_time delays.

    """
    hours = config.params.funding_interval_hours
    step = hours * 60
    grid = latent.horizon_start + np.arange(0, config.days * 1440, step)
    # Interval means from a running sum; the warm-up provides the interval before the first day.
    cumulative = np.r_[0.0, np.cumsum(latent.premium)]
    begin = np.maximum(grid - step, 0)
    rate = (cumulative[grid] - cumulative[begin]) / np.maximum(grid - begin, 1)
    settle_ms = latent.first_minute_ms + grid * MINUTE_MS
    late = np.where(rng.random(len(grid)) < 0.5, 0, rng.integers(1, config.params.funding_late_ms + 1, len(grid)))
    return Settlements(
        calc_ms=settle_ms + late,
        settle_ms=settle_ms,
        rate_e8=np.round(rate * 10**RATE_DIGITS).astype(np.int64),
        interval_hours=hours,
    )
