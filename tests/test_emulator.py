"""The heteroscedastic emulator: it finds where the noise is, and that makes its mean better."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from cogov_sim.sensitivity import emulator, gp

PROBLEM = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0.0, 1.0]] * 3}


def truth(u: np.ndarray) -> np.ndarray:
    """A smooth mean with an interaction."""
    return np.sin(2 * np.pi * u[:, 1]) + 2 * u[:, 0] * u[:, 2]


def noise_sd(u: np.ndarray) -> np.ndarray:
    """Quiet for small `a`, very noisy for large `a` (a tipping point's spread)."""
    return 0.02 + 1.0 * u[:, 0] ** 3


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(5)
    X = emulator.Emulator().sample(PROBLEM, 256, 5)
    Y = truth(X) + rng.normal(size=len(X)) * noise_sd(X)
    return X, Y, emulator.fit(PROBLEM, X, Y, 5, quiet=True)


def test_the_noise_pattern_follows_the_true_noise(fitted) -> None:
    """The relative noise the emulator puts on each design point ranks the points as the true
    noise variance does, and puts the noisy end at least ten times above the quiet one."""
    X, _, f = fitted
    rho = spearmanr(f.r, noise_sd(X) ** 2).statistic
    assert rho > 0.8, rho
    quiet, loud = X[:, 0] < 0.3, X[:, 0] > 0.8
    assert np.median(f.r[loud]) > 10 * np.median(f.r[quiet])


def test_the_heteroscedastic_mean_beats_the_homoscedastic_one(fitted) -> None:
    """Against the true mean on fresh points, the emulator with the noise pattern errs less
    than the same process with one noise level (its first fit), most of all where it is
    quiet; and its 95% intervals (noise included) hold about 95% of fresh noisy runs."""
    X, Y, f = fitted
    U = emulator._unit(PROBLEM, X)
    Z = np.random.default_rng(9).random((2000, 3))
    homo = gp.condition(f.first, U, Y).mean(Z)
    het, var = f.model.predict(Z)
    err_homo, err_het = (homo - truth(Z)) ** 2, (het - truth(Z)) ** 2
    assert err_het.mean() < 0.8 * err_homo.mean(), (err_het.mean(), err_homo.mean())
    quiet = Z[:, 0] < 0.3
    assert err_het[quiet].mean() < 0.5 * err_homo[quiet].mean()
    z, w = emulator._log_variances(f.first, U, Y, f.runs)
    sd = np.sqrt(var + emulator._variance(f.noise, U, z, w, Z))
    runs = truth(Z) + np.random.default_rng(10).normal(size=len(Z)) * noise_sd(Z)
    assert 0.9 <= np.mean(np.abs(runs - het) <= 1.96 * sd) <= 0.99


def test_analyze_validates_prints_progress_and_fixes_hyperparameters_once(fitted, capsys
                                                                          ) -> None:
    """`analyze` reports Q² and coverage, says on stderr what it is doing (fit, indices,
    cross-validation), and the bootstrap's indices carry CIs; `c`, which the mean reads
    only through its interaction with `a`, has a total effect above its main effect."""
    X, Y, _ = fitted
    df = emulator.Emulator().analyze(PROBLEM, X, Y, 5)
    err = capsys.readouterr().err
    for step in ("fitting the mean's hyperparameters on 256 of 256 points", "noise pattern",
                 "bootstrap refits", "5-fold cross-validation", "held-out Q²"):
        assert step in err, err
    em = df.attrs["emulator"]
    assert em["q2"] > 0.7 and 0.85 <= em["coverage"] <= 1.0, em
    assert (df["ST_conf"] > 0).all() and (df["ST_conf"] < 0.1).all(), df
    assert df.loc["c", "ST"] > df.loc["c", "S1"] + 0.02, df


def test_likelihood_gradient_matches_finite_differences() -> None:
    """The analytic gradient the optimiser follows is the likelihood's."""
    rng = np.random.default_rng(0)
    X = rng.random((40, 4))
    y = np.sin(3 * X[:, 0]) + rng.normal(0, 0.1, 40)
    h = gp.Hyper(0.2, np.log([0.3, 0.5, 0.8, 2.0]), float(np.log(0.05)), 1.0)
    r = rng.uniform(0.5, 3, 40)
    t = h.theta()
    _, g = gp.nll(t, h, X, y, r)
    num = [(gp.nll(t + e, h, X, y, r)[0] - gp.nll(t - e, h, X, y, r)[0]) / 2e-6
           for e in np.eye(len(t)) * 1e-6]
    assert np.allclose(g, num, atol=1e-5)


def test_the_runs_set_the_noise_level_where_points_are_replicated() -> None:
    """A second stage's design: one run at most points, five at the noisiest quarter. The
    noise the emulator puts on a single run there is the runs' own (within a factor of 1.5 of
    the true variance, averaged over those points), not a likelihood's lower bound, and its
    95% intervals hold about 95% of fresh runs' means of five."""
    rng = np.random.default_rng(7)
    X = emulator.Emulator().sample(PROBLEM, 256, 7)
    n = np.where(X[:, 0] > 0.75, 5, 1)
    runs = [truth(X[i: i + 1]) + rng.normal(size=k) * noise_sd(X[i: i + 1]) for i, k in
            enumerate(n)]
    Y = np.array([r.mean() for r in runs])
    ss = np.array([((r - r.mean()) ** 2).sum() for r in runs])
    f = emulator.fit(PROBLEM, X, Y, 7, quiet=True, runs=emulator.Runs.of(len(Y), n, ss))
    rep = n > 1
    level = f.level
    ratio = np.mean(level * f.r[rep]) / np.mean(noise_sd(X[rep]) ** 2)
    assert 1 / 1.5 < ratio < 1.5, ratio
    fresh = truth(X[rep]) + np.random.default_rng(8).normal(size=(5, rep.sum())).mean(0) * \
        noise_sd(X[rep])
    m, v = f.model.predict(emulator._unit(PROBLEM, X[rep]))
    inside = np.abs(fresh - m) <= 1.96 * np.sqrt(v + level * f.rel[rep])
    assert 0.85 <= inside.mean() <= 1.0, inside.mean()
