"""The command line writes a complete results folder whose statistics match independent calculations."""

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import run_backtest
from backtest.config import StatsSection
from backtest.config import load_config
from backtest.frames import ACCOUNT_COLUMNS
from backtest.frames import FILL_COLUMNS
from backtest.frames import POSITION_COLUMNS
from backtest.plotly_asset import PLOTLY_FILE
from backtest.recorder import LEDGER_COLUMNS
from backtest.report import write_report
from backtest.results import RunOutcome
from backtest.stats import compute_stats
from backtest.tearsheet.figure import decimate
from tests.backtest.fixtures import T0
from tests.backtest.fixtures import write_random_walk_catalog
from tests.backtest.test_stats import brute_force_max_drawdown
from tests.browser import open_page

CONFIG = """
[run]
name = "results-test"

[catalog]
path = "{catalog}"

[period]
start = 2024-01-01T00:00:00Z
end = 2024-01-03T00:00:00Z

[venue]
starting_balance = 50000

[data]
instruments = ["BTCUSDT-PERP.BINANCE"]
chunk_size = 20000

[strategy]
path = "strategies.examples.imbalance_momentum:ImbalanceMomentum"
config_path = "strategies.examples.imbalance_momentum:ImbalanceMomentumConfig"

[strategy.params]
instrument_id = "BTCUSDT-PERP.BINANCE"
bar_type = "BTCUSDT-PERP.BINANCE-1-MINUTE-LAST-EXTERNAL"
fast_period = 10
slow_period = 40
min_hold_bars = 20
trade_notional = 25000.0

[output]
dir = "{output}"
equity_interval_secs = 300
progress = false
"""
FILES = {
    "config.json",
    "stats.json",
    "fills.parquet",
    "positions.parquet",
    "equity.parquet",
    "funding.parquet",
    "account.parquet",
    "series.parquet",
    "trades.parquet",
    "report.html",
}


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """Run ``run_backtest.py`` in-process on two days of a random-walk market."""
    root = tmp_path_factory.mktemp("cli")
    write_random_walk_catalog(
        root / "catalog", T0, days=2, seed=3, quote_every_ms=2_000, trade_every_ms=3_000
    )
    path = root / "run.toml"
    path.write_text(CONFIG.format(catalog=root / "catalog", output=root / "results"))
    code = run_backtest.main([str(path)])
    config = load_config(path)
    folder = root / "results" / config.run_id()
    tables = {
        name: pd.read_parquet(folder / f"{name}.parquet")
        for name in ("fills", "positions", "equity", "funding")
    }
    stats = json.loads((folder / "stats.json").read_text())
    return code, config, folder, stats, tables


def test_the_results_folder_is_named_by_run_and_config_hash_and_holds_every_file(cli_run):
    # Arrange
    code, config, folder, _, _ = cli_run

    # Act
    files = {p.name for p in folder.iterdir()}

    # Assert
    assert code == 0
    assert folder.name == f"results-test-{config.config_hash()}"
    assert files == FILES
    assert json.loads((folder / "config.json").read_text()) == config.resolved()


def test_returns_and_drawdown_match_the_equity_curve(cli_run):
    # Arrange
    _, _, _, stats, tables = cli_run
    equity = [50_000.0] + tables["equity"]["equity"].tolist()

    # Act
    total_return = equity[-1] / 50_000.0 - 1.0
    drawdown = brute_force_max_drawdown(equity)

    # Assert
    assert stats["total_return"] == pytest.approx(total_return, abs=1e-12)
    assert stats["max_drawdown"] == pytest.approx(drawdown, abs=1e-12)
    assert stats["max_drawdown"] > 0


def hourly_returns_by_pandas(
    equity: pd.DataFrame, start: pd.Timestamp, balance: float
) -> np.ndarray:
    """Return hourly returns of the sampled equity: each hour's last sample (pandas resampling)."""
    curve = pd.Series(
        equity["equity"].to_numpy(), index=pd.to_datetime(equity["ts"], utc=True)
    ).sort_index()
    # Bins (t - 1h, t], labelled t: the equity at the last sample at or before each hour's end.
    closes = curve.resample("1h", closed="right", label="right", origin=start).last().ffill()
    closes = np.r_[balance, closes[closes.index > start].to_numpy()]
    return closes[1:] / closes[:-1] - 1.0


def test_the_sample_is_hourly_and_two_days_are_too_few_to_annualise(cli_run):
    # Arrange
    _, _, _, stats, tables = cli_run
    returns = hourly_returns_by_pandas(tables["equity"], pd.Timestamp("2024-01-01", tz="UTC"), 5e4)

    # Act
    sample, intervals = stats["sample"], stats["intervals"]

    # Assert
    assert len(returns) == 48
    assert (sample["frequency"], sample["returns"], sample["days"]) == ("1h", 48, 2.0)
    assert sample["periods_per_year"] == 8760 and sample["sufficient"] is False
    assert stats["sharpe"] == stats["sortino"] == stats["calmar"] == "insufficient"
    assert intervals["sharpe"] == "insufficient"
    assert np.prod(1 + returns) - 1 == pytest.approx(stats["total_return"], abs=1e-12)
    low, high = intervals["total_return"]["low"], intervals["total_return"]["high"]
    assert low < intervals["total_return"]["estimate"] < high
    assert intervals["total_return"]["estimate"] == pytest.approx(stats["total_return"])


def test_with_a_shorter_minimum_sharpe_and_sortino_come_from_hourly_returns(cli_run):
    # Arrange
    _, config, _, stats, tables = cli_run
    returns = hourly_returns_by_pandas(tables["equity"], pd.Timestamp("2024-01-01", tz="UTC"), 5e4)
    settings = StatsSection(min_days=1.0)

    # Act
    again = compute_stats(
        **tables,
        starting_balance=5e4,
        start_ns=config.period.start_ns,
        end_ns=config.period.end_ns,
        events=1,
        wall_secs=1.0,
        settings=settings,
    )

    # Assert
    sharpe = returns.mean() / returns.std(ddof=1) * math.sqrt(8760)
    sortino = returns.mean() / math.sqrt((np.minimum(returns, 0) ** 2).mean()) * math.sqrt(8760)
    assert again["sharpe"] == pytest.approx(sharpe)
    assert again["sortino"] == pytest.approx(sortino)
    assert again["sample"]["sufficient"] is True
    assert again["intervals"]["sharpe"]["estimate"] == pytest.approx(sharpe)
    unchanged = ("total_return", "max_drawdown", "trades", "fees_paid", "funding_net")
    assert {k: again[k] for k in unchanged} == {k: stats[k] for k in unchanged}


def test_trade_fee_and_funding_figures_match_the_tables(cli_run):
    # Arrange
    _, _, _, stats, tables = cli_run
    fills, positions, funding = tables["fills"], tables["positions"], tables["funding"]
    closed = positions[~positions["is_open"]]

    # Act, Assert
    assert stats["trades"] == len(closed) > 0
    assert stats["win_rate"] == pytest.approx((closed["realized_pnl"] > 0).mean())
    assert stats["fees_paid"] == pytest.approx(fills["commission"].sum())
    assert stats["funding_paid"] == pytest.approx(
        -funding.loc[funding["payment"] < 0, "payment"].sum()
    )
    assert stats["funding_received"] == pytest.approx(
        funding.loc[funding["payment"] > 0, "payment"].sum()
    )
    assert stats["turnover"] == pytest.approx((fills["qty"] * fills["price"]).sum() / 50_000.0)
    assert stats["funding_settlements"] == 6
    assert 0.5 < stats["exposure_time"] <= 1.0
    assert stats["events"] > 100_000 and stats["events_per_sec"] > 0


def test_the_report_opens_offline_in_chromium_with_every_panel(cli_run):
    # Arrange
    _, _, folder, _, _ = cli_run

    # Act
    page = open_page(folder / "report.html")

    # Assert: plotly.js comes from the results folder, written there once for all its runs
    assert (folder.parent / PLOTLY_FILE).exists()
    assert f'src="../{PLOTLY_FILE}"' in (folder / "report.html").read_text()
    assert page.errors == []
    assert "main-svg" in page.dom  # plotly drew the figure
    for title in (
        "mark price, entries and exits",
        "Equity and balance",
        "Drawdown",
        "toxicity: book_imbalance",
        "regime: funding_annualized",
        "Funding payments",
    ):
        # a rendered panel title (an SVG text element), not only text in a script
        assert re.search(f">[^<]*{re.escape(title)}", page.dom)


def test_the_summary_names_the_run_and_where_its_results_are(cli_run, capsys, tmp_path: Path):
    # Arrange
    _, config, folder, _, _ = cli_run
    path = tmp_path / "again.toml"
    path.write_text(CONFIG.format(catalog=config.catalog.path, output=tmp_path))

    # Act
    code = run_backtest.main([str(path), "--no-report"])
    out = capsys.readouterr().out

    # Assert
    assert code == 0
    assert config.run_id() in out
    assert f"results: {tmp_path / config.run_id()}" in out
    assert "report:" not in out
    assert not (tmp_path / config.run_id() / "report.html").exists()


def test_thinning_a_long_series_keeps_its_extremes_and_skips_gaps():
    # Arrange
    ts = np.arange(100_000, dtype=np.int64)
    values = np.sin(ts / 5_000.0)
    values[12_345] = -7.0  # a one-sample crash
    values[50_000:50_100] = np.nan  # no price yet / a gap

    # Act
    kept_ts, kept = decimate(ts, values, max_points=1_000)

    # Assert
    assert len(kept) <= 1_000
    assert kept.min() == -7.0 and kept.max() == values[np.isfinite(values)].max()
    assert np.all(np.diff(kept_ts) > 0) and np.isfinite(kept).all()


def test_a_run_without_trades_series_or_funding_still_renders(tmp_path: Path):
    # Arrange
    ts = T0 + np.arange(3, dtype=np.int64) * 60_000_000_000
    outcome = RunOutcome(
        run_id="idle-0",
        config={"strategy": {"path": "strategies.examples.idle:Idle"}},
        start_ns=int(ts[0]),
        end_ns=int(ts[-1]),
        currency="USDT",
        stats={"total_return": 0.0, "sharpe": None},
        fills=pd.DataFrame(columns=FILL_COLUMNS),
        positions=pd.DataFrame(columns=POSITION_COLUMNS),
        equity=pd.DataFrame(
            {
                "ts": ts,
                "balance": 1e5,
                "unrealized_pnl": 0.0,
                "equity": 1e5,
                "gross_exposure": 0.0,
                "price[BTCUSDT-PERP.BINANCE]": [np.nan, 42_000.0, 42_001.0],
            },
        ),
        funding=pd.DataFrame(columns=LEDGER_COLUMNS),
        account=pd.DataFrame(columns=ACCOUNT_COLUMNS),
        series=pd.DataFrame(columns=["ts", "name", "value"]),
    )

    # Act
    path = write_report(outcome, tmp_path)

    # Assert
    page = path.read_text()
    assert "Drawdown" in page and "Funding payments" in page
    assert "Sharpe (365d)</th><td>–" in page
