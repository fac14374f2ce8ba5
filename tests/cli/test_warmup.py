"""Issue 15: no silent first run: a cold numba cache is announced and compiled before any clock."""

import pytest

import indicators.warmup as warmup
import research.cli
import run_backtest
from indicators.registry import REGISTRY


def test_cold_cache_is_announced_and_every_registry_entry_compiles(monkeypatch, capsys):
    # Arrange
    monkeypatch.setattr(warmup, "cache_is_warm", lambda: False)

    # Act
    report = warmup.ensure_warm(show_progress=False)

    # Assert
    err = capsys.readouterr().err
    assert err.startswith(warmup.COMPILING_MESSAGE + "\n")
    assert "compiled numba kernels in" in err
    assert report.entries == len(REGISTRY)
    assert report.failed == {}


def test_warm_cache_compiles_nothing_and_prints_nothing(monkeypatch, capsys):
    # Arrange
    warmup.warm_up()
    monkeypatch.setattr(warmup, "warm_up", lambda progress=None: pytest.fail("compiled again"))

    # Act
    report = warmup.ensure_warm()

    # Assert
    assert warmup.cache_is_warm()
    assert report is None
    assert capsys.readouterr().err == ""


def test_warmup_command_exits_0(capsys):
    # Act / Assert
    assert warmup.main(["--no-progress"]) == 0


class _Stop(Exception):
    pass


@pytest.mark.parametrize("command", ["backtest", "research"])
def test_commands_compile_before_their_clock_starts(monkeypatch, tmp_path, command):
    # Arrange: record the order of the warm-up and the timed work
    calls = []
    monkeypatch.setattr(warmup, "ensure_warm", lambda *a, **k: calls.append("warm"))
    monkeypatch.setattr(research.cli, "ensure_warm", lambda *a, **k: calls.append("warm"))

    def timed(*args, **kwargs):
        calls.append("run")
        raise _Stop

    monkeypatch.setattr(run_backtest, "load_config", timed)
    monkeypatch.setattr(research.cli, "_run", timed)

    # Act
    with pytest.raises(_Stop):
        if command == "backtest":
            run_backtest.main([str(tmp_path / "x.toml")])
        else:
            research.cli.main(["vpin", "--instrument", "X", "--start", "2024-01-01", "--end", "2024-01-02"])

    # Assert
    assert calls == ["warm", "run"]
