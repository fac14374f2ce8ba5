"""
One random stream read in phases, each phase block by block, with the values of a whole-day draw.

A day's simulation draws its random numbers phase after phase (all quote delays, then all price
shocks, ...). Reading a phase block by block from its own copy of the generator (`fork`),
positioned where the phase starts, gives exactly the numbers one whole-phase draw gives, while the
main generator moves on past the phase: instantly for uniforms (`skip_uniforms`, one 64-bit step
each), by drawing and discarding in bounded chunks for the distributions whose draws consume a
variable number of steps (`skip`). Chunked draws (`draw`) equal one draw of the whole size,
because numpy's generators keep no state between calls besides the bit generator's.
"""

from collections.abc import Callable

import numpy as np

CHUNK = 1 << 20


def fork(rng: np.random.Generator) -> np.random.Generator:
    """Return an independent generator at `rng`'s exact position (its 32-bit buffer included)."""
    bit_generator = type(rng.bit_generator)()
    bit_generator.state = rng.bit_generator.state
    return np.random.Generator(bit_generator)


def skip_uniforms(rng: np.random.Generator, n: int) -> None:
    """Move `rng` past ``rng.random(n)`` without drawing it."""
    state = rng.bit_generator.state
    rng.bit_generator.advance(n)
    # advance() empties the buffered half of a 64-bit output that bounded integer draws use; a
    # run of uniforms never touches it, so it must survive the skip.
    moved = rng.bit_generator.state
    moved["has_uint32"], moved["uinteger"] = state["has_uint32"], state["uinteger"]
    rng.bit_generator.state = moved


def draw(make: Callable[[int, int], np.ndarray], n: int, dtype: np.dtype | type, chunk: int = CHUNK) -> np.ndarray:
    """
    Return ``make(start, stop)`` over ``[0, n)`` in chunks, stored as `dtype`.

    Parameters
    ----------
    make : Callable[[int, int], np.ndarray]
        Draws and transforms the values of positions ``[start, stop)`` (in order, from one stream).
    n : int
        Number of values.
    dtype : np.dtype | type
        Storage type; a narrow one keeps a day of small integers small. Values must fit it.
    chunk : int
        Values drawn at a time (bounds the float temporaries).

    """
    out = np.empty(n, dtype=dtype)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        values = make(start, stop)
        if out.dtype.kind in "iu" and len(values):
            info = np.iinfo(out.dtype)
            if values.min() < info.min or values.max() > info.max:
                raise OverflowError(f"values in [{values.min()}, {values.max()}] do not fit {out.dtype}")
        out[start:stop] = values
    return out


def skip(make: Callable[[int], np.ndarray], n: int, chunk: int = CHUNK) -> None:
    """Draw ``make(k)`` for ``k`` summing to `n`, in chunks, and discard the values."""
    for start in range(0, n, chunk):
        make(min(chunk, n - start))
