"""The posterior predictive check: every pattern -- the calibration targets and, above all,
the held-out ones no fit has seen -- run at posterior draws, and held to its band.

A pattern holds when the posterior predictive mean (the mean over draws of each draw's mean
over replications) lies in its band, as `cogov validate` holds the defaults' mean to it; the
90% interval of the draws' means and the share of draws whose mean is inside are reported
beside, so a near miss and a miss everywhere read differently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from cogov_sim.scenario import Scenario, load
from cogov_sim.validation import patterns as pat
from cogov_sim.validation.report import counts

from .posterior import Posterior

CSV = "predictive.csv"
GROUPS = ("calibration", "held-out")


def checked() -> tuple[pat.Pattern, ...]:
    """The patterns the check runs: every one that is not an input."""
    return tuple(p for p in pat.PATTERNS if p.role in GROUPS)


def check(post: Posterior, stages: Any, draws: int, replications: int, seed: int,
          scenario: Callable[[str], Scenario] = load,
          patterns: tuple[pat.Pattern, ...] | None = None) -> pd.DataFrame:
    """Run each pattern's scenario (`scenario(name)`) at `draws` posterior draws x
    `replications` (through `stages`, resumable) and hold each pattern to its band; one row
    per pattern."""
    ps = patterns or checked()
    values = post.draws(draws, seed)
    scs = {n: scenario(n) for n in pat.scenarios(ps)}
    runs = stages.run("predictive", 900, values, scs, replications)
    rows = []
    for p in ps:
        mine = runs[runs["scenario"] == p.scenario]
        per = mine.groupby("point")[p.measure].mean().to_numpy(float)
        per = per[np.isfinite(per)]
        m = float(per.mean()) if len(per) else float("nan")
        lo, hi = (np.quantile(per, [0.05, 0.95]) if len(per) else (np.nan, np.nan))
        rows.append({"pattern": p.name, "role": p.role, "scenario": p.scenario,
                     "criterion": p.criterion(), "low": p.low, "high": p.high,
                     "mean": m, "q05": float(lo), "q95": float(hi),
                     "draws_inside": float(np.mean([p.holds(v) for v in per])) if len(per)
                     else float("nan"),
                     "holds": p.holds(m), "draws": len(per)})
    return pd.DataFrame(rows)


def summary(table: pd.DataFrame) -> str:
    """The counts in one line."""
    c = counts(table, GROUPS)
    return "; ".join(f"{'calibration targets' if r == 'calibration' else 'held out'}: "
                     f"{c[r]['hold']} of {c[r]['of']} hold"
                     + (f" (misses: {', '.join(c[r]['misses'])})" if c[r]["misses"] else "")
                     for r in GROUPS)
