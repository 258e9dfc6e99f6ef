"""The model as a function: `run` one scenario and seed, `compare` several with replications.

What batches, sweeps, tests and notebooks call. No printing, no files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cogov_sim import metrics
from cogov_sim.errors import MOST_RUNS, InputError
from cogov_sim.issues import Status
from cogov_sim.model import CoGovModel
from cogov_sim.scenario import DEFAULT_SCENARIO, Scenario, load
from cogov_sim.stats import mean_ci, paired_diff_ci

try:
    __version__ = version("cogov-sim")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0+unknown"


def load_scenario(name_or_path: str | Path, **overrides: Any) -> Scenario:
    """Load a scenario by name (e.g. ``load_scenario('committee')``) or path, with dotted-key
    overrides."""
    return load(name_or_path, overrides or None)


@dataclass
class RunResult:
    """One run: the summary and the tidy tables behind it, with provenance."""

    scenario: Scenario
    seed: int
    days: int
    summary: dict[str, float]
    issues: pd.DataFrame
    daily: pd.DataFrame
    stations: pd.DataFrame
    residents: pd.DataFrame
    model: CoGovModel | None = field(default=None, repr=False)

    @property
    def provenance(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.name,
            "scenario_file": self.scenario.source,
            "scenario_hash": self.scenario.hash,
            "overrides": self.scenario.overrides,
            "seed": self.seed,
            "days": self.days,
            "cogov_sim": __version__,
        }


def _resolve(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load(scenario)


def _mapping(overrides: Any, where: str) -> dict[str, Any]:
    """`overrides` as a dict of dotted keys, or an InputError saying what was given."""
    if overrides is None:
        return {}
    if not isinstance(overrides, dict):
        raise InputError(where, f"value {overrides!r} is not allowed; allowed: a dict of "
                         "dotted parameter keys, e.g. {'issues.rate': 0.4}", key="overrides")
    return overrides


def check_distinct(given: list[Any], scenarios: list[Scenario]) -> None:
    """Each scenario once: a comparison of a scenario with itself is a typo."""
    seen: dict[str, Any] = {}
    for g, sc in zip(given, scenarios, strict=True):
        if sc.name in seen:
            raise InputError("compare", f"scenario '{sc.name}' is given twice ({str(seen[sc.name])!r}"
                             f" and {str(g)!r}); give each scenario once")
        seen[sc.name] = g


def check_ledger(model: CoGovModel, issues: pd.DataFrame) -> bool:
    """Every issue created is resolved, abandoned or still open -- the open ones exactly
    those the model is still carrying -- and only resolved issues count as solved."""
    L = model.ledger
    counts = metrics.ledger_counts(issues)
    status = L.status[: L.n]
    closed = status != Status.OPEN
    return (
        counts["created"] == model.created_counter
        and counts["resolved"] + counts["abandoned"] + counts["open"] == counts["created"]
        and counts["open"] == model.carried()
        and bool(np.all(L.t_closed[: L.n][closed] >= L.t_occur[: L.n][closed]))
        and bool(np.all(np.isnan(L.t_closed[: L.n][~closed])))
        and not bool(np.any(L.solved[: L.n][status != Status.RESOLVED]))
    )


def run(scenario: Scenario | str | Path = DEFAULT_SCENARIO, seed: int = 1, days: int | None = None,
        overrides: dict[str, Any] | None = None, keep_model: bool = False) -> RunResult:
    """Run one scenario for one seed and return its summary and tables."""
    sc = _resolve(scenario)
    extra = dict(_mapping(overrides, "run"))
    if days is not None:
        extra["run.days"] = days
    if extra:
        sc = sc.with_overrides(extra)
    model = CoGovModel(sc, rng=seed).run()
    issues = model.ledger.frame()
    daily = pd.DataFrame(model.series)
    daily.insert(0, "time", np.arange(len(daily), dtype=float))
    stations = pd.DataFrame([
        {"name": getattr(st, "label", type(st).__name__), "name_zh": getattr(st, "label_zh", ""),
         "kind": st.kind, "servers": st.servers, "served": st.served,
         "busy_area": st.busy_area, "server_area": st.server_area}
        for st in model.stations()
    ])
    stations["kind"] = stations["kind"].astype("category")
    residents = pd.DataFrame({
        "neighbourhood": model.net.neighbourhood, "rural": model.net.rural,
        "party": model.net.party, "member": model.pop.member >= 0,
        "active": model.pop.active(model.days - 1), "propensity": model.pop.propensity,
        "trust": model.pop.trust, "efficacy": model.pop.efficacy,
    })
    warm = float(sc.params["run.warmup_days"])
    summary = metrics.summarise(issues, daily, stations, residents, warm)
    summary["ledger_balanced"] = float(check_ledger(model, issues))
    return RunResult(sc, seed, model.days, summary, issues, daily, stations, residents,
                     model if keep_model else None)


def replication_seeds(seed: int, replications: int) -> list[int]:
    """Independent seeds for replications, spawned from one master seed."""
    children = np.random.SeedSequence(seed).spawn(replications)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]


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
