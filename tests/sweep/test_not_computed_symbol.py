"""Issue 15: a statistic that was not computed reads "–" in every sweep summary table."""

import pandas as pd
import pytest

from backtest.sweep.summary import delta_cell
from backtest.sweep.summary import top_display


# As runs.parquet hands them back: None, NaN, a nullable count's pd.NA, JSON text.
@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA, "None", "null"])
def test_a_missing_statistic_is_a_dash_in_the_top_runs_table(missing):
    # Arrange
    frame = pd.DataFrame(
        [{"label": "a", "run_id": "r1", "total_return": 0.01, "sharpe": missing, "max_drawdown": missing, "trades": missing}]
    )

    # Act
    (row,) = top_display(frame, "total_return").rows

    # Assert
    assert row[4:] == ["–", "–", "–"]


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA, "None"])
def test_a_missing_difference_is_the_same_dash(missing):
    # Act / Assert
    assert delta_cell("sharpe", missing) == "–"
