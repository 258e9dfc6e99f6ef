"""The model as a function: `run` one scenario and seed, `compare` several with replications.

What batches, sweeps, tests and notebooks call. No printing, no files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cogov_sim import metrics
from cogov_sim.errors import MOST_RUNS, InputError
from cogov_sim.scenario import Scenario
from cogov_sim.single import (  # noqa: F401  (the API as before)
    RunResult,
    __version__,
    _mapping,
    _resolve,
    check_distinct,
    check_ledger,
    load_scenario,
    run,
)
from cogov_sim.stats import (  # noqa: F401  (re-exported)
    comparison_table,
    mean_ci,
    paired_diff_ci,
    replication_seeds,
)


@dataclass
class Comparison:
    """Replicated runs of several scenarios: per-run rows and the table of means and CIs."""

    runs: pd.DataFrame
    table: pd.DataFrame
    scenarios: list[Scenario]
    seed: int
    replications: int

    def to_dict(self) -> dict[str, Any]:
        rows = self.table.reset_index().to_dict(orient="records")
        return {
            "seed": self.seed,
            "replications": self.replications,
            "cogov_sim": __version__,
            "scenarios": [{"name": s.name, "file": s.source, "hash": s.hash,
                           "overrides": s.overrides} for s in self.scenarios],
            "table": [{k: (None if isinstance(v, float) and np.isnan(v) else v)
                       for k, v in r.items()} for r in rows],
        }


def compare(scenarios: list[Scenario | str | Path], replications: int = 10, seed: int = 1,
            days: int | None = None, overrides: dict[str, Any] | None = None,
            metric_names: tuple[str, ...] = metrics.KEY_METRICS,
            progress: Any = None, executor: Any = None) -> Comparison:
    """R seeded runs of each scenario (the same R seeds for each: common random numbers);
    means with 95% CIs, and each scenario's paired difference from the first. With an
    `executor` (`cogov_sim.batch.executors.make`) the runs go through the batch engine, in
    parallel, with the same seeds and results; `progress` is then not called."""
    if isinstance(scenarios, (str, Path, Scenario)) or not scenarios:
        raise InputError("compare", f"scenarios={scenarios!r}: give a non-empty list of "
                         "scenarios (names, .toml paths or Scenario objects)", key="scenarios")
    if isinstance(replications, bool) or not isinstance(replications, int) \
            or not 1 <= replications <= MOST_RUNS:
        raise InputError("compare", f"value {replications!r} is not allowed; allowed: an "
                         f"integer from 1 to {MOST_RUNS:,}", key="replications")
    scs = [_resolve(s) for s in scenarios]
    check_distinct(scenarios, scs)
    extra = {**_mapping(overrides, "compare"), **({"run.days": days} if days is not None else {})}
    if extra:
        scs = [sc.with_overrides(extra) for sc in scs]
    seeds = replication_seeds(seed, replications)
    rows = []
    for sc in scs:
        if executor is not None:
            rows += _batch_rows(sc, replications, seed, executor)
            continue
        for r, s in enumerate(seeds):
            res = run(sc, seed=s)
            rows.append({"scenario": sc.name, "replication": r, "seed": s, **res.summary})
            if progress is not None:
                progress(sc.name, r)
    runs = pd.DataFrame(rows)
    table = comparison_table(runs, [s.name for s in scs], metric_names)
    return Comparison(runs, table, scs, seed, replications)


def _batch_rows(sc: Scenario, replications: int, seed: int, executor: Any) -> list[dict]:
    """One scenario's replications through the batch engine, as `compare` rows."""
    from cogov_sim.batch import evaluate, require_ok

    df = require_ok(evaluate("cogov", [{}], seed=seed, replications=replications, scenario=sc,
                             executor=executor), sc.name)
    df = df.drop(columns=["run_id", "point", "status", "error"])
    return [{"scenario": sc.name, **row} for row in df.to_dict("records")]
