"""Confidence intervals for replicated stochastic results (pure functions)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cogov_sim import metrics


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


def replication_seeds(seed: int, replications: int) -> list[int]:
    """Independent seeds for replications, spawned from one master seed."""
    children = np.random.SeedSequence(seed).spawn(replications)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]


def comparison_table(runs: pd.DataFrame, order: list[str],
                     metric_names: tuple[str, ...] = metrics.KEY_METRICS) -> pd.DataFrame:
    """One row per (scenario, metric): mean and 95% CI, difference from the first scenario
    with its paired 95% CI."""
    out = []
    base = runs[runs["scenario"] == order[0]].sort_values("replication")
    for name in order:
        cur = runs[runs["scenario"] == name].sort_values("replication")
        for m in metric_names:
            mean, lo, hi = mean_ci(cur[m].to_numpy())
            if name == order[0]:
                d = (np.nan, np.nan, np.nan)
            else:
                d = paired_diff_ci(base[m].to_numpy(), cur[m].to_numpy())
            out.append({"scenario": name, "metric": m, "mean": mean, "ci_low": lo,
                        "ci_high": hi, "diff": d[0], "diff_ci_low": d[1], "diff_ci_high": d[2]})
    return pd.DataFrame(out).set_index(["scenario", "metric"])
