"""
The tearsheet (report.html): daily returns and shaded periods against independent calculations,
one dated axis and one legend per panel, and the page opened in headless Chromium.
"""

import re

import numpy as np
import pandas as pd
import pytest

from backtest.attribution import trade_table
from backtest.frames import ACCOUNT_COLUMNS
from backtest.plotly_asset import PLOTLY_FILE
from backtest.report import write_report
from backtest.results import RunOutcome
from backtest.tearsheet.data import Span
from backtest.tearsheet.data import daily_returns
from backtest.tearsheet.data import regime_spans
from backtest.tearsheet.data import toxic_spans
from backtest.tearsheet.figure import build_figure
from data_types.trade_tags import entry_tags
from data_types.trade_tags import exit_tags
from tests.backtest.fixtures import HOUR
from tests.backtest.fixtures import MINUTE
from tests.backtest.fixtures import T0
from tests.browser import open_page

DAYS = 3
START = 100_000.0


def _series() -> pd.DataFrame:
    rows = []
    # regime: neutral, crowded long from 02:00, again (merged) at 03:00, neutral at 05:00,
    # crowded short from 20:00 to the end
    for hour, state in ((0, 0), (2, 1), (3, 1), (5, 0), (20, -1)):
        rows.append((T0 + hour * HOUR, "regime.state", float(state)))
    for hour, toxic in ((0, 0), (1, 1), (4, 0), (30, 1), (31, 0)):
        rows.append((T0 + hour * HOUR, "toxicity.toxic", float(toxic)))
    rows += [(T0 + h * HOUR, "toxicity.vpin", 0.3 + 0.01 * h) for h in range(0, 72, 6)]
    rows += [(T0, "count.alpha_a", 0.0), (T0 + 2 * HOUR, "count.alpha_a", 1.0)]
    return pd.DataFrame(rows, columns=["ts", "name", "value"])


def _fills() -> pd.DataFrame:
    rows = [
        (T0 + 2 * HOUR, "BUY", 1.0, 42_000.0, 4.2, ",".join(entry_tags("A", 0))),
        (T0 + 7 * HOUR, "SELL", 1.0, 42_500.0, 4.25, ",".join(exit_tags("take_profit"))),
        (T0 + 30 * HOUR, "SELL", 2.0, 42_100.0, 8.4, ",".join(entry_tags("B", 1))),
        (T0 + 50 * HOUR, "BUY", 2.0, 42_300.0, 8.5, ",".join(exit_tags("stop"))),
    ]
    frame = pd.DataFrame(rows, columns=["ts", "side", "qty", "price", "commission", "tags"])
    return frame.assign(
        instrument_id="BTCUSDT-PERP.BINANCE",
        notional=frame["qty"] * frame["price"],
        liquidity="TAKER",
    )


def _outcome() -> RunOutcome:
    ts = T0 + np.arange(0, DAYS * 24 * 60, 15, dtype=np.int64) * MINUTE + 15 * MINUTE
    rng = np.random.default_rng(5)
    equity = START * np.cumprod(1.0 + rng.normal(0.0, 0.001, len(ts)))
    funding = pd.DataFrame(
        {
            "ts": [T0 + 8 * HOUR, T0 + 40 * HOUR],
            "instrument_id": "BTCUSDT-PERP.BINANCE",
            "position_id": "P",
            "signed_qty": [0.0, -2.0],
            "mark": 42_000.0,
            "mark_source": "mark_kline",
            "rate": 0.0001,
            "payment": [0.0, 8.4],
            "currency": "USDT",
            "balance_after": START,
        }
    )
    fills = _fills()
    return RunOutcome(
        run_id="tearsheet-0",
        config={"strategy": {"path": "strategies.toxvol:ToxicityConditionedVolatility"}},
        start_ns=T0,
        end_ns=T0 + DAYS * 24 * HOUR - 1,
        currency="USDT",
        stats={"total_return": equity[-1] / START - 1, "starting_balance": START, "sharpe": None},
        fills=fills,
        positions=pd.DataFrame(),
        equity=pd.DataFrame(
            {
                "ts": ts,
                "balance": equity,
                "unrealized_pnl": 0.0,
                "equity": equity,
                "gross_exposure": 0.0,
                "price[BTCUSDT-PERP.BINANCE]": 42_000.0 + np.cumsum(rng.normal(0, 5, len(ts))),
            }
        ),
        funding=funding,
        account=pd.DataFrame(columns=ACCOUNT_COLUMNS),
        series=_series(),
    )


def test_daily_returns_are_the_day_end_equity_changes_and_compound_to_the_total():
    # Arrange
    outcome = _outcome()
    frame = outcome.equity.assign(
        day=pd.to_datetime(outcome.equity["ts"] - 1, utc=True).dt.floor("D")
    )
    # Independently: each day's last sample against the previous day's (the start balance first)
    ends = frame.groupby("day")["equity"].last()
    expected = ends / np.r_[START, ends.to_numpy()[:-1]] - 1.0

    # Act
    daily = daily_returns(outcome.equity, START, outcome.start_ns, outcome.end_ns, outcome.trades)

    # Assert
    assert daily["return"].to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-12)
    assert np.prod(1 + daily["return"]) - 1 == pytest.approx(outcome.stats["total_return"])
    assert [d.day for d in daily["date"]] == [1, 2, 3]
    # trades closed on day 1 (07:00) and day 3 (50 h = 02:00 on the 3rd)
    assert daily["trades"].tolist() == [1, 0, 1]
    assert daily["trades_net_pnl"].tolist() == pytest.approx(
        [500.0 - 8.45, 0.0, -400.0 - 16.9 + 8.4]
    )


def test_regimes_and_toxic_flow_become_merged_spans_that_hold_until_the_next_value():
    # Arrange
    series = _series()
    end = T0 + 72 * HOUR

    # Act
    regimes = regime_spans(series, end)
    toxic = toxic_spans(series, end)

    # Assert
    assert regimes == [
        Span(T0 + 2 * HOUR, T0 + 5 * HOUR, "crowded_long"),
        Span(T0 + 20 * HOUR, end, "crowded_short"),
    ]
    assert toxic == [
        Span(T0 + 1 * HOUR, T0 + 4 * HOUR, "toxic"),
        Span(T0 + 30 * HOUR, T0 + 31 * HOUR, "toxic"),
    ]


def test_every_panel_has_its_own_legend_and_dated_axis_and_the_price_is_shaded():
    # Arrange
    outcome = _outcome()

    # Act
    figure = build_figure(outcome)

    # Assert
    titles = [a.text for a in figure.layout.annotations]
    legends = {}
    for trace in figure.data:
        row = int((trace.yaxis or "y").removeprefix("y") or 1)
        legends.setdefault(row, set()).add(trace.legend or "legend")
    assert all(len(names) == 1 for names in legends.values())  # one legend per panel ...
    assert len({next(iter(n)) for n in legends.values()}) == len(legends)  # ... each its own
    axes = [figure.layout[k] for k in figure.layout if k.startswith("xaxis")]
    assert len(axes) == len(titles)
    assert all(a.showticklabels and a.type == "date" for a in axes)
    # 2 regime spans over the full height, 2 toxic bands at the foot, all on the price panel
    shapes = figure.layout.shapes
    assert len(shapes) == 4 and {s.yref for s in shapes} == {"y domain"}
    assert sorted(s.y1 for s in shapes)[:2] == [pytest.approx(0.06)] * 2
    assert {"crowded long", "crowded short", "toxic flow"} <= {t.name for t in figure.data}


def test_the_tearsheet_opens_in_chromium_with_every_panel_and_section(tmp_path):
    # Arrange
    outcome = _outcome()
    figure = build_figure(outcome)
    panels = len(figure.layout.annotations)

    # Act
    path = write_report(outcome, tmp_path / "run")
    page = open_page(path)

    # Assert
    assert (tmp_path / PLOTLY_FILE).exists()  # one plotly.js for the folder's runs
    assert path.stat().st_size < 300_000
    assert page.errors == []
    dom = page.dom
    assert len(set(re.findall(r'class="subplot (x\d*y\d*)"', dom))) == panels
    # each panel draws its own date labels and its own legend
    assert len(set(re.findall(r'class="(x\d*tick)"', dom))) == panels
    assert len(set(re.findall(r'class="(legend\d*)"', dom))) == panels
    for section in ("headline", "chart", "attribution", "daily-returns", "trades", "statistics"):
        assert f'id="{section}"' in dom
    trades = re.search(r'<section id="trades">.*?</section>', dom, re.S).group(0)
    assert trades.count("<tr>") == len(trade_table(outcome.fills, outcome.funding)) + 1
    assert "take_profit" in trades and "crowded_long" in trades
