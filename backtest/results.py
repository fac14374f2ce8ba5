"""
A finished run as plain data (``RunOutcome``), and the results folder it is written to.

``RunOutcome`` holds only pandas tables and built-in values, so it pickles: sweep workers return it
from another process. ``write_results`` lays out ``<output dir>/<run name>-<config hash>/``::

    config.json       the resolved configuration (every default filled in)
    stats.json        the statistics (see backtest.stats)
    fills.parquet     every fill
    positions.parquet every position lifecycle (round trip)
    equity.parquet    sampled balance, unrealized PnL, equity, exposure and mark prices
    funding.parquet   the funding ledger
    account.parquet   the account's balance history (fills and funding settlements)
    series.parquet    named series published by the strategy (publish_signal)
    trades.parquet    one row per trade: times, side, alpha, regime, exit reason, PnL split
                      into gross, fees and funding (backtest.attribution)
    report.html       the interactive report (when enabled)

"""

import json
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import pandas as pd

from backtest.attribution import attribution_block
from backtest.attribution import trade_table
from backtest.config import StatsSection
from backtest.stats import computed_with
from backtest.stats import return_stats
from backtest.stats import series_counts

TABLES = ("fills", "positions", "equity", "funding", "account", "series", "trades")


@dataclass
class RunOutcome:
    """
    Everything a run produced, as plain data.

    Parameters
    ----------
    run_id : str
        ``<run name>-<config hash>``.
    config : dict[str, Any]
        The resolved configuration.
    start_ns, end_ns : int
        The simulated period (inclusive).
    currency : str
        The account currency.
    stats : dict[str, Any]
        The statistics; the strategy's ``count.*`` totals published in ``series`` are added
        (``backtest.stats.series_counts``), so they reach ``stats.json`` and sweep tables. When
        ``config`` has a ``[stats]`` section whose settings the return statistics were not
        computed with (``backtest.stats.computed_with``), those are computed again from
        ``equity`` with them, so that ``stats.json`` always follows the run's config.
    fills, positions, equity, funding, account, series : pd.DataFrame
        The run's tables.
    notes : list[str]
        What the run says about itself (coverage, rules, ...).
    trades : pd.DataFrame, optional
        One row per trade (``backtest.attribution.trade_table``); built from ``fills`` and
        ``funding`` when not given, and summarised in ``stats["attribution"]``.

    """

    run_id: str
    config: dict[str, Any]
    start_ns: int
    end_ns: int
    currency: str
    stats: dict[str, Any]
    fills: pd.DataFrame
    positions: pd.DataFrame
    equity: pd.DataFrame
    funding: pd.DataFrame
    account: pd.DataFrame
    series: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    trades: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        self.stats = {**self.stats, **series_counts(self.series)}
        if self.trades is None:
            self.trades = trade_table(self.fills, self.funding)
        self.stats["attribution"] = attribution_block(self.trades)
        if "stats" in self.config and "starting_balance" in self.stats:
            settings = StatsSection.model_validate(self.config["stats"])
            if not computed_with(self.stats, settings):
                start = float(self.stats["starting_balance"])
                again = return_stats(self.equity, start, self.start_ns, self.end_ns, settings)
                self.stats = {**self.stats, **again}

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the tables by name."""
        return {name: getattr(self, name) for name in TABLES}


def results_dir(output_dir: str | Path, run_id: str) -> Path:
    """Return the folder a run's results are written to."""
    return Path(output_dir) / run_id


def write_results(outcome: RunOutcome, output_dir: str | Path) -> Path:
    """
    Write the run's configuration, statistics and tables (not the report) to its folder.

    Parameters
    ----------
    outcome : RunOutcome
        The run.
    output_dir : str | Path
        The parent folder (``[output] dir``).

    Returns
    -------
    Path
        The run's folder; an earlier run of the same config is overwritten file by file.

    """
    folder = results_dir(output_dir, outcome.run_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(outcome.config, indent=2) + "\n")
    (folder / "stats.json").write_text(json.dumps(outcome.stats, indent=2) + "\n")
    for name, table in outcome.tables().items():
        table.to_parquet(folder / f"{name}.parquet", index=False)
    return folder
