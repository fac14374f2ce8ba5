"""Issue 15: every command's --help reads the same way: exit codes, --no-progress, plain text."""

import pytest

import indicators.warmup
import research.cli
import run_backtest
from etl.__main__ import main as etl_main

COMMANDS = {
    "etl synth": lambda: etl_main(["synth", "--help"]),
    "etl download": lambda: etl_main(["download", "--help"]),
    "etl ingest": lambda: etl_main(["ingest", "--help"]),
    "etl report": lambda: etl_main(["report", "--help"]),
    "run_backtest.py": lambda: run_backtest.main(["--help"]),
    "research vpin": lambda: research.cli.main(["vpin", "--help"]),
    "research book": lambda: research.cli.main(["book", "--help"]),
    "research flow": lambda: research.cli.main(["flow", "--help"]),
    "indicators.warmup": lambda: indicators.warmup.main(["--help"]),
}
# Commands that take a date range, all half-open.
RANGES = ("etl download", "etl ingest", "run_backtest.py", "research vpin")
# Commands that never show progress (a report prints tables at the end).
NO_PROGRESS_BAR = ("etl report",)


def _help(name: str, capsys) -> str:
    with pytest.raises(SystemExit) as stop:
        COMMANDS[name]()
    assert stop.value.code == 0
    return " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("name", COMMANDS)
def test_help_lists_the_exit_codes_in_plain_text(name, capsys):
    # Act
    text = _help(name, capsys)

    # Assert
    assert "Exit codes" in text
    assert "130 interrupted" in text
    assert "``" not in text and "[bold" not in text and "[/]" not in text


@pytest.mark.parametrize("name", [n for n in COMMANDS if n not in NO_PROGRESS_BAR])
def test_one_progress_switch(name, capsys):
    # Act
    text = _help(name, capsys)

    # Assert
    assert "--no-progress" in text
    assert "--progress " not in text.replace("--no-progress", "")


@pytest.mark.parametrize("name", RANGES)
def test_end_is_half_open_everywhere(name, capsys):
    # Act
    text = _help(name, capsys)

    # Assert
    assert "half-open" in text or "excluded" in text


def test_quiet_means_no_output_but_errors_wherever_it_exists(capsys):
    # Act
    texts = [_help(name, capsys) for name in ("etl synth", "etl ingest")]

    # Assert
    assert all("--quiet no output but errors" in text for text in texts)
