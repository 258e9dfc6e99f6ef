"""Confidence intervals for replicated stochastic results (pure functions)."""

from __future__ import annotations

import numpy as np


def mean_ci(x: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of independent replications."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return (np.nan, np.nan, np.nan)
    m = float(x.mean())
    if n == 1:
        return (m, np.nan, np.nan)
    from scipy import stats  # imported when first needed: it costs workers a third of a second

    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return (m, m - half, m + half)


def paired_diff_ci(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of b - a and its CI, pairing replication r of both (same seed: common random
    numbers). Pairs with a missing value on either side are dropped."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ok = ~(np.isnan(a) | np.isnan(b))
    return mean_ci(b[ok] - a[ok], level)
