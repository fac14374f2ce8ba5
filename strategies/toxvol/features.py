"""
F1, F2 and F3 of DESIGN §6, composed from the indicator library (no formula is re-implemented).

- F1 volatility compression: ``z(-VC)``, VC from ``VolatilityCompression`` over 1-minute bars.
- F2 pressure and toxicity: ``P = z(OBI) + z(SVI) + z(ΣOFI over J decisions)`` from
  ``TopOfBookImbalance``, ``SignedVolumeImbalance`` and ``OrderFlowImbalance`` (time window of J
  decision intervals), ``T = z(VPIN) + z(spread)`` from trade-based ``VPIN`` and
  ``RelativeSpread``, τ_T the ``toxicity_quantile`` of the trailing ``toxicity_window`` values of
  T (``RollingPercentileRank.quantile``). F2 itself is gated in ``decision.gated_pressure``.
- F3 crowding regime: ``CrowdingIndex`` (z(funding), z(Δ ln OI), z(ln LS)) against θ.
- σ̂: the square root of ``HarComposite``'s per-minute variance.

Every z-score is a ``RollingZScore`` over the values sampled at the decisions, so F1, P and T are
in comparable units whatever the cadence. No look-ahead: the indicators see only events up to the
decision, τ_T comes from the T values *before* the current one.

"""

import math
from dataclasses import dataclass

from nautilus_trader.indicators.base import Indicator

from data_types import FundingRate
from data_types import FuturesMetrics
from data_types import IndicatorValues
from indicators.book import OrderFlowImbalance
from indicators.book import RelativeSpread
from indicators.book import TopOfBookImbalance
from indicators.flow import VPIN
from indicators.flow import SignedVolumeImbalance
from indicators.precomputed import PrecomputedIndicator
from indicators.regime import CrowdingIndex
from indicators.rolling import RollingPercentileRank
from indicators.rolling import RollingZScore
from indicators.volatility import HarComposite
from indicators.volatility import VolatilityCompression
from strategies.toxvol.config import MINUTE_NS
from strategies.toxvol.config import ToxVolConfig
from strategies.toxvol.decision import Signals

# Names of the tick-fed indicators (the columns of precomputed ``IndicatorValues``).
SPREAD = "spread"
VPIN_NAME = "vpin"
OBI = "obi"
SVI = "svi"
OFI = "ofi"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """
    Everything one decision reads from the features.

    Parameters
    ----------
    signals : Signals
        F1, P, T, τ_T and the regime.
    ready : bool
        Whether every indicator the configuration uses is initialized.
    sigma : float
        σ̂, the per-minute volatility (NaN until the HAR composite is initialized).
    z_spread, z_vpin : float
        The z-scores inside T (they also shrink the position size).
    vpin, relative_spread, crowding : float
        The raw VPIN, relative spread and crowding index C.

    """

    signals: Signals
    ready: bool
    sigma: float
    z_spread: float
    z_vpin: float
    vpin: float
    relative_spread: float
    crowding: float


class _Sampled:
    """A source indicator and the rolling z-score of its values at the decisions."""

    __slots__ = ("source", "zscore", "sign")

    def __init__(self, source: Indicator, window: int, sign: float = 1.0) -> None:
        self.source = source
        self.zscore = RollingZScore(window)
        self.sign = sign

    def sample(self) -> float:
        # A source still warming up adds nothing: its z-score window starts with its first value.
        if self.source.initialized:
            self.zscore.update_raw(self.sign * self.source.value)
        return self.zscore.value

    @property
    def ready(self) -> bool:
        return self.zscore.initialized


class ToxVolFeatures:
    """
    The strategy's indicators and the rolling statistics of F1, F2 and F3.

    Register ``quote_indicators`` for quote ticks, ``trade_indicators`` for trade ticks and
    ``bar_indicators`` for the 1-minute bars; pass funding and metrics rows to
    ``handle_funding_rate`` / ``handle_metrics``; call ``sample`` once per decision.
    Components switched off by the ablation switches are not built at all.

    Parameters
    ----------
    config : ToxVolConfig
        The strategy configuration.

    """

    def __init__(self, config: ToxVolConfig) -> None:
        self.config = config
        window = config.zscore_window
        self.compression = VolatilityCompression(
            config.compression_short_minutes,
            config.compression_long_minutes,
            config.compression_estimator,
        )
        self.har = HarComposite(config.har_horizons_minutes, config.har_weights)
        ticks = tick_indicators(config)
        if config.precomputed_features:
            ticks = {name: PrecomputedIndicator(name) for name in ticks}
        self._ticks = ticks
        self.spread = ticks[SPREAD]
        self.vpin = ticks[VPIN_NAME]
        self.obi = ticks.get(OBI)
        self.svi = ticks.get(SVI)
        self.ofi = ticks.get(OFI)
        self.crowding = CrowdingIndex(
            funding_window=config.funding_window,
            metrics_window=config.metrics_window,
            oi_lag=config.oi_lag,
            a1=config.crowding_a1,
            a2=config.crowding_a2,
            a3=config.crowding_a3,
            long_short_field=config.long_short_field,
        )
        # VC is negative when compressed: F1 = z(-VC) is high then.
        self._f1 = _Sampled(self.compression, window, sign=-1.0)
        self._pressure = [_Sampled(s, window) for s in (self.obi, self.svi, self.ofi) if s]
        self._z_vpin = _Sampled(self.vpin, window)
        self._z_spread = _Sampled(self.spread, window)
        self.toxicity_rank = RollingPercentileRank(config.toxicity_window)

    @property
    def quote_indicators(self) -> list[Indicator]:
        """Return the live indicators fed by quote ticks (none with precomputed features)."""
        return [i for i in self._ticks.values() if getattr(i, "feed", None) == "quotes"]

    @property
    def trade_indicators(self) -> list[Indicator]:
        """Return the live indicators fed by trade ticks (none with precomputed features)."""
        return [i for i in self._ticks.values() if getattr(i, "feed", None) == "trades"]

    def handle_indicator_values(self, row: IndicatorValues) -> None:
        """Take the precomputed tick-fed indicator values of a kline close."""
        for name, indicator in self._ticks.items():
            indicator.update(row.values[name])

    @property
    def bar_indicators(self) -> list[Indicator]:
        """Return the indicators fed by the 1-minute bars."""
        return [self.compression, self.har]

    def handle_funding_rate(self, funding: FundingRate) -> None:
        """Update the crowding index with a funding settlement."""
        self.crowding.handle_funding_rate(funding)

    def handle_metrics(self, metrics: FuturesMetrics) -> None:
        """Update the crowding index with a metrics row."""
        self.crowding.handle_metrics(metrics)

    def regime(self) -> int:
        """Return F3: +1 crowded long, -1 crowded short, 0 neutral (also while warming up)."""
        return self.crowding.regime(self.config.crowding_threshold)

    def sample(self) -> Snapshot:
        """
        Push the indicators' values into the rolling statistics; return the decision's features.

        Call exactly once per decision: each call adds one observation to every z-score window.

        Returns
        -------
        Snapshot

        """
        config = self.config
        f1 = self._f1.sample()
        pressure = sum(s.sample() for s in self._pressure) if self._pressure else math.nan
        z_vpin = self._z_vpin.sample()
        z_spread = self._z_spread.sample()
        toxicity = z_vpin + z_spread
        # τ_T from the window before T joins it: the threshold is strictly trailing.
        rank_ready = self.toxicity_rank.initialized
        threshold = (
            self.toxicity_rank.quantile(config.toxicity_quantile) if rank_ready else math.nan
        )
        if math.isfinite(toxicity):
            self.toxicity_rank.update_raw(toxicity)
        ready = (
            rank_ready
            and self._f1.ready
            and self._z_vpin.ready
            and self._z_spread.ready
            and all(s.ready for s in self._pressure)
            and self.har.initialized
            and (self.crowding.initialized or not config.use_regime_filter)
        )
        return Snapshot(
            signals=Signals(f1, pressure, toxicity, threshold, self.regime()),
            ready=ready,
            sigma=math.sqrt(self.har.value) if self.har.initialized else math.nan,
            z_spread=z_spread,
            z_vpin=z_vpin,
            vpin=self.vpin.value,
            relative_spread=self.spread.value,
            crowding=self.crowding.value,
        )

    def reset(self) -> None:
        """Reset every indicator and rolling statistic."""
        indicators = [*self._ticks.values(), *self.bar_indicators]
        indicators += [self.crowding, self.toxicity_rank]
        indicators += [s.zscore for s in (self._f1, self._z_vpin, self._z_spread, *self._pressure)]
        for indicator in indicators:
            indicator.reset()


def tick_indicators(config: ToxVolConfig, every: bool = False) -> dict[str, Indicator]:
    """
    Return the quote- and trade-fed indicators a configuration reads, by name.

    These are what the features fidelity precomputes
    (``ToxicityConditionedVolatility.precomputed_indicators``); the bar-fed indicators and the
    crowding index stay live in both fidelities, their inputs being streamed.

    Parameters
    ----------
    config : ToxVolConfig
        The strategy configuration.
    every : bool, default False
        Include the components the ablation switches turn off (``use_obi``, ``use_svi``,
        ``use_ofi``): one precomputed set then serves every ablation of a sweep.

    Returns
    -------
    dict[str, Indicator]

    """
    indicators: dict[str, Indicator] = {SPREAD: RelativeSpread(), VPIN_NAME: _vpin(config)}
    if every or config.use_obi:
        indicators[OBI] = TopOfBookImbalance()
    if every or config.use_svi:
        indicators[SVI] = SignedVolumeImbalance(window_ns=config.svi_window_ns)
    if every or config.use_ofi:
        indicators[OFI] = OrderFlowImbalance(window_ns=config.ofi_bars * config.cadence_ns)
    return indicators


def _vpin(config: ToxVolConfig) -> VPIN:
    if config.vpin_bucket_notional is not None:
        return VPIN(
            window=config.vpin_window,
            classifier="aggressor",
            bucket_volume=config.vpin_bucket_notional,
            quote_volume=True,
        )
    return VPIN(
        window=config.vpin_window,
        classifier="aggressor",
        period_ns=config.vpin_bucket_minutes * MINUTE_NS,
        lookback_periods=config.vpin_lookback_periods,
        statistic="median",
    )
