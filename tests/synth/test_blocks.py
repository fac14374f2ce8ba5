"""
Day-by-day, block-by-block generation writes the same bytes as the whole-day generator did.

``reference_sha256.json`` holds the sha256 of every file (ground-truth parquet aside: its bytes
carry the pyarrow version) of two small markets made by the whole-day generator, at commit
3a7bb83, the last before generation went block by block: three days of two symbols with spot as
CSV across a month end, and two days of one symbol with spot as ZIP + CHECKSUM across a year end.
It pins the random-stream layout: a change to the generator's output must be deliberate, with the
file regenerated (``_hashes`` below) and the reason in the commit. The bytes also rest on numpy's
generators and float functions (``exp``, ``tanh``), as every same-seed comparison does: a numpy
upgrade that changes those changes the files, and this test says so first.
"""

import dataclasses
import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from etl.synth.config import DEFAULT_BLOCK_EVENTS
from etl.synth.config import SynthConfig
from etl.synth.generate import generate

REFERENCE = Path(__file__).with_name("reference_sha256.json")
SIZES = {"spot": True, "trades_per_day": 3000, "quotes_per_day": 9000, "spot_trades_per_day": 1000}
CASES = {
    "csv": {"symbols": ("BTCUSDT", "ETHUSDT"), "start": dt.date(2024, 1, 30), "days": 3, "seed": 11, **SIZES},
    "zip": {"symbols": ("SOLUSDT",), "start": dt.date(2024, 12, 31), "days": 2, "seed": 12, "zipped": True, **SIZES},
}


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.suffix != ".parquet"
    }


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(("case", "block_events"), [("csv", 60), ("csv", DEFAULT_BLOCK_EVENTS), ("zip", 1), ("zip", DEFAULT_BLOCK_EVENTS)])
def test_files_equal_those_of_the_whole_day_generator(tmp_path: Path, case: str, block_events: int) -> None:
    # Arrange: one-minute blocks (block_events=1), blocks of a few minutes, and whole-day blocks
    # (the default, at this size).
    expected = json.loads(REFERENCE.read_text())[case]
    config = SynthConfig(out=tmp_path, block_events=block_events, **CASES[case])

    # Act
    generate(config)

    # Assert
    assert _hashes(tmp_path) == expected


def test_block_size_changes_no_byte_of_a_multi_day_market(tmp_path: Path) -> None:
    # Arrange: a denser market than the references, so blocks of ~5,000 events cut every day into
    # a dozen; every file compared, ground truth included.
    config = SynthConfig(
        out=tmp_path / "whole",
        symbols=("BTCUSDT",),
        start=dt.date(2024, 3, 30),
        days=3,
        seed=3,
        spot=True,
        trades_per_day=20_000,
        quotes_per_day=40_000,
        spot_trades_per_day=3_000,
    )
    blocked = dataclasses.replace(config, out=tmp_path / "blocked", block_events=5_000)

    # Act
    generate(config)
    generate(blocked)

    # Assert
    whole, cut = _files(config.out), _files(blocked.out)
    # Per day 7 futures and 2 spot files; 2 monthly funding files; the ground truth.
    assert len(whole) == 3 * 9 + 2 + 1 and whole == cut
