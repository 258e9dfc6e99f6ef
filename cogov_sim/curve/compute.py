"""The runs behind a curve and its tidy table: A and B at each value of one dial, paired by seed.

Every point and both arms use the same replication seeds (common random numbers), so the
difference B - A at a value is a paired difference, and neighbouring points differ by the dial
rather than by luck. Runs go through `cogov_sim.api.run`, or through the batch engine when an
executor is given (`cogov_sim.batch.evaluate`), with the same seeds and the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cogov_sim import api
from cogov_sim.curve.inputs import point_scenarios, prepare
from cogov_sim.scenario import Scenario
from cogov_sim.stats import mean_ci, paired_diff_ci

METRICS = ("resolution_rmst_days", "cif_abandoned_90d", "solved_rate", "participation_mean")
"""The default metrics: the censoring-aware headline first."""

LOAD = {"utilisation_departments": "util", "utilisation_pool": "pool_util",
        "utilisation_intake": "intake_util", "resolution_censored_share": "open"}
"""What each arm's load looks like at a point (mean over replications): summary key -> column
stem in the table (`a_util`, `b_util`, ...)."""

ARMS = ("a", "b")


@dataclass
class Curve:
    """A curve: per-run rows, the tidy table (one row per value and metric) and its setting."""

    a: Scenario
    b: Scenario
    over: str
    values: list[float]
    metrics: tuple[str, ...]
    replications: int
    seed: int
    runs: pd.DataFrame
    table: pd.DataFrame


def run_points(a: Scenario, b: Scenario, over: str, values: Sequence[float], replications: int,
               seed: int, executor: Any = None,
               progress: Callable[[str, float, int], None] | None = None,
               store: Path | None = None, monitor: Any = None) -> pd.DataFrame:
    """One row per (arm, value, replication) with the run's summary; the same seeds everywhere.
    With an `executor` or a `store` folder the runs go through the batch engine (`progress` is
    then not called); with a `store` each finished run is kept there, so the same call again
    after an interruption runs only what is missing, and `monitor` (a batch `Progress`) shows
    how far it is."""
    if executor is None and store is None:
        return _in_process(a, b, over, values, replications, seed, progress)
    from cogov_sim.batch import evaluate, executors, require_ok, run_batch
    from cogov_sim.batch.experiment import Experiment

    points = tuple({over: v} for v in values)
    if store is None:
        df = pd.concat([require_ok(evaluate("cogov", points, seed=seed, replications=replications,
                                            scenario=sc, executor=executor), sc.name)
                        .assign(scenario=sc.name) for sc in (a, b)])
    else:
        exp = Experiment("curve", f"cogov curve {a.name} {b.name} --over {over}", "cogov",
                         {a.name: a, b.name: b}, replications, seed, {}, ("summary",),
                         points=points, source=f"`cogov curve` over {over} = "
                         f"{', '.join(f'{v:g}' for v in values)}, {replications} replications, "
                         f"seed {seed}")
        res = run_batch(exp, store, executor or executors.Serial(), progress=monitor)
        df = require_ok(res.runs if res.runs is not None else pd.DataFrame(
            columns=["status", "error"]), f"{a.name} and {b.name}")
        if len(df) < 2 * len(points) * replications:
            raise RuntimeError(f"{2 * len(points) * replications - len(df)} runs did not run "
                               f"(a worker was lost); the same command again runs them ({store})")
    arm = {a.name: "a", b.name: "b"}
    rows = pd.DataFrame({"arm": df["scenario"].map(arm), "scenario": df["scenario"],
                         "value": [values[p] for p in df["point"]]})
    rest = df.drop(columns=["run_id", "point", "scenario", "status", "error", over, "wall_s",
                            "worker"], errors="ignore")
    return _ordered(pd.concat([rows.reset_index(drop=True), rest.reset_index(drop=True)], axis=1))


def _in_process(a: Scenario, b: Scenario, over: str, values: Sequence[float], replications: int,
                seed: int, progress: Callable[[str, float, int], None] | None) -> pd.DataFrame:
    """The runs one after another in this process, through `api.run`."""
    seeds = api.replication_seeds(seed, replications)
    points = {arm: point_scenarios(sc, over, values) for arm, sc in zip(ARMS, (a, b), strict=True)}
    rows: list[dict[str, Any]] = []
    for i, v in enumerate(values):
        for arm in ARMS:
            sc = points[arm][i]
            for r, s in enumerate(seeds):
                res = api.run(sc, seed=s)
                rows.append({"arm": arm, "scenario": sc.name, "value": v, "replication": r,
                             "seed": s, **res.summary})
                if progress is not None:
                    progress(sc.name, v, r)
    return _ordered(pd.DataFrame(rows))


def _ordered(runs: pd.DataFrame) -> pd.DataFrame:
    return runs.sort_values(["arm", "value", "replication"], kind="stable").reset_index(drop=True)


def curve_table(runs: pd.DataFrame, metrics: Sequence[str] = METRICS) -> pd.DataFrame:
    """One row per (value, metric): each arm's mean and 95% CI, the paired difference B - A
    with its 95% CI, and each arm's load (utilisation, share open at the end) at that value."""
    out = []
    for v, at in runs.groupby("value", sort=True):
        arm = {k: at[at["arm"] == k].sort_values("replication") for k in ARMS}
        if not arm["a"]["replication"].tolist() == arm["b"]["replication"].tolist():
            raise ValueError(f"value {v}: the arms do not have the same replications")
        load = {f"{k}_{stem}": float(np.nanmean(arm[k][key])) if arm[k][key].notna().any()
                else np.nan for k in ARMS for key, stem in LOAD.items()}
        for m in metrics:
            row: dict[str, Any] = {"value": v, "metric": m}
            for k in ARMS:
                row[f"{k}_mean"], row[f"{k}_ci_low"], row[f"{k}_ci_high"] = mean_ci(
                    arm[k][m].to_numpy())
            row["diff"], row["diff_ci_low"], row["diff_ci_high"] = paired_diff_ci(
                arm["a"][m].to_numpy(), arm["b"][m].to_numpy())
            row["n"] = int((arm["a"][m].notna().to_numpy() & arm["b"][m].notna().to_numpy())
                           .sum())
            out.append({**row, **load})
    return pd.DataFrame(out)


def curve(a: Scenario | str | Path, b: Scenario | str | Path, over: str = "issues.rate",
          values: Sequence[float] | None = None, replications: int = 10, seed: int = 1,
          days: int | None = None, overrides: dict[str, Any] | None = None,
          metrics: Sequence[str] = METRICS, executor: Any = None,
          progress: Callable[[str, float, int], None] | None = None,
          store: Path | None = None, monitor: Any = None) -> Curve:
    """A and B (names, paths or scenarios) at each value of the dial `over` (default: its load
    grid), R paired replications per point: the table of means, paired differences and load.
    Everything is validated (`inputs.prepare`) before the first run; with a `store` folder the
    runs are kept there as they finish and a repeated call resumes (`run_points`)."""
    sa, sb, vals = prepare(a, b, over, values, overrides, days)
    runs = run_points(sa, sb, over, vals, replications, seed, executor, progress, store,
                      monitor)
    return Curve(sa, sb, over, vals, tuple(metrics), replications, seed, runs,
                 curve_table(runs, metrics))
