"""
The frozen configuration of ``ToxicityConditionedVolatility``: every parameter and ablation switch.

The defaults are parameter set B of DESIGN §6 (intraday: 5-minute decisions, compression windows
1 h / 12 h, VPIN buckets of the median 5-minute volume, τ_T the 60th percentile, θ = 1.25).
``configs/toxvol_A.toml``, ``toxvol_B.toml`` and ``toxvol_C.toml`` spell out the three sets.

The indicators validate their own parameters (estimator names, long/short fields, window sizes)
when the strategy builds them; this class checks what only the strategy knows.

Units: windows named ``*_minutes`` are minutes of 1-minute bars; ``*_window`` without a unit counts
decisions (bars at the decision cadence); thresholds on F1, F2 and T are in z-score units.

"""

from nautilus_trader.config import NonNegativeFloat
from nautilus_trader.config import NonNegativeInt
from nautilus_trader.config import PositiveFloat
from nautilus_trader.config import PositiveInt
from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.data import BarType
from nautilus_trader.model.identifiers import InstrumentId

EXECUTION_MODES = ("MARKET", "LIMIT")
CADENCES = (1, 5, 15)
MINUTE_NS = 60_000_000_000


class ToxVolConfig(StrategyConfig, frozen=True, kw_only=True):
    """
    Configuration for ``ToxicityConditionedVolatility``.

    Typed as Nautilus's own configs: run configs give ``instrument_id`` and ``bar_type`` as text
    and parsing makes them an ``InstrumentId`` and a ``BarType``; a window or size that must be
    positive refuses 0 when the run config is read.

    Parameters
    ----------
    instrument_id : InstrumentId
        The perpetual to trade.
    bar_type : BarType
        The 1-minute EXTERNAL klines (stamped at their close); decisions aggregate them.
    cadence_minutes : int, default 5
        Decide at the close of every ``cadence_minutes`` window of 1-minute bars (1, 5 or 15).
    compression_short_minutes, compression_long_minutes : int, default 60, 720
        The windows of ``VC = ln(σ_short / σ_long)`` over 1-minute bars (F1 = z(-VC)).
    compression_estimator : str, default "parkinson"
        The per-bar variance inside VC: "close", "parkinson", "garman_klass", "rogers_satchell".
    har_horizons_minutes : tuple[int, int, int], default (60, 360, 720)
        The HAR composite's horizons (1-minute bars); σ̂ is the square root of its per-minute
        variance.
    har_weights : tuple[float, float, float], default (1/3, 1/3, 1/3)
        The HAR composite's weights.
    svi_window_minutes : int, optional
        The signed-volume-imbalance time window; default one decision interval.
    ofi_bars : int, default 3
        J: order flow imbalance is summed over the last J decision intervals.
    vpin_window : int, default 12
        Buckets in VPIN.
    vpin_bucket_minutes : int, default 5
        Dynamic bucket size: the median base volume per ``vpin_bucket_minutes`` over the trailing
        ``vpin_lookback_periods`` such periods.
    vpin_lookback_periods : int, default 48
        Periods in the trailing median of the dynamic bucket size.
    vpin_bucket_notional : float, optional
        Fixed bucket size in quote currency (e.g. 10_000_000 on real BTCUSDT); when given, it
        replaces the dynamic size (``vpin_bucket_minutes`` and ``vpin_lookback_periods`` unused).
    zscore_window : int, default 48
        Decisions in every rolling z-score (F1, OBI, SVI, OFI, VPIN, spread).
    toxicity_window : int, default 48
        Decisions of T in the trailing window that sets τ_T.
    toxicity_quantile : float, default 0.6
        τ_T is this quantile of the trailing T values (0.6: the 60th percentile).
    funding_window : int, default 3
        Funding settlements in the funding z-score of the crowding index.
    metrics_window : int, default 144
        Metrics rows (5-minute) in the ΔOI and ln LS z-scores of the crowding index.
    oi_lag : int, default 12
        Metrics rows spanned by Δ ln OI.
    crowding_a1, crowding_a2, crowding_a3 : float, default 1.0
        Weights of z(funding), z(ΔOI), z(ln LS) in ``C``.
    long_short_field : str, default "count_long_short_ratio"
        The ``FuturesMetrics`` long/short ratio used.
    crowding_threshold : float, default 1.25
        θ: crowded long if ``C > θ``, crowded short if ``C < -θ``.
    alpha_a_compression : float, default 0.5
        Alpha A needs ``F1 > alpha_a_compression``.
    alpha_a_pressure : float, default 1.5
        Alpha A needs ``|F2| > alpha_a_pressure``; it trades in the direction of F2.
    alpha_b_pressure : float, default 1.0
        Alpha B fades a crowd when F2 is beyond this against it (crowded long: ``F2 < -x``).
    risk_fraction : float, default 0.005
        b: the equity fraction risked over the sizing horizon, ``N = b·E / (σ̂·√H)``.
    spread_penalty, vpin_penalty : float, default 0.5
        b shrinks to ``b / (1 + spread_penalty·max(z_spread, 0) + vpin_penalty·max(z_vpin, 0))``.
    vol_horizon_minutes : int, default 60
        H: the sizing horizon.
    max_quantity : float, default 10.0
        Cap on the position quantity (base units).
    max_notional : float, default 300_000.0
        Cap on the position notional (quote currency).
    max_leverage : float, default 3.0
        Cap on notional / equity.
    stop_multiple : float, default 1.5
        k_stop: the stop sits ``k_stop·σ̂·√H_stop·P`` from the entry price.
    stop_horizon_minutes : int, default 60
        H_stop.
    take_profit_multiple : float, default 2.0
        k_tp: the take-profit sits ``k_tp`` stop distances from the entry price.
    max_hold_minutes : int, default 90
        H_max: the time stop.
    execution_mode : str, default "MARKET"
        "MARKET" (taker entries) or "LIMIT" (post-only at the touch when allowed, else market).
    limit_min_spread_ticks : int, default 1
        A post-only entry needs a spread of at least this many ticks.
    limit_timeout_secs : float, default 30.0
        A post-only entry is good till this long after it is sent (``TimeInForce.GTD``): the
        venue expires it unfilled at its first quote or trade at or after then.
    max_quote_age_secs : float, default 5.0
        No new risk while the last quote is older than this.
    gap_cooldown_minutes : int, default 5
        A kline gap stays open until this many contiguous 1-minute bars followed it.
    use_toxicity_gate : bool, default True
        Ablation: gate F2 by ``T < τ_T`` (off: F2 = P).
    use_regime_filter : bool, default True
        Ablation: use F3 (off: every regime counts as neutral, so Alpha A trades everywhere,
        Alpha B never, and no regime-flip exit).
    enable_alpha_a, enable_alpha_b : bool, default True
        Ablation: each alpha on or off.
    use_obi, use_svi, use_ofi : bool, default True
        Ablation: each pressure component of P on or off.
    publish_features : bool, default True
        Publish F1, P, F2, T, τ_T, VPIN, C and σ̂ at each decision for the report panels
        (the ``count.*`` series are always published: the run's statistics read them).
    precomputed_features : bool, default False
        Read the quote- and trade-fed indicators (spread, OBI, OFI, VPIN, SVI) from precomputed
        ``IndicatorValues`` rows at each kline close instead of computing them live. The runtime
        sets it in ``data.fidelity = "features"``; leave it alone in run configs.

    """

    instrument_id: InstrumentId
    bar_type: BarType
    cadence_minutes: PositiveInt = 5
    # F1 and σ̂
    compression_short_minutes: PositiveInt = 60
    compression_long_minutes: PositiveInt = 720
    compression_estimator: str = "parkinson"
    har_horizons_minutes: tuple[PositiveInt, PositiveInt, PositiveInt] = (60, 360, 720)
    har_weights: tuple[float, float, float] = (1 / 3, 1 / 3, 1 / 3)
    # F2: pressure and toxicity
    svi_window_minutes: PositiveInt | None = None
    ofi_bars: PositiveInt = 3
    vpin_window: PositiveInt = 12
    vpin_bucket_minutes: PositiveInt = 5
    vpin_lookback_periods: PositiveInt = 48
    vpin_bucket_notional: PositiveFloat | None = None
    zscore_window: PositiveInt = 48
    toxicity_window: PositiveInt = 48
    toxicity_quantile: PositiveFloat = 0.6
    # F3: crowding regime
    funding_window: PositiveInt = 3
    metrics_window: PositiveInt = 144
    oi_lag: PositiveInt = 12
    crowding_a1: float = 1.0
    crowding_a2: float = 1.0
    crowding_a3: float = 1.0
    long_short_field: str = "count_long_short_ratio"
    crowding_threshold: float = 1.25
    # Alphas
    alpha_a_compression: float = 0.5
    alpha_a_pressure: float = 1.5
    alpha_b_pressure: float = 1.0
    # Sizing
    risk_fraction: PositiveFloat = 0.005
    spread_penalty: NonNegativeFloat = 0.5
    vpin_penalty: NonNegativeFloat = 0.5
    vol_horizon_minutes: PositiveInt = 60
    max_quantity: PositiveFloat = 10.0
    max_notional: PositiveFloat = 300_000.0
    max_leverage: PositiveFloat = 3.0
    # Exits
    stop_multiple: PositiveFloat = 1.5
    stop_horizon_minutes: PositiveInt = 60
    take_profit_multiple: PositiveFloat = 2.0
    max_hold_minutes: PositiveInt = 90
    # Execution
    execution_mode: str = "MARKET"
    limit_min_spread_ticks: NonNegativeInt = 1
    limit_timeout_secs: PositiveFloat = 30.0
    # Guards
    max_quote_age_secs: PositiveFloat = 5.0
    gap_cooldown_minutes: NonNegativeInt = 5
    # Ablation switches
    use_toxicity_gate: bool = True
    use_regime_filter: bool = True
    enable_alpha_a: bool = True
    enable_alpha_b: bool = True
    use_obi: bool = True
    use_svi: bool = True
    use_ofi: bool = True
    # Reporting
    publish_features: bool = True
    # Fidelity (set by the runtime)
    precomputed_features: bool = False

    def __post_init__(self) -> None:
        _choice("cadence_minutes", self.cadence_minutes, CADENCES)
        _choice("execution_mode", self.execution_mode, EXECUTION_MODES)
        if self.compression_long_minutes <= self.compression_short_minutes:
            raise ValueError(
                f"compression_long_minutes ({self.compression_long_minutes}) must exceed "
                f"compression_short_minutes ({self.compression_short_minutes})"
            )
        if self.vpin_bucket_notional is not None:
            _positive("vpin_bucket_notional", self.vpin_bucket_notional)
        if not 0.0 < self.toxicity_quantile < 1.0:
            raise ValueError(f"toxicity_quantile must be in (0, 1), was {self.toxicity_quantile!r}")
        for name in ("risk_fraction", "max_quantity", "max_notional", "max_leverage"):
            _positive(name, getattr(self, name))
        for name in ("stop_multiple", "take_profit_multiple", "limit_timeout_secs"):
            _positive(name, getattr(self, name))
        for name in ("vol_horizon_minutes", "stop_horizon_minutes", "max_hold_minutes"):
            _positive(name, getattr(self, name))

    @property
    def cadence_ns(self) -> int:
        """Return the decision interval in nanoseconds."""
        return self.cadence_minutes * MINUTE_NS

    @property
    def svi_window_ns(self) -> int:
        """Return the signed-volume-imbalance window in nanoseconds (default: one decision)."""
        minutes = self.svi_window_minutes or self.cadence_minutes
        return minutes * MINUTE_NS


def _choice(name: str, value, allowed: tuple) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}, was {value!r}")


def _positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{name} must be positive, was {value!r}")
