"""Issue 15: Ctrl-C or SIGTERM in any command prints one line, exits 130 and restores the terminal."""

import argparse
import io
import os
import signal

import pytest
from rich.console import Console
from rich.progress import Progress

import etl.report
import research.cli
import run_backtest
from backtest import progress as backtest_progress
from etl.__main__ import main as etl_main
from etl.synth import cli as synth_cli


def _sigterm(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGTERM)
    raise AssertionError("SIGTERM did not stop the command")


def _one_line(err: str) -> str:
    assert "Traceback" not in err
    (line,) = err.strip().splitlines()
    return line


def test_backtest_interrupt_exits_130_and_stops_the_live_progress_display(monkeypatch, tmp_path, capsys):
    # Arrange: the interrupt lands while a progress display hides the cursor
    display = Progress(console=Console(file=io.StringIO(), force_terminal=True))

    def interrupted_run(path):
        display.start()
        backtest_progress._LIVE.add(display)
        raise KeyboardInterrupt

    monkeypatch.setattr(run_backtest, "load_config", interrupted_run)

    # Act
    code = run_backtest.main([str(tmp_path / "x.toml")])

    # Assert
    assert code == 130
    assert _one_line(capsys.readouterr().err).startswith("interrupted: ")
    assert not display.live.is_started
    assert not backtest_progress._LIVE


def test_backtest_sigterm_is_an_interrupt(monkeypatch, tmp_path, capsys):
    # Arrange
    monkeypatch.setattr(run_backtest, "load_config", _sigterm)

    # Act
    code = run_backtest.main([str(tmp_path / "x.toml")])

    # Assert
    assert code == 130
    assert _one_line(capsys.readouterr().err).startswith("interrupted: ")


def test_restore_terminal_shows_the_cursor_again():
    # Arrange
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()

    # Act
    backtest_progress.restore_terminal(terminal)

    # Assert
    assert terminal.getvalue() == "\x1b[?25h"


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_research_interrupt_exits_130_in_one_line(monkeypatch, tmp_path, capsys, how):
    # Arrange
    def interrupted(*args, **kwargs):
        if how == "sigterm":
            _sigterm()
        raise KeyboardInterrupt

    monkeypatch.setattr(research.cli, "CatalogReader", interrupted)

    # Act
    code = research.cli.main(["vpin", "--catalog", str(tmp_path), "--instrument", "X", "--start", "2024-01-01", "--end", "2024-01-02"])

    # Assert
    assert code == 130
    assert "interrupted" in _one_line(capsys.readouterr().err)


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_every_etl_command_exits_130_in_one_line(monkeypatch, tmp_path, capsys, how):
    # Arrange
    def interrupted(args: argparse.Namespace) -> int:
        if how == "sigterm":
            _sigterm()
        raise KeyboardInterrupt

    monkeypatch.setattr(etl.report, "run", interrupted)

    # Act
    code = etl_main(["report", "--catalog", str(tmp_path)])

    # Assert
    assert code == 130
    assert _one_line(capsys.readouterr().err).startswith("interrupted: python -m etl report stopped")


def test_synth_interrupt_removes_its_unfinished_file_and_nothing_else(monkeypatch, tmp_path, capsys):
    # Arrange
    out = tmp_path / "raw"
    out.mkdir()
    unrelated = out / "notes.tmp"
    unrelated.write_text("the user's")
    part = out / "futures/um/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2024-01-01.csv.part"

    def interrupted(config, log):
        part.parent.mkdir(parents=True)
        part.write_text("1,2,3\n")
        raise KeyboardInterrupt

    monkeypatch.setattr(synth_cli, "generate", interrupted)

    # Act
    code = etl_main(["synth", "--out", str(out), "--symbols", "BTCUSDT", "--start", "2024-01-01", "--days", "1", "--seed", "1"])

    # Assert
    assert code == 130
    assert _one_line(capsys.readouterr().err).startswith("interrupted: synth stopped")
    assert not part.exists()
    assert unrelated.exists()
