"""Sobol' indices of a stochastic model through a Gaussian-process emulator.

The model is run on a space-filling design (scrambled Sobol' points) with replications; a
Gaussian process with one length scale per parameter and a white-noise term (the run-to-run
noise left in the replicate means) is fitted to the design-point means; Sobol' indices of the
emulator's mean are computed with SALib on a large Saltelli sample (Oakley & O'Hagan 2004,
JRSS B 66:751; Marrel et al. 2009, RESS 94:742). Their uncertainty combines refits on
bootstrap resamples of the design (how far the emulator's data pin the indices) with SALib's
own estimator error. The emulator is validated by K-fold cross-validation: the predictivity
coefficient Q² and the share of held-out means inside the 95% predictive interval.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from SALib.analyze import sobol as sobol_an
from SALib.sample import sobol as sobol_sa
from scipy.stats import qmc
from threadpoolctl import threadpool_limits

EMULATOR_N = 2048
"""Base size of the Saltelli sample evaluated on the emulator (runs nothing)."""
BOOTSTRAPS = 20
FOLDS = 5


def _gp(d: int, seed: int, start=None, fixed: bool = False):
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

    if start is not None:  # a refit: hyperparameters kept, or re-optimised from an earlier fit's
        return GaussianProcessRegressor(start, normalize_y=True, n_restarts_optimizer=0,
                                        optimizer=None if fixed else "fmin_l_bfgs_b",
                                        random_state=seed)
    kernel = (ConstantKernel(1.0, (1e-3, 1e3)) * RBF(np.full(d, 0.3), (1e-2, 1e2))
              + WhiteKernel(1e-2, (1e-8, 1e1)))
    return GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=1,
                                    random_state=seed)


def _unit(problem: dict, X: np.ndarray) -> np.ndarray:
    b = np.asarray(problem["bounds"], dtype=float)
    return (X - b[:, 0]) / (b[:, 1] - b[:, 0])


def fit(problem: dict, X: np.ndarray, Y: np.ndarray, seed: int, start=None, fixed: bool = False):
    """The Gaussian process fitted to design-point means (inputs scaled to [0, 1]): from
    scratch (two optimiser starts), or, given `start` (a fitted kernel), re-optimised from
    there -- the cross-validation folds, so each costs a few optimiser steps rather than a
    full search -- or, with `fixed`, kept as they are (the bootstrap refits)."""
    gp = _gp(problem["num_vars"], seed, start, fixed)
    with warnings.catch_warnings(), threadpool_limits(1):  # one BLAS thread: on a busy
        # laptop (the sweep's own workers, other work) threaded BLAS oversubscribes the
        # cores and a fit takes several times longer
        warnings.simplefilter("ignore")  # convergence chatter at the kernel bounds
        gp.fit(_unit(problem, X), Y)
    return gp


def validate(problem: dict, X: np.ndarray, Y: np.ndarray, seed: int, start=None
             ) -> dict[str, float]:
    """K-fold cross-validation: Q² (1 - held-out squared error / variance) and the share of
    held-out means inside the 95% predictive interval (noise included). Each fold's emulator
    is fitted to the other folds only (hyperparameters re-optimised, from `start` if given)."""
    rng = np.random.default_rng(seed)
    fold = rng.permutation(len(Y)) % FOLDS
    pred, sd = np.empty(len(Y)), np.empty(len(Y))
    for k in range(FOLDS):
        test = fold == k
        gp = fit(problem, X[~test], Y[~test], seed, start)
        with threadpool_limits(1):
            pred[test], sd[test] = gp.predict(_unit(problem, X[test]), return_std=True)
    q2 = 1.0 - float(np.mean((Y - pred) ** 2) / np.var(Y))
    inside = float(np.mean(np.abs(Y - pred) <= 1.96 * sd))
    return {"q2": q2, "coverage": inside}


def indices(problem: dict, gp, seed: int, resamples: int = 200) -> pd.DataFrame:
    """S1 and ST of the emulator's mean, with SALib's bootstrap half-widths (`resamples`
    of them; a bootstrap refit needs only the values, so it asks for few)."""
    Z = sobol_sa.sample(problem, EMULATOR_N, calc_second_order=False, seed=seed)
    with threadpool_limits(1):
        yz = gp.predict(_unit(problem, Z))
    res = sobol_an.analyze(problem, yz, calc_second_order=False, num_resamples=resamples,
                           seed=seed)
    return pd.DataFrame({c: np.asarray(res[c], dtype=float)
                         for c in ("S1", "S1_conf", "ST", "ST_conf")},
                        index=pd.Index(problem["names"], name="parameter"))


@dataclass(frozen=True)
class Emulator:
    """The sweep method: `n` design points (runs n x replications), Sobol' indices on a GP
    emulator, with validation in the result's `attrs["emulator"]`."""

    name: str = "emulator"
    main: str = "ST"

    def sample(self, problem: dict, n: int, seed: int) -> np.ndarray:
        u = qmc.Sobol(problem["num_vars"], scramble=True, rng=np.random.default_rng(seed)
                      ).random(n)
        b = np.asarray(problem["bounds"], dtype=float)
        return b[:, 0] + u * (b[:, 1] - b[:, 0])

    def analyze(self, problem: dict, X: np.ndarray, Y: np.ndarray, seed: int) -> pd.DataFrame:
        gp = fit(problem, X, Y, seed)
        df = indices(problem, gp, seed)
        rng = np.random.default_rng(seed)
        boots = []
        for b in range(BOOTSTRAPS):
            # hyperparameters kept: re-optimised on a resample with ~37% duplicated points
            # the likelihood can collapse onto a flat, all-noise emulator whose indices are
            # 0/0 (seen on sweep-advantage: CI half-widths of 10^6)
            rows = rng.integers(0, len(Y), len(Y))
            boots.append(indices(problem, fit(problem, X[rows], Y[rows], seed + b, gp.kernel_,
                                              fixed=True), seed + b, resamples=2))
        for c in ("S1", "ST"):
            spread = np.std([bt[c].to_numpy() for bt in boots], axis=0, ddof=1)
            df[f"{c}_conf"] = np.sqrt((1.96 * spread) ** 2 + df[f"{c}_conf"].to_numpy() ** 2)
        k = gp.kernel_  # ConstantKernel * RBF + WhiteKernel, on y scaled to unit variance
        noise = float(k.k2.noise_level / (k.k1.k1.constant_value + k.k2.noise_level))
        df.attrs["emulator"] = {**validate(problem, X, Y, seed, gp.kernel_), "points": int(len(Y)),
                                "noise": noise, "kernel": str(gp.kernel_)}
        return df

    def point(self, problem: dict, X: np.ndarray, Y: np.ndarray, seed: int) -> pd.DataFrame:
        """The indices of one emulator fitted to these points (no bootstrap, no validation):
        the convergence check refits on the first half of the design with this, and compares
        with the full design's fit (`analyze`'s S1 and ST) on the same Saltelli sample of the
        emulator (same seed)."""
        return indices(problem, fit(problem, X, Y, seed), seed, resamples=2)

    def half(self, problem: dict, X: np.ndarray, n: int) -> np.ndarray:
        return np.arange(n // 2)  # the first half of a scrambled Sobol' sequence is balanced

    def runs(self, d: int, n: int) -> int:
        return n

    def fit_seconds(self, problem: dict, X: np.ndarray, outputs: int, seed: int) -> float:
        """Time the analysis will take after the runs, measured on this machine on a stand-in
        output (a smooth function of the design plus noise): one emulator fitted from scratch
        on the full design and one on half of it, one cross-validation refit, one bootstrap
        refit, one evaluation of the indices with and one without SALib's CIs; scaled to what
        `analyze` and the convergence check do per output (a fit from scratch, FOLDS CV
        refits, BOOTSTRAPS bootstrap refits, a half-design fit from scratch, one evaluation
        with CIs, BOOTSTRAPS + 1 without)."""
        u = _unit(problem, X)
        rng = np.random.default_rng(seed)
        w = rng.normal(size=u.shape[1])
        y = np.sin(3 * u @ w / np.sqrt(len(w))) + u[:, 0] * u[:, -1] + rng.normal(0, 0.3, len(u))
        t0 = time.perf_counter()
        gp = fit(problem, X, y, seed)
        full = time.perf_counter() - t0
        t0 = time.perf_counter()
        fit(problem, X[: len(X) // 2], y[: len(X) // 2], seed)
        half = time.perf_counter() - t0
        t0 = time.perf_counter()
        keep = rng.permutation(len(y))[: len(y) * (FOLDS - 1) // FOLDS]
        fit(problem, X[keep], y[keep], seed, gp.kernel_)
        refit = time.perf_counter() - t0
        t0 = time.perf_counter()
        rows = rng.integers(0, len(y), len(y))
        fit(problem, X[rows], y[rows], seed, gp.kernel_, fixed=True)
        boot = time.perf_counter() - t0
        t0 = time.perf_counter()
        indices(problem, gp, seed)
        ind = time.perf_counter() - t0
        t0 = time.perf_counter()
        indices(problem, gp, seed, resamples=2)
        quick = time.perf_counter() - t0
        return outputs * (full + half + FOLDS * refit + BOOTSTRAPS * boot + ind
                          + (BOOTSTRAPS + 1) * quick)
