"""``python -m research``: every report's files and columns, and one-line errors for bad arguments."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from research.cli import main
from research.compute.book import DEPTH_COLUMNS
from research.compute.book import SERIES_COLUMNS as BOOK_COLUMNS
from research.compute.events import EVENT_COLUMNS
from research.compute.flow import PROFILE_COLUMNS
from research.compute.flow import SERIES_COLUMNS as FLOW_COLUMNS
from research.compute.flow import SESSION_COLUMNS
from research.compute.leadlag import LEADLAG_COLUMNS
from research.compute.vpin import BUCKET_COLUMNS
from tests.research.catalog_factory import INSTRUMENT

ROOT = Path(__file__).resolve().parents[2]
PERIOD = ["--start", "2023-12-31T23:00:00Z", "--end", "2024-01-01T01:00:00Z"]

EXPECTED_TABLES = {
    "vpin": {"buckets": BUCKET_COLUMNS},
    "book": {
        "series": [
            *BOOK_COLUMNS,
            *DEPTH_COLUMNS,
            "fwd_ret_1s",
            "fwd_ret_5s",
            "fwd_ret_10s",
            "fwd_ret_30s",
            "fwd_ret_1min",
        ],
        "leadlag": LEADLAG_COLUMNS,
    },
    "flow": {
        "profile": PROFILE_COLUMNS,
        "sessions": SESSION_COLUMNS,
        "events": EVENT_COLUMNS,
        "series": FLOW_COLUMNS,
    },
}
EXTRA_ARGS = {
    "vpin": ["--size-min-minutes", "5", "--window", "10", "--toxic-window", "50"],
    "book": [],
    "flow": ["--absorption-window", "30"],
}


def run(small_catalog: Path, report: str, out: Path, *extra: str) -> int:
    return main(
        [
            report,
            "--catalog",
            str(small_catalog),
            "--instrument",
            INSTRUMENT,
            *PERIOD,
            "--out",
            str(out),
            *extra,
        ]
    )


@pytest.mark.parametrize("report", ["vpin", "book", "flow"])
def test_report_writes_csv_parquet_json_and_a_self_contained_html_with_its_columns(
    small_catalog, tmp_path, report
):
    # Act
    code = run(small_catalog, report, tmp_path, *EXTRA_ARGS[report])
    # Assert
    assert code == 0
    for table, columns in EXPECTED_TABLES[report].items():
        parquet = pq.read_table(tmp_path / f"{report}_{table}.parquet")
        assert parquet.column_names == columns, table
        csv = pd.read_csv(tmp_path / f"{report}_{table}.csv")
        assert list(csv.columns) == columns and len(csv) == parquet.num_rows > 0, table
    metrics = json.loads((tmp_path / f"{report}_metrics.json").read_text())
    assert metrics["report"] == report and metrics["instrument"] == INSTRUMENT
    assert metrics["period"] == {"start": "2023-12-31T23:00:00Z", "end": "2024-01-01T01:00:00Z"}
    assert metrics["input"]["rows"] > 0 and metrics["run"]["rows_per_second"] > 0
    assert metrics["run"]["numba_compile_seconds"] >= 0  # apart from rows/s, never inside it
    page = (tmp_path / f"{report}.html").read_text()
    assert (
        "Plotly.newPlot" in page and "<script src=" not in page
    )  # plotly.js inlined: works offline


def test_vpin_metrics_hold_the_issue_fields_and_label_the_look_ahead_flag(small_catalog, tmp_path):
    # Act
    run(small_catalog, "vpin", tmp_path, *EXTRA_ARGS["vpin"])
    # Assert
    metrics = json.loads((tmp_path / "vpin_metrics.json").read_text())
    assert metrics["config"]["classifier"] == "tick"
    assert {"median", "mode", "units"} <= set(metrics["bucket_volume"])
    assert metrics["buckets"] > 0
    assert set(metrics["vpin"]) == {"mean", "p50", "p80", "p90"}
    assert metrics["toxic"]["quantile"] == 0.9 and 0 <= metrics["toxic"]["share"] <= 1
    assert metrics["toxic_lookahead"]["method"].startswith("LOOK-AHEAD")


def test_vpin_report_runs_on_klines_with_the_bar_sign_classifier(small_catalog, tmp_path):
    # Act
    code = run(
        small_catalog,
        "vpin",
        tmp_path,
        "--classifier",
        "bar-sign",
        "--bucket-volume",
        "20",
        "--window",
        "5",
        "--toxic-window",
        "10",
    )
    # Assert
    buckets = pd.read_parquet(tmp_path / "vpin_buckets.parquet")
    assert code == 0 and len(buckets) > 10
    assert buckets["volume"].eq(20.0).all()


def test_flow_report_finds_the_small_catalogs_block_trades(small_catalog, tmp_path):
    # Arrange: the catalog holds five trades of 30 BTC (~1.26M USDT); the others are far smaller
    # Act
    run(small_catalog, "flow", tmp_path, "--block-notional", "1000000")
    # Assert
    events = pd.read_parquet(tmp_path / "flow_events.parquet")
    blocks = events[events["type"] == "block"]
    assert len(blocks) == 5 and blocks["volume"].eq(30.0).all()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--instrument", "ETHUSDT-PERP.BINANCE", *PERIOD],
            "unknown instrument 'ETHUSDT-PERP.BINANCE'",
        ),
        (
            ["--instrument", INSTRUMENT, "--start", "2024-02-01", "--end", "2024-02-02"],
            "no trade ticks for BTCUSDT-PERP.BINANCE",
        ),
        (
            ["--instrument", INSTRUMENT, "--start", "2024-01-02", "--end", "2024-01-01"],
            "must be after start",
        ),
    ],
)
def test_bad_arguments_give_one_line_and_exit_code_2(
    small_catalog, tmp_path, capsys, args, message
):
    # Act
    code = main(["vpin", "--catalog", str(small_catalog), *args, "--out", str(tmp_path)])
    # Assert
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.count("\n") == 1
    assert not list(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["vpin", "--instrument", INSTRUMENT, "--start", "2024-13-01", "--end", "2024-01-02"],
            "not a date or ISO datetime: '2024-13-01'",
        ),
        (
            ["vpin", "--instrument", INSTRUMENT, *PERIOD, "--toxic-quantile", "1.5"],
            "expected a number in (0, 1)",
        ),
        (
            ["book", "--instrument", INSTRUMENT, *PERIOD, "--interval", "soon"],
            "not a duration: 'soon'",
        ),
        (
            ["flow", "--instrument", INSTRUMENT, *PERIOD, "--kyle-window", "0"],
            "expected an integer >= 1",
        ),
        (["depth", "--instrument", INSTRUMENT, *PERIOD], "invalid choice: 'depth'"),
        (["vpin", *PERIOD], "the following arguments are required: --instrument"),
    ],
)
def test_unparseable_arguments_give_one_line_and_exit_code_2(capsys, args, message):
    # Act
    with pytest.raises(SystemExit) as stop:
        main(args)
    # Assert
    err = capsys.readouterr().err
    assert stop.value.code == 2
    assert message in err and err.count("\n") == 1


def test_missing_catalog_gives_one_line_and_exit_code_2(tmp_path, capsys):
    # Act
    code = main(["flow", "--catalog", str(tmp_path / "none"), "--instrument", INSTRUMENT, *PERIOD])
    # Assert
    assert code == 2 and "no catalog at" in capsys.readouterr().err


def test_module_entry_point_prints_no_traceback_for_an_unknown_instrument(small_catalog):
    # Act
    cmd = [
        sys.executable,
        "-m",
        "research",
        "book",
        "--catalog",
        str(small_catalog),
        "--instrument",
        "NOPE",
        *PERIOD,
    ]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    # Assert
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    assert "unknown instrument 'NOPE'" in done.stderr
