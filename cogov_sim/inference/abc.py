"""ABC-SMC (approximate Bayesian computation by sequential Monte Carlo; Toni et al. 2009,
J R Soc Interface 6:187; the population Monte Carlo weights of Beaumont et al. 2009,
Biometrika 96:983) inside the not-implausible region that history matching left.

Generation 0 runs `proposals` parameter sets drawn uniformly from the region; every later
generation draws `proposals` from the previous particles by weight and moves each by a
Gaussian kernel with twice the particles' weighted covariance (Beaumont et al.), proposals
outside the box or the region being drawn again before anything runs. Each proposal is one
run per scenario; its distance is `patterns.distance` over the targets. The `particles`
closest are kept: the tolerance ε of a generation is the largest distance kept (an adaptive
quantile, Del Moral et al. 2012), and never grows. Weights: prior / the kernel mixture that
proposed them (the prior is uniform on box ∩ region, so only the mixture matters).

Why not pyabc or sbi: pyabc drives its own sampler loop and database, so runs would bypass
the batch engine (its resume after a kill, Dask, provenance per run); sbi trains a neural
posterior on torch (a ~1 GB install) from more simulations than this budget allows. The
algorithm is short; `tests/test_inference.py` checks it against an exact posterior.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

MOST_TRIES = 200
"""Rounds of redrawing proposals that fall outside the box or the region."""


@dataclass
class Generation:
    """Kept particles (unit-cube coordinates), their normalised weights and distances."""

    U: np.ndarray
    weights: np.ndarray
    distances: np.ndarray
    epsilon: float
    runs: int

    @property
    def ess(self) -> float:
        """Effective sample size of the weights."""
        return float(1.0 / np.sum(self.weights**2))


def kernel_cov(g: Generation) -> np.ndarray:
    """Twice the particles' weighted covariance (Beaumont et al. 2009), kept positive."""
    c = np.atleast_2d(np.cov(g.U.T, aweights=g.weights, ddof=0))
    return 2.0 * c + 1e-10 * np.eye(len(c))


def propose(g: Generation, n: int, inside: Callable[[np.ndarray], np.ndarray],
            rng: np.random.Generator) -> np.ndarray:
    """`n` moved particles that lie in the unit cube and where `inside` says so."""
    chol = np.linalg.cholesky(kernel_cov(g))
    out: list[np.ndarray] = []
    need = n
    for _ in range(MOST_TRIES):
        pick = rng.choice(len(g.U), size=2 * need, p=g.weights)
        cand = g.U[pick] + rng.standard_normal((2 * need, g.U.shape[1])) @ chol.T
        ok = np.all((cand >= 0) & (cand <= 1), axis=1)
        ok[ok] = inside(cand[ok])
        out.append(cand[ok][:need])
        need -= min(need, int(ok.sum()))
        if need == 0:
            return np.concatenate(out)
    raise RuntimeError("the kernel keeps leaving the region: the particles sit on its edge")


def weights(U: np.ndarray, prev: Generation) -> np.ndarray:
    """Importance weights of new particles: 1 / sum_j w_j K(θ | θ_j), normalised."""
    cov = kernel_cov(prev)
    inv = np.linalg.inv(cov)
    diff = U[:, None, :] - prev.U[None, :, :]
    q = np.einsum("ijk,kl,ijl->ij", diff, inv, diff)
    mix = np.exp(-0.5 * q) @ prev.weights
    w = 1.0 / np.maximum(mix, 1e-300)
    return w / w.sum()


def keep(U: np.ndarray, dist: np.ndarray, particles: int, ceiling: float
         ) -> tuple[np.ndarray, float]:
    """Indices of the `particles` closest runs (NaN distances never), within `ceiling`."""
    order = np.argsort(np.where(np.isfinite(dist), dist, np.inf), kind="stable")
    idx = order[:particles]
    idx = idx[np.isfinite(dist[idx]) & (dist[idx] <= ceiling)]
    eps = float(dist[idx].max()) if len(idx) else float("nan")
    return idx, eps


Distances = Callable[[str, np.ndarray], np.ndarray]
"""Runs a generation: (stage name, unit-cube points) -> one distance per point."""


def smc(d: int, distances: Distances, inside: Callable[[np.ndarray], np.ndarray],
        start: np.ndarray, particles: int, proposals: int, generations: int, seed: int,
        say: Callable[[str], None] = lambda s: None) -> tuple[Generation, list[dict]]:
    """ABC-SMC from `start` (`proposals` points uniform on the region); returns the last
    generation and one summary row per generation."""
    rng = np.random.default_rng(seed)
    log: list[dict] = []
    prev: Generation | None = None
    ceiling = np.inf
    for t in range(generations):
        U = start if prev is None else propose(prev, proposals, inside, rng)
        dist = distances(f"abc-{t}", U)
        idx, eps = keep(U, dist, particles, ceiling)
        if len(idx) < 2:
            raise RuntimeError(f"generation {t}: fewer than 2 runs within ε {ceiling:.3g}")
        w = (np.full(len(idx), 1.0 / len(idx)) if prev is None else weights(U[idx], prev))
        prev = Generation(U[idx], w, dist[idx], eps, len(U))
        ceiling = eps
        log.append({"generation": t, "proposals": len(U), "kept": len(idx), "epsilon": eps,
                    "ess": round(prev.ess, 1), "median_distance": float(np.nanmedian(dist))})
        say(f"ABC generation {t}: {len(U)} runs, kept {len(idx)} within ε = {eps:.3f} "
            f"(ESS {prev.ess:.0f})")
    assert prev is not None
    return prev, log


def uniform(d: int, n: int, seed: int) -> np.ndarray:
    """`n` points uniform on the unit cube (a prior sample when nothing is ruled out)."""
    return np.random.default_rng(seed).random((n, d))


def summary(U: np.ndarray, w: np.ndarray, keys: list[str], low: np.ndarray, high: np.ndarray
            ) -> pd.DataFrame:
    """Per parameter: prior range, weighted posterior mean, median and 90% interval, and how
    much of the prior range the interval spans."""
    X = low + U * (high - low)
    rows = []
    for j, k in enumerate(keys):
        o = np.argsort(X[:, j])
        cw = np.cumsum(w[o])
        q = [float(X[o, j][min(np.searchsorted(cw, a), len(o) - 1)]) for a in (0.05, 0.5, 0.95)]
        rows.append({"parameter": k, "prior_low": low[j], "prior_high": high[j],
                     "mean": float(np.sum(w * X[:, j])), "median": q[1], "q05": q[0],
                     "q95": q[2], "width_share": (q[2] - q[0]) / (high[j] - low[j])})
    return pd.DataFrame(rows)
