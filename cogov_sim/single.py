"""One run of the model: `run(scenario, seed)` -> its summary and tidy tables, with
provenance (the model as a function). What the batch engine's workers call; `api` adds
`compare` on top. No printing, no files."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cogov_sim import metrics
from cogov_sim.errors import InputError
from cogov_sim.issues import Status
from cogov_sim.model import CoGovModel
from cogov_sim.scenario import DEFAULT_SCENARIO, Scenario, load

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


def stations_frame(model: CoGovModel, now: float | None = None) -> pd.DataFrame:
    """The stations table: one row per station with its busy and staffed server-days, counted
    up to `now` (a live model between events) or to its last event."""
    rows = []
    for st in model.stations():
        lag = max(now - st._t, 0.0) if now is not None else 0.0
        rows.append({"name": getattr(st, "label", type(st).__name__),
                     "name_zh": getattr(st, "label_zh", ""), "kind": st.kind,
                     "intake": st.intake, "servers": st.servers, "served": st.served,
                     "busy_area": st.busy_area + st.busy * lag,
                     "server_area": st.server_area + st.servers * lag})
    frame = pd.DataFrame(rows)
    frame["kind"] = frame["kind"].astype("category")
    return frame


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
    stations = stations_frame(model)
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
