"""Shared helpers for the sweep tests: a tiny catalog and sweep specs over it, written as TOML."""

from pathlib import Path

import pytest

from tests.backtest.fixtures import BAR_TYPE
from tests.backtest.fixtures import INSTRUMENT_ID
from tests.backtest.fixtures import T0
from tests.backtest.fixtures import random_walk_market
from tests.backtest.fixtures import write_market

HOURS = 4.0
COUNTED = "tests.sweep.strategies:CountedMomentum"
COUNTED_CONFIG = "tests.sweep.strategies:CountedMomentumConfig"


@pytest.fixture(scope="session")
def tiny_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a catalog of four hours of one instrument (a backtest over it takes well under 1 s)."""
    root = tmp_path_factory.mktemp("sweep") / "catalog"
    write_market(root, random_walk_market(T0, HOURS, seed=3))
    return root


def write_spec(
    folder: Path,
    catalog: str | Path,
    body: str = "",
    sweep: str = "",
    name: str = "tiny",
    **params: object,
) -> Path:
    """
    Write a sweep spec over one inline base (the counted example strategy on ``catalog``).

    Parameters
    ----------
    folder : Path
        Where the spec, the results (``results/``) and the run counter (``count/``) go.
    catalog : str | Path
        The base's ``[catalog] path`` (a local path or an fsspec URL).
    body : str
        TOML after the base: ``[grid]``, ``[ablations.*]``, ``[[periods]]``...
    sweep : str
        Extra keys of ``[sweep]``.
    name : str
        The sweep's name.
    **params : object
        Extra strategy parameters (numbers or booleans).

    Returns
    -------
    Path
        The spec file.

    """
    (folder / "count").mkdir(parents=True, exist_ok=True)
    extra = "\n".join(
        f"{k} = {str(v).lower() if isinstance(v, bool) else v}" for k, v in params.items()
    )
    path = folder / f"{name}.toml"
    path.write_text(
        f"""
[sweep]
name = "{name}"
output_dir = "{folder / "results"}"
{sweep}

[bases.tiny]
catalog = {{ path = "{catalog}" }}
period = {{ start = 2024-01-01T00:00:00Z, end = 2024-01-01T04:00:00Z }}
data = {{ instruments = ["{INSTRUMENT_ID}"], chunk_size = 5000 }}

[bases.tiny.strategy]
path = "{COUNTED}"
config_path = "{COUNTED_CONFIG}"

[bases.tiny.strategy.params]
instrument_id = "{INSTRUMENT_ID}"
bar_type = "{BAR_TYPE}"
fast_period = 5
slow_period = 20
count_dir = "{folder / "count"}"
{extra}

{body}
""",
    )
    return path
