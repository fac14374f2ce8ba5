"""The frozen configuration of ``FundingCarry`` (the funding-carry research note)."""

from nautilus_trader.config import NonNegativeFloat
from nautilus_trader.config import PositiveFloat
from nautilus_trader.config import PositiveInt
from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.data import BarSpecification
from nautilus_trader.model.identifiers import InstrumentId


class FundingCarryConfig(StrategyConfig, frozen=True, kw_only=True):
    """
    Configuration for ``FundingCarry``.

    Parameters
    ----------
    instrument_ids : list[InstrumentId]
        The perpetuals to harvest (each needs its 1-minute klines, trades, quotes and funding).
    bar_spec : BarSpecification, default "1-MINUTE-LAST"
        The klines' spec: the strategy reads ``<instrument>-<bar_spec>-EXTERNAL``.
    entry_annualized : float, default 0.20
        Short a perpetual when its annualised funding (rate × settlements per day × 365)
        exceeds this.
    exit_annualized : float, default 0.03
        Close it when the annualised funding falls below this.
    vpin_entry_max : float, default 0.80
        Enter only while the trade-based VPIN is below this.
    vpin_exit : float, default 0.90
        Close when VPIN rises above this (a toxic episode: informed flow runs the price).
    vpin_window : int, default 50
        Buckets in VPIN.
    vpin_bucket_minutes : int, default 1
        VPIN buckets hold the median volume per this many minutes ...
    vpin_lookback_periods : int, default 240
        ... over the trailing this many such periods.
    max_symbols : int, default 3
        N: at most this many perpetuals held, each an equal slot of the budget.
    gross_exposure : float, default 1.0
        The budget: the notional of all N slots together as a fraction of equity.
    min_quote_volume : float, default 100_000_000.0
        A perpetual qualifies only with at least this much quote volume over the trailing
        ``volume_window_hours`` (0 disables the filter).
    volume_window_hours : float, default 24.0
        The quote-volume window; the filter is unknown (no entry) until it has elapsed.
    hedge_with_spot : bool, default False
        Hold a long spot leg of the same quantity (``BTCUSDT-PERP.BINANCE`` → ``BTCUSDT.BINANCE``,
        which must be in the run's instruments).
    publish_series : bool, default True
        Publish each perpetual's annualised funding and VPIN on its bars for the report.

    """

    instrument_ids: list[InstrumentId]
    bar_spec: BarSpecification = BarSpecification.from_str("1-MINUTE-LAST")
    entry_annualized: float = 0.20
    exit_annualized: float = 0.03
    vpin_entry_max: float = 0.80
    vpin_exit: float = 0.90
    vpin_window: PositiveInt = 50
    vpin_bucket_minutes: PositiveInt = 1
    vpin_lookback_periods: PositiveInt = 240
    max_symbols: PositiveInt = 3
    gross_exposure: PositiveFloat = 1.0
    min_quote_volume: NonNegativeFloat = 100_000_000.0
    volume_window_hours: PositiveFloat = 24.0
    hedge_with_spot: bool = False
    publish_series: bool = True

    def __post_init__(self) -> None:
        if not self.instrument_ids:
            raise ValueError("instrument_ids must name at least one perpetual")
        if self.exit_annualized >= self.entry_annualized:
            raise ValueError(
                f"exit_annualized ({self.exit_annualized}) must be below entry_annualized "
                f"({self.entry_annualized})"
            )
        if self.vpin_exit < self.vpin_entry_max:
            raise ValueError(
                f"vpin_exit ({self.vpin_exit}) must not be below vpin_entry_max "
                f"({self.vpin_entry_max})"
            )
        if self.max_symbols < 1:
            raise ValueError(f"max_symbols must be >= 1, was {self.max_symbols!r}")
        if not self.gross_exposure > 0:
            raise ValueError(f"gross_exposure must be positive, was {self.gross_exposure!r}")
        if self.volume_window_hours <= 0:
            raise ValueError(
                f"volume_window_hours must be positive, was {self.volume_window_hours!r}"
            )
