"""
FundingCarry (the funding-carry research note): short well-funded perpetuals while flow is calm.

Modules: ``config`` (the frozen config), ``decision`` (qualification, slot selection, exits and
the trailing quote-volume window, as pure code), ``strategy`` (the Nautilus wiring).

"""

from strategies.funding_carry.config import FundingCarryConfig
from strategies.funding_carry.strategy import FundingCarry

__all__ = ["FundingCarry", "FundingCarryConfig"]
