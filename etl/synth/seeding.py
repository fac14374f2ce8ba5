"""
Random streams: one independent generator per (seed, symbol, purpose[, day]).

Deriving every stream from a hash of the symbol (not Python's salted ``hash``) makes a symbol's
files the same whichever other symbols are generated with it, and a day's events independent of
how many draws earlier days made.
"""

import enum
import hashlib

import numpy as np


class Stream(enum.IntEnum):
    """What a random stream is used for."""

    LATENT = 0
    PERP_EVENTS = 1
    SPOT_EVENTS = 2
    SETTLEMENT = 3


def symbol_key(symbol: str) -> int:
    """Return a stable 64-bit number derived from `symbol` (the same in every process)."""
    return int.from_bytes(hashlib.sha256(symbol.encode()).digest()[:8], "big")


def rng(seed: int, symbol: str, stream: Stream, day: int = 0) -> np.random.Generator:
    """
    Return the generator of one stream.

    Parameters
    ----------
    seed : int
        The run's seed (non-negative).
    symbol : str
        Symbol the stream belongs to.
    stream : Stream
        What the draws are for.
    day : int
        Day index within the run, for per-day streams.

    """
    sequence = np.random.SeedSequence(entropy=[seed, symbol_key(symbol)], spawn_key=(int(stream), day))
    return np.random.Generator(np.random.PCG64(sequence))
