"""The command line refuses bad arguments with exit code 2 and a clear message, before any request."""

from pathlib import Path

import pytest

from etl.__main__ import main

BASE = ["download", "--base-url", "http://127.0.0.1:9/data/", "--no-progress"]
VALID = ["--symbols", "BTCUSDT", "--families", "metrics", "--start", "2024-01-01"]


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run the CLI; return (exit code, stderr), whether argparse exits or `run` returns."""
    try:
        code = main([*BASE, *args])
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["--families", "aggTrade"], "unknown family 'aggTrade' (did you mean 'aggTrades'?)"),
        (
            ["--start", "2024-02-01", "--end", "2024-01-31"],
            "--start 2024-02-01 is not before --end 2024-01-31",
        ),
        (
            ["--market", "spot", "--families", "bookTicker"],
            "'bookTicker' is not published for market 'spot'",
        ),
        (["--start", "2024-13-01"], "expected a date as YYYY-MM-DD, got '2024-13-01'"),
        (["--workers", "0"], "expected 1 to 32, got 0"),
        (["--retries", "-1"], "expected 0 to 100, got -1"),
        (["--backoff", "0"], "expected a positive number, got '0'"),
        (["--base-url", "data.binance.vision"], "expected an http(s) URL"),
        (["--market", "coin/m"], "invalid choice: 'coin/m'"),
    ],
)
def test_bad_arguments_exit_with_code_2_and_say_what_is_wrong(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, overrides: list[str], message: str
) -> None:
    # Arrange: a valid request, then one bad option (argparse lets the later value win)
    dest = tmp_path / "raw"

    # Act
    code, err = run_cli(capsys, "--dest", str(dest), *VALID, *overrides)

    # Assert
    assert code == 2
    assert message in err
    assert not dest.exists()


def test_missing_required_option_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    # Arrange / Act
    code, err = run_cli(capsys, "--families", "metrics", "--start", "2024-01-01")

    # Assert
    assert code == 2
    assert "the following arguments are required: --symbols" in err
