"""Building blocks of the latent model: Ornstein-Uhlenbeck noise, semi-Markov regimes, intervals."""

import numba
import numpy as np


@numba.njit(cache=True)
def _ar1(inputs: np.ndarray, phi: float, start: float) -> np.ndarray:
    # y[i] = phi * y[i-1] + inputs[i], from y[-1] = start: a sequential recursion, hence numba
    # (scipy.signal.lfilter does the same but costs a second of import time).
    out = np.empty_like(inputs)
    prev = start
    for i in range(inputs.shape[0]):
        prev = phi * prev + inputs[i]
        out[i] = prev
    return out


def ou(rng: np.random.Generator, n: int, tau: float, sd: float) -> np.ndarray:
    """
    Return a stationary discrete Ornstein-Uhlenbeck (AR(1)) path.

    Parameters
    ----------
    rng : np.random.Generator
        Random stream.
    n : int
        Number of steps.
    tau : float
        Mean-reversion time in steps (autocorrelation ``exp(-1/tau)`` per step).
    sd : float
        Stationary standard deviation.

    """
    phi = np.exp(-1.0 / tau)
    shocks = rng.standard_normal(n) * sd * np.sqrt(1.0 - phi * phi)
    # Start in the stationary law, so the first step needs no burn-in.
    start = rng.standard_normal() * sd
    return _ar1(shocks, phi, start)


def ahead(shocks: np.ndarray, tau: float) -> np.ndarray:
    """
    Return, at each step, the exponentially weighted sum of the shocks strictly after it.

    Weights decay as ``exp(-k / tau)`` for the k-th next shock and are scaled so that unit
    shocks give unit variance: a look-ahead that makes a series lead another without changing it.
    """
    phi = np.exp(-1.0 / tau)
    reverse = _ar1(np.sqrt(1.0 - phi * phi) * shocks[::-1], phi, 0.0)
    return np.r_[reverse[::-1][1:], 0.0]


def ema(x: np.ndarray, alpha: float) -> np.ndarray:
    """Return the exponential moving average of `x` (weight `alpha` on the newest value)."""
    return _ar1(alpha * np.asarray(x, dtype=float), 1.0 - alpha, float(x[0]))


def semi_markov(
    rng: np.random.Generator,
    n: int,
    transition: np.ndarray,
    mean_duration: np.ndarray,
    shape: float,
    min_duration: int,
) -> np.ndarray:
    """
    Return state labels of a semi-Markov chain with gamma-distributed holding times.

    The first state is drawn in proportion to the time the chain spends in each state, and its
    holding time is cut at a uniform point, so the path starts mid-segment like a stationary one.

    Parameters
    ----------
    rng : np.random.Generator
        Random stream.
    n : int
        Number of steps.
    transition : np.ndarray
        Row-stochastic jump matrix (zero diagonal).
    mean_duration : np.ndarray
        Mean holding time of each state, in steps.
    shape : float
        Gamma shape of the holding times (larger is more regular).
    min_duration : int
        Shortest holding time, in steps.

    Returns
    -------
    np.ndarray
        int8 labels of length `n`.

    """
    k = len(mean_duration)
    # Stationary occupancy: embedded-chain stationary law weighted by mean holding time.
    evals, evecs = np.linalg.eig(transition.T)
    pi = np.real(evecs[:, np.argmin(np.abs(evals - 1.0))])
    occupancy = pi / pi.sum() * mean_duration
    state = int(rng.choice(k, p=occupancy / occupancy.sum()))
    labels = np.empty(n, dtype=np.int8)
    pos = 0
    first = True
    # One iteration per regime segment (hours long), never per minute.
    while pos < n:
        duration = max(min_duration, int(round(rng.gamma(shape, mean_duration[state] / shape))))
        if first:
            duration = max(1, int(duration * rng.random()))
            first = False
        labels[pos : pos + duration] = state
        pos += duration
        state = int(rng.choice(k, p=transition[state]))
    return labels


def paint(n: int, starts: np.ndarray, ends: np.ndarray, values: np.ndarray) -> np.ndarray:
    """
    Return an array of length `n` holding ``values[i]`` on ``[starts[i], ends[i])``, else 0.

    Later intervals overwrite earlier ones where they overlap.
    """
    out = np.zeros(n, dtype=np.asarray(values).dtype)
    starts = np.clip(starts, 0, n)
    ends = np.clip(ends, 0, n)
    lengths = np.maximum(ends - starts, 0)
    if lengths.sum() == 0:
        return out
    idx = np.repeat(starts - np.cumsum(np.r_[0, lengths[:-1]]), lengths) + np.arange(lengths.sum())
    # Plain fancy assignment leaves repeated indices unspecified; the highest interval number wins.
    owner = np.full(n, -1, dtype=np.int64)
    np.maximum.at(owner, idx, np.repeat(np.arange(len(lengths)), lengths))
    covered = owner >= 0
    out[covered] = np.asarray(values)[owner[covered]]
    return out


def runs(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (starts, ends, values) of the runs of equal consecutive labels."""
    change = np.flatnonzero(np.diff(labels)) + 1
    starts = np.r_[0, change]
    ends = np.r_[change, len(labels)]
    return starts, ends, labels[starts]


@numba.njit(cache=True)
def _lead_mix(shocks: np.ndarray, noise: np.ndarray, phi: float, scale: float, lead: float, mix: float) -> None:
    # Backward over the shocks: acc holds ahead()'s value for the step before i, built with the
    # same operations as _ar1 on the reversed shocks, so the result equals the array formula.
    acc = 0.0
    for i in range(shocks.shape[0] - 1, -1, -1):
        noise[i] = lead * acc + mix * noise[i]
        acc = phi * acc + scale * shocks[i]


def lead_mix(shocks: np.ndarray, noise: np.ndarray, tau: float, lead: float) -> np.ndarray:
    """
    Return ``lead * ahead(shocks, tau) + sqrt(1 - lead**2) * noise``, computed in `noise`'s memory.

    The same numbers as the array formula, without its four temporaries of the shocks' length.
    """
    phi = np.exp(-1.0 / tau)
    _lead_mix(shocks, noise, float(phi), float(np.sqrt(1.0 - phi * phi)), float(lead), float(np.sqrt(1 - lead * lead)))
    return noise
