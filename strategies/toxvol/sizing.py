"""
Volatility-target sizing: ``N = b·E / (σ̂·√H)``, quantity ``N / P``, capped, on the lot grid.

``b`` is the equity fraction risked over the horizon H: a one-sigma move over H costs ``b·E``.
It shrinks when the spread or VPIN is high (both as z-scores of the decision), because a wide or
toxic market makes each unit of exposure dearer to enter and to leave.

"""

import math
from dataclasses import dataclass

from strategies.toxvol.config import ToxVolConfig


@dataclass(frozen=True, slots=True)
class Size:
    """
    A sized entry.

    Parameters
    ----------
    quantity : float
        The order quantity (base units), a multiple of the lot step; 0 means do not trade.
    notional : float
        ``quantity × price``.
    risk_fraction : float
        The ``b`` used, after shrinking.
    target_notional : float
        ``N = b·E / (σ̂·√H)`` before the caps.
    cap : str | None
        The cap that bound: ``"max_quantity"``, ``"max_notional"``, ``"max_leverage"``, or
        ``None`` when the target itself was used.

    """

    quantity: float
    notional: float
    risk_fraction: float
    target_notional: float
    cap: str | None


def shrunk_risk_fraction(z_spread: float, z_vpin: float, config: ToxVolConfig) -> float:
    """
    Return b shrunk by a wide spread or a high VPIN.

    ``b = risk_fraction / (1 + spread_penalty·max(z_spread, 0) + vpin_penalty·max(z_vpin, 0))``;
    a NaN z-score counts as 0 (no evidence of a wide or toxic market).

    """
    excess = config.spread_penalty * _positive_part(z_spread)
    excess += config.vpin_penalty * _positive_part(z_vpin)
    return config.risk_fraction / (1.0 + excess)


def _positive_part(z: float) -> float:
    return z if z > 0.0 else 0.0  # NaN > 0 is False


def position_size(
    equity: float,
    price: float,
    sigma: float,
    z_spread: float,
    z_vpin: float,
    lot_step: float,
    config: ToxVolConfig,
) -> Size:
    """
    Return the entry size: ``N = b·E / (σ̂·√H)``, capped by quantity, notional and leverage.

    The quantity is rounded down to the lot step, so no cap is ever exceeded.

    Parameters
    ----------
    equity : float
        E, the account equity (quote currency).
    price : float
        P, the reference price.
    sigma : float
        σ̂, the per-minute volatility of log returns.
    z_spread, z_vpin : float
        The decision's z-scores of the relative spread and of VPIN (they shrink b).
    lot_step : float
        The instrument's size increment.
    config : ToxVolConfig
        ``risk_fraction``, the penalties, ``vol_horizon_minutes`` (H) and the caps.

    Returns
    -------
    Size
        Quantity 0 when σ̂, the price or the equity is not positive and finite.

    """
    b = shrunk_risk_fraction(z_spread, z_vpin, config)
    if not all(math.isfinite(x) and x > 0.0 for x in (equity, price, sigma)):
        return Size(0.0, 0.0, b, math.nan, None)
    target = b * equity / (sigma * math.sqrt(config.vol_horizon_minutes))
    limits = {
        None: target / price,
        "max_quantity": config.max_quantity,
        "max_notional": config.max_notional / price,
        "max_leverage": config.max_leverage * equity / price,
    }
    cap = min(limits, key=limits.__getitem__)
    # A tiny epsilon keeps an exact multiple (e.g. 0.3 / 0.001) from flooring one step short.
    quantity = math.floor(limits[cap] / lot_step + 1e-9) * lot_step
    quantity = round(quantity, _decimals(lot_step))
    return Size(quantity, quantity * price, b, target, cap)


def _decimals(step: float) -> int:
    return max(0, -math.floor(math.log10(step))) if step < 1 else 0
