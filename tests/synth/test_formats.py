"""The generated files look and parse exactly like the real archive samples."""

import datetime as dt
import io
import re
from pathlib import Path

import pyarrow.csv as pacsv
import pytest

from etl.synth.generate import generate
from tests.synth.archive_io import family_files
from tests.synth.archive_io import file_bytes
from tests.synth.archive_io import has_header
from tests.synth.conftest import Market
from tests.synth.conftest import small_config

# (fixture of the generated market, market, family, real sample under the shared folder). Spot
# files switched to µs timestamps in 2025, so spot files dated 2025 are compared with 2026 samples.
SAMPLES = [
    ("market", "futures/um", "aggTrades", "futures/um/daily/aggTrades/BTCUSDT-aggTrades-2026-09-15.csv"),
    ("market", "futures/um", "bookTicker", "futures/um/daily/bookTicker/BTCUSDT-bookTicker-2024-01-15.csv"),
    ("market", "futures/um", "klines", "futures/um/daily/klines/1m/BTCUSDT-1m-2023-04-15.csv"),
    ("market", "futures/um", "metrics", "futures/um/daily/metrics/BTCUSDT-metrics-2026-09-15.csv"),
    ("market", "futures/um", "fundingRate", "futures/um/monthly/fundingRate/BTCUSDT-fundingRate-2026-04.csv"),
    ("market", "spot", "aggTrades", "spot/daily/aggTrades/BTCUSDT-aggTrades-2023-11-17.csv"),
    ("micro_market", "spot", "aggTrades", "spot/daily/aggTrades/BTCUSDT-aggTrades-2026-09-15.csv"),
    ("micro_market", "spot", "klines", "spot/daily/klines/1m/BTCUSDT-1m-2026-09-15.csv"),
]


def field_shape(text: str) -> str:
    """
    Return the shape of one CSV field: how a reader has to parse it.

    Numbers keep their sign and decimal count (``-0.00003449`` → ``-n.8``), 13/16-digit integers
    are timestamps (``t13``, ``t16``), other integers ``int``, text keeps its pattern.
    """
    if re.fullmatch(r"-?\d+\.\d+", text):
        return f"{'-' if text.startswith('-') else ''}n.{len(text.split('.')[1])}"
    if re.fullmatch(r"\d{13}|\d{16}", text):
        return f"t{len(text)}"
    if re.fullmatch(r"-?\d+", text):
        return "int"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", text):
        return "utc-text"
    return text


def column_shapes(data: bytes) -> list[set[str]]:
    """Return, per column, the set of unsigned field shapes seen in the data rows."""
    lines = data.decode().splitlines()
    rows = [line.split(",") for line in (lines[1:] if has_header(data) else lines)]
    return [{field_shape(r[i]).lstrip("-") for r in rows} for i in range(len(rows[0]))]


def _first_file(root: Path, market: str, family: str) -> Path:
    return family_files(root, market, family, "BTCUSDT")[0]


def _real_and_ours(
    request: pytest.FixtureRequest, shared_data: Path, generated: str, market_name: str, family: str, sample: str
) -> tuple[bytes, bytes]:
    """Return the real sample's bytes and those of the generated market's first file of a family."""
    market: Market = request.getfixturevalue(generated)
    return (shared_data / sample).read_bytes(), file_bytes(_first_file(market.root, market_name, family))


@pytest.fixture(scope="module")
def micro_market(tmp_path_factory: pytest.TempPathFactory) -> Market:
    """Return a tiny market dated 2025, when spot timestamps are in µs."""
    config = small_config(tmp_path_factory.mktemp("synth_2025"), symbols=("BTCUSDT",), start=dt.date(2025, 3, 1))
    generate(config)
    return Market(config.out, config)


@pytest.mark.parametrize(("generated", "market_name", "family", "sample"), SAMPLES)
def test_header_line_matches_the_real_sample(
    request: pytest.FixtureRequest, shared_data: Path, generated: str, market_name: str, family: str, sample: str
) -> None:
    # Arrange
    real, ours = _real_and_ours(request, shared_data, generated, market_name, family, sample)

    # Act
    real_header = real.split(b"\n", 1)[0] if has_header(real) else None
    our_header = ours.split(b"\n", 1)[0] if has_header(ours) else None

    # Assert
    assert our_header == real_header
    assert ours.endswith(b"\n") and b"\r" not in ours


@pytest.mark.parametrize(("generated", "market_name", "family", "sample"), SAMPLES)
def test_every_field_has_the_shape_of_the_real_sample_column(
    request: pytest.FixtureRequest, shared_data: Path, generated: str, market_name: str, family: str, sample: str
) -> None:
    # Arrange
    real_bytes, our_bytes = _real_and_ours(request, shared_data, generated, market_name, family, sample)

    # Act
    real, ours = column_shapes(real_bytes), column_shapes(our_bytes)

    # Assert: same decimals, timestamp widths, boolean spellings and text forms, column by column.
    assert len(ours) == len(real)
    for i, (our_col, real_col) in enumerate(zip(ours, real, strict=True)):
        assert our_col <= real_col, f"column {i}: {our_col} vs {real_col}"


@pytest.mark.parametrize(("generated", "market_name", "family", "sample"), SAMPLES)
def test_pyarrow_infers_the_same_column_types_as_for_the_real_sample(
    request: pytest.FixtureRequest, shared_data: Path, generated: str, market_name: str, family: str, sample: str
) -> None:
    # Arrange
    real, ours = _real_and_ours(request, shared_data, generated, market_name, family, sample)

    # Act
    def types(data: bytes) -> list[str]:
        options = pacsv.ReadOptions(autogenerate_column_names=not has_header(data))
        return [str(t) for t in pacsv.read_csv(io.BytesIO(data), read_options=options).schema.types]

    # Assert
    assert types(ours) == types(real)


def test_funding_rates_print_signed_with_eight_decimals(market: Market) -> None:
    # Arrange
    text = file_bytes(_first_file(market.root, "futures/um", "fundingRate")).decode()

    # Act
    rates = [line.rsplit(",", 1)[1] for line in text.splitlines()[1:]]

    # Assert
    assert all(re.fullmatch(r"-?0\.\d{8}", r) for r in rates)
    assert any(r.startswith("-") for r in rates) and any(not r.startswith("-") for r in rates)
