"""
Constants of the synthetic market model, in one frozen, documented place.

Units: time in minutes unless the name says otherwise; volatilities are per-minute log-return
standard deviations; ``*_sd`` are stationary standard deviations of Ornstein-Uhlenbeck noises.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class MarketParams:
    """
    Parameters of the latent market and of its microstructure.

    Volatility regimes (0 compressed, 1 normal, 2 expansion) form a semi-Markov chain whose jumps
    favour compression → expansion; crowding cycles neutral → build (one side) → unwind; toxic
    episodes arrive as a Poisson process, more often in expansions, and are also forced at every
    crowding unwind (against the crowd) and at some compression → expansion breakouts.
    """

    warmup_days: int = 1
    # Volatility regimes.
    vol_multiplier: tuple[float, float, float] = (0.45, 1.0, 2.3)
    vol_mean_minutes: tuple[float, float, float] = (240.0, 300.0, 90.0)
    vol_transition: tuple[tuple[float, float, float], ...] = (
        (0.0, 0.2, 0.8),
        (0.55, 0.0, 0.45),
        (0.2, 0.8, 0.0),
    )
    vol_duration_shape: float = 3.0
    vol_min_minutes: int = 20
    vol_smoothing: float = 0.15
    vol_noise_sd: float = 0.2
    vol_noise_tau: float = 60.0
    vol_season_exponent: float = 0.35
    # Activity: how trading and quoting intensities follow volatility and toxicity.
    trade_vol_exponent: float = 0.6
    quote_vol_exponent: float = 0.8
    toxic_trade_boost: float = 1.8
    toxic_quote_boost: float = 1.6
    toxic_size_boost: float = 1.4
    # Toxic episodes.
    toxic_mean_minutes: float = 18.0
    toxic_min_minutes: int = 6
    toxic_max_minutes: int = 60
    toxic_expansion_weight: float = 3.0
    toxic_buy_prob_shift: float = 0.36
    toxic_drift: float = 0.15
    toxic_drift_lag: float = 0.25
    toxic_drift_tail: float = 0.3
    breakout_toxic_prob: float = 0.5
    unwind_toxic_minutes: tuple[float, float] = (30.0, 90.0)
    breakout_toxic_minutes: tuple[float, float] = (10.0, 30.0)
    # Crowding cycle, durations in hours.
    neutral_hours: tuple[float, float] = (24.0, 96.0)
    build_hours: tuple[float, float] = (24.0, 72.0)
    unwind_hours: tuple[float, float] = (3.0, 12.0)
    crowd_peak: tuple[float, float] = (0.8, 1.0)
    crowd_noise_sd: float = 0.04
    crowd_noise_tau: float = 240.0
    crowd_threshold: float = 0.35
    crowd_drift: float = 0.025
    # Premium of the perpetual over spot (funding is its 8 h average).
    premium_base: float = 3.0e-5
    premium_crowd: float = 6.0e-4
    premium_noise_sd: float = 4.0e-5
    premium_tau: float = 90.0
    # Open interest and long/short ratios (log scale).
    oi_crowd: float = 0.4
    oi_noise_sd: float = 0.04
    oi_tau: float = 1440.0
    ls_level: tuple[float, float, float] = (0.05, 0.10, 0.15)
    ls_crowd: tuple[float, float, float] = (0.45, 0.35, 0.55)
    ls_noise_sd: float = 0.04
    ls_tau: float = 360.0
    # Taker side.
    buy_prob_crowd: float = 0.03
    buy_prob_noise_sd: float = 0.06
    buy_prob_tau: float = 10.0
    momentum_takers: float = 0.35
    momentum_window_ms: int = 3_000
    cluster_size: float = 3.0
    cluster_spread_ms: float = 150.0
    cluster_follow: float = 0.8
    # Price impact (in minute sigmas): per baseline trade and per block.
    impact: float = 0.5
    block_impact: float = 0.8
    # Book pressure: tilts displayed depth (log-size units per unit pressure) toward the coming
    # price moves; `pressure_lead` is its loading on the next ~`pressure_events` events' shocks.
    pressure_events: float = 40.0
    pressure_skew: float = 1.0
    pressure_lead: float = 0.5
    # Book.
    reactive_quote_share: float = 0.5
    reactive_lag_ms: float = 3.0
    spread_rate: float = 0.04
    spread_vol_exponent: float = 1.5
    toxic_spread_boost: float = 3.0
    depth_skew: float = 2.0
    depth_noise: float = 0.8
    depth_vol_exponent: float = -0.4
    toxic_depth: float = 0.6
    # Trade sizes (notional, lognormal around the symbol's median) and fills per aggregate trade.
    size_sigma: float = 1.2
    min_lot_share: float = 0.12
    max_trade_touch_multiple: float = 1.5
    block_touch_multiple: tuple[float, float] = (5.0, 20.0)
    fills_per_log_notional: float = 0.45
    # Feed: bookTicker push lag and its rare stalls.
    feed_lag_median_ms: float = 5.0
    feed_lag_sigma: float = 0.8
    feed_stalls_per_day: float = 3.0
    feed_stall_ms: tuple[float, float] = (500.0, 3_000.0)
    update_id_gap: float = 300.0
    # Funding settlement: calc_time lands a few ms after the hour.
    funding_interval_hours: int = 8
    funding_late_ms: int = 10
    # Spot: its share of the perpetual's taker imbalance and its median trade notional share.
    spot_imbalance_share: float = 0.5
    spot_trade_notional_share: float = 0.4
