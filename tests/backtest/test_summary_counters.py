"""Issue 15: the one-screen run summary shows the strategy's counters beside the headline."""

import io
from pathlib import Path
from types import SimpleNamespace

from rich.console import Console

from backtest.summary import print_summary

DAY_NS = 86_400_000_000_000


def _printed(stats: dict) -> str:
    outcome = SimpleNamespace(run_id="demo-abc", start_ns=19_723 * DAY_NS, end_ns=19_726 * DAY_NS - 1, stats=stats, notes=[])
    out = io.StringIO()
    print_summary(outcome, Path("results/demo-abc"), None, Console(file=out, width=160))
    return out.getvalue()


def test_counters_are_listed_with_the_headline_statistics_in_the_strategys_order():
    # Arrange
    stats = {
        "total_return": 0.012,
        "count.entries.alpha_a": 7.0,
        "count.entries.alpha_b": 3.0,
        "count.gate.blocked": 1_250.0,
        "count.exits.stop": 4.0,
    }

    # Act
    text = _printed(stats)

    # Assert
    assert "Total return" in text
    for label, value in (("entries.alpha_a", "7"), ("entries.alpha_b", "3"), ("gate.blocked", "1,250"), ("exits.stop", "4")):
        (line,) = [line for line in text.splitlines() if label in line]
        assert value in line.split(label, 1)[1].split("│")[1]
    assert text.index("entries.alpha_a") < text.index("gate.blocked")


def test_a_run_without_counters_prints_no_counter_section():
    # Act
    text = _printed({"total_return": 0.012})

    # Assert
    assert "count." not in text and "entries" not in text
