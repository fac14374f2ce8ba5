"""Strategy counts: published as ``count.*`` signals, kept in stats.json, drawn in one panel."""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from backtest.frames import ACCOUNT_COLUMNS
from backtest.frames import FILL_COLUMNS
from backtest.frames import POSITION_COLUMNS
from backtest.recorder import LEDGER_COLUMNS
from backtest.report import write_report
from backtest.results import RunOutcome
from backtest.results import write_results
from backtest.stats import series_counts
from backtest.tearsheet.figure import COUNTS_TITLE
from backtest.tearsheet.figure import build_figure
from backtest.tearsheet.figure import series_titles
from tests.backtest.fixtures import MINUTE
from tests.backtest.fixtures import T0

SERIES = pd.DataFrame(
    [
        (T0, "count.alpha_a", 0.0),
        (T0, "count.alpha_b", 0.0),
        (T0 + MINUTE, "features.pressure", 1.7),
        (T0 + MINUTE, "count.alpha_a", 1.0),
        (T0 + 2 * MINUTE, "count.alpha_a", 2.0),
        (T0 + 2 * MINUTE, "features.pressure", -0.3),
    ],
    columns=["ts", "name", "value"],
)


def outcome(series: pd.DataFrame) -> RunOutcome:
    """Return a minimal run that published ``series``."""
    ts = T0 + np.arange(3, dtype=np.int64) * MINUTE
    return RunOutcome(
        run_id="counts-0",
        config={"strategy": {"path": "strategies.toxvol:ToxicityConditionedVolatility"}},
        start_ns=int(ts[0]),
        end_ns=int(ts[-1]),
        currency="USDT",
        stats={"trades": 2},
        fills=pd.DataFrame(columns=FILL_COLUMNS),
        positions=pd.DataFrame(columns=POSITION_COLUMNS),
        equity=pd.DataFrame(
            {"ts": ts, "balance": 1e5, "unrealized_pnl": 0.0, "equity": 1e5, "gross_exposure": 0.0}
        ),
        funding=pd.DataFrame(columns=LEDGER_COLUMNS),
        account=pd.DataFrame(columns=ACCOUNT_COLUMNS),
        series=series,
    )


def test_the_last_value_of_each_count_series_is_the_count():
    # Arrange, Act
    counts = series_counts(SERIES)

    # Assert
    assert counts == {"count.alpha_a": 2, "count.alpha_b": 0}


def test_a_run_without_counts_has_none():
    # Arrange, Act
    counts = series_counts(pd.DataFrame(columns=["ts", "name", "value"]))

    # Assert
    assert counts == {}


def test_the_counts_join_the_run_statistics_and_stats_json(tmp_path: Path):
    # Arrange
    run = outcome(SERIES)

    # Act
    folder = write_results(run, tmp_path)

    # Assert
    stats = json.loads((folder / "stats.json").read_text())
    assert stats.pop("attribution")["net_pnl"] == 0.0  # no fills: nothing to attribute
    assert stats == {"trades": 2, "count.alpha_a": 2, "count.alpha_b": 0}
    assert {k: v for k, v in run.stats.items() if k != "attribution"} == stats


def test_the_report_draws_every_count_in_one_panel():
    # Arrange
    titles = series_titles(SERIES)

    # Act
    figure = build_figure(outcome(SERIES))

    # Assert
    assert titles["count.alpha_a"] == titles["count.alpha_b"] == COUNTS_TITLE
    assert titles["features.pressure"] == "features: pressure"
    panels = [a.text for a in figure.layout.annotations]
    assert panels.count(COUNTS_TITLE) == 1 and "features: pressure" in panels
    # Each panel's own legend names its lines without the panel's prefix.
    rows = {t.name: (t.yaxis, t.legend) for t in figure.data}
    assert rows["alpha_a"] == rows["alpha_b"] != rows["pressure"]


def test_the_report_lists_the_counts_with_the_statistics(tmp_path: Path):
    # Arrange
    run = outcome(SERIES)

    # Act
    page = write_report(run, tmp_path).read_text()

    # Assert
    assert "<tr><th>count.alpha_a</th><td>2</td></tr>" in page
    assert "<tr><th>count.alpha_b</th><td>0</td></tr>" in page
