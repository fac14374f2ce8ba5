"""
Run configuration: a TOML file validated by pydantic models.

Every section forbids unknown keys, and every error names the dotted key and the offending value,
so a typo fails before any data is read. ``backtest.node.build_run_config`` turns a validated
``RunConfig`` into a Nautilus ``BacktestRunConfig``.

"""

import hashlib
import json
import tomllib
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from typing import Literal

import msgspec
from nautilus_trader.common.config import resolve_path
from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.identifiers import InstrumentId
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import ValidationError
from pydantic import field_validator
from pydantic import model_validator

# "mark": the exchange's mark-price klines as bars (``<id>-1-MINUTE-MARK-EXTERNAL``); "index" and
# "premium": ``IndexPriceKline`` and ``PremiumIndexKline`` custom data, replayed like funding.
Family = Literal["trades", "quotes", "bars", "funding", "metrics", "mark", "index", "premium"]
# "tick": every quote and trade, indicators live; "features": tick-fed indicators precomputed and
# the execution stream conflated (backtest.fidelity).
Fidelity = Literal["tick", "features"]
DEFAULT_CONFLATION_MS = 1_000
MINUTE_MS = 60_000
MARKET_FAMILIES: tuple[Family, ...] = ("trades", "quotes", "bars")
CUSTOM_FAMILIES: tuple[Family, ...] = ("funding", "metrics", "index", "premium")
MARK_BAR_SPEC = "1-MINUTE-MARK"
HASH_LENGTH = 10
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ConfigError(ValueError):
    """
    A run configuration that cannot be used; each entry of ``problems`` names a key and a value.

    Parameters
    ----------
    source : str
        Where the configuration came from (a file path or ``"<dict>"``).
    problems : list[str]
        One line per problem, each starting with the dotted key.

    """

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(
            f"invalid run config {source}:\n" + "\n".join(f"  - {p}" for p in problems)
        )


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RunSection(_Section):
    """Name the run; the results folder is ``<name>-<config hash>``."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=80)
    trader_id: str = Field(default="BACKTESTER-001", pattern=r"^[A-Za-z0-9_]+-[A-Za-z0-9_]+$")


class CatalogSection(_Section):
    """Locate the ParquetDataCatalog (a relative path is relative to the working directory)."""

    path: str = "data/catalog"

    def resolved(self) -> Path:
        """Return the catalog's absolute path (a relative path is relative to the working directory)."""
        return Path(self.path).expanduser().resolve()


class PeriodSection(_Section):
    """
    The simulated period ``[start, end)`` in UTC; dates mean midnight UTC.

    ``warmup`` (an ISO 8601 duration, ``"P2D"``, ``"PT12H"``) streams the data from
    ``start - warmup``: indicators and data handlers see it, orders are refused until ``start``,
    and equity, statistics and funding start at ``start``. ``allow_gaps`` runs over a catalog that
    does not cover the whole period (else the run fails, listing the missing days); statistics then
    use the covered time only.
    """

    start: datetime
    end: datetime
    warmup: timedelta = timedelta(0)
    allow_gaps: bool = False

    @field_validator("start", "end", mode="before")
    @classmethod
    def _to_utc(cls, value: Any) -> Any:
        # TOML gives native dates and datetimes; naive values are taken as UTC.
        if isinstance(value, date) and not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day)
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    @model_validator(mode="after")
    def _ordered(self) -> "PeriodSection":
        if self.end <= self.start:
            raise ValueError(
                f"end ({self.end.isoformat()}) must be after start ({self.start.isoformat()})"
            )
        if self.warmup < timedelta(0):
            raise ValueError(f"warmup ({self.warmup}) must not be negative")
        return self

    @property
    def stream_start_ns(self) -> int:
        """Return the first streamed nanosecond: ``start - warmup``."""
        return _to_ns(self.start - self.warmup)

    @property
    def start_ns(self) -> int:
        """Return the first simulated nanosecond."""
        return _to_ns(self.start)

    @property
    def end_ns(self) -> int:
        """Return the last simulated nanosecond (the period is half-open)."""
        return _to_ns(self.end) - 1


class FeeOverride(_Section):
    """Replace the catalog instruments' maker/taker fee rates (fractions of notional)."""

    maker: Decimal = Field(ge=Decimal("-0.01"), le=Decimal("0.01"))
    taker: Decimal = Field(ge=Decimal("0"), le=Decimal("0.01"))


class VenueSection(_Section):
    """The simulated Binance USD-M account."""

    name: str = "BINANCE"
    oms_type: Literal["NETTING", "HEDGING"] = "NETTING"
    currency: str = "USDT"
    starting_balance: Decimal = Field(default=Decimal(100_000), gt=0)
    leverage: Decimal = Field(default=Decimal(10), gt=0, le=125)
    leverages: dict[str, Decimal] = Field(default_factory=dict)
    fees: FeeOverride | None = None
    charge_funding: bool = True


class DataSection(_Section):
    """Which instruments and data families the run streams or replays."""

    instruments: list[str] = Field(min_length=1)
    families: list[Family] = Field(
        default_factory=lambda: ["trades", "quotes", "bars", "funding", "metrics"]
    )
    bar_spec: str = "1-MINUTE-LAST"
    chunk_size: int = Field(default=50_000, gt=0)
    fidelity: Fidelity = "tick"
    quote_conflation_ms: int | None = Field(default=None, ge=0)

    @field_validator("quote_conflation_ms")
    @classmethod
    def _divides_the_minute(cls, value: int | None) -> int | None:
        # Intervals that divide the minute end on minute boundaries, so the quote in force at
        # every kline close is kept and decisions see the same quote in both fidelities.
        if value and MINUTE_MS % value:
            raise ValueError(f"must divide {MINUTE_MS} (one minute), e.g. 100, 250, 500, 1000, 5000")
        return value

    @model_validator(mode="after")
    def _conflation_needs_features(self) -> "DataSection":
        if self.fidelity == "tick" and self.quote_conflation_ms:
            raise ValueError(
                f"data.quote_conflation_ms = {self.quote_conflation_ms}: only with data.fidelity = "
                "'features' (tick fidelity streams every quote)"
            )
        return self

    @property
    def conflation_ms(self) -> int:
        """Return the quote conflation interval in force (0: every quote and trade is streamed)."""
        if self.fidelity == "tick":
            return 0
        return DEFAULT_CONFLATION_MS if self.quote_conflation_ms is None else self.quote_conflation_ms

    @field_validator("instruments")
    @classmethod
    def _instrument_ids(cls, value: list[str]) -> list[str]:
        for text in value:
            InstrumentId.from_str(text)  # raises ValueError naming the text
        if len(set(value)) != len(value):
            raise ValueError("instruments must be unique")
        return value

    @field_validator("families")
    @classmethod
    def _families(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("families must be unique")
        if not set(value) & set(MARKET_FAMILIES):
            raise ValueError(
                f"at least one market family is needed, one of {list(MARKET_FAMILIES)}"
            )
        return value

    @property
    def instrument_ids(self) -> list[InstrumentId]:
        """Return the instrument ids as Nautilus identifiers."""
        return [InstrumentId.from_str(text) for text in self.instruments]

    def bar_types(self) -> list[str]:
        """Return the streamed bar types (bars are always EXTERNAL, stamped at their close)."""
        return [f"{i}-{self.bar_spec}-EXTERNAL" for i in self.instruments]

    def mark_bar_types(self) -> list[str]:
        """Return the mark-price kline bar types (family ``mark``)."""
        return [f"{i}-{MARK_BAR_SPEC}-EXTERNAL" for i in self.instruments]


class StrategySection(_Section):
    """The strategy class, its frozen config class, and the config's parameters."""

    path: str = Field(pattern=r"^[\w.]+:\w+$")
    config_path: str = Field(pattern=r"^[\w.]+:\w+$")
    params: dict[str, Any] = Field(default_factory=dict)


# "l1": Nautilus's L1 fills; "depth": takers walk the depth beyond the touch; "depth+queue": and
# resting orders keep a queue position (backtest.execution).
ExecutionModel = Literal["l1", "depth", "depth+queue"]


class ExecutionSection(_Section):
    """
    Order execution realism of the simulated venue (``backtest.execution``).

    ``latency_ms`` delays every order command (submit, cancel, modify) by that time; ``model``
    picks how fills are simulated; ``impact_coefficient`` and ``impact_window_minutes`` calibrate
    the square-root depth profile used where the catalog has no recent ``bookDepth`` snapshot
    (older than ``book_depth_max_age_secs``).

    """

    model: ExecutionModel = "l1"
    latency_ms: float = Field(default=0.0, ge=0, le=60_000)
    impact_coefficient: float = Field(default=1.0, gt=0, le=100)
    impact_window_minutes: int = Field(default=1_440, ge=2, le=43_200)
    book_depth_max_age_secs: int = Field(default=600, gt=0, le=86_400)
    prob_fill_on_limit: float = Field(default=1.0, ge=0, le=1)
    prob_slippage: float = Field(default=0.0, ge=0, le=1)
    seed: int = Field(default=42, ge=0)
    use_reduce_only: bool = True


class OutputSection(_Section):
    """Where results go and how the run talks to the terminal."""

    dir: str = "results"
    equity_interval_secs: int = Field(default=60, gt=0, le=86_400)
    report: bool = True
    progress: bool = True
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "ERROR"


class StatsSection(_Section):
    """
    How the run's return statistics are computed (``backtest.stats``, ``backtest.statistics``).

    Returns are taken from the sampled equity curve every ``return_interval_secs`` (a multiple of
    ``[output] equity_interval_secs``) and annualised over a 365-day year. Below ``min_returns``
    returns or ``min_days`` days the annualised ratios (Sharpe, Sortino, CAGR, Calmar) are reported
    as ``"insufficient"``; below ``min_returns`` so are the bootstrap intervals. Intervals come from
    ``bootstrap_resamples`` stationary block bootstrap resamples drawn from ``seed``.

    """

    return_interval_secs: int = Field(default=3_600, gt=0, le=86_400)
    min_returns: int = Field(default=30, ge=2)
    min_days: float = Field(default=30.0, ge=0)
    confidence: float = Field(default=0.95, gt=0, lt=1)
    bootstrap_resamples: int = Field(default=1_000, ge=100, le=100_000)
    seed: int = Field(default=0, ge=0)


# Keys that change how a run is shown or where it is written, never its numbers.
_PRESENTATION_KEYS: dict[str, set[str]] = {
    "run": {"name"},
    "output": {"dir", "report", "progress", "log_level"},
}


# (section, key, default as JSON) of keys added after results were first written.
_LATER_KEYS: tuple[tuple[str, str, Any], ...] = (
    ("period", "warmup", "PT0S"),
    ("period", "allow_gaps", False),
)


class RunConfig(_Section):
    """
    One backtest run, as written in a TOML file.

    Sections: ``[run]``, ``[catalog]``, ``[period]``, ``[venue]`` (``[venue.fees]``),
    ``[data]``, ``[strategy]`` (``[strategy.params]``), ``[execution]``, ``[output]``,
    ``[stats]``.

    """

    run: RunSection
    catalog: CatalogSection = CatalogSection()
    period: PeriodSection
    venue: VenueSection = VenueSection()
    data: DataSection
    strategy: StrategySection
    execution: ExecutionSection = ExecutionSection()
    output: OutputSection = OutputSection()
    stats: StatsSection = StatsSection()

    @model_validator(mode="after")
    def _returns_on_samples(self) -> "RunConfig":
        # A return interval that is not a whole number of sampling intervals would measure some
        # returns over one sample fewer than others.
        if self.stats.return_interval_secs % self.output.equity_interval_secs:
            raise ValueError(
                f"stats.return_interval_secs = {self.stats.return_interval_secs}: must be a "
                f"multiple of output.equity_interval_secs = {self.output.equity_interval_secs}",
            )
        return self

    @model_validator(mode="after")
    def _cross_checks(self) -> "RunConfig":
        if self.venue.charge_funding and "funding" not in self.data.families:
            raise ValueError(
                "data.families must include 'funding' while venue.charge_funding is true: "
                "the replayed funding rows drive the settlement clock",
            )
        unknown = sorted(set(self.venue.leverages) - set(self.data.instruments))
        if unknown:
            raise ValueError(f"venue.leverages = {unknown}: not in data.instruments")
        for instrument in self.data.instrument_ids:
            if instrument.venue.value != self.venue.name:
                raise ValueError(
                    f"data.instruments: {instrument} is not on venue.name = {self.venue.name!r}"
                )
        return self

    def strategy_config_class(self) -> type[StrategyConfig]:
        """Return the imported strategy config class."""
        return resolve_path(self.strategy.config_path)

    def config_hash(self) -> str:
        """
        Return a short hash of every setting that can change the run's numbers.

        The run name and the presentation settings of ``[output]`` are left out, so renaming a run
        or turning the report off keeps its hash.

        """
        data = self.model_dump(mode="json")
        for section, keys in _PRESENTATION_KEYS.items():
            for key in keys:
                data[section].pop(key, None)
        # Keys added later are hashed only when set, so that older configs keep their hash (and
        # their results folders and sweep rows).
        for section, key, default in _LATER_KEYS:
            if data[section].get(key) == default:
                data[section].pop(key, None)
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:HASH_LENGTH]

    def run_id(self) -> str:
        """Return ``<run name>-<config hash>``, the results folder name."""
        return f"{self.run.name}-{self.config_hash()}"

    def resolved(self) -> dict[str, Any]:
        """Return the configuration with every default filled in, as JSON-ready data."""
        return self.model_dump(mode="json")


def _to_ns(value: datetime) -> int:
    # Integer arithmetic: float seconds would round away nanosecond-exact boundaries.
    return (value - _EPOCH) // timedelta(microseconds=1) * 1_000


def _dotted(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _describe(error: dict[str, Any]) -> str:
    message = error["msg"].removeprefix("Value error, ")
    if not error["loc"]:
        return message  # a cross-section check: its message starts with the keys involved
    key = _dotted(error["loc"])
    value = error.get("input")
    if error["type"] == "extra_forbidden":
        return f"{key} = {value!r}: unknown key"
    if error["type"] == "missing":
        return f"{key}: required key is missing"
    if isinstance(value, dict):
        return f"{key}: {message}"
    return f"{key} = {value!r}: {message}"


def _check_strategy_params(config: RunConfig) -> list[str]:
    section = config.strategy
    problems: list[str] = []
    for key, path in (
        ("strategy.path", section.path),
        ("strategy.config_path", section.config_path),
    ):
        try:
            resolve_path(path)
        except (ImportError, AttributeError) as e:
            problems.append(f"{key} = {path!r}: cannot import ({e})")
    if problems:
        return problems
    config_cls = config.strategy_config_class()
    if not (isinstance(config_cls, type) and issubclass(config_cls, StrategyConfig)):
        return [f"strategy.config_path = {section.config_path!r}: not a StrategyConfig subclass"]
    fields = {f.name for f in msgspec.structs.fields(config_cls)}
    # The hint lists the strategy's own parameters, not the StrategyConfig base ones.
    own = sorted(fields - {f.name for f in msgspec.structs.fields(StrategyConfig)})
    for key in sorted(set(section.params) - fields):
        problems.append(
            f"strategy.params.{key} = {section.params[key]!r}: unknown parameter of "
            f"{config_cls.__name__} (its parameters: {', '.join(own)})",
        )
    if problems:
        return problems
    try:
        config_cls.parse(msgspec.json.encode(section.params))
    except msgspec.ValidationError as e:
        # msgspec says "... - at `$.name`": name the key and show its value.
        text = str(e)
        key = text.rsplit("`$.", 1)[1].rstrip("`").split(".")[0] if "`$." in text else ""
        value = f" = {section.params[key]!r}" if key in section.params else ""
        problems.append(
            f"strategy.params.{key}{value}: {text}" if key else f"strategy.params: {text}"
        )
    for key in ("instrument_id", "instrument_ids"):
        values = section.params.get(key)
        wanted = [values] if isinstance(values, str) else list(values or [])
        for text in wanted:
            if text not in config.data.instruments:
                problems.append(
                    f"strategy.params.{key} = {text!r}: not in data.instruments {config.data.instruments}",
                )
    return problems


def parse_config(data: dict[str, Any], source: str = "<dict>") -> RunConfig:
    """
    Validate a run configuration given as nested dicts (a parsed TOML document).

    Parameters
    ----------
    data : dict[str, Any]
        The configuration, one dict per section.
    source : str, default "<dict>"
        Where the data came from, for the error message.

    Returns
    -------
    RunConfig

    Raises
    ------
    ConfigError
        If any key is unknown, missing or has a bad value; every problem names its key and value.

    """
    try:
        config = RunConfig.model_validate(data)
    except ValidationError as e:
        raise ConfigError(source, [_describe(err) for err in e.errors()]) from None
    problems = _check_strategy_params(config)
    if problems:
        raise ConfigError(source, problems)
    return config


def load_config(path: str | Path) -> RunConfig:
    """
    Read and validate a TOML run configuration.

    Parameters
    ----------
    path : str | Path
        The TOML file.

    Returns
    -------
    RunConfig

    Raises
    ------
    ConfigError
        If the file is missing, is not valid TOML, or fails validation.

    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(str(path), ["file not found"]) from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(str(path), [f"not valid TOML: {e}"]) from None
    return parse_config(data, source=str(path))
