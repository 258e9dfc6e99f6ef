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

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from SALib.analyze import sobol as sobol_an
from SALib.sample import sobol as sobol_sa
from scipy.stats import qmc

EMULATOR_N = 2048
"""Base size of the Saltelli sample evaluated on the emulator (runs nothing)."""
BOOTSTRAPS = 20
FOLDS = 5


def _gp(d: int, seed: int):
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

    kernel = (ConstantKernel(1.0, (1e-3, 1e3)) * RBF(np.full(d, 0.3), (1e-2, 1e2))
              + WhiteKernel(1e-2, (1e-8, 1e1)))
    return GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=1,
                                    random_state=seed)


def _unit(problem: dict, X: np.ndarray) -> np.ndarray:
    b = np.asarray(problem["bounds"], dtype=float)
    return (X - b[:, 0]) / (b[:, 1] - b[:, 0])


def fit(problem: dict, X: np.ndarray, Y: np.ndarray, seed: int):
    """The Gaussian process fitted to design-point means (inputs scaled to [0, 1])."""
    gp = _gp(problem["num_vars"], seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter at the kernel bounds
        gp.fit(_unit(problem, X), Y)
    return gp


def validate(problem: dict, X: np.ndarray, Y: np.ndarray, seed: int) -> dict[str, float]:
    """K-fold cross-validation: Q² (1 - held-out squared error / variance) and the share of
    held-out means inside the 95% predictive interval (noise included)."""
    rng = np.random.default_rng(seed)
    fold = rng.permutation(len(Y)) % FOLDS
    pred, sd = np.empty(len(Y)), np.empty(len(Y))
    for k in range(FOLDS):
        test = fold == k
        gp = fit(problem, X[~test], Y[~test], seed)
        pred[test], sd[test] = gp.predict(_unit(problem, X[test]), return_std=True)
    q2 = 1.0 - float(np.mean((Y - pred) ** 2) / np.var(Y))
    inside = float(np.mean(np.abs(Y - pred) <= 1.96 * sd))
    return {"q2": q2, "coverage": inside}


def indices(problem: dict, gp, seed: int) -> pd.DataFrame:
    """S1 and ST of the emulator's mean, with SALib's bootstrap half-widths."""
    Z = sobol_sa.sample(problem, EMULATOR_N, calc_second_order=False, seed=seed)
    yz = gp.predict(_unit(problem, Z))
    res = sobol_an.analyze(problem, yz, calc_second_order=False, num_resamples=200, seed=seed)
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
            rows = rng.integers(0, len(Y), len(Y))
            boots.append(indices(problem, fit(problem, X[rows], Y[rows], seed + b), seed + b))
        for c in ("S1", "ST"):
            spread = np.std([bt[c].to_numpy() for bt in boots], axis=0, ddof=1)
            df[f"{c}_conf"] = np.sqrt((1.96 * spread) ** 2 + df[f"{c}_conf"].to_numpy() ** 2)
        df.attrs["emulator"] = {**validate(problem, X, Y, seed), "points": int(len(Y)),
                                "kernel": str(gp.kernel_)}
        return df

    def half(self, problem: dict, X: np.ndarray, n: int) -> np.ndarray:
        return np.arange(n // 2)  # the first half of a scrambled Sobol' sequence is balanced

    def runs(self, d: int, n: int) -> int:
        return n
