"""Intraday and weekly activity profile (UTC): quiet and busy hours, funding-time bursts."""

import numpy as np

# (centre hour UTC, width in hours, log-activity bump): Asia open, a late-Asia lull, Europe open,
# the US session, and the evening fade.
_HOUR_BUMPS = (
    (0.5, 1.0, 0.30),
    (4.5, 2.0, -0.45),
    (8.5, 1.5, 0.20),
    (14.5, 1.7, 0.65),
    (21.5, 2.0, -0.20),
)
_FUNDING_BUMP = 0.35
_FUNDING_WIDTH_MINUTES = 6.0
_WEEKEND = -0.35


def _circular_hours(hour: np.ndarray, centre: float) -> np.ndarray:
    d = np.abs(hour - centre) % 24.0
    return np.minimum(d, 24.0 - d)


def activity_profile(minute_ms: np.ndarray, funding_interval_hours: int) -> np.ndarray:
    """
    Return the relative activity of each minute (callers normalise it over their horizon).

    Parameters
    ----------
    minute_ms : np.ndarray
        Minute open times, ms since the epoch (UTC).
    funding_interval_hours : int
        Settlement spacing; activity bursts for a few minutes around each settlement.

    """
    minute_of_day = (minute_ms // 60_000) % 1440
    hour = minute_of_day / 60.0
    log_a = np.zeros(len(minute_ms))
    for centre, width, height in _HOUR_BUMPS:
        log_a += height * np.exp(-0.5 * (_circular_hours(hour, centre) / width) ** 2)
    interval = funding_interval_hours * 60
    to_settlement = np.minimum(minute_of_day % interval, interval - minute_of_day % interval)
    log_a += _FUNDING_BUMP * np.exp(-0.5 * (to_settlement / _FUNDING_WIDTH_MINUTES) ** 2)
    # Monday = 0; 1970-01-01 was a Thursday.
    weekday = (minute_ms // 86_400_000 + 3) % 7
    log_a += np.where(weekday >= 5, _WEEKEND, 0.0)
    return np.exp(log_a)
