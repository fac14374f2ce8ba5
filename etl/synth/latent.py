"""
The latent market: per-minute hidden state of one symbol over the warm-up and the generated days.

Everything observable (trades, quotes, klines, metrics, funding, spot) is drawn from these
minute paths, and the ground truth is read from them:

- **volatility regime** (0 compressed, 1 normal, 2 expansion): a semi-Markov chain that favours
  compression → expansion; the per-minute sigma follows the regime through a short smoothing, an
  AR(1) log-noise (clustering inside regimes) and the intraday profile;
- **crowding**: a cycle neutral → build (long or short, over days) → unwind (hours); its intensity
  ``c`` in [-1, 1] drives the perp premium (hence funding), open interest, long/short ratios and a
  slow trend with the crowd; every unwind starts with forced expansion and a toxic episode against
  the crowd (a liquidation cascade);
- **toxic episodes**: bursts of one-sided taker flow (buy probability ~0.86 on one side, more and
  larger trades, thinner and wider book) whose informed drift moves the price in the flow's
  direction, starting a quarter into the episode and lasting past its end;
- **activity**: intraday and weekly seasonality scaled by volatility and toxicity sets the
  expected trade and quote counts of every minute;
- **block trades**: a Poisson schedule of large prints (5-20x the typical touch notional).
"""

import datetime as dt
from dataclasses import dataclass

import numpy as np

from etl.synth.config import SynthConfig
from etl.synth.params import MarketParams
from etl.synth.processes import ema
from etl.synth.processes import ou
from etl.synth.processes import paint
from etl.synth.processes import semi_markov
from etl.synth.seasonality import activity_profile
from etl.synth.symbols import SymbolSpec

MINUTE_MS = 60_000
DAY_MINUTES = 1440
NEUTRAL, BUILD, UNWIND = 0, 1, 2
COMPRESSED, NORMAL, EXPANSION = 0, 1, 2


def epoch_ms(day: dt.date) -> int:
    """Return the UTC midnight of `day` in ms since the epoch."""
    return (day - dt.date(1970, 1, 1)).days * 86_400_000


@dataclass(frozen=True)
class Episodes:
    """Toxic episodes on the minute grid: ``[start, end)`` and side (+1 buy, -1 sell)."""

    start: np.ndarray
    end: np.ndarray
    side: np.ndarray


@dataclass(frozen=True)
class Blocks:
    """Scheduled block trades: grid minute, side (+1 buy, -1 sell) and notional."""

    minute: np.ndarray
    side: np.ndarray
    notional: np.ndarray


@dataclass(frozen=True)
class LatentMarket:
    """
    Per-minute latent paths of one symbol; index 0 is the first warm-up minute.

    Rates are expected counts per minute; ``trade_ref`` is the trade rate without the toxic
    boost, which normalises price impact so that it does not depend on the chosen sizes.
    """

    first_minute_ms: int
    horizon_start: int
    activity: np.ndarray
    vol_regime: np.ndarray
    vol_factor: np.ndarray
    sigma: np.ndarray
    crowd_phase: np.ndarray
    crowd_intensity: np.ndarray
    crowd_state: np.ndarray
    premium: np.ndarray
    log_open_interest: np.ndarray
    log_ls_ratios: np.ndarray
    buy_prob: np.ndarray
    toxic_side: np.ndarray
    drift: np.ndarray
    trade_rate: np.ndarray
    trade_ref: np.ndarray
    quote_rate: np.ndarray
    spot_rate: np.ndarray
    size_mult: np.ndarray
    depth_mult: np.ndarray
    spread_rate: np.ndarray
    episodes: Episodes
    blocks: Blocks

    def day_slice(self, day_index: int) -> slice:
        """Return the grid slice of generated day `day_index`."""
        start = self.horizon_start + day_index * DAY_MINUTES
        return slice(start, start + DAY_MINUTES)

    def day_start_ms(self, day_index: int) -> int:
        """Return the first ms of generated day `day_index`."""
        return self.first_minute_ms + (self.horizon_start + day_index * DAY_MINUTES) * MINUTE_MS


def _crowding(
    rng: np.random.Generator, n: int, p: MarketParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return phase, intensity, and the grid minutes and crowd sides of unwinds starting in-grid."""
    hours = {NEUTRAL: p.neutral_hours, BUILD: p.build_hours, UNWIND: p.unwind_hours}
    mean_hours = np.array([np.mean(hours[s]) for s in (NEUTRAL, BUILD, UNWIND)])
    phase = np.empty(n, dtype=np.int8)
    intensity = np.empty(n)
    unwind_at: list[int] = []
    unwind_side: list[int] = []
    state = int(rng.choice(3, p=mean_hours / mean_hours.sum()))
    side = int(rng.choice([-1, 1]))
    level = side * rng.uniform(*p.crowd_peak)
    pos = 0
    first = True
    # One iteration per crowding phase (days long).
    while pos < n:
        total = max(60, int(rng.uniform(*hours[state]) * 60))
        elapsed = int(total * rng.random()) if first else 0
        length = min(total - elapsed, n - pos)
        t = elapsed + np.arange(length, dtype=float)
        if state == NEUTRAL:
            values = np.zeros(length)
        elif state == BUILD:
            peak = side * rng.uniform(*p.crowd_peak)
            values = peak * (1.0 - np.exp(-t / (total / 2.5)))
        else:
            values = level * np.exp(-t / (total / 4.0))
            if not first:
                unwind_at.append(pos)
                unwind_side.append(side)
        phase[pos : pos + length] = state
        intensity[pos : pos + length] = values
        if state == BUILD:
            level = values[-1]
        pos += length
        first = False
        state = (state + 1) % 3
        if state == BUILD:
            side = int(rng.choice([-1, 1]))
    intensity = np.clip(intensity + ou(rng, n, p.crowd_noise_tau, p.crowd_noise_sd), -1.0, 1.0)
    return phase, intensity, np.array(unwind_at, dtype=np.int64), np.array(unwind_side, dtype=np.int64)


def _toxic_episodes(
    rng: np.random.Generator,
    regime: np.ndarray,
    per_day: float,
    forced: Episodes,
    p: MarketParams,
) -> Episodes:
    """Return spontaneous, breakout and forced episodes, in painting order (later ones win)."""
    n = len(regime)
    weight = np.where(regime == EXPANSION, p.toxic_expansion_weight, 1.0)
    prob = per_day / DAY_MINUTES * weight / weight.mean()
    starts = np.flatnonzero(rng.random(n) < prob)
    shape = 3.0
    lengths = np.clip(
        np.round(rng.gamma(shape, p.toxic_mean_minutes / shape, len(starts))),
        p.toxic_min_minutes,
        p.toxic_max_minutes,
    ).astype(np.int64)
    sides = rng.choice(np.array([-1, 1]), len(starts))
    # Some breakouts out of compression are triggered by informed flow.
    breakouts = np.flatnonzero((regime[1:] == EXPANSION) & (regime[:-1] == COMPRESSED)) + 1
    breakouts = breakouts[rng.random(len(breakouts)) < p.breakout_toxic_prob]
    b_lengths = np.round(rng.uniform(*p.breakout_toxic_minutes, len(breakouts))).astype(np.int64)
    b_sides = rng.choice(np.array([-1, 1]), len(breakouts))
    return Episodes(
        start=np.concatenate([starts, breakouts, forced.start]),
        end=np.concatenate([starts + lengths, breakouts + b_lengths, forced.end]),
        side=np.concatenate([sides, b_sides, forced.side]).astype(np.int8),
    )


def _blocks(
    rng: np.random.Generator,
    spec: SymbolSpec,
    config: SynthConfig,
    horizon: slice,
    trade_rate: np.ndarray,
    toxic_side: np.ndarray,
) -> Blocks:
    count = int(rng.poisson(config.blocks_per_day * config.days))
    weights = trade_rate[horizon] / trade_rate[horizon].sum()
    minute = np.sort(rng.choice(len(weights), size=count, p=weights)) + horizon.start
    side = rng.choice(np.array([-1, 1]), count).astype(np.int8)
    # Inside a toxic episode, blocks mostly go with the informed side.
    informed = (toxic_side[minute] != 0) & (rng.random(count) < 0.8)
    side = np.where(informed, toxic_side[minute], side).astype(np.int8)
    lo, hi = config.params.block_touch_multiple
    notional = spec.touch_notional * np.exp(rng.uniform(np.log(lo), np.log(hi), count))
    return Blocks(minute=minute, side=side, notional=notional)


def build_latent(spec: SymbolSpec, config: SynthConfig, rng: np.random.Generator) -> LatentMarket:
    """
    Draw the latent minute paths of one symbol.

    Parameters
    ----------
    spec : SymbolSpec
        The symbol's contract and market scale.
    config : SynthConfig
        Dates and sizes of the run.
    rng : np.random.Generator
        The symbol's latent stream.

    """
    p = config.params
    warm = p.warmup_days * DAY_MINUTES
    n = warm + config.days * DAY_MINUTES
    horizon = slice(warm, n)
    first_ms = epoch_ms(config.start) - warm * MINUTE_MS
    minute_ms = first_ms + np.arange(n, dtype=np.int64) * MINUTE_MS
    activity = activity_profile(minute_ms, p.funding_interval_hours)

    phase, intensity, unwind_at, unwind_side = _crowding(rng, n, p)
    unwind_len = np.round(rng.uniform(*p.unwind_toxic_minutes, len(unwind_at))).astype(np.int64)
    forced = Episodes(unwind_at, unwind_at + unwind_len, (-unwind_side).astype(np.int8))

    regime = semi_markov(
        rng,
        n,
        np.array(p.vol_transition),
        np.array(p.vol_mean_minutes),
        p.vol_duration_shape,
        p.vol_min_minutes,
    )
    # A liquidation cascade is an expansion, whatever the chain was doing.
    cascade = paint(n, forced.start, forced.end + 30, np.ones(len(forced.start), dtype=np.int8))
    regime = np.where(cascade == 1, EXPANSION, regime).astype(np.int8)
    log_level = ema(np.log(np.array(p.vol_multiplier))[regime], p.vol_smoothing)
    vol_factor = np.exp(log_level + ou(rng, n, p.vol_noise_tau, p.vol_noise_sd))
    sigma = spec.daily_vol / np.sqrt(DAY_MINUTES) * vol_factor * activity**p.vol_season_exponent

    episodes = _toxic_episodes(rng, regime, config.toxic_per_day, forced, p)
    toxic_side = paint(n, episodes.start, episodes.end, episodes.side)
    length = episodes.end - episodes.start
    drift_side = paint(
        n,
        episodes.start + np.round(p.toxic_drift_lag * length).astype(np.int64),
        episodes.end + np.round(p.toxic_drift_tail * length).astype(np.int64),
        episodes.side,
    )
    toxic = toxic_side != 0

    crowd_state = np.where(
        (phase != NEUTRAL) & (np.abs(intensity) >= p.crowd_threshold), np.sign(intensity), 0
    ).astype(np.int8)
    premium = p.premium_base + p.premium_crowd * intensity + ou(rng, n, p.premium_tau, p.premium_noise_sd)
    log_oi = (
        np.log(spec.open_interest_notional / spec.start_price)
        + p.oi_crowd * np.abs(intensity)
        + ou(rng, n, p.oi_tau, p.oi_noise_sd)
    )
    log_ls = np.stack(
        [
            level + load * intensity + ou(rng, n, p.ls_tau, p.ls_noise_sd)
            for level, load in zip(p.ls_level, p.ls_crowd, strict=True)
        ]
    )
    buy_prob = np.clip(
        0.5 + p.buy_prob_crowd * intensity + ou(rng, n, p.buy_prob_tau, p.buy_prob_noise_sd), 0.3, 0.7
    )
    buy_prob = np.where(toxic, 0.5 + p.toxic_buy_prob_shift * toxic_side, buy_prob)
    drift = sigma * (p.crowd_drift * intensity * (phase == BUILD) + p.toxic_drift * drift_side)

    base_trade = activity * vol_factor**p.trade_vol_exponent
    trade_w = base_trade * np.where(toxic, p.toxic_trade_boost, 1.0)
    quote_w = activity * vol_factor**p.quote_vol_exponent * np.where(toxic, p.toxic_quote_boost, 1.0)
    trade_norm = config.trades_per_day / DAY_MINUTES / trade_w[horizon].mean()
    quote_norm = config.quotes_per_day / DAY_MINUTES / quote_w[horizon].mean()
    spot_norm = config.spot_trades_per_day / DAY_MINUTES / base_trade[horizon].mean()
    trade_rate = trade_w * trade_norm

    return LatentMarket(
        first_minute_ms=int(first_ms),
        horizon_start=warm,
        activity=activity,
        vol_regime=regime,
        vol_factor=vol_factor,
        sigma=sigma,
        crowd_phase=phase,
        crowd_intensity=intensity,
        crowd_state=crowd_state,
        premium=premium,
        log_open_interest=log_oi,
        log_ls_ratios=log_ls,
        buy_prob=buy_prob,
        toxic_side=toxic_side.astype(np.int8),
        drift=drift,
        trade_rate=trade_rate,
        trade_ref=base_trade * trade_norm,
        quote_rate=quote_w * quote_norm,
        spot_rate=base_trade * spot_norm,
        size_mult=np.where(toxic, p.toxic_size_boost, 1.0),
        depth_mult=vol_factor**p.depth_vol_exponent * np.where(toxic, p.toxic_depth, 1.0),
        spread_rate=p.spread_rate
        * vol_factor**p.spread_vol_exponent
        * np.where(toxic, p.toxic_spread_boost, 1.0),
        episodes=episodes,
        blocks=_blocks(rng, spec, config, horizon, trade_rate, toxic_side),
    )

