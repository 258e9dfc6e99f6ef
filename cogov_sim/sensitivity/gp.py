"""A small Gaussian process for emulating a stochastic simulator: ARD kernel, per-point noise.

The covariance is squared exponential with one length scale per input (automatic relevance
determination), plus noise on the diagonal that may differ from point to point: sigma² r_i,
with r a relative noise pattern (stochastic kriging: Ankenman, Nelson & Staum 2010,
Operations Research 58:371; the noise's pattern emulated beside the mean: Marrel et al. 2012,
Statistics and Computing 22:833). The
hyperparameters maximise the log marginal likelihood with its analytic gradient (Rasmussen &
Williams 2006, *Gaussian Processes for Machine Learning*, eq. 5.9), by L-BFGS-B from several
starts. Once they are fixed, conditioning on other data (cross-validation folds, bootstrap
resamples) is one Cholesky factorisation, and the predictions of many conditioned emulators
at one set of points share one pass over the cross-covariance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_solve, cholesky, solve_triangular
from scipy.optimize import minimize

LOG_LENGTH = (np.log(0.02), np.log(50.0))
"""Length scales on inputs scaled to [0, 1]: from a fiftieth of the range (a very rough
input) to fifty ranges (an input that hardly matters)."""
LOG_AMPLITUDE = (np.log(1e-4), np.log(10.0))
LOG_NOISE = (np.log(1e-6), np.log(2.0))
JITTER = 1e-8
FTOL = 1e-6
"""The optimiser stops when a step gains less than this share of the likelihood (about 0.0003
nats at sweep-advantage's 300): far below a difference the likelihood can tell apart, and half
the steps of scipy's default 2.2e-9 (fits 21 s against 51 s there, same Q² and indices)."""
CHUNK = 4096  # rows of a cross-covariance block: 4096 x 1024 doubles is 32 MB


def _sq(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances between the rows of a and of b."""
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(d, 0.0)


@dataclass
class Hyper:
    """Hyperparameters on the log scale: the signal's amplitude, one length scale per input,
    the noise level (the noise variance where the relative pattern r is 1); and the output's
    scale (the process works on the standardised output)."""

    log_amp: float
    log_len: np.ndarray
    log_noise: float
    y_scale: float

    def theta(self) -> np.ndarray:
        return np.concatenate([[self.log_amp], self.log_len, [self.log_noise]])

    def with_theta(self, t: np.ndarray) -> Hyper:
        return Hyper(float(t[0]), np.array(t[1:-1]), float(t[-1]), self.y_scale)

    def bounds(self) -> list[tuple[float, float]]:
        return [LOG_AMPLITUDE] + [LOG_LENGTH] * len(self.log_len) + [LOG_NOISE]

    def signal(self) -> float:
        """Prior variance of the emulated mean (standardised units)."""
        return float(np.exp(self.log_amp))

    def noise(self) -> float:
        return float(np.exp(self.log_noise))


def cov(h: Hyper, A: np.ndarray, B: np.ndarray | None = None) -> np.ndarray:
    """The signal's covariance between the rows of A and B (B = A when None)."""
    za = A / np.exp(h.log_len)
    zb = za if B is None else B / np.exp(h.log_len)
    return np.exp(h.log_amp - 0.5 * _sq(za, zb))


def nll(t: np.ndarray, h: Hyper, X: np.ndarray, y: np.ndarray, r: np.ndarray
        ) -> tuple[float, np.ndarray]:
    """Negative log marginal likelihood of standardised y and its gradient in theta."""
    h = h.with_theta(t)
    S = cov(h, X)
    K = S.copy()
    nz = np.exp(h.log_noise) * r
    K[np.diag_indices_from(K)] += nz + JITTER
    try:
        L = cholesky(K, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        return 1e25, np.zeros_like(t)
    alpha = cho_solve((L, True), y, check_finite=False)
    value = 0.5 * y @ alpha + np.log(np.diag(L)).sum() + 0.5 * len(y) * np.log(2 * np.pi)
    W = np.outer(alpha, alpha) - cho_solve((L, True), np.eye(len(y)), check_finite=False)
    M = W * S
    z = X / np.exp(h.log_len)
    rows = M.sum(1)
    # dS/dlog(length_j) = S * (z_ij - z_kj)^2, summed against W for every input j at once
    dlen = 2.0 * (z * z * rows[:, None]).sum(0) - 2.0 * (z * (M @ z)).sum(0)
    grad = np.concatenate([[M.sum()], dlen, [np.diag(W) @ nz]])
    return float(value), -0.5 * grad


def optimise(X: np.ndarray, y: np.ndarray, seed: int, r: np.ndarray | None = None,
             starts: int = 3, start: Hyper | None = None, level: float | None = None) -> Hyper:
    """Hyperparameters maximising the marginal likelihood of (X, y) with relative noise r, the
    best from `start` (if given) and `starts` more starts (a default, then random); with
    `level`, the noise variance where r is 1 is held at it (in y's units) and only the
    signal's hyperparameters are fitted."""
    r = np.ones(len(y)) if r is None else r
    scale = float(np.std(y)) or 1.0
    ys = (y - y.mean()) / scale
    rng = np.random.default_rng(seed)
    d = X.shape[1]
    base = Hyper(0.0, np.full(d, np.log(0.5)), float(np.log(0.1)), scale)
    inits = ([start.theta()] if start is not None else []) + [base.theta()] + [
        np.concatenate([[0.0], rng.uniform(np.log(0.2), np.log(3.0), d),
                        [rng.uniform(np.log(0.01), np.log(0.5))]]) for _ in range(starts - 1)]
    bounds = base.bounds()
    if level is not None:  # equal bounds: L-BFGS-B keeps the variable fixed
        held = float(np.log(level / scale ** 2))
        bounds[-1] = (held, held)
        for t in inits:
            t[-1] = held
    best = None
    for t0 in inits:
        res = minimize(nll, t0, args=(base, X, ys, r), jac=True, method="L-BFGS-B",
                       bounds=bounds, options={"maxiter": 300, "ftol": FTOL})
        if best is None or res.fun < best.fun:
            best = res
    return base.with_theta(best.x)


def loo(c: Conditioned) -> np.ndarray:
    """Leave-one-out residuals of the conditioned GP at its own points, each left out in turn,
    without refitting (Rasmussen & Williams 2006, eq. 5.12): y_i minus the mean the other
    points predict there."""
    k_inv = cho_solve((c.L, True), np.eye(len(c.X)), check_finite=False)
    return c.h.y_scale * c.alpha / np.diag(k_inv)


@dataclass
class Conditioned:
    """A GP with fixed hyperparameters conditioned on data: predicts means and variances."""

    h: Hyper
    X: np.ndarray
    centre: float
    L: np.ndarray
    alpha: np.ndarray  # on the standardised scale

    def mean(self, Z: np.ndarray) -> np.ndarray:
        return predict_many(self.h, self.X, self.alpha[:, None], Z, self.centre)[:, 0]

    def predict(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of the emulated mean (no noise) at the rows of Z."""
        Ks = cov(self.h, Z, self.X)
        m = self.centre + self.h.y_scale * (Ks @ self.alpha)
        v = solve_triangular(self.L, Ks.T, lower=True, check_finite=False)
        var = np.maximum(self.h.signal() - (v * v).sum(0), 0.0)
        return m, var * self.h.y_scale ** 2


def condition(h: Hyper, X: np.ndarray, y: np.ndarray, r: np.ndarray | None = None,
              centre: float | None = None) -> Conditioned:
    """The GP with hyperparameters h conditioned on (X, y) with relative noise r: one Cholesky."""
    r = np.ones(len(y)) if r is None else r
    c = float(y.mean()) if centre is None else centre
    K = cov(h, X)
    K[np.diag_indices_from(K)] += np.exp(h.log_noise) * r + JITTER
    L = cholesky(K, lower=True, check_finite=False)
    alpha = cho_solve((L, True), (y - c) / h.y_scale, check_finite=False)
    return Conditioned(h, X, c, L, alpha)


def predict_many(h: Hyper, X: np.ndarray, alphas: np.ndarray, Z: np.ndarray,
                 centre: float | np.ndarray = 0.0) -> np.ndarray:
    """Means at the rows of Z of several GPs sharing hyperparameters and training inputs X
    (one column of `alphas` each; a bootstrap resample's weights summed onto X's rows): one
    pass over the cross-covariance, in blocks."""
    out = np.empty((len(Z), alphas.shape[1]))
    for i in range(0, len(Z), CHUNK):
        out[i: i + CHUNK] = cov(h, Z[i: i + CHUNK], X) @ alphas
    return np.asarray(centre) + h.y_scale * out
