"""CoGovModel: wiring and time.

Residents' behaviour runs in daily steps (bulk arrays, `population.py`); an issue's life runs
in continuous time on the model's event queue (`events.py`): issues occur and become known
(`arrivals.py`), then move through the pipeline (`pipeline.py`). The governance structure is a
plug-in (`structures/`) that decides where issues go; mechanisms are plug-ins
(`mechanisms/`) that attach stations and agents and act on hooks the model calls in a fixed
order (`mechanisms.HOOKS`, docs/mechanisms.md). The model knows no mechanism by name.
"""

from __future__ import annotations

import gc
from time import perf_counter
from typing import Any

import mesa
import numpy as np
from scipy.special import expit, logit

from cogov_sim import network
from cogov_sim.agents import Department
from cogov_sim.arrivals import IssueArrivals
from cogov_sim.context import StructureContext
from cogov_sim.events import LeanEvents
from cogov_sim.issues import Discoverer, Issue, Ledger, Status
from cogov_sim.mechanisms import registry as mechanism_registry
from cogov_sim.mechanisms.base import Hooks, Mechanism
from cogov_sim.observation import MONTH, Observer, SeriesCollector
from cogov_sim.pipeline import IssuePipeline
from cogov_sim.population import Population
from cogov_sim.scenario import Scenario, effective_params, from_dict
from cogov_sim.service import ServiceNetwork, Station
from cogov_sim.structures import Structure, make

PHASES = ("setup", "residents", "issues", "collect")


def department_staff(p: dict[str, Any]) -> int:
    """Departments' staff serving this community: staff per 10,000 residents times its
    residents, rounded, so a district is staffed like a community; at least one per department
    (a department present in a community has someone on it), under every structure (ODD 7.5)."""
    return max(round(p["departments.staff_per_10000"] * p["community.residents"] / 10_000),
               p["issues.categories"])


class CoGovModel(IssuePipeline, IssueArrivals, LeanEvents, mesa.Model):
    """Community co-governance on a resident network under a swappable governance structure.

    Args:
        spec: a validated `Scenario` (defaults when None).
        rng: the seed; every random draw comes from the model's two generators.
        **overrides: dotted parameter names with values, e.g. ``{"issues.rate": 0.4}``.
    """

    def __init__(self, spec: Scenario | None = None, rng: int = 1, **overrides: Any) -> None:
        started = perf_counter()
        super().__init__(rng=rng)
        self._init_events()
        self.timings = dict.fromkeys(PHASES, 0.0)
        spec = spec or from_dict({})
        if overrides:
            spec = spec.with_overrides(overrides, source="model arguments")
        self.spec = spec
        self.p: dict[str, Any] = spec.effective()
        p = self.p
        self.days = int(p["run.days"])
        self.queueing = bool(p["mode.queueing"])
        self.changes: dict[int, dict[str, Any]] = {}
        for c in spec.changes:  # several blocks on one day merge; a later block wins per key
            self.changes.setdefault(c.day, {}).update(c.values)

        self.net = network.build(p, self.rng)
        self.pop = Population(self.net, p, self.rng, horizon=self.days)
        self.ledger = Ledger(int(p["issues.rate"] * self.net.n * self.days / 365.0 * 1.3) + 64)
        self.service = ServiceNetwork(self)
        self.open: dict[int, Issue] = {}
        self.counts = {int(Status.RESOLVED): 0, int(Status.ABANDONED): 0}
        self._init_arrivals()
        self.departments = [Department(self, c, 0, p["issues.service_days"], q)
                            for c, q in enumerate(self._solve_shares())]
        self.service.helpers = list(self.departments)
        self.self_orgs: list[Any] = []
        """Residents' self-organisations (a mechanism founds and tends them)."""
        self.residents_of = [np.nonzero(self.net.neighbourhood == b)[0]
                             for b in range(self.net.n_neighbourhoods)]
        """Residents of each neighbourhood."""
        self.mechanisms: dict[str, Mechanism] = {
            name: cls(self) for name, cls in mechanism_registry().items()}
        self.hooks = Hooks(list(self.mechanisms.values()))
        for m in self.mechanisms.values():
            m.attach()

        self.structure_stations: list[Station] = []
        """Stations the structures in force so far brought (`StructureContext.add_station`)."""
        self.context = StructureContext(self)
        self._structures: dict[str, Structure] = {}
        self.structure: Structure = self._structure(p["structure"])
        self._coded: tuple[Structure | None, int] = (None, 0)
        self.apply_params()
        self._month(0)

        self.observer = Observer(self)
        self.series = self.observer.series
        self._solve_key: tuple[float, ...] = ()
        self._solve_mean = float("nan")
        self.datacollector = SeriesCollector(self.series)
        self._begin_day(0)
        self.observer.observe()
        self.timings["setup"] = perf_counter() - started

    # --- parameters, staff and structure ----------------------------------------------------

    def _solve_shares(self) -> np.ndarray:
        """Departments' own solve shares at the start: around `departments.solve_share`, spread
        on the logit scale by `departments.solve_spread` (departments differ; drills spread
        the best one's practice)."""
        p, k = self.p, len(self.category_share)
        z = logit(p["departments.solve_share"]) + self.rng.normal(
            0.0, p["departments.solve_spread"], k)
        return expit(z)

    def apply_params(self) -> None:
        """Derive everything that depends on parameters allowed to change mid-run: the
        structure in force, the lifting deadline, staff, mechanisms, residents' cost and
        mobilisation, the structure's discovery; then free servers take waiting work."""
        p, hooks = self.p, self.hooks
        if self.structure.name != p["structure"]:
            self.structure = self._structure(p["structure"])
        deadlines = [d for d in (*(f() for f in hooks.deadline), self.structure.report_deadline())
                     if d is not None]
        self.service.deadline = min(deadlines) if deadlines and min(deadlines) < 1e8 else None
        self.service.set_params(p)
        total = department_staff(p)
        pooled = sum(f(total) for f in hooks.seconded)
        own = total - pooled - self._second_to_structure(total)
        if pooled == 0:
            own = max(own, len(self.departments))
        self.staff_departments(own, self.category_share)
        for f in hooks.apply:
            f()
        cost = self.pop.base_cost(p)
        for f in hooks.participation_cost:
            cost = f(cost)
        mobilisation = np.zeros(self.net.n)
        for f in hooks.mobilisation:
            push = f()
            if push is not None:
                mobilisation = mobilisation + push
        extra = self.structure.mobilisation(self.context)
        if extra:
            mobilisation = mobilisation + extra
        self.pop.set_params(p, cost, mobilisation)
        self.structure_hazard = self.structure.discovery_hazard(self.context)
        self.service.rebalance([*self.departments, *hooks.staffed(), *self.structure_stations])

    def _second_to_structure(self, total: int) -> int:
        """Staff the structure in force takes from the departments for its own stations."""
        moved = 0
        for st in self.structure_stations:
            if st.seconded > 0:
                st.account(self.now)
                st.servers = (round(st.seconded * total)
                              if st.owner == self.structure.name else 0)
                moved += st.servers
        return moved

    def staff_departments(self, total: int, shares: np.ndarray) -> None:
        """Departments' own staff split by shares (ODD 7.5: one each first when there are
        enough, the rest by largest remainder)."""
        minimum = 1 if total >= len(self.departments) else 0
        alloc = ServiceNetwork.allocate(total, shares, minimum=minimum)
        for d, s in zip(self.departments, alloc, strict=True):
            d.account(self.now)
            d.allocated = int(s)
            d.servers = max(0, d.allocated - d.away)

    def send_away(self, department: Department, days: float) -> None:
        """One of a department's staff leaves its work for `days` (a meeting, a drill, a
        report): it serves no part meanwhile (a part in hand is finished first)."""
        if days <= 0 or department.servers <= 0:
            return
        department.account(self.now)
        department.away += 1
        department.servers -= 1
        self.after(days, self._back, department)

    def _back(self, department: Department) -> None:
        department.account(self.now)
        department.away -= 1
        department.servers = max(0, department.allocated - department.away)
        self.service.rebalance([department])

    def _structure(self, name: str) -> Structure:
        """The named structure, made and attached to this model the first time it is in force
        (kept for later switches back: its stations and agents stay)."""
        if name not in self._structures:
            self._structures[name] = make(name, self.p)
            self.context.attaching = name
            self._structures[name].attach(self.context)
            self.context.attaching = None
        return self._structures[name]

    def mechanism(self, name: str) -> Mechanism:
        """This run's instance of a registered mechanism."""
        return self.mechanisms[name]

    # --- time -----------------------------------------------------------------------------

    def step(self) -> None:
        """Day boundary at t = d: residents' day d-1 ends, day d begins."""
        day = int(round(self.now))
        t0 = perf_counter()
        if not self.queueing:
            hooks = self.hooks
            self.pop.daily(day - 1, [a for f in hooks.activities for a in f(day)])
            for f in hooks.after_residents:
                f(day)
            if day % MONTH == 0:
                self._month(day)
        t1 = perf_counter()
        self.timings["residents"] += t1 - t0
        self._close_undiscovered()
        if day in self.changes:
            self.p.update(effective_params({**self.p, **self.changes[day]}))
            self.apply_params()
        for f in self.hooks.day_begins:
            f(day)
        if day < self.days:
            self._begin_day(day)
        t2 = perf_counter()
        self.observer.observe()
        self.timings["collect"] += perf_counter() - t2
        if day >= self.days:
            self.running = False

    def _month(self, day: int) -> None:
        """The monthly beats: organisations take stock, projects recruit, organisations are
        founded and grow (behaviour is off in queueing mode)."""
        if self.queueing:
            return
        hooks = self.hooks
        for beat in (hooks.month_activity, hooks.month_projects, hooks.month_growth):
            for f in beat:
                f(day)

    def run(self) -> CoGovModel:
        """Run to the horizon; returns self. `timings` then holds seconds per phase: setup,
        residents (bulk daily dynamics), issues (occurrence and every issue event), collect.

        Python's cyclic garbage collector is paused meanwhile: an issue's only reference cycle
        (it and its parts) is broken when it closes, and the collector's full passes over a
        district's million live objects took a sixth of the time."""
        t0 = perf_counter()
        collecting = gc.isenabled()
        gc.disable()
        try:
            while self.time < self.days:
                self.step()
        finally:
            if collecting:
                gc.enable()
        self._finalise()
        total = perf_counter() - t0
        tm = self.timings
        tm["issues"] = total - tm["residents"] - tm["collect"]
        return self

    def _finalise(self) -> None:
        """Close the books at the horizon: discoveries drawn for later have not happened."""
        self._close_undiscovered()
        L = self.ledger
        later = np.nonzero(L.t_known[: L.n] > self.now)[0]
        L.t_known[later] = np.nan
        L.discovered_by[later] = Discoverer.NONE
        for st in self.stations():
            st.account(self.now)

    def stations(self) -> list[Station]:
        """Every station: departments, the mechanisms' (in mechanism order), the structures'."""
        return [*self.departments, *self.hooks.stations(), *self.structure_stations]

    # --- observation ------------------------------------------------------------------------

    def solve_share(self) -> float:
        """Departments' mean chance of really solving a part, now (recomputed when one moved:
        ratings and drills are rare)."""
        key = tuple(d.solve_share for d in self.departments)
        if key != self._solve_key:
            self._solve_key, self._solve_mean = key, float(np.mean(key))
        return self._solve_mean

    @property
    def observed(self) -> dict[str, float]:
        """The values observed last (today's row of the daily series), by name."""
        return self.observer.observed
