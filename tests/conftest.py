"""Shared fixtures: where the real Binance samples live, and whether their absence fails or skips."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data" / "binance"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """
    Return the folder of real Binance archive samples (``../shared/data/binance``).

    Skips when it is absent, unless ``REQUIRE_SHARED_DATA=1`` (as in CI), where absence fails.
    """
    if not SHARED_DATA.is_dir():
        message = f"real Binance samples not found at {SHARED_DATA}"
        if os.environ.get("REQUIRE_SHARED_DATA") == "1":
            pytest.fail(message + " (REQUIRE_SHARED_DATA=1)")
        pytest.skip(message)
    return SHARED_DATA
