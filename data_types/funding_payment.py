"""
The event of one funding settlement, published by the runtime's settlement module.

The backtest charges funding itself (Nautilus 1.221 does not): at each ``calc_time`` it settles
``-signed_qty x mark x rate`` on every open position and publishes one ``FundingPayment`` per
position (one with ``signed_qty`` and ``payment`` 0 for a flat book) on
``data.FundingPayment.instrument_id=<id>``. The runner's funding ledger records them; a strategy
that wants its own funding income subscribes like to any custom data::

    self.subscribe_data(DataType(FundingPayment, metadata={"instrument_id": str(instrument_id)}))

and receives each payment in ``on_data``. The event lives here, beside the data types, so that a
strategy imports it without importing the runtime.
"""

from decimal import Decimal

from nautilus_trader.core.data import Data
from nautilus_trader.model.identifiers import InstrumentId


class FundingPayment(Data):
    """
    One funding settlement of one position (or of a flat book: ``signed_qty`` and ``payment`` 0).

    Parameters
    ----------
    instrument_id : InstrumentId
        The settled instrument.
    position_id : str
        The charged position, or ``""`` when flat.
    signed_qty : Decimal
        The position quantity at settlement (negative: short).
    mark : Decimal | None
        The mark price used (``None`` when no price was known yet).
    mark_source : str
        Where the mark comes from: ``mark_kline`` (the exchange's mark price), ``quote_mid``,
        ``last_trade`` or ``bar_close`` (``""`` when no price was known yet).
    rate : Decimal
        The funding rate of the settlement.
    payment : Decimal
        The amount credited to the account (negative: paid), rounded to the currency precision.
    currency : str
        The settlement currency.
    balance_after : Decimal
        The account's total balance in ``currency`` after the settlement.
    ts_event : int
        The funding ``calc_time`` (ns).
    ts_init : int
        When the settlement was applied (ns).

    """

    def __init__(
        self,
        instrument_id: InstrumentId,
        position_id: str,
        signed_qty: Decimal,
        mark: Decimal | None,
        rate: Decimal,
        payment: Decimal,
        currency: str,
        balance_after: Decimal,
        ts_event: int,
        ts_init: int,
        mark_source: str = "",
    ) -> None:
        self.instrument_id = instrument_id
        self.mark_source = mark_source
        self.position_id = position_id
        self.signed_qty = signed_qty
        self.mark = mark
        self.rate = rate
        self.payment = payment
        self.currency = currency
        self.balance_after = balance_after
        self._ts_event = ts_event
        self._ts_init = ts_init

    @property
    def ts_event(self) -> int:
        """Return the funding ``calc_time`` (ns)."""
        return self._ts_event

    @property
    def ts_init(self) -> int:
        """Return when the settlement was applied (ns)."""
        return self._ts_init

    def __repr__(self) -> str:
        return (
            f"FundingPayment({self.instrument_id}, qty={self.signed_qty}, mark={self.mark} ({self.mark_source}), "
            f"rate={self.rate}, payment={self.payment} {self.currency}, ts_event={self.ts_event})"
        )
