"""
Selection bias: the deflated Sharpe ratio and the probability of backtest overfitting.

Sharpe ratios here are per period (not annualised), as in the papers:

- the probabilistic Sharpe ratio (Bailey & López de Prado 2012) of an estimate ``SR`` from ``T``
  returns against a benchmark ``SR*`` is
  ``Φ((SR − SR*)·√(T − 1) / √(1 − γ3·SR + (γ4 − 1)/4·SR²))``, with γ3 the returns' skewness and γ4
  their (non-excess) kurtosis;
- the expected maximum of ``N`` Sharpe estimates of zero-skill strategies with variance ``V``
  across trials is ``SR0 = √V·((1 − γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e)))``, γ the
  Euler–Mascheroni constant; the deflated Sharpe ratio (Bailey & López de Prado 2014) is the PSR of
  the best trial against ``SR0``: the probability that its true Sharpe ratio is above what the
  best of ``N`` unskilled trials would show;
- the probability of backtest overfitting (Bailey, Borwein, López de Prado & Zhu 2017) by
  combinatorially symmetric cross-validation: the rows of a returns matrix (time × trials) are
  split into ``S`` blocks; for every choice of ``S/2`` blocks as in-sample (the rest out of sample)
  the trial with the best in-sample Sharpe ratio is ranked out of sample, ``ω = rank/(N + 1)``, and
  ``λ = ln(ω/(1 − ω))``; PBO is the fraction of choices with ``λ ≤ 0`` (the in-sample winner at or
  below the out-of-sample median).

"""

import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

EULER_GAMMA = float(np.euler_gamma)


def probabilistic_sharpe_ratio(
    sharpe: float, benchmark: float, n_returns: int, skew: float, kurtosis: float
) -> float:
    """
    Return the probability that the true Sharpe ratio exceeds ``benchmark``.

    Parameters
    ----------
    sharpe : float
        The estimated Sharpe ratio, per period.
    benchmark : float
        The benchmark Sharpe ratio, per period.
    n_returns : int
        The returns the estimate comes from.
    skew : float
        The returns' skewness.
    kurtosis : float
        The returns' kurtosis (3 for a normal distribution).

    Returns
    -------
    float

    """
    spread = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    z = (sharpe - benchmark) * math.sqrt(n_returns - 1) / math.sqrt(spread)
    return float(stats.norm.cdf(z))


def expected_max_sharpe(n_trials: int, variance: float) -> float:
    """
    Return the expected maximum Sharpe ratio of ``n_trials`` unskilled trials.

    Parameters
    ----------
    n_trials : int
        The number of trials.
    variance : float
        The variance of the trials' Sharpe ratios.

    Returns
    -------
    float
        0 for a single trial (no selection).

    """
    if n_trials < 2:
        return 0.0
    z = (1.0 - EULER_GAMMA) * stats.norm.ppf(1.0 - 1.0 / n_trials) + EULER_GAMMA * stats.norm.ppf(
        1.0 - 1.0 / (n_trials * math.e)
    )
    return math.sqrt(variance) * float(z)


@dataclass(frozen=True)
class DeflatedSharpe:
    """
    The deflated Sharpe ratio of the best of several trials.

    Parameters
    ----------
    best : int
        The best trial's position.
    sharpe : float
        Its Sharpe ratio, per period.
    n_trials : int
        How many trials were compared.
    variance : float
        The variance of the trials' Sharpe ratios.
    expected_max : float
        ``SR0``: the expected best Sharpe ratio of that many unskilled trials.
    n_returns : int
        The best trial's returns.
    skew, kurtosis : float
        Their skewness and kurtosis.
    dsr : float
        The deflated Sharpe ratio: PSR of the best trial against ``SR0``.

    """

    best: int
    sharpe: float
    n_trials: int
    variance: float
    expected_max: float
    n_returns: int
    skew: float
    kurtosis: float
    dsr: float


def per_period_sharpe(returns: np.ndarray) -> float:
    """Return mean / sample standard deviation of ``returns`` (NaN without variation)."""
    returns = np.asarray(returns, dtype=float)
    std = float(np.std(returns, ddof=1)) if len(returns) > 1 else 0.0
    return float(np.mean(returns)) / std if std > 0 else float("nan")


def deflated_sharpe(trials: list[np.ndarray]) -> DeflatedSharpe | None:
    """
    Return the deflated Sharpe ratio of the best of ``trials``.

    Parameters
    ----------
    trials : list[np.ndarray]
        Each trial's returns (same frequency).

    Returns
    -------
    DeflatedSharpe | None
        ``None`` when no trial has a defined Sharpe ratio.

    """
    ratios = np.array([per_period_sharpe(r) for r in trials])
    defined = np.flatnonzero(np.isfinite(ratios))
    if len(defined) == 0:
        return None
    best = int(defined[np.argmax(ratios[defined])])
    variance = float(np.var(ratios[defined], ddof=1)) if len(defined) > 1 else 0.0
    benchmark = expected_max_sharpe(len(defined), variance)
    returns = np.asarray(trials[best], dtype=float)
    skew = float(stats.skew(returns))
    kurtosis = float(stats.kurtosis(returns, fisher=False))
    return DeflatedSharpe(
        best=best,
        sharpe=float(ratios[best]),
        n_trials=len(defined),
        variance=variance,
        expected_max=benchmark,
        n_returns=len(returns),
        skew=skew,
        kurtosis=kurtosis,
        dsr=probabilistic_sharpe_ratio(ratios[best], benchmark, len(returns), skew, kurtosis),
    )


@dataclass(frozen=True)
class Overfitting:
    """
    The probability of backtest overfitting of a set of trials.

    Parameters
    ----------
    pbo : float
        The fraction of in-sample/out-of-sample splits whose in-sample winner ranks at or below
        the out-of-sample median.
    logits : np.ndarray
        ``λ`` of each split.
    n_blocks : int
        ``S``: the blocks the time axis was split into.
    n_trials : int
        ``N``.

    """

    pbo: float
    logits: np.ndarray
    n_blocks: int
    n_trials: int

    @property
    def n_splits(self) -> int:
        """Return how many splits were evaluated (``S`` choose ``S/2``)."""
        return len(self.logits)


def overfitting_probability(returns: np.ndarray, blocks: np.ndarray) -> Overfitting:
    """
    Return the probability of backtest overfitting by CSCV, the performance being the Sharpe ratio.

    Parameters
    ----------
    returns : np.ndarray
        Shape ``(T, N)``: the returns of ``N`` trials over ``T`` common periods.
    blocks : np.ndarray
        Shape ``(T,)``: the block (``0 .. S-1``, ``S`` even) of each row; a block of rows is in
        or out of sample as a whole.

    Returns
    -------
    Overfitting

    Raises
    ------
    ValueError
        If ``S`` is odd or below 2, or there are fewer than 2 trials.

    """
    returns = np.asarray(returns, dtype=float)
    labels, blocks = np.unique(np.asarray(blocks), return_inverse=True)
    n_blocks, n_trials = len(labels), returns.shape[1]
    if n_blocks < 2 or n_blocks % 2 or n_trials < 2:
        raise ValueError(
            f"CSCV needs an even number of blocks and 2 trials, got {n_blocks}, {n_trials}"
        )
    # Per-block sums make the Sharpe ratio of any union of blocks a product with the splits'
    # membership matrix: every split at once.
    count = np.bincount(blocks, minlength=n_blocks).astype(float)
    total = np.stack([returns[blocks == b].sum(axis=0) for b in range(n_blocks)])
    squares = np.stack([(returns[blocks == b] ** 2).sum(axis=0) for b in range(n_blocks)])
    inside = np.zeros((math.comb(n_blocks, n_blocks // 2), n_blocks))
    for row, chosen in enumerate(itertools.combinations(range(n_blocks), n_blocks // 2)):
        inside[row, list(chosen)] = 1.0
    in_sample = _union_sharpe(inside @ count, inside @ total, inside @ squares)
    outside = 1.0 - inside
    out_sample = _union_sharpe(outside @ count, outside @ total, outside @ squares)
    out_sample = np.nan_to_num(out_sample, nan=-np.inf)
    splits = np.arange(len(inside))
    winner = np.argmax(np.nan_to_num(in_sample, nan=-np.inf), axis=1)
    mine = out_sample[splits, winner][:, None]
    # The average rank among ties (1 = worst out of sample), as scipy.stats.rankdata gives it.
    rank = 1.0 + (out_sample < mine).sum(axis=1) + ((out_sample == mine).sum(axis=1) - 1) / 2.0
    omega = rank / (n_trials + 1)
    logits = np.log(omega / (1.0 - omega))
    return Overfitting(float(np.mean(logits <= 0)), logits, n_blocks, n_trials)


def _union_sharpe(count: np.ndarray, total: np.ndarray, squares: np.ndarray) -> np.ndarray:
    # Rows are splits, columns trials; count has one entry per split.
    n = count[:, None]
    mean = total / n
    variance = (squares - n * mean**2) / (n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(variance > 1e-300, mean / np.sqrt(np.maximum(variance, 0.0)), np.nan)
