"""History matching: waves of emulator-based implausibility cuts (Craig et al. 1997;
Andrianakis et al. 2015, PLoS Comput Biol 11:e1003968; McCulloch et al. 2022, JASSS 25(2)1).

Each wave runs the model on a space-filling design inside the region not yet ruled out,
fits one Gaussian-process emulator per calibration target to the single-run values (a
white-noise term takes the run-to-run noise, so the emulator's mean is the model's expected
value), and rules out every parameter set whose implausibility is above the cut:

    I_j(θ) = miss_j(E_j[f(θ)]) / sqrt(Var_j[f(θ)] + δ_j²)

where miss_j is how far the emulated mean lies outside target j's band (0 inside: the band
already holds the observation's uncertainty), Var_j the emulator's variance of that mean and
δ_j the pattern's `scale` -- the project's unit for a miss, standing for model discrepancy.
The cut applies to the `rank`-th largest I_j over the targets (rank 2: one target may miss
everywhere, as a model that cannot reach one pattern should not lose every parameter set to
it). A point must pass every wave's emulators.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import qmc
from threadpoolctl import threadpool_limits

from cogov_sim.validation.patterns import Pattern

CANDIDATES = 2**14
"""Candidate points drawn per round when sampling the not-implausible region."""
ROUNDS = 25


@dataclass
class Box:
    """The prior box; the emulators work in its unit cube."""

    keys: list[str]
    low: np.ndarray
    high: np.ndarray

    def scale(self, U: np.ndarray) -> np.ndarray:
        return self.low + U * (self.high - self.low)

    def points(self, X: np.ndarray) -> list[dict[str, float]]:
        return [{k: float(v) for k, v in zip(self.keys, x, strict=True)} for x in X]


@dataclass
class TargetEmulator:
    """A GP of one target's single-run values over the unit cube; predicts the mean."""

    pattern: Pattern
    gp: object
    noise_var: float
    q2: float

    def mean_var(self, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The emulated expected value and its variance (the run-to-run noise removed)."""
        with threadpool_limits(1):
            m, sd = self.gp.predict(U, return_std=True)
        return m, np.maximum(sd**2 - self.noise_var, 1e-12)

    def implausibility(self, U: np.ndarray) -> np.ndarray:
        m, v = self.mean_var(U)
        p = self.pattern
        miss = np.maximum.reduce([p.low - m, np.zeros_like(m), m - p.high])
        return miss / np.sqrt(v + p.scale**2)


def _gp(d: int, seed: int):
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

    kernel = (ConstantKernel(1.0, (1e-3, 1e3)) * RBF(np.full(d, 0.4), (1e-2, 1e2))
              + WhiteKernel(0.1, (1e-6, 1e1)))
    return GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=1,
                                    random_state=seed)


def fit_target(pattern: Pattern, U: np.ndarray, y: np.ndarray, seed: int) -> TargetEmulator | None:
    """One target's emulator, with its 5-fold held-out Q² (of single runs, so noise caps it);
    None when too few runs gave the measure a value."""
    ok = np.isfinite(y)
    if ok.sum() < 2 * U.shape[1] + 2:
        return None
    from sklearn.base import clone

    U, y = U[ok], y[ok]
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore")
        gp = _gp(U.shape[1], seed).fit(U, y)
        fold = np.random.default_rng(seed).permutation(len(y)) % 5
        pred = np.empty(len(y))
        for k in range(5):
            g = clone(gp).set_params(kernel=gp.kernel_, optimizer=None)
            g.fit(U[fold != k], y[fold != k])
            pred[fold == k] = g.predict(U[fold == k])
    q2 = 1.0 - float(np.mean((y - pred) ** 2) / max(np.var(y), 1e-300))
    noise = float(gp.kernel_.k2.noise_level) * float(np.squeeze(gp._y_train_std)) ** 2
    return TargetEmulator(pattern, gp, noise, q2)


def ranked(imp: np.ndarray, rank: int) -> np.ndarray:
    """The rank-th largest implausibility of each row (NaN-free)."""
    s = np.sort(np.nan_to_num(imp, nan=0.0), axis=1)[:, ::-1]
    return s[:, min(rank, s.shape[1]) - 1]


@dataclass
class Wave:
    """One wave's emulators and its cut."""

    emulators: list[TargetEmulator]
    cut: float
    rank: int

    def implausibility(self, U: np.ndarray) -> np.ndarray:
        """Rows: points; columns: targets with an emulator."""
        return np.column_stack([e.implausibility(U) for e in self.emulators])

    def keeps(self, U: np.ndarray) -> np.ndarray:
        return ranked(self.implausibility(U), self.rank) <= self.cut


def not_implausible(waves: list[Wave], U: np.ndarray) -> np.ndarray:
    """Which unit-cube points every wave keeps."""
    keep = np.ones(len(U), dtype=bool)
    for w in waves:
        if keep.any():
            keep[keep] = w.keeps(U[keep])
    return keep


def sample_region(waves: list[Wave], d: int, n: int, rng: np.random.Generator,
                  spread: bool = True) -> tuple[np.ndarray, float]:
    """Up to `n` unit-cube points in the not-implausible region (rejection from scrambled
    Sobol' candidates) -- spread out (a design) or uniform on it (`spread` False: a prior
    sample) -- and the region's share of the prior box."""
    kept, seen = [], 0
    for _ in range(ROUNDS):
        c = qmc.Sobol(d, scramble=True, rng=rng).random(CANDIDATES)
        k = not_implausible(waves, c)
        seen += len(c)
        kept.append(c[k])
        if sum(len(x) for x in kept) >= 4 * n:
            break
    pool = np.concatenate(kept)
    share = len(pool) / seen
    if len(pool) > n:
        pool = maximin(pool, n, rng) if spread else pool[rng.permutation(len(pool))[:n]]
    return pool, share


def maximin(pool: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` points of `pool` chosen greedily to be far from each other (a space-filling design
    inside an irregular region)."""
    chosen = [int(rng.integers(len(pool)))]
    dist = np.linalg.norm(pool - pool[chosen[0]], axis=1)
    for _ in range(n - 1):
        i = int(np.argmax(dist))
        chosen.append(i)
        dist = np.minimum(dist, np.linalg.norm(pool - pool[i], axis=1))
    return pool[chosen]


Simulate = Callable[[str, list[dict[str, float]]], pd.DataFrame]
"""Runs a stage's points: (stage name, points) -> one row per point, one column per target."""


def match(box: Box, targets: tuple[Pattern, ...], simulate: Simulate, waves: int, points: int,
          cut: float, rank: int, seed: int, say: Callable[[str], None] = lambda s: None
          ) -> tuple[list[Wave], list[dict]]:
    """The waves of history matching; returns them and one summary row per wave."""
    rng = np.random.default_rng(seed)
    done: list[Wave] = []
    log: list[dict] = []
    d = len(box.keys)
    for w in range(waves):
        U, share = (qmc.LatinHypercube(d, rng=rng).random(points), 1.0) if not done \
            else sample_region(done, d, points, rng)
        if len(U) < 2 * d + 2:
            say(f"wave {w + 1}: the not-implausible region is {share:.2%} of the box, too small "
                "to design another wave; stopping")
            break
        Y = simulate(f"wave-{w + 1}", box.points(box.scale(U)))
        ems = [e for p in targets
               if (e := fit_target(p, U, Y[p.name].to_numpy(float), seed + w)) is not None]
        wave = Wave(ems, cut, rank)
        imp = wave.implausibility(U)
        kept = float(np.mean(ranked(imp, rank) <= cut))
        names = [e.pattern.name for e in ems]
        worst = pd.Series([names[i] for i in np.argmax(np.nan_to_num(imp), axis=1)]).value_counts()
        done.append(wave)
        row = {"wave": w + 1, "points": len(U), "region_before": share,
               "kept_of_design": kept,
               "q2": {e.pattern.name: round(e.q2, 3) for e in ems},
               "largest_miss": {k: int(v) for k, v in worst.items()}}
        log.append(row)
        say(f"wave {w + 1}: {len(U)} points in a region {share:.1%} of the box; {kept:.0%} of "
            f"them not implausible; emulator Q² " +
            ", ".join(f"{e.pattern.name} {e.q2:.2f}" for e in ems))
    if done:
        _, share = sample_region(done, d, 1, rng)
        log.append({"wave": "final", "region": share})
        say(f"not-implausible region after {len(done)} waves: {share:.2%} of the prior box")
        if share == 0:
            raise RegionEmpty(log)
    return done, log


class RegionEmpty(Exception):
    """No parameter set in the box is consistent with the targets (at the cut)."""

    def __init__(self, log: list[dict]) -> None:
        self.log = log
        super().__init__("every parameter set in the prior box is implausible")
