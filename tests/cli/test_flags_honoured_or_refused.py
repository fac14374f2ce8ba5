"""Issue 15: every flag is honoured or refused: never silently ignored."""

import pytest

import run_backtest
from etl.__main__ import main as etl_main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["x.toml", "--cuts", "5"], "--cuts is only read by --lookahead"),
        (["x.toml", "--workers", "3"], "--workers is only read by --sweep"),
        (["--lookahead", "x.toml", "--starts", "3"], "--starts is only read by --recursive"),
        (["--sweep", "s.toml", "--no-report"], "--no-report is only read by a single run"),
        (["--prepare", "x.toml", "--output-dir", "out"], "--output-dir is not read by --prepare"),
        (["--sweep", "s.toml", "--output-dir", "out"], "--output-dir is for single runs"),
    ],
)
def test_backtest_refuses_an_option_its_mode_would_ignore(argv, message, capsys):
    # Act
    with pytest.raises(SystemExit) as stop:
        run_backtest.main(argv)

    # Assert
    assert stop.value.code == 2
    assert message in capsys.readouterr().err


def test_synth_refuses_a_zip_level_without_zip(tmp_path, capsys):
    # Act
    code = etl_main(["synth", "--out", str(tmp_path), "--symbols", "BTCUSDT", "--start", "2024-01-01", "--days", "1", "--seed", "1", "--zip-level", "9"])

    # Assert
    assert code == 2
    assert "--zip-level is only read with --zip" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--block-size-mb", "0"], "--block-size-mb must be positive"),
        (["--metrics-lag-s", "-1"], "--metrics-lag-s must be 0 or more"),
        (["--workers", "0"], "--workers must be at least 1"),
    ],
)
def test_ingest_refuses_values_it_cannot_honour(tmp_path, capsys, option, message):
    # Act
    code = etl_main(["ingest", "--raw", str(tmp_path), "--catalog", str(tmp_path / "c"), *option])

    # Assert
    assert code == 2
    assert message in capsys.readouterr().err
