"""
What this project borrows from Nautilus's internals is pinned, so an upgrade fails loudly here.

``backtest.streaming.OrderedStreamingNode`` overrides the private ``BacktestNode._run_streaming``
of nautilus_trader 1.221.0; the kernels' numba cache is located without moving anyone else's.
"""

import hashlib
import inspect
import subprocess
import sys
from pathlib import Path

import nautilus_trader
from nautilus_trader.backtest.node import BacktestNode

from backtest.streaming import NAUTILUS_VERSION
from backtest.streaming import OrderedStreamingNode

ROOT = Path(__file__).resolve().parents[2]
# sha256 of inspect.getsource(BacktestNode._run_streaming) in nautilus_trader 1.221.0.
PINNED_SOURCE = "711fcefd42b1ff50a1a2288eadd35561903537d45c81463c86d20ba02aae9980"
PINNED_PARAMETERS = ["self", "run_config_id", "engine", "data_configs", "chunk_size", "start", "end"]


def test_the_installed_nautilus_is_the_release_the_override_was_written_for():
    # Arrange, Act, Assert
    assert nautilus_trader.__version__ == NAUTILUS_VERSION == "1.221.0"


def test_the_overridden_private_streaming_loop_is_unchanged():
    # Arrange
    source = inspect.getsource(BacktestNode._run_streaming)

    # Act
    digest = hashlib.sha256(source.encode()).hexdigest()

    # Assert: a new release's loop must be read again before the override is trusted.
    assert digest == PINNED_SOURCE
    assert list(inspect.signature(BacktestNode._run_streaming).parameters) == PINNED_PARAMETERS
    assert list(inspect.signature(OrderedStreamingNode._run_streaming).parameters) == PINNED_PARAMETERS
    # ... and the node still calls it the way the override expects.
    assert "self._run_streaming(" in inspect.getsource(BacktestNode._run)


def test_importing_the_kernels_leaves_numbas_global_cache_setting_alone():
    # Arrange: a fresh interpreter, as a user's process importing the library.
    code = (
        "import numba; before = numba.config.CACHE_DIR\n"
        "import indicators.book, numpy as np\n"
        "from indicators.kernels.cache import HERE, sources_digest\n"
        "indicators.book.RelativeSpread().batch(np.array([1.0]), np.array([1.1]))\n"
        "assert numba.config.CACHE_DIR == before, numba.config.CACHE_DIR\n"
        "folder = HERE / '__pycache__' / f'numba-{sources_digest()}'\n"
        "assert any(p.name.startswith('book.') for p in folder.iterdir()), list(folder.iterdir())\n"
    )

    # Act
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)

    # Assert
    assert result.returncode == 0, result.stderr[-2000:]
