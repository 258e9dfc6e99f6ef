"""Sobol' indices of a stochastic model through a heteroscedastic Gaussian-process emulator.

The model is run on a space-filling design (scrambled Sobol' points) with replications; a
Gaussian process (squared exponential, one length scale per parameter) is fitted to the design-point
means, and Sobol' indices of the emulator's mean are computed with SALib on a large Saltelli
sample (Oakley & O'Hagan 2004, JRSS B 66:751; Marrel et al. 2009, RESS 94:742).

Run-to-run noise is not the same everywhere: near a tipping point a run can end either way,
while far from it runs agree. The noise is emulated beside the mean, as in joint mean and
dispersion modelling (Marrel et al. 2012, Statistics and Computing 22:833) and stochastic
kriging (Ankenman, Nelson & Staum 2010, Operations Research 58:371): each point's log variance
of a single run is estimated from its own runs' spread where it has two or more, else from its
leave-one-out residual under a first, homoscedastic fit; a second Gaussian process smooths them
into a noise variance over the design ("most likely heteroscedastic GP", Kersting et al. 2007,
ICML); the mean's process is refitted with that variance, divided by each point's count of runs,
held on its diagonal. The runs set the noise's level, not the likelihood: with the level free,
a fit to means of uneven counts of runs put it at its lower bound and interpolated the noise.
Points may have different counts of runs: `noisiest` picks where a second stage of replications
pays most (stochastic kriging's two stages).

Hyperparameters are fitted on a random subsample of the design (at most `SUBSAMPLE` points,
several optimiser starts), then the emulator is conditioned on every point. The uncertainty
of the indices combines refits on bootstrap resamples of the design (hyperparameters kept: a
Cholesky each; all resamples predicted in one pass) with SALib's own estimator error. The
emulator is validated by K-fold cross-validation with the hyperparameters kept and the noise
pattern re-estimated from the training folds: the predictivity coefficient Q² and the share of
held-out means inside the 95% predictive interval. Progress is printed on stderr.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from SALib.analyze import sobol as sobol_an
from SALib.sample import sobol as sobol_sa
from scipy.special import digamma, polygamma
from scipy.stats import qmc
from threadpoolctl import threadpool_limits

from cogov_sim.sensitivity import gp

EMULATOR_N = 2048
"""Base size of the Saltelli sample evaluated on the emulator (runs nothing)."""
BOOTSTRAPS = 20
FOLDS = 5
SUBSAMPLE = 512
"""Design points the hyperparameters are fitted on (the emulator then uses every point): on
sweep-advantage, 512 of 1,024 validated as well as all of them at a fifth of the time."""
STARTS = 2  # optimiser starts for the mean's hyperparameters (the noise's: one)
HARDER = 1.4
"""How much longer a real output's fit takes than the stand-in's that `fit_seconds` times: the
optimisers needed 1.2-1.7x the stand-in's likelihood evaluations on sweep-advantage's outputs
(533, 459, 636 against 377), and the timings follow the evaluations."""


_speaker = ""


def say(message: str) -> None:
    """One progress line on stderr: an emulator's analysis of one output takes a while."""
    who = f" ({_speaker})" if _speaker else ""
    print(f"  emulator{who}: {message}", file=sys.stderr, flush=True)


@contextmanager
def speaking_for(output: str) -> Iterator[None]:
    """Name the output in progress lines meanwhile: outputs analysed side by side interleave."""
    global _speaker
    old, _speaker = _speaker, output
    try:
        yield
    finally:
        _speaker = old


def _unit(problem: dict, X: np.ndarray) -> np.ndarray:
    b = np.asarray(problem["bounds"], dtype=float)
    return (X - b[:, 0]) / (b[:, 1] - b[:, 0])


@dataclass
class Fit:
    """A fitted emulator: the mean's and the noise's hyperparameters, the relative noise
    pattern at the design points, and the mean conditioned on every point."""

    mean: gp.Hyper
    first: gp.Hyper  # the homoscedastic fit the leave-one-out residuals come from
    noise: gp.Hyper
    r: np.ndarray  # a single run's relative noise at each design point (mean 1)
    model: gp.Conditioned
    y: np.ndarray  # the means it was conditioned on
    runs: Runs

    @property
    def level(self) -> float:
        """A single run's noise variance where the pattern r is 1 (the output's units)."""
        return self.mean.noise() * self.mean.y_scale ** 2

    @property
    def rel(self) -> np.ndarray:
        """The relative noise of each design point's mean: a run's, over its count of runs."""
        return self.r / self.runs.n

    def noise_share(self) -> float:
        """Share of the design-point means' variance the emulator puts down to noise (its
        noise variance averaged over the design, over the means' variance)."""
        n = self.mean.noise() * float(np.mean(self.rel)) * self.mean.y_scale ** 2
        return min(n / float(np.var(self.y)), 1.0)


@dataclass(frozen=True)
class Runs:
    """How many runs each design-point mean averages, and their sum of squares about it."""

    n: np.ndarray
    ss: np.ndarray

    @classmethod
    def of(cls, size: int, counts: np.ndarray | None = None,
           within: np.ndarray | None = None) -> Runs:
        return cls(np.ones(size) if counts is None else np.asarray(counts, dtype=float),
                   np.zeros(size) if within is None else np.asarray(within, dtype=float))

    def take(self, rows: np.ndarray) -> Runs:
        return Runs(self.n[rows], self.ss[rows])


def _log_variances(first: gp.Hyper, U: np.ndarray, Y: np.ndarray, runs: Runs
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Each point's log variance of a single run, estimated without bias, and the variance of
    that estimate. Where a point has two runs or more, from their own spread (stochastic
    kriging's intrinsic variance: it holds the noise's level, whatever the emulator does);
    where it has one, from its leave-one-out residual under the homoscedastic fit (noise plus
    the emulator's error there, so an upper estimate; the in-sample residual is about 0 where
    the fit interpolates). The log of a sample variance on k degrees of freedom is biased by
    digamma(k/2) - log(k/2) and varies by trigamma(k/2)."""
    dof = runs.n - 1
    k = np.where(dof > 0, dof, 1.0)
    e = gp.loo(gp.condition(first, U, Y, 1.0 / runs.n))
    s2 = np.where(dof > 0, runs.ss / k, e ** 2)
    z = np.log(s2 + 1e-12 * first.y_scale ** 2) - (digamma(k / 2) - np.log(k / 2))
    return z, polygamma(1, k / 2)


def _variance(noise: gp.Hyper, U: np.ndarray, z: np.ndarray, w: np.ndarray, at: np.ndarray
              ) -> np.ndarray:
    """A single run's noise variance at the rows of `at`: the log variances z at U (their
    estimates' variances w) smoothed by the noise's process."""
    return np.exp(gp.condition(noise, U, z, w).mean(at))


def _subsample(n: int, seed: int) -> np.ndarray:
    return np.sort(np.random.default_rng(seed).permutation(n)[:SUBSAMPLE])


def fit(problem: dict, X: np.ndarray, Y: np.ndarray, seed: int, quiet: bool = False,
        runs: Runs | None = None) -> Fit:
    """The heteroscedastic emulator of the means Y at X (inputs scaled to [0, 1]), each the
    mean of `runs.n` runs (one each when None)."""
    tell = (lambda _m: None) if quiet else say
    runs = runs or Runs.of(len(Y))
    U = _unit(problem, X)
    sub = _subsample(len(Y), seed)
    with threadpool_limits(1):  # one BLAS thread: on a busy machine (the sweep's workers,
        # other work) threaded BLAS oversubscribes the cores and runs slower, not faster
        t0 = time.perf_counter()
        tell(f"fitting the mean's hyperparameters on {len(sub)} of {len(Y)} points "
             f"({STARTS} starts)")
        first = gp.optimise(U[sub], Y[sub], seed, r=1.0 / runs.n[sub], starts=STARTS)
        tell("fitting the noise pattern (log variances of a single run)")
        noise, v = _noise(first, U, Y, runs, sub, seed)
        level = float(np.mean(v))
        r = v / level
        tell(f"refitting the mean with the noise pattern (noise held at {level:.3g})")
        mean = gp.optimise(U[sub], Y[sub], seed, r=(r / runs.n)[sub], starts=1, start=first,
                           level=level)
        model = gp.condition(mean, U, Y, r / runs.n)
        tell(f"fitted in {time.perf_counter() - t0:.0f} s")
    return Fit(mean, first, noise, r, model, Y, runs)


def _noise(first: gp.Hyper, U: np.ndarray, Y: np.ndarray, runs: Runs, sub: np.ndarray,
           seed: int) -> tuple[gp.Hyper, np.ndarray]:
    """The noise's process, fitted to the log variances on the subsample, and a single run's
    noise variance at every design point."""
    z, w = _log_variances(first, U, Y, runs)
    noise = gp.optimise(U[sub], z[sub], seed + 1, r=w[sub], starts=1)
    return noise, _variance(noise, U, z, w, U)


def noisiest(problem: dict, X: np.ndarray, Ys: list[np.ndarray], share: float, seed: int
             ) -> tuple[np.ndarray, np.ndarray]:
    """The design points where a run is noisiest, for a second stage of replications: the
    `share` of points with the largest relative noise of a single run, in any output (each
    output's noise pattern, as `fit` makes it from one run per point). Returns the points'
    indices (ascending) and the relative noise (points x outputs)."""
    U = _unit(problem, X)
    sub = _subsample(len(X), seed)
    cols = []
    with threadpool_limits(1):
        for i, Y in enumerate(Ys, 1):
            say(f"noise pattern of output {i} of {len(Ys)} (choosing the points to replicate)")
            first = gp.optimise(U[sub], Y[sub], seed, starts=STARTS)
            v = _noise(first, U, Y, Runs.of(len(Y)), sub, seed)[1]
            cols.append(v / np.mean(v))
    R = np.column_stack(cols)
    k = int(round(share * len(X)))
    top = np.argsort(-R.max(axis=1), kind="stable")[:k]
    return np.sort(top), R


def validate(problem: dict, X: np.ndarray, Y: np.ndarray, f: Fit, seed: int
             ) -> dict[str, float]:
    """K-fold cross-validation with the hyperparameters kept: Q² (1 - held-out squared error
    / variance) and the share of held-out means inside the 95% predictive interval (the
    noise the pattern predicts there included). Each fold's noise pattern and mean are
    conditioned on the other folds only."""
    U = _unit(problem, X)
    fold = np.random.default_rng(seed).permutation(len(Y)) % FOLDS
    pred, var = np.empty(len(Y)), np.empty(len(Y))
    level = f.level
    with threadpool_limits(1):
        for k in range(FOLDS):
            test = fold == k
            z, w = _log_variances(f.first, U[~test], Y[~test], f.runs.take(~test))
            rel = _variance(f.noise, U[~test], z, w, U) / level / f.runs.n
            c = gp.condition(f.mean, U[~test], Y[~test], rel[~test])
            pred[test], var[test] = c.predict(U[test])
            var[test] += level * rel[test]
    q2 = 1.0 - float(np.mean((Y - pred) ** 2) / np.var(Y))
    inside = float(np.mean(np.abs(Y - pred) <= 1.96 * np.sqrt(var)))
    return {"q2": q2, "coverage": inside}


def _saltelli(problem: dict, seed: int) -> np.ndarray:
    return _unit(problem, sobol_sa.sample(problem, EMULATOR_N, calc_second_order=False,
                                          seed=seed))


def _sobol(problem: dict, yz: np.ndarray, seed: int, resamples: int) -> pd.DataFrame:
    res = sobol_an.analyze(problem, yz, calc_second_order=False, num_resamples=resamples,
                           seed=seed)
    return pd.DataFrame({c: np.asarray(res[c], dtype=float)
                         for c in ("S1", "S1_conf", "ST", "ST_conf")},
                        index=pd.Index(problem["names"], name="parameter"))


def indices(problem: dict, f: Fit, seed: int, boots: int = 0) -> pd.DataFrame:
    """S1 and ST of the emulator's mean with SALib's bootstrap half-widths; with `boots`,
    widened by the spread of the indices over that many emulators conditioned on bootstrap
    resamples of the design (hyperparameters and noise pattern kept)."""
    Z = _saltelli(problem, seed)
    U, Y = f.model.X, f.y
    rng = np.random.default_rng(seed)
    alphas, centres = [f.model.alpha], [f.model.centre]
    with threadpool_limits(1):
        for _ in range(boots):
            # hyperparameters kept: re-optimised on a resample with ~37% duplicated points
            # the likelihood can collapse onto a flat, all-noise emulator whose indices are 0/0
            rows = rng.integers(0, len(Y), len(Y))
            c = gp.condition(f.mean, U[rows], Y[rows], f.rel[rows])
            alphas.append(np.bincount(rows, weights=c.alpha, minlength=len(Y)))
            centres.append(c.centre)
        yz = gp.predict_many(f.mean, U, np.column_stack(alphas), Z, np.asarray(centres))
    df = _sobol(problem, yz[:, 0], seed, 200)
    if boots:
        runs = [_sobol(problem, yz[:, b], seed + b, 2) for b in range(1, boots + 1)]
        for c in ("S1", "ST"):
            spread = np.std([bt[c].to_numpy() for bt in runs], axis=0, ddof=1)
            df[f"{c}_conf"] = np.sqrt((1.96 * spread) ** 2 + df[f"{c}_conf"].to_numpy() ** 2)
    return df


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

    def analyze(self, problem: dict, X: np.ndarray, Y: np.ndarray, seed: int,
                runs: Runs | None = None) -> pd.DataFrame:
        f = fit(problem, X, Y, seed, runs=runs)
        say(f"Sobol' indices on {EMULATOR_N * (problem['num_vars'] + 2):,} emulator points, "
            f"with {BOOTSTRAPS} bootstrap refits")
        df = indices(problem, f, seed, BOOTSTRAPS)
        say(f"{FOLDS}-fold cross-validation")
        df.attrs["emulator"] = {**validate(problem, X, Y, f, seed), "points": int(len(Y)),
                                "noise": f.noise_share(), "kernel": describe(problem, f)}
        say(f"held-out Q² {df.attrs['emulator']['q2']:.2f}")
        return df

    def point(self, problem: dict, X: np.ndarray, Y: np.ndarray, seed: int,
              runs: Runs | None = None) -> pd.DataFrame:
        """The indices of one emulator fitted to these points (no bootstrap, no validation):
        the convergence check refits on the first half of the design with this, and compares
        with the full design's fit (`analyze`'s S1 and ST) on the same Saltelli sample of the
        emulator (same seed)."""
        say(f"refitting from scratch on the first {len(Y)} points (convergence check)")
        return indices(problem, fit(problem, X, Y, seed, runs=runs), seed)

    def half(self, problem: dict, X: np.ndarray, n: int) -> np.ndarray:
        return np.arange(n // 2)  # the first half of a scrambled Sobol' sequence is balanced

    def runs(self, d: int, n: int) -> int:
        return n

    def fit_seconds(self, problem: dict, X: np.ndarray, outputs: int, seed: int,
                    share: float = 0.0) -> float:
        """Time the analysis will take after the runs, measured on this machine: `analyze`
        and the half-design refit (`point`) done once on a stand-in output (a smooth function
        of the design plus noise whose level varies over the design), times the rounds of
        outputs the cores analyse side by side, times HARDER (real outputs take the optimiser
        more steps than a smooth stand-in); with a second stage (`share`), plus choosing its
        points (`noisiest`, one output after another)."""
        u = _unit(problem, X)
        rng = np.random.default_rng(seed)
        w = rng.normal(size=u.shape[1])
        smooth = np.sin(3 * u @ w / np.sqrt(len(w))) + u[:, 0] * u[:, -1]
        y = smooth + rng.normal(0, 1, len(u)) * (0.1 + 0.5 * u[:, 0])
        t0 = time.perf_counter()
        self.analyze(problem, X, y, seed)
        half = self.half(problem, X, len(X))
        self.point(problem, X[half], y[half], seed)
        rounds = math.ceil(outputs / min(outputs, os.cpu_count() or 1))
        total = HARDER * rounds * (time.perf_counter() - t0)
        if share:
            t0 = time.perf_counter()
            noisiest(problem, X, [y], share, seed)
            total += HARDER * outputs * (time.perf_counter() - t0)
        return total


def describe(problem: dict, f: Fit) -> str:
    """The fitted hyperparameters in words: signal and noise variances (standardised output)
    and the five shortest length scales (the inputs the mean moves fastest along)."""
    ls = np.exp(f.mean.log_len)
    order = np.argsort(ls)[:5]
    return (f"squared exponential, signal {f.mean.signal():.3g}, noise {f.mean.noise():.3g} x pattern "
            f"[{f.r.min():.2g}, {f.r.max():.2g}]; shortest length scales: "
            + ", ".join(f"{problem['names'][i]} {ls[i]:.2g}" for i in order))
