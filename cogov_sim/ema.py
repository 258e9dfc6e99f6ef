"""EMA Workbench on cogov-sim: an `ema_workbench.Model` built from the parameter table.

Uncertainties and levers are parameters of the table with its ranges (or narrower ones given),
outcomes are summary keys (`cogov run SCENARIO --json`) or parameter values (a cost, such as
`departments.staff_per_10000`, for an optimisation). With a `contrast` of two scenarios, a parameter
written "ARM:name" varies in that scenario only (as in sweeps) and each summary outcome is the
first scenario's value minus the second's, on common seeds. EMA needs Python identifiers:
`departments.staff_per_10000` is `departments_staff_per_10000`, `committee:grid.discovery_days` is
`committee__grid_discovery_days` (`Spec.names` maps them back); a parameter as an outcome is
`departments_staff_per_10000_value`. Every experiment runs
`replications` seeded runs (seeds from the model's `seed` constant) and reports their mean.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from ema_workbench import (
    BooleanParameter,
    CategoricalParameter,
    Constant,
    IntegerParameter,
    Model,
    RealParameter,
    ScalarOutcome,
)

from cogov_sim import api, metrics
from cogov_sim.batch.models import for_scenario
from cogov_sim.errors import InputError, did_you_mean, show
from cogov_sim.params import Param, table
from cogov_sim.scenario import Scenario, check_box, load
from cogov_sim.sensitivity.sweep import _output_names as summary_keys

Range = tuple[float, float] | Sequence[Any]


def ident(name: str) -> str:
    """The EMA name of a parameter or outcome: 'ARM:a.b' -> 'ARM__a_b'."""
    return re.sub(r"\W", "_", name.replace(":", "__"))


@dataclass(frozen=True)
class Spec:
    """What one EMA experiment runs: the scenarios, EMA names -> parameters, the outcomes."""

    scenarios: tuple[Scenario, ...]
    names: dict[str, str]
    outcomes: dict[str, str]
    replications: int

    def __call__(self, seed: int = 1, **values: Any) -> dict[str, float]:
        """One experiment: the mean of each outcome over the replications (a contrast's
        summary outcomes: first scenario minus second)."""
        given = {self.names[k]: (v.item() if isinstance(v, np.generic) else v)
                 for k, v in values.items()}
        means = []
        for sc in self.scenarios:
            own = for_scenario(given, sc.name)
            rows = [api.run(sc, seed=s, overrides=own).summary
                    for s in api.replication_seeds(seed, self.replications)]
            means.append({k: float(np.mean([r[k] for r in rows])) for k in rows[0]})
        out = {}
        for e, name in self.outcomes.items():
            if name in table():
                out[e] = float(for_scenario(given, self.scenarios[0].name).get(
                    name, self.scenarios[0].params[name]))
            else:
                vals = [m[name] for m in means]
                out[e] = vals[0] - vals[1] if len(vals) == 2 else vals[0]
        return out


def _parameter(full: str, p: Param, given: Range | None) -> Any:
    """An EMA parameter over the table's range, or a narrower range / fewer choices given."""
    where = f"ema: parameter '{full}'"
    if p.kind == "bool":
        return BooleanParameter(ident(full))
    if p.kind == "choice":
        cats = list(given) if given is not None else list(p.choices)
        bad = [c for c in cats if c not in p.choices]
        if bad or not cats:
            raise InputError(where, f"value {show(bad or cats)} is not allowed; allowed: {p.allowed()}")
        return CategoricalParameter(ident(full), cats)
    lo, hi = (p.low, p.high) if given is None else tuple(given)
    if lo is None or hi is None:
        raise InputError(where, f"has no finite range in the table ({p.allowed()}); give one, "
                         "e.g. ranges={'%s': (low, high)}" % full)
    if not lo < hi or (p.low is not None and lo < p.low) or (p.high is not None and hi > p.high):
        raise InputError(where, f"range {show([lo, hi])} is not allowed; allowed: low < high "
                         f"within {p.allowed()}")
    if p.kind == "int":
        return IntegerParameter(ident(full), int(lo), int(hi))
    return RealParameter(ident(full), float(lo), float(hi))


def _ends(par: Any) -> list[Any]:
    """The values at the ends of an EMA parameter's range (every value of a categorical one)."""
    if isinstance(par, CategoricalParameter):
        return [c.value for c in par.categories]
    return [par.lower_bound, par.upper_bound]


def model(scenario: str | Scenario = "committee", *, uncertainties: Iterable[str] = (),
          levers: Iterable[str] = (), outcomes: Iterable[str] = metrics.KEY_METRICS[:4],
          contrast: Sequence[str | Scenario] | None = None,
          ranges: Mapping[str, Range] | None = None, replications: int = 1, seed: int = 1,
          overrides: Mapping[str, Any] | None = None, minimize: Iterable[str] = (),
          maximize: Iterable[str] = (), name: str = "cogov") -> Model:
    """An EMA Workbench `Model` of one scenario (or of a contrast's difference), built from the
    parameter table. `overrides` fix parameters in every scenario (e.g. a small community);
    outcomes named in `minimize`/`maximize` get that kind (for EMA's optimisation)."""
    arms = contrast or [scenario]
    if len(arms) not in (1, 2):
        raise InputError("ema: contrast", f"value {show(list(arms))} is not allowed; allowed: two "
                         "scenarios")
    scs = tuple((load(s) if not isinstance(s, Scenario) else s).with_overrides(
        dict(overrides or {}), source="ema: overrides") for s in arms)
    arm_names = [s.name for s in scs]
    ranges = dict(ranges or {})
    tab = table()
    names, parts = {}, {"uncertainties": [], "levers": []}
    for role, given in (("uncertainties", uncertainties), ("levers", levers)):
        for full in given:
            arm, _, key = full.rpartition(":")
            if key not in tab:
                raise InputError(f"ema: {role}", f"unknown parameter '{key}'{did_you_mean(key, tab)}"
                                 "; `cogov params` lists them all")
            if arm and arm not in arm_names:
                raise InputError(f"ema: {role}", f"'{full}' names no scenario of the model"
                                 f"{did_you_mean(arm, arm_names)}; allowed: "
                                 + ", ".join(f"'{a}:'" for a in arm_names))
            if ident(full) in names:
                raise InputError(f"ema: {role}", f"'{full}' is given twice (as '{names[ident(full)]}')")
            names[ident(full)] = full
            parts[role].append(_parameter(full, tab[key], ranges.pop(full, None)))
    if ranges:
        raise InputError("ema: ranges", f"'{next(iter(ranges))}' is neither an uncertainty nor a "
                         "lever; give ranges only for those")
    ends = {names[par.name]: _ends(par) for par in parts["uncertainties"] + parts["levers"]}
    for sc in scs:
        check_box(sc, for_scenario(ends, sc.name), "ema: ranges")
    known = summary_keys(None, True, scs[0])
    outs = {}
    for o in outcomes:
        if o not in known and o not in tab:
            raise InputError("ema: outcomes", f"'{o}' is not a summary key or parameter"
                             f"{did_you_mean(o, [*known, *tab])}; allowed: a key of `cogov run "
                             "SCENARIO --json` or a parameter (a cost)")
        outs[ident(o) + ("_value" if o in tab else "")] = o
    by_name = {o: e for e, o in outs.items()}
    kinds = {**{by_name.get(o, o): ScalarOutcome.MINIMIZE for o in minimize},
             **{by_name.get(o, o): ScalarOutcome.MAXIMIZE for o in maximize}}
    m = Model(name, function=Spec(scs, names, outs, replications))
    m.uncertainties = parts["uncertainties"]
    m.levers = parts["levers"]
    m.outcomes = [ScalarOutcome(e, kind=kinds.get(e, ScalarOutcome.INFO)) for e in outs]
    m.constants = [Constant("seed", seed)]
    return m
