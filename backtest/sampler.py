"""
Sample the account on a simulated-time timer: balance, unrealized PnL, equity and mark prices.

Nautilus 1.221 has no equity curve; the drawdown, Sharpe and Sortino figures come from these
samples (one at the start, one per interval, one at the stop).

"""

import pandas as pd
from nautilus_trader.common.actor import Actor
from nautilus_trader.common.config import ActorConfig
from nautilus_trader.common.events import TimeEvent
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import Venue
from nautilus_trader.model.objects import Currency


class EquitySamplerConfig(ActorConfig, frozen=True, kw_only=True):
    """
    Configuration for ``EquitySampler``.

    Parameters
    ----------
    venue : str
        The venue whose account is sampled.
    currency : str
        The account currency.
    instrument_ids : tuple[str, ...]
        The instruments whose mark prices are sampled too.
    interval_ns : int
        The simulated time between samples.

    """

    venue: str
    currency: str
    instrument_ids: tuple[str, ...]
    interval_ns: int
    component_id: str = "EquitySampler"


class EquitySampler(Actor):
    """
    Record balance + unrealized PnL (equity) and mark prices on a timer.

    Parameters
    ----------
    config : EquitySamplerConfig
        The configuration.

    """

    def __init__(self, config: EquitySamplerConfig) -> None:
        super().__init__(config)
        self._venue = Venue(config.venue)
        self._currency = Currency.from_str(config.currency)
        self._instrument_ids = [InstrumentId.from_str(i) for i in config.instrument_ids]
        self.samples: dict[str, list] = self._empty()

    def _empty(self) -> dict[str, list]:
        columns = ["ts", "balance", "unrealized_pnl", "equity", "gross_exposure"]
        columns += [f"price[{i}]" for i in self._instrument_ids]
        return {name: [] for name in columns}

    def on_start(self) -> None:
        """Take the first sample and start the timer."""
        self._sample()
        self.clock.set_timer_ns("equity-sampler", self.config.interval_ns, 0, 0, self._on_timer)

    def on_stop(self) -> None:
        """Take the last sample (at the last simulated event)."""
        self._sample()

    def _on_timer(self, event: TimeEvent) -> None:
        self._sample()

    def _mark(self, instrument_id: InstrumentId) -> float:
        quote = self.cache.quote_tick(instrument_id)
        if quote is not None:
            return (quote.bid_price.as_double() + quote.ask_price.as_double()) / 2.0
        trade = self.cache.trade_tick(instrument_id)
        return trade.price.as_double() if trade is not None else float("nan")

    def _sample(self) -> None:
        account = self.portfolio.account(self._venue)
        if account is None:
            return
        ts = self.clock.timestamp_ns()
        samples = self.samples
        if samples["ts"] and samples["ts"][-1] == ts:
            for (
                column
            ) in samples.values():  # the stop sample replaces a timer sample at the same time
                column.pop()
        balance = account.balance_total(self._currency).as_double()
        unrealized = self.portfolio.unrealized_pnls(self._venue).get(self._currency)
        upnl = unrealized.as_double() if unrealized is not None else 0.0
        marks = {instrument_id: self._mark(instrument_id) for instrument_id in self._instrument_ids}
        exposure = 0.0
        for position in self.cache.positions_open(venue=self._venue):
            mark = marks.get(position.instrument_id, float("nan"))
            exposure += position.quantity.as_double() * position.multiplier.as_double() * mark
        samples["ts"].append(ts)
        samples["balance"].append(balance)
        samples["unrealized_pnl"].append(upnl)
        samples["equity"].append(balance + upnl)
        samples["gross_exposure"].append(exposure)
        for instrument_id, mark in marks.items():
            samples[f"price[{instrument_id}]"].append(mark)

    def frame(self) -> pd.DataFrame:
        """Return the samples as a table, one row per sample."""
        return pd.DataFrame(self.samples).astype({"ts": "int64"})

    def on_reset(self) -> None:
        """Drop the samples."""
        self.samples = self._empty()
