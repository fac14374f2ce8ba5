"""
A maker/taker fee model with rates from the run config instead of the catalog instrument.

The catalog stores each instrument with its real fee schedule; ``[venue.fees]`` overrides it for a
run (a VIP tier, a rebate study) without rewriting the catalog.

"""

from decimal import Decimal

from nautilus_trader.backtest.config import FeeModelConfig
from nautilus_trader.backtest.models import FeeModel
from nautilus_trader.model.enums import LiquiditySide
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import Money
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity
from nautilus_trader.model.orders import Order


class OverrideFeeModelConfig(FeeModelConfig, frozen=True, kw_only=True):
    """
    Configuration for ``OverrideFeeModel``.

    Parameters
    ----------
    maker_fee : str
        The maker rate as a decimal string (negative: rebate).
    taker_fee : str
        The taker rate as a decimal string.

    """

    maker_fee: str
    taker_fee: str


class OverrideFeeModel(FeeModel):
    """
    Charge ``notional x rate`` with the configured maker and taker rates.

    Parameters
    ----------
    config : OverrideFeeModelConfig
        The configuration.

    """

    def __init__(self, config: OverrideFeeModelConfig) -> None:
        self._rates = {
            LiquiditySide.MAKER: float(Decimal(config.maker_fee)),
            LiquiditySide.TAKER: float(Decimal(config.taker_fee)),
        }

    def get_commission(
        self, order: Order, fill_qty: Quantity, fill_px: Price, instrument: Instrument
    ) -> Money:
        """Return the commission of one fill, in the currency Nautilus's own maker/taker model uses."""
        notional = instrument.notional_value(fill_qty, fill_px, use_quote_for_inverse=False)
        rate = self._rates.get(order.liquidity_side)
        if rate is None:
            raise ValueError(
                f"invalid liquidity side {order.liquidity_side} for {order.client_order_id}"
            )
        return Money(notional.as_double() * rate, notional.currency)
