"""The pieces that let a day be simulated and written in blocks give whole-day results exactly."""

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from etl.synth import draws
from etl.synth import writers
from etl.synth.lookback import Lookback
from etl.synth.lookback import Sampler
from etl.synth.processes import ahead
from etl.synth.processes import lead_mix
from etl.synth.writers import zip_bytes
from etl.synth.writers import zip_file


def test_a_fork_read_in_blocks_gives_the_phase_and_the_skip_lands_after_it() -> None:
    # Arrange: an odd bounded-integer draw leaves half a 64-bit output buffered in the generator;
    # the next integers after the uniforms must still use it.
    whole, split = np.random.default_rng(5), np.random.default_rng(5)
    whole.integers(0, 3, 7)
    split.integers(0, 3, 7)

    # Act
    expected_uniforms = whole.random(1001)
    expected_after = whole.integers(0, 50, 9)
    fork = draws.fork(split)
    draws.skip_uniforms(split, 1001)
    blocks = [fork.random(k) for k in (1, 500, 500)]
    after = split.integers(0, 50, 9)

    # Assert
    np.testing.assert_array_equal(np.concatenate(blocks), expected_uniforms)
    np.testing.assert_array_equal(after, expected_after)


@pytest.mark.parametrize("method", ["standard_normal", "exponential", "poisson"])
def test_chunked_draws_equal_one_draw(method: str) -> None:
    # Arrange
    whole, chunked, skipped = (np.random.default_rng(8) for _ in range(3))
    lam = np.random.default_rng(0).random(10_001) * 3.0

    def make(rng: np.random.Generator, a: int, b: int) -> np.ndarray:
        return rng.poisson(lam[a:b]) if method == "poisson" else getattr(rng, method)(size=b - a)

    # Act
    expected = make(whole, 0, len(lam))
    got = draws.draw(lambda a, b: make(chunked, a, b), len(lam), expected.dtype, chunk=999)
    if method != "poisson":
        draws.skip(lambda k: getattr(skipped, method)(size=k), len(lam), chunk=777)

    # Assert
    np.testing.assert_array_equal(got, expected)
    if method != "poisson":
        # Skipping in chunks leaves the stream where the whole draw left it.
        assert skipped.random() == whole.random()


def test_narrow_storage_refuses_values_it_cannot_hold() -> None:
    # Act / Assert
    with pytest.raises(OverflowError):
        draws.draw(lambda a, b: np.full(b - a, 40_000), 10, np.int16)


def test_lead_mix_equals_the_array_formula_bit_for_bit() -> None:
    # Arrange
    rng = np.random.default_rng(2)
    shocks, noise = rng.standard_normal(50_001), rng.standard_normal(50_001)

    # Act
    expected = 0.5 * ahead(shocks, 40.0) + np.sqrt(1 - 0.5 * 0.5) * noise
    got = lead_mix(shocks, noise.copy(), 40.0, 0.5)

    # Assert
    np.testing.assert_array_equal(got.view(np.int64), expected.view(np.int64))


def test_interpolation_over_kept_events_and_a_block_equals_the_whole_day() -> None:
    # Arrange: event times with ties and gaps, cut into blocks at "minute" edges (multiples of
    # 1,000 ms); queries land anywhere, including after a block's last event and on event times.
    rng = np.random.default_rng(4)
    ms = np.sort(rng.integers(0, 60_000, 5_000))
    ms[0] = 0
    values = np.cumsum(rng.standard_normal(len(ms)))
    queries = np.sort(np.r_[rng.integers(0, 60_000, 3_000), ms[::50]])
    reach = 300
    edges = np.r_[np.searchsorted(ms, np.arange(0, 60_000, 7_000)), len(ms)]

    # Act
    back, sampler, lagged = Lookback(reach), Sampler(queries), []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        if a == b:
            continue
        window_ms, (window_values,) = back.window(ms[a:b], values[a:b])
        sampler.fill(window_ms, window_values)
        lagged.append(np.interp(ms[a:b] - reach, window_ms, window_values))
        back.keep(window_ms, (window_values,), int(ms[b]) if b < len(ms) else 60_000)
    got = sampler.finish(float(values[-1]))

    # Assert
    np.testing.assert_array_equal(got, np.interp(queries, ms, values))
    np.testing.assert_array_equal(np.concatenate(lagged), np.interp(ms - reach, ms, values))


@pytest.mark.parametrize("level", [1, 6])
def test_a_zip_streamed_from_a_file_equals_the_in_memory_zip(
    tmp_path: Path, level: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Arrange: text of several copy buffers (made small here).
    monkeypatch.setattr(writers, "_COPY_BYTES", 1 << 16)
    text = b"".join(b"%d,%d.5,true\n" % (i, i * 7) for i in range(60_000))
    source = tmp_path / "x.csv"
    source.write_bytes(text)
    stamp = (2024, 1, 2, 6, 26, 56)

    # Act
    zip_file("x.csv", source, tmp_path / "x.zip", stamp, level)
    expected = zip_bytes("x.csv", [memoryview(text[:12345]), memoryview(text[12345:])], stamp, level)

    # Assert
    assert (tmp_path / "x.zip").read_bytes() == expected
    assert zipfile.ZipFile(io.BytesIO(expected)).read("x.csv") == text
