"""
Charge perpetual funding: a ``SimulationModule`` that settles every ``FundingRate`` on open positions.

Nautilus 1.221 never charges funding, so this module does, per settlement row of the catalog:

    payment = -signed_qty x multiplier x mark x rate        (linear, in the settlement currency)

A positive rate makes longs pay and shorts receive. ``mark`` is the exchange's: the close of the
last mark-price kline (``<id>-1-MINUTE-MARK-EXTERNAL`` bars, from ``markPriceKlines``) closed at or
before ``calc_time``, when the catalog has one closed within ``mark_max_age_ns`` before it. Else
it is the mid of the latest quote at or before ``calc_time``; without any quote yet, the latest
trade price, then the latest bar close (read from the cache at settlement, which by the rule
below holds nothing stamped after ``T``). Each ledger row says which (``mark_source``).

The precise settlement rule (what "at calc_time" means in an event-driven simulation):

- The schedule is read from the catalog when the module is registered (rows with ``calc_time`` in
  the period, one per timestamp and instrument), so funding is charged whether or not the strategy
  subscribes to ``FundingRate``.
- A settlement at ``T`` is applied exactly once, at the first of: the ``FundingRate`` row of ``T``
  being published by the replay actor (a high-priority bus subscription, so before any strategy
  receives it); a market event stamped after ``T`` arriving (``pre_process``, before the matching
  engine, the cache or any strategy sees it); the exchange processing a time ``>= T``
  (``process``). The replay actor publishes the row from a clock alert at ``T``, so the first
  happens at ``T`` even when no market event falls on ``T``; the run's final ``EndOfPeriod`` event
  makes this hold after the last market event too.
- So the charged position is the position after every fill processed before that moment (fills of
  events stamped up to ``T``) and before any fill decided on the funding row or on a later event:
  reacting to the row cannot dodge it. The mark is read from the cache at that moment, so it is the
  latest quote at or before ``T`` and never one stamped after it.
- A flat book at ``T`` still gets a ledger row (quantity and payment 0): the ledger has one row per
  settlement and open position.

The balance changes through a new ``AccountBalance`` and ``generate_account_state`` (never
``adjust_account``, which corrupts the account history), so funding shows in the account report,
the balance and ``PnL (total)``. Each settlement is published as a ``FundingPayment`` on
``data.FundingPayment.instrument_id=<id>``: the runner's ledger and any strategy may subscribe.

"""

from decimal import ROUND_HALF_EVEN
from decimal import Decimal

from nautilus_trader.backtest.config import SimulationModuleConfig
from nautilus_trader.backtest.modules import SimulationModule
from nautilus_trader.common.component import Logger
from nautilus_trader.core.data import Data
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import BarType
from nautilus_trader.model.data import DataType
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import AccountBalance
from nautilus_trader.model.objects import Money
from nautilus_trader.persistence.catalog.parquet import ParquetDataCatalog

from catalog.custom import iter_custom
from data_types import FundingPayment
from data_types import FundingRate

NEVER = 2**63 - 1
MARK_BAR_SPEC = "1-MINUTE-MARK-EXTERNAL"
# Where each ledger row's mark comes from.
MARK_KLINE = "mark_kline"
QUOTE_MID = "quote_mid"
LAST_TRADE = "last_trade"
BAR_CLOSE = "bar_close"
# Settle before any strategy hears of the funding row (strategies subscribe at priority 0).
FUNDING_ROW_PRIORITY = 100


class FundingSettlementConfig(SimulationModuleConfig, frozen=True, kw_only=True):
    """
    Configuration for ``FundingSettlementModule``.

    Parameters
    ----------
    catalog_path : str
        The catalog holding the ``FundingRate`` rows.
    instrument_ids : tuple[str, ...]
        The instruments to settle.
    start_ns, end_ns : int
        The inclusive bounds on the settlements' ``calc_time``.
    bar_types : tuple[str, ...], default ()
        The streamed bar types: the last resort for a mark price.
    use_mark_klines : bool, default True
        Settle at the catalog's mark-price klines where it has them.
    mark_max_age_ns : int, default one hour
        A mark kline closed longer than this before ``calc_time`` is stale: the book is used.

    """

    catalog_path: str
    instrument_ids: tuple[str, ...]
    start_ns: int
    end_ns: int
    bar_types: tuple[str, ...] = ()
    use_mark_klines: bool = True
    mark_max_age_ns: int = 3_600_000_000_000


class FundingSettlementModule(SimulationModule):
    """
    Settle perpetual funding on open positions at each funding ``calc_time``.

    Parameters
    ----------
    config : FundingSettlementConfig
        The configuration.

    """

    def __init__(self, config: FundingSettlementConfig) -> None:
        super().__init__(config)
        self._schedule: list[FundingRate] = []
        self._next_index = 0
        self._next_due = NEVER
        self._bar_types = {
            bt.instrument_id: bt for bt in (BarType.from_str(b) for b in config.bar_types)
        }
        self._data_types: dict[InstrumentId, DataType] = {}
        # Mark-kline close in force at each settlement (instrument, calc_time), read up front.
        self._marks: dict[tuple[InstrumentId, int], Decimal] = {}
        self.totals: dict[str, Decimal] = {}
        self.mark_sources: dict[str, int] = {}

    def register_base(self, portfolio, msgbus, cache, clock) -> None:
        """Register with the exchange's kernel, load the schedule and watch the funding rows."""
        super().register_base(portfolio, msgbus, cache, clock)
        config: FundingSettlementConfig = self.config
        catalog = ParquetDataCatalog(config.catalog_path)
        rows = [
            row
            for instrument_id in config.instrument_ids
            for row in iter_custom(
                catalog, FundingRate, instrument_id, config.start_ns, config.end_ns
            )
        ]
        # Ties between instruments settle in configuration order (sort is stable).
        self._schedule = sorted(rows, key=lambda row: row.ts_init)
        if config.use_mark_klines:
            self._marks = mark_klines_at(catalog, self._schedule, config.mark_max_age_ns)
        self._next_index = 0
        self._next_due = self._schedule[0].ts_init if self._schedule else NEVER
        for instrument_id in config.instrument_ids:
            self._data_types[InstrumentId.from_str(instrument_id)] = DataType(
                FundingPayment,
                metadata={"instrument_id": instrument_id},
            )
        msgbus.subscribe(
            topic="data.FundingRate*", handler=self._on_funding_row, priority=FUNDING_ROW_PRIORITY
        )

    @property
    def schedule(self) -> list[FundingRate]:
        """Return the settlements this run will apply, in order."""
        return list(self._schedule)

    def pre_process(self, data: Data) -> None:
        """Settle what fell due before this market event, before anything else sees the event."""
        if data.ts_init > self._next_due:
            self._settle_through(data.ts_init - 1)

    def process(self, ts_now: int) -> None:
        """Settle everything due at or before the exchange's current time."""
        if ts_now >= self._next_due:
            self._settle_through(ts_now)

    def _on_funding_row(self, row: FundingRate) -> None:
        if row.ts_init >= self._next_due:
            self._settle_through(row.ts_init)

    def _settle_through(self, ts: int) -> None:
        while (
            self._next_index < len(self._schedule)
            and self._schedule[self._next_index].ts_init <= ts
        ):
            self._settle(self._schedule[self._next_index])
            self._next_index += 1
        self._next_due = (
            self._schedule[self._next_index].ts_init
            if self._next_index < len(self._schedule)
            else NEVER
        )

    def mark(self, instrument_id: InstrumentId, calc_time: int | None = None) -> tuple[Decimal | None, str]:
        """
        Return the mark price of a settlement and where it comes from.

        The exchange's mark (the last mark kline closed at or before `calc_time`, read from the
        catalog) when there is one; else the latest quote's mid, else the latest trade, else the
        latest bar close. The cache is read at settlement time, which by the settlement rule is
        before any market event stamped after the settlement, so these are the latest values at
        or before it.

        Parameters
        ----------
        instrument_id : InstrumentId
            The instrument.
        calc_time : int | None
            The settlement's ``calc_time`` (ns); None skips the mark klines.

        Returns
        -------
        tuple[Decimal | None, str]
            The mark (``None`` when no price has been seen yet) and its source (``MARK_KLINE``,
            ``QUOTE_MID``, ``LAST_TRADE``, ``BAR_CLOSE``; ``""`` without a price).

        """
        kline = self._marks.get((instrument_id, calc_time)) if calc_time is not None else None
        if kline is not None:
            return kline, MARK_KLINE
        quote = self.cache.quote_tick(instrument_id)
        if quote is not None:
            return (quote.bid_price.as_decimal() + quote.ask_price.as_decimal()) / 2, QUOTE_MID
        trade = self.cache.trade_tick(instrument_id)
        if trade is not None:
            return trade.price.as_decimal(), LAST_TRADE
        bar_type = self._bar_types.get(instrument_id)
        bar = self.cache.bar(bar_type) if bar_type is not None else None
        return (bar.close.as_decimal(), BAR_CLOSE) if bar is not None else (None, "")

    def _settle(self, row: FundingRate) -> None:
        instrument_id = row.instrument_id
        instrument = self.cache.instrument(instrument_id)
        if instrument is None:
            raise RuntimeError(
                f"cannot settle funding: instrument {instrument_id} is not in the cache"
            )
        currency = instrument.settlement_currency
        account = self.cache.account_for_venue(self.exchange.id)
        if account.balance(currency) is None:
            raise RuntimeError(f"cannot settle funding: the account has no {currency} balance")
        rate = Decimal(repr(row.rate))
        mark, source = self.mark(instrument_id, row.ts_init)
        positions = sorted(
            self.cache.positions_open(instrument_id=instrument_id), key=lambda p: p.id.value
        )
        if positions and mark is None:
            raise RuntimeError(
                f"cannot settle funding on {instrument_id}: no price before {row.ts_init}"
            )
        quantum = Decimal(1).scaleb(-currency.precision)
        multiplier = instrument.multiplier.as_decimal()
        # A flat book still gets a ledger row: every settlement shows up exactly once.
        held = [(p.id.value, p.signed_decimal_qty()) for p in positions] or [("", Decimal(0))]
        for position_id, signed_qty in held:
            notional = Decimal(0)
            if signed_qty:
                # Inverse contracts settle in the base currency: notional / mark.
                notional = signed_qty * multiplier * (1 / mark if instrument.is_inverse else mark)
            payment = (-notional * rate).quantize(quantum, rounding=ROUND_HALF_EVEN)
            if payment:
                self._apply(account, currency, payment, row.ts_init)
            self._record(row, position_id, signed_qty, (mark, source), rate, payment, currency, account)

    def _apply(self, account, currency, payment: Decimal, ts_event: int) -> None:
        balance = account.balance(currency)
        total = balance.total.as_decimal() + payment
        new_balance = AccountBalance(
            total=Money(total, currency),
            locked=balance.locked,
            free=Money(total - balance.locked.as_decimal(), currency),
        )
        self.exchange.exec_client.generate_account_state(
            balances=[new_balance],
            margins=list(account.margins().values()),
            reported=True,
            ts_event=ts_event,
        )

    def _record(self, row, position_id, signed_qty, mark_and_source, rate, payment, currency, account) -> None:
        mark, source = mark_and_source
        self.totals[currency.code] = self.totals.get(currency.code, Decimal(0)) + payment
        self.mark_sources[source] = self.mark_sources.get(source, 0) + 1
        event = FundingPayment(
            instrument_id=row.instrument_id,
            position_id=position_id,
            signed_qty=signed_qty,
            mark=mark,
            mark_source=source,
            rate=rate,
            payment=payment,
            currency=currency.code,
            balance_after=account.balance_total(currency).as_decimal(),
            ts_event=row.ts_init,
            ts_init=self.clock.timestamp_ns(),
        )
        self.publish_data(self._data_types[row.instrument_id], event)

    def log_diagnostics(self, logger: Logger) -> None:
        """Log the net funding per currency."""
        totals = ", ".join(f"{amount} {code}" for code, amount in self.totals.items()) or "none"
        sources = ", ".join(f"{n} at {source or 'no price'}" for source, n in sorted(self.mark_sources.items())) or "none"
        logger.info(f"Funding (net, received positive): {totals}; marks: {sources}")

    def reset(self) -> None:
        """Rewind the schedule."""
        self._next_index = 0
        self._next_due = self._schedule[0].ts_init if self._schedule else NEVER
        self.totals.clear()
        self.mark_sources.clear()


def mark_klines_at(
    catalog: ParquetDataCatalog, schedule: list[FundingRate], max_age_ns: int
) -> dict[tuple[InstrumentId, int], Decimal]:
    """
    Return the exchange's mark price at each settlement: the last mark kline closed by then.

    A kline opening at ``t`` closes at ``t + 1 min`` and is stamped ``t + 1 min - 1 ns`` (the
    ETL's convention), so it is closed at ``calc_time`` when its stamp is before ``calc_time``.
    Only klines stamped within `max_age_ns` before ``calc_time`` count: older ones are stale.

    Parameters
    ----------
    catalog : ParquetDataCatalog
        The catalog holding ``<instrument>-1-MINUTE-MARK-EXTERNAL`` bars (if any).
    schedule : list[FundingRate]
        The settlements.
    max_age_ns : int
        The oldest a mark kline may be.

    Returns
    -------
    dict[tuple[InstrumentId, int], Decimal]
        The mark close per (instrument, calc_time); settlements without one are absent.

    """
    marks: dict[tuple[InstrumentId, int], Decimal] = {}
    has_marks: dict[InstrumentId, bool] = {}
    for row in schedule:
        bar_type = f"{row.instrument_id}-{MARK_BAR_SPEC}"
        if row.instrument_id not in has_marks:
            has_marks[row.instrument_id] = bool(catalog.get_intervals(Bar, bar_type))
        if not has_marks[row.instrument_id]:
            continue
        # One settlement reads at most max_age of bars (an hour: 60 rows), not the period.
        bars = catalog.query(
            Bar, identifiers=[bar_type], start=row.ts_init - max_age_ns, end=row.ts_init - 1
        )
        if bars:
            last = max(bars, key=lambda bar: bar.ts_init)
            marks[(row.instrument_id, row.ts_init)] = last.close.as_decimal()
    return marks
