"""
Open a page in headless Chromium (Debian's ``chromium``) and return its DOM after load and the
console lines it printed, so that tests fail on JavaScript errors or missing panels.

Without Chromium a page test skips on a developer machine and fails where it must run: under
``CI=true`` or ``REQUIRE_SHARED_DATA=1`` (``.ci/run`` installs it).

"""

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--enable-logging=stderr",
    "--v=0",
]
# Chromium logs each console message as "...:CONSOLE:<line>] "<text>", source: <url> (<line>)".
CONSOLE = re.compile(r':CONSOLE[^\]]*\] "(.*)", source: ')


@dataclass
class Page:
    """A loaded page: its DOM (after scripts ran) and its console messages."""

    dom: str
    console: list[str]

    @property
    def errors(self) -> list[str]:
        """Return the console messages that report an error (uncaught exceptions included)."""
        return [m for m in self.console if "Uncaught" in m or "Error" in m]


def chromium() -> str:
    """Return the Chromium executable, or skip (fail under CI) when it is not installed."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        message = "chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI") == "true" or os.environ.get("REQUIRE_SHARED_DATA") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return found


def _run(arguments: list[str], timeout: float) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        command = [chromium(), *FLAGS, f"--user-data-dir={profile}", *arguments]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def open_page(path: Path, timeout: float = 180.0) -> Page:
    """
    Load a local page, let its scripts run, and return its DOM and console messages.

    Parameters
    ----------
    path : Path
        The HTML file.
    timeout : float, default 180.0
        Seconds before the browser is stopped.

    Returns
    -------
    Page

    """
    done = _run(
        ["--virtual-time-budget=15000", "--dump-dom", Path(path).resolve().as_uri()], timeout
    )
    return Page(done.stdout, CONSOLE.findall(done.stderr))


def screenshot(path: Path, png: Path, width: int = 1400, height: int = 3000) -> Path:
    """Save a screenshot of a local page (``width`` x ``height`` pixels) and return its path."""
    _run(
        [
            f"--window-size={width},{height}",
            "--virtual-time-budget=15000",
            "--hide-scrollbars",
            f"--screenshot={Path(png).resolve()}",
            Path(path).resolve().as_uri(),
        ],
        180.0,
    )
    return png
