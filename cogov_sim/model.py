"""CoGovModel: wiring and time.

Residents' behaviour runs in daily steps (bulk arrays, `population.py`); an issue's life runs
in continuous time on Mesa's event schedule (completions at fractional days). The governance
structure is a plug-in (`structures/`) that decides where issues go, how the stations they go
to cooperate and what capacity it brings; it sees the model through `StructureContext` only.
"""

from __future__ import annotations

import gc
import math
from collections import deque
from time import perf_counter
from typing import Any

import mesa
import numpy as np
import pandas as pd

from cogov_sim import network
from cogov_sim.agents import (
    CommunityHub,
    CouncilTeam,
    Department,
    PartyBranch,
    SelfOrganisation,
    SocialEnterprise,
    StreetOffice,
    StreetTeam,
    UnitStation,
)
from cogov_sim.events import LeanEvents
from cogov_sim.issues import Channel, Discoverer, Issue, Ledger, Stage, Status
from cogov_sim.population import KINDS, Population
from cogov_sim.scenario import Scenario, effective_params, from_dict
from cogov_sim.service import Job, ServiceNetwork, Station
from cogov_sim.structures import IssueInfo, Structure, make
from cogov_sim.structures.base import exp

MONTH = 30
"""Days in a month (the calendar unit of monthly rates and the monthly update)."""
ROUTING, WAITING, SERVICE, COORDINATION, CLOSED = (
    int(s) for s in (Stage.ROUTING, Stage.WAITING, Stage.SERVICE, Stage.COORDINATION, Stage.CLOSED))
RESOLVED, ABANDONED = int(Status.RESOLVED), int(Status.ABANDONED)
DEPARTMENTS, COUNCIL = int(Channel.DEPARTMENTS), int(Channel.COUNCIL)
"""Codes as plain ints: an IntEnum costs more to hash, compare with an array value or write."""
_OPEN_STAGES = [int(s) for s in Stage if s != Stage.CLOSED]
PHASES = ("setup", "residents", "issues", "collect")
SERIES = (
    "created", "resolved", "abandoned", "backlog",
    *(f"stage_{s.name.lower()}" for s in Stage if s != Stage.CLOSED),
    "participation", *(f"participation_{k}" for k in KINDS), "propensity", "trust",
    "efficacy", "resolution_30d", "solved_30d", "solve_share", "self_orgs", "self_org_members",
    "social_orgs", "enterprise_servers", "pooled_servers",
)


class CoGovModel(LeanEvents, mesa.Model):
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
        expected = p["issues.rate"] * self.net.n * self.days / 365.0
        self.ledger = Ledger(int(expected * 1.3) + 64)
        self.service = ServiceNetwork(self)
        self.open: dict[int, Issue] = {}
        self.created_counter = 0
        self.counts = {RESOLVED: 0, ABANDONED: 0}
        self._first_open = 0
        # issues resolved in the last month: when, in how many days, whether solved
        self._recent_t: deque[float] = deque()
        self._recent_days: deque[float] = deque()
        self._recent_ok: deque[bool] = deque()
        self._undiscovered: list[tuple[float, int]] = []
        self._undiscovered_next = 0

        k = int(p["issues.categories"])
        shares = (np.arange(1, k + 1, dtype=float)) ** -p["issues.category_skew"]
        self.category_share = shares / shares.sum()
        self._category_cdf = self.category_share.cumsum()
        self._category_cdf /= self._category_cdf[-1]
        q0 = self._initial_solve_share()
        self.departments = [Department(self, c, 0, p["issues.service_days"], q0)
                            for c in range(k)]
        self.pool = StreetTeam(self, 0, p["issues.service_days"])
        self.service.pool = self.pool
        self.service.pool_sources = list(self.departments)
        self.service.helpers = list(self.departments)
        self.structure_stations: list[Station] = []
        """Stations the structures in force so far brought (`StructureContext.add_station`)."""
        self.hub = CommunityHub(self, 0, p["sanshe.service_days"])
        self.enterprises = [
            SocialEnterprise(self, p["enterprise.service_days"], p["enterprise.jobs_per_server"],
                             p["enterprise.max_servers"])
            for _ in range(int(p["enterprise.count"]))
        ]
        self.street = StreetOffice(self, math.ceil(self.net.n / p["grid.residents_per_worker"]))
        self.branches = [
            PartyBranch(self, b, int(self.net.party[self.net.neighbourhood == b].sum()))
            for b in range(self.net.n_neighbourhoods)
        ]
        self.council_teams = [CouncilTeam(self, b, p["selforg.service_days"])
                              for b in range(self.net.n_neighbourhoods)]
        self.self_orgs: list[SelfOrganisation] = []
        self._nb_members = [np.nonzero(self.net.neighbourhood == b)[0]
                            for b in range(self.net.n_neighbourhoods)]
        self._found_initial_orgs()
        self.org_hazard = np.zeros(self.net.n_neighbourhoods)

        self.context = StructureContext(self)
        self._structures: dict[str, Structure] = {}
        self.structure: Structure = self._structure(p["structure"])
        self._coded: tuple[Structure | None, int] = (None, 0)
        self._rhythm_start: int | None = None  # the day supervision's rhythm started
        self._apply_params()
        self._month_update()

        self._rows = np.zeros((self.days + 1, len(SERIES)))  # a day's values: one row
        self.series = {name: self._rows[:, j] for j, name in enumerate(SERIES)}
        """The daily series by name (columns of one table, written once a day)."""
        self._today = 0
        self._frozen_means: tuple[float, float, float] | None = None
        self._solve_key: tuple[float, ...] = ()
        self._solve_mean = math.nan
        self.datacollector = SeriesCollector(self.series)
        self._begin_day(0)
        self._observe()
        self.timings["setup"] = perf_counter() - started

    # --- parameters and structure ---------------------------------------------------------

    def _apply_params(self) -> None:
        """Derive everything that depends on parameters allowed to change mid-run."""
        p = self.p
        if self.structure.name != p["structure"]:
            self.structure = self._structure(p["structure"])
        deadlines = [d for d in (
            p["supervision.deadline_days"] if p["mechanisms.supervision"] else None,
            self.structure.report_deadline(),
        ) if d is not None]
        self.service.deadline = min(deadlines) if deadlines and min(deadlines) < 1e8 else None
        self.service.set_params(p)
        self._rhythm_periods = tuple(max(1, round(p[f"supervision.{k}_days"]))
                                     for k in ("meeting", "dispatch", "rating", "drill"))
        if not p["mechanisms.supervision"]:
            self._rhythm_start = None
        elif self._rhythm_start is None:
            self._rhythm_start = int(round(self.now))
            for d in self.departments:  # ratings count callbacks from the start of the rhythm
                d.rated_closed = d.rated_solved = 0
        total = int(p["departments.staff"])
        pooled = round(p["mechanisms.pooled_fraction"] * total)
        self._staff_departments(total - pooled, self.category_share)
        self.pool.account(self.now)
        self.pool.servers = pooled
        self._set_hub_servers()
        self.pop.set_params(p, self.structure.mobilisation(self.context))
        self.structure_hazard = self.structure.discovery_hazard(self.context)
        grid = p["mechanisms.grid_discovery"]
        self.grid_hazard = (self.structure.grid_efficiency()
                            * p["grid.reference_residents_per_worker"]
                            / p["grid.residents_per_worker"] / p["grid.discovery_days"]
                            ) if grid else 0.0
        self.service.rebalance([*self.departments, self.pool, self.hub, *self.structure_stations])

    def _structure(self, name: str) -> Structure:
        """The named structure, made and attached to this model the first time it is in force
        (kept for later switches back: its stations and agents stay)."""
        if name not in self._structures:
            self._structures[name] = make(name, self.p)
            self._structures[name].attach(self.context)
        return self._structures[name]

    def _set_hub_servers(self) -> None:
        self.hub.account(self.now)
        social = sum(o.social for o in self.self_orgs)
        self.hub.servers = (int(self.p["sanshe.social_workers"]) + social
                            if self.p["mechanisms.sanshe"] else 0)

    # --- time -----------------------------------------------------------------------------

    def step(self) -> None:
        """Day boundary at t = d: residents' day d-1 ends, day d begins."""
        day = int(round(self.now))
        t0 = perf_counter()
        if not self.queueing:
            council = (self.p["mechanisms.party_mobilisation"]
                       and day % max(1, round(self.p["party.council_days"])) == 0)
            attendees = self.pop.daily(day - 1, council)
            if council:
                self._councils(attendees)
            if day % MONTH == 0:
                self._month_update()
        t1 = perf_counter()
        self.timings["residents"] += t1 - t0
        self._close_undiscovered()
        if day in self.changes:
            self.p.update(effective_params({**self.p, **self.changes[day]}))
            self._apply_params()
        self._supervision_rhythm(day)
        if day < self.days:
            self._begin_day(day)
        t2 = perf_counter()
        self._observe()
        self.timings["collect"] += perf_counter() - t2
        if day >= self.days:
            self.running = False

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
        return [*self.departments, self.pool, self.hub, *self.enterprises, *self.self_orgs,
                *self.council_teams, *self.structure_stations]

    # --- issues occur and become known ------------------------------------------------------

    def rate_multiplier(self, t: float) -> float:
        """The epidemic-like burst: a smooth bump peaking `surge_days` after `surge_day`."""
        start = self.p["issues.surge_day"]
        if start <= 0 or t < start:
            return 1.0
        x = (t - start) / self.p["issues.surge_days"]
        return 1.0 + (self.p["issues.surge_peak"] - 1.0) * x * x * math.exp(2.0 * (1.0 - x))

    def _begin_day(self, day: int) -> None:
        """Draw the day's issues in bulk and schedule their discovery and patience events."""
        p, rng, net = self.p, self.rng, self.net
        self._drawn_before_today = self.ledger.n
        lam = p["issues.rate"] / 365.0 * net.n * self.rate_multiplier(day + 0.5)
        k = int(rng.poisson(lam))
        if k == 0:
            return
        self.created_counter += k
        L = self.ledger
        s = L.add(k)
        t_occ = day + np.sort(rng.random(k))
        who = rng.integers(0, net.n, k)
        nb = net.neighbourhood[who]
        L.t_occur[s] = t_occ
        L.resident[s] = who
        L.neighbourhood[s] = nb
        L.rural[s] = net.rural[who]
        # = rng.choice(categories, k, p=category_share), without re-checking p every day
        L.category[s] = self._category_cdf.searchsorted(rng.random(k), side="right")
        multi = rng.random(k) < p["issues.multi_share"]
        n_dep = np.where(multi, 2 + rng.integers(0, p["issues.max_departments"] - 1, k), 1)
        n_dep = np.minimum(n_dep, len(self.departments))
        L.n_departments[s] = n_dep
        single = n_dep == 1
        u = rng.random((3, k))  # the same draws as three of k
        visible = u[0] < p["issues.visible_share"]
        public = u[1] < p["issues.public_share"]
        community = single & (u[2] < p["issues.community_share"])
        L.visible[s] = visible
        L.public[s] = public
        L.community[s] = community
        L.paid_service[s] = single & ~community & (
            u[2] < p["issues.community_share"] + p["issues.service_share"])

        if self.queueing or p["residents.report_days"] <= 0:
            t_known = t_occ
            found_by = np.full(k, Discoverer.RESIDENT, dtype=np.int8)
        else:
            t_known, found_by = self._discovery(who, nb, visible, public, t_occ)
        patience = p["issues.patience_days"]
        t_out = t_occ + patience
        found = t_known < t_out
        if found.all():
            L.t_known[s] = t_known
            L.discovered_by[s] = found_by
        else:
            L.t_known[s][found] = t_known[found]
            L.discovered_by[s][found] = found_by[found]
        at, opened, on_known, on_patience = self.at, self.open, self.on_known, self.on_patience
        for idx, known, out, ok, cat, n_d, b, rur, pub in zip(
                range(s.start, s.stop), t_known.tolist(), t_out.tolist(), found.tolist(),
                L.category[s].tolist(), n_dep.tolist(), nb.tolist(), L.rural[s].tolist(),
                public.tolist(), strict=True):
            if ok:
                issue = Issue(idx, cat, n_d, b, rur, pub)
                opened[idx] = issue
                at(known, on_known, issue)
                if patience < 1e8:
                    self.at_in_order(out, on_patience, issue)
            else:
                self._undiscovered.append((out, idx))

    def _discovery(self, who: np.ndarray, nb: np.ndarray, visible: np.ndarray,
                   public: np.ndarray, t_occ: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Competing hazards: the resident, affected neighbours, grid patrol, self-orgs."""
        p, rng = self.p, self.rng
        k = len(who)
        pub = np.nonzero(public)[0]
        # public issues affect the neighbours too (most days none is public)
        nbrs, degree = self.net.neighbours(who[pub]) if len(pub) else (who[:0], pub)
        hz = self.pop.report_hazard(np.concatenate([who, nbrs]))  # only the residents needed
        h_res, hz_nb = hz[:k], hz[k:].tolist()
        h_nb = np.zeros(k)
        if len(pub):
            # each public issue's neighbours' hazards, summed in adjacency order (as a sparse
            # product would: the same figures to the last bit)
            sums, j = [], 0
            for n_nb in degree.tolist():
                acc = 0.0
                for v in hz_nb[j:j + n_nb]:
                    acc += v
                sums.append(acc)
                j += n_nb
            h_nb[pub] = p["residents.neighbour_report"] * np.array(sums)
        h_grid = np.where(visible, self.grid_hazard, 0.0)
        h_org = np.where(visible, self.org_hazard[nb], 0.0)
        rows = [h_res, h_nb, h_grid, h_org]
        if self.structure_hazard > 0:
            rows.append(np.where(visible, self.structure_hazard, 0.0))
        h = np.array(rows)  # = np.stack, cheaper for a few short rows
        total = h.sum(axis=0)
        delay = rng.exponential(1.0, k)
        if total.all():
            delay /= total
        else:
            with np.errstate(divide="ignore"):  # nobody can find it: never found
                delay /= total
        pick = (rng.random(k) * total)[None, :] < np.cumsum(h, axis=0)
        found_by = (np.argmax(pick, axis=0) + 1).astype(np.int8)
        return t_occ + delay, found_by

    def carried(self) -> int:
        """Issues the model still holds: known ones in flight, plus undiscovered ones waiting
        for their patience to run out."""
        return len(self.open) + len(self._undiscovered) - self._undiscovered_next

    def _close_undiscovered(self) -> None:
        """Issues nobody found before their patience ran out are abandoned (bulk, in order)."""
        q, i, now, L = self._undiscovered, self._undiscovered_next, self.now, self.ledger
        while i < len(q) and q[i][0] <= now:
            t, idx = q[i]
            L.t_closed[idx] = t
            L.status[idx] = Status.ABANDONED
            self.counts[ABANDONED] += 1
            i += 1
        self._undiscovered_next = i

    def on_known(self, issue: Issue) -> None:
        """An issue becomes known: credit the report, let the community take what it can,
        else the structure routes it."""
        if not issue.live:
            return
        i, L = issue.i, self.ledger
        L.stage[i] = ROUTING
        if not self.queueing:
            self._credit_discovery(i)
            if self._community_channel(issue):
                return
        self._route(issue, self._departments_needed(issue))

    def _credit_discovery(self, i: int) -> None:
        """A resident's or a neighbour's report is participation; the grid's is counted."""
        L, day = self.ledger, int(self.now)
        by = int(L.discovered_by[i])
        if by == Discoverer.RESIDENT:
            self.pop.note("report", int(L.resident[i]), day)
        elif by == Discoverer.NEIGHBOUR:
            r = int(L.resident[i])
            row = self.net.adj.indices[self.net.adj.indptr[r]:self.net.adj.indptr[r + 1]]
            if len(row):
                self.pop.note("report", int(row[self.random.randrange(len(row))]), day)
        elif by == Discoverer.GRID:
            self.street.discovered += 1

    def _departments_needed(self, issue: Issue) -> list[int]:
        """The owning department, then n - 1 others drawn uniformly without replacement."""
        n, cat = issue.n_departments, issue.category
        cats = [cat]
        if n > 1:
            others = [c for c in range(len(self.departments)) if c != cat]
            cats += self.random.sample(others, n - 1)
        return cats

    def _route(self, issue: Issue, cats: list[int]) -> None:
        """The structure in force decides the journey and who serves; the issue arrives after
        the journey's delay."""
        i, L, st = issue.i, self.ledger, self.structure
        info = IssueInfo(i, cats[0], tuple(cats), issue.neighbourhood, issue.rural, issue.public,
                         self.now)
        route = st.route(info, self.random, self.context)
        if route.to is None:
            to = [self.departments[c] for c in cats]
            L.channel[i] = DEPARTMENTS
        else:
            to = list(route.to)
            L.channel[i] = (DEPARTMENTS if all(isinstance(x, Department) for x in to)
                            else L.code(L.channel_names, _channel_name(to[0])))
        issue.depts = issue.homes = to  # never mutated: depts is replaced by slices
        issue.structure, issue.joint = st, st.parallel(info)
        if st is not self._coded[0]:  # a structure's code is fixed when it first routes
            self._coded = (st, L.code(L.structure_names, st.name))
        L.structure[i] = self._coded[1]
        if route.transfers:
            L.transfers[i] = route.transfers
        if route.bounces:
            L.bounces[i] = route.bounces
        if route.delay > 0:
            self.after(route.delay, self.on_arrive, issue)
        else:
            self.on_arrive(issue)

    def _community_channel(self, issue: Issue) -> bool:
        """Self-organisations, 三社联动 and social enterprises take what they can."""
        i, L, p = issue.i, self.ledger, self.p
        if L.community[i]:
            if p["mechanisms.self_service"]:
                org = self._free_org(int(L.resident[i]), issue.neighbourhood)
                if org is not None:
                    self._take_in_community(issue, org, Channel.SELF_ORG, self.now)
                    return True
            team = self.council_teams[issue.neighbourhood]
            if team.free():
                self._take_in_community(issue, team, Channel.COUNCIL, self.now)
                return True
            if p["mechanisms.sanshe"] and self.hub.servers > 0:
                L.channel[i] = Channel.SANSHE
                issue.depts = [self.hub]
                issue.homes = [self.hub]
                self.after(exp(self.random, p["sanshe.intake_days"]), self.on_arrive, issue)
                return True
        if L.paid_service[i] and p["mechanisms.social_enterprises"] and self.enterprises:
            L.channel[i] = Channel.ENTERPRISE
            issue.depts = [min(self.enterprises, key=lambda e: (e.busy + e.waiting) / e.servers)]
            issue.homes = list(issue.depts)
            self.after(0.0, self.on_arrive, issue)
            return True
        return False

    def _take_in_community(self, issue: Issue, station: Station, channel: Channel,
                           since: float) -> None:
        """A community station with a free server starts on the issue now (no queue, no
        routing delay); `since` is when the issue started waiting for anyone."""
        i, L = issue.i, self.ledger
        L.channel[i] = channel
        if not issue.routed:
            issue.routed = True
            L.t_routed[i] = self.now
        issue.depts, issue.parts_left, issue.homes = [], 1, [station]
        job = Job(issue, station, since)
        issue.jobs = [job]
        self.service.submit_now_or_never(job)

    def _free_org(self, resident: int, nb: int) -> SelfOrganisation | None:
        own = self.pop.member[resident]
        orgs = self._orgs_by_nb.get(nb, ())
        for org in orgs:  # the resident's own organisation first
            if org.unique_id == own and org.free():
                return org
        for org in orgs:  # then the first free one (the own one is not)
            if org.free():
                return org
        return None

    # --- queues and work ------------------------------------------------------------------

    def on_arrive(self, issue: Issue) -> None:
        if not issue.live:
            return
        i, L = issue.i, self.ledger
        if not issue.routed:
            issue.routed = True
            L.t_routed[i] = self.now
        L.stage[i] = WAITING
        parallel = issue.joint
        batch = issue.depts if parallel else issue.depts[:1]
        issue.depts = [] if parallel else issue.depts[1:]
        issue.parts_left = len(batch)
        for st in batch:
            if isinstance(st, Department):
                st.received += 1
            job = Job(issue, st, self.now)
            issue.jobs.append(job)
            self.service.submit(job)

    def on_job_start(self, job: Job) -> None:
        issue, L = job.issue, self.ledger
        i = issue.i
        if not issue.started:
            issue.started = True
            L.t_first_start[i] = self.now
        L.stage[i] = SERVICE
        if job.server is self.pool:
            L.pooled_parts[i] += 1

    def on_job_done(self, job: Job) -> None:
        issue, L = job.issue, self.ledger
        i = issue.i
        issue.parts_left -= 1
        if issue.parts_left > 0:
            return
        # the part finishing last is on the critical path (all parts are, when sequential)
        L.wait[i] += job.t_start - job.t_enqueue
        L.service[i] += self.now - job.t_start
        issue.jobs = []
        if issue.depts:  # sequential: hand off to the next department
            L.stage[i] = COORDINATION
            self.after(issue.structure.handoff(self.random), self.on_arrive, issue)
        elif issue.n_departments > 1 and issue.structure is not None:
            L.stage[i] = COORDINATION
            delay = issue.structure.coordination(self.random) if issue.joint else 0.0
            if delay > 0:
                self.after(delay, self._close_resolved, issue)
            else:
                self.close(issue, resolved=True)
        else:
            self.close(issue, resolved=True)

    def on_escalate(self, job: Job) -> None:
        self.ledger.escalations[job.issue.i] += 1

    def on_borrow(self, job: Job) -> None:
        """A lifted part is served by another department's staff."""
        self.ledger.borrowed_parts[job.issue.i] += 1

    def on_patience(self, issue: Issue) -> None:
        """Nobody has started to act in time: the issue is abandoned."""
        if issue.started or not issue.live:
            return
        for job in issue.jobs:
            self.service.cancel(job)
        self.close(issue, resolved=False)

    def solve_share(self) -> float:
        """Departments' mean chance of really solving a part, now (recomputed when one moved:
        ratings and drills are rare)."""
        key = tuple(d.solve_share for d in self.departments)
        if key != self._solve_key:
            self._solve_key, self._solve_mean = key, float(np.mean(key))
        return self._solve_mean

    def _initial_solve_share(self) -> float:
        """Departments' solve share at day 0: the unrated level, or, if supervision's rhythm
        had already run `supervision.prior_days` (a mature system), the expected result of
        that many ratings: each makes up `rating_response` of the gap to the ceiling."""
        p = self.p
        q0, top = p["departments.solve_share"], p["departments.solve_ceiling"]
        if not p["mechanisms.supervision"] or q0 >= top:
            return q0
        ratings = int(p["supervision.prior_days"] // max(1, round(p["supervision.rating_days"])))
        return top - (top - q0) * (1.0 - p["supervision.rating_response"]) ** ratings

    def _close_resolved(self, issue: Issue) -> None:
        self.close(issue, resolved=True)

    def close(self, issue: Issue, resolved: bool) -> None:
        """Close an issue: handled (`resolved`; solved unless a department's part was handled
        without solving it, 办而未决) or abandoned."""
        i, L = issue.i, self.ledger
        now = self.now
        issue.live = False
        L.t_closed[i] = now
        status = RESOLVED if resolved else ABANDONED
        L.status[i] = status
        self.counts[status] += 1
        if resolved:
            L.stage[i] = CLOSED
            days = now - float(L.t_occur[i])
            channel = int(L.channel[i])
            solved = (self._solved(issue) if channel == DEPARTMENTS or channel > COUNCIL
                      else True)
            L.solved[i] = solved
            self._recent_t.append(now)
            self._recent_days.append(days)
            self._recent_ok.append(solved)
        if not self.queueing:  # residents learn from how it ended
            outcome = (0.5 ** (days / self.p["residents.satisfied_days"])
                       if resolved and solved else 0.0)
            self.pop.record_outcome(int(L.resident[i]), outcome)
        self.open.pop(i, None)
        issue.jobs = []  # no cycle between a closed issue and its parts

    def _solved(self, issue: Issue) -> bool:
        """Each department's part is really solved with that department's solve share (no draw
        when it is 1); the callback tells each department whether its own part was."""
        solved = True
        owner = self.departments[issue.category]
        for d in issue.homes:
            rated = isinstance(d, Department)  # a structure's own station: as the owner would
            q = d.solve_share if rated else owner.solve_share
            ok = q >= 1.0 or self.random.random() < q
            if rated:
                d.rated_closed += 1
                d.rated_solved += ok
            solved = solved and ok
        return solved

    # --- councils and supervision's rhythm ------------------------------------------------

    def _councils(self, attendees: np.ndarray) -> None:
        """Each neighbourhood's council (议事会) decides: its attendees form a volunteer team
        (one server per `party.council_volunteers_per_issue` of them) that until the next
        council solves community issues itself; it first takes the neighbourhood's
        community-solvable issues still waiting in a department's queue (oldest first), and
        raises its public issues still waiting to the street (lifted, 督办)."""
        nb_count = np.bincount(self.net.neighbourhood[attendees],
                               minlength=self.net.n_neighbourhoods)
        for team, n in zip(self.council_teams, nb_count, strict=True):
            team.account(self.now)
            team.servers = int(n // self.p["party.council_volunteers_per_issue"])
        for b in self.branches:
            b.councils += 1
        L = self.ledger
        held = np.fromiter(self.open, dtype=np.int64, count=len(self.open))  # oldest first
        waiting = held[(L.channel[held] == DEPARTMENTS) & (L.stage[held] == WAITING)
                       & (L.community[held] | L.public[held])]
        for i in waiting.tolist():  # what one issue's decision changes leaves the others' alone
            issue = self.open[i]
            b = int(L.neighbourhood[i])
            if L.community[i] and not issue.started and self.council_teams[b].free():
                since = issue.jobs[0].t_enqueue if issue.jobs else self.now
                for job in issue.jobs:
                    self.service.cancel(job)
                self.branches[b].issues_taken += 1
                self._take_in_community(issue, self.council_teams[b], Channel.COUNCIL, since)
            elif L.public[i]:
                for job in issue.jobs:
                    self.service.escalate(job)

    def _supervision_rhythm(self, day: int) -> None:
        """一月一现场会、两月一调度、一季一督导、半年一拉练, counted from the day supervision
        started: on-site meetings lift the longest-open cases, dispatch meetings move
        departments' staff to where parts arrived, ratings move each department's solve share,
        drills spread the best-rated department's practice."""
        start, p = self._rhythm_start, self.p
        if start is None or day <= start:
            return
        meeting, dispatch, rating, drill = ((day - start) % period == 0
                                            for period in self._rhythm_periods)
        if meeting:
            self._on_site_meeting(int(p["supervision.meeting_cases"]))
        if dispatch:
            self._dispatch_meeting()
        if rating:
            for d in self.departments:
                d.rate(p["departments.solve_ceiling"], p["supervision.rating_response"])
        if drill:
            self._drill(p["supervision.drill_learning"])

    def _on_site_meeting(self, cases: int) -> None:
        """Lift every waiting part of the `cases` longest-open department issues that still
        have one not yet lifted (open issues are kept in order of occurrence)."""
        L = self.ledger
        for issue in list(self.open.values()):
            if cases <= 0:
                return
            if int(L.channel[issue.i]) != Channel.DEPARTMENTS:
                continue
            waiting = [j for j in issue.jobs if j.state == Job.WAITING and not j.escalated]
            if waiting:
                cases -= 1
                for job in waiting:
                    self.service.escalate(job)

    def _dispatch_meeting(self) -> None:
        """Departments' own staff are reallocated in proportion to the parts each received
        since the last dispatch meeting (each keeps one when there are enough)."""
        received = np.array([d.received for d in self.departments], dtype=float)
        if received.sum() == 0:
            return
        self._staff_departments(sum(d.servers for d in self.departments), received)
        for d in self.departments:
            d.received = 0
        self.service.rebalance(list(self.departments))

    def _staff_departments(self, total: int, shares: np.ndarray) -> None:
        """Departments' own staff split by shares (ODD 7.5: one each first when there are
        enough, the rest by largest remainder)."""
        minimum = 1 if total >= len(self.departments) else 0
        alloc = ServiceNetwork.allocate(total, shares, minimum=minimum)
        for d, s in zip(self.departments, alloc, strict=True):
            d.account(self.now)
            d.servers = int(s)

    def _drill(self, learning: float) -> None:
        """Every department closes `learning` of its gap to the best-rated one's solve share."""
        rated = [d for d in self.departments if d.score is not None]
        if not rated:
            return
        best = max(rated, key=lambda d: d.score).solve_share
        for d in self.departments:
            d.solve_share += learning * max(0.0, best - d.solve_share)

    # --- organisations, monthly -------------------------------------------------------------

    def _found_initial_orgs(self) -> None:
        p = self.p
        n_orgs = self.rng.poisson(p["selforg.per_1000"] * self.net.n / 1000.0)
        for _ in range(int(n_orgs)):
            self._found_org(int(self.rng.integers(self.net.n_neighbourhoods)))
        self._index_orgs()

    def _found_org(self, nb: int) -> None:
        pool = self._nb_members[nb]
        pool = pool[self.pop.member[pool] < 0]
        size = min(len(pool), max(2, int(self.rng.poisson(self.p["selforg.size"]))))
        if size < 2:
            return
        w = self.pop.propensity[pool]
        members = self.rng.choice(pool, size, replace=False, p=w / w.sum())
        org = SelfOrganisation(self, nb, members, self.p["selforg.service_days"])
        self.pop.member[members] = org.unique_id
        self.self_orgs.append(org)

    def _sanshe_projects(self, day: int) -> None:
        """三社联动: every social worker runs a project recruiting volunteers street-wide, every
        social organisation one in its own neighbourhood (Poisson(sanshe.project_volunteers)
        residents each, this month)."""
        k = self.p["sanshe.project_volunteers"]
        everyone = np.arange(self.net.n)
        for _ in range(int(self.p["sanshe.social_workers"])):
            self.hub.engaged += self.pop.recruit(everyone, int(self.rng.poisson(k)), day)
        for org in self.self_orgs:
            if org.social:
                self.hub.engaged += self.pop.recruit(self._nb_members[org.neighbourhood],
                                                     int(self.rng.poisson(k)), day)

    def _index_orgs(self) -> None:
        """After organisations changed: who is where, and how many residents are members."""
        self._orgs_by_nb: dict[int, list[SelfOrganisation]] = {}
        for o in self.self_orgs:
            self._orgs_by_nb.setdefault(o.neighbourhood, []).append(o)
        self._org_members = float(np.count_nonzero(self.pop.member >= 0))
        self.pop.memberships_changed()

    def _month_update(self) -> None:
        """Self-organisations grow, fade, are founded and cultivated; enterprises grow."""
        p, rng, day = self.p, self.rng, int(round(self.now))
        if self.queueing:
            return
        active = self.pop.active(day - 1, "selforg")
        survivors = []
        for org in self.self_orgs:
            if day > 0:
                org.activity = float(active[org.members].mean()) if len(org.members) else 0.0
            else:  # no history yet
                org.activity = p["selforg.initial_activity"]
            fading = org.activity < p["selforg.fade_activity"] and day > 0
            if fading and org.busy == 0 and rng.random() < p["selforg.fade_chance"]:
                self.pop.member[org.members] = -1
                org.remove()
                continue
            survivors.append(org)
            org.account(self.now)
            n_active = (int(active[org.members].sum()) if day > 0
                        else int(len(org.members) * org.activity))
            org.servers = int(n_active // p["selforg.members_per_job"])
            if (p["mechanisms.sanshe"] and not org.social
                    and org.activity >= p["sanshe.cultivation_activity"]
                    and rng.random() < p["sanshe.cultivation_rate"]):
                org.social = True
        self.self_orgs = survivors
        if p["mechanisms.sanshe"] and day > 0:
            self._sanshe_projects(day - 1)
        if day > 0:
            any_active = self.pop.active(day - 1)
            for nb, members in enumerate(self._nb_members):
                if (any_active[members].mean() > p["residents.influence_reference"]
                        and rng.random() < p["selforg.found_rate"]):
                    self._found_org(nb)
        self._index_orgs()
        hz = np.zeros(self.net.n_neighbourhoods)
        for org in self.self_orgs:
            hz[org.neighbourhood] += org.activity / p["selforg.raise_days"]
        self.org_hazard = hz
        for e in self.enterprises:
            e.grow()
        self._set_hub_servers()

    # --- observation ------------------------------------------------------------------------

    def _population_means(self) -> tuple[float, float, float]:
        """Mean propensity, trust, efficacy; frozen in queueing mode (behaviour is off)."""
        if self.queueing and self._frozen_means is not None:
            return self._frozen_means
        n, add = self.net.n, np.add.reduce  # = ndarray.mean, without its Python wrapper
        means = (float(add(self.pop.propensity)) / n, float(add(self.pop.trust)) / n,
                 float(add(self.pop.efficacy)) / n)
        self._frozen_means = means
        return means

    @property
    def observed(self) -> dict[str, float]:
        """The values observed last (today's row of the daily series), by name."""
        return dict(zip(SERIES, self._rows[self._today].tolist(), strict=True))

    def _observe(self) -> None:
        """Record today's values in the daily series and the DataCollector.

        Only the ledger's still-open tail is scanned: issues close roughly in the order they
        occur, so the cost per day stays near the backlog size, not the run's issue count."""
        t = int(round(self.now))
        L = self.ledger
        start = self._drawn_before_today  # today's issues occur after t (earlier ones did)
        n = start + int(np.searchsorted(L.t_occur[start: L.n], t, side="right"))
        lo = self._first_open
        openm = L.status[lo:n] == Status.OPEN
        first = int(openm.argmax()) if openm.any() else n - lo  # skip the closed head
        lo += first
        openm = openm[first:]
        self._first_open = lo
        stage_counts = np.bincount(L.stage[lo:n][openm], minlength=len(Stage))
        recent_t, recent_days, recent_ok = self._recent_t, self._recent_days, self._recent_ok
        while recent_t and recent_t[0] <= t - MONTH:
            recent_t.popleft()
            recent_days.popleft()
            recent_ok.popleft()
        n_recent = len(recent_t)
        day = t - 1 if t > 0 else 0
        stages = stage_counts[_OPEN_STAGES].tolist()
        participation = self.pop.active_shares(day) if t > 0 else [0.0] * (1 + len(KINDS))
        self._rows[t] = (  # in the order of SERIES
            n, self.counts[RESOLVED], self.counts[ABANDONED], int(openm.sum()),
            *stages, *participation, *self._population_means(),
            float(np.fromiter(recent_days, float, n_recent).mean()) if n_recent else math.nan,
            sum(recent_ok) / n_recent if n_recent else math.nan,  # = the mean: exact counts
            self.solve_share(), len(self.self_orgs), self._org_members,
            sum(o.social for o in self.self_orgs), sum(e.servers for e in self.enterprises),
            self.pool.servers,
        )
        self._today = t
        self.datacollector.collect(self)


class SeriesCollector(mesa.DataCollector):
    """Mesa's DataCollector over the model's daily series: `_observe` writes each day's values
    once, into `model.series`; `collect` notes the time as Mesa's does (`_collection_steps`,
    which `mesa.batch_run` reads) and `model_vars` reads the collected days from those arrays
    (Mesa's collector would call and deep-copy 35 reporters a day)."""

    def __init__(self, series: dict[str, np.ndarray]) -> None:
        super().__init__()
        self.series = series

    @property
    def days(self) -> list[int]:
        """The collected days."""
        return [int(round(t)) for t in self._collection_steps]

    @property
    def model_vars(self) -> dict[str, list[float]]:
        """Mesa's layout: each series as a list, one value per collection."""
        return {k: v[self.days].tolist() for k, v in self.series.items()}

    @model_vars.setter
    def model_vars(self, _: dict[str, list[Any]]) -> None:
        """Mesa's __init__ sets it empty; it is always read from the series."""

    def collect(self, model: mesa.Model) -> None:
        self._collection_steps.append(model.time)

    def get_model_vars_dataframe(self) -> pd.DataFrame:
        """One row per collected day, one column per series."""
        return pd.DataFrame({k: v[self.days] for k, v in self.series.items()})


def _channel_name(station: Any) -> str:
    return str(getattr(station, "kind", type(station).__name__)).replace(" ", "_").lower()


class StructureContext:
    """The documented surface of the model a governance structure may use (the protocol is
    `structures.base.Context`; docs/structures.md): parameters, the random stream, time, the
    departments, and adding stations or agents of its own. Nothing private."""

    def __init__(self, model: CoGovModel) -> None:
        self._m = model
        self.p = model.p
        self.random = model.random

    @property
    def time(self) -> float:
        return self._m.now

    @property
    def residents(self) -> int:
        return self._m.net.n

    @property
    def party_members(self) -> int:
        return int(self._m.net.party.sum())

    @property
    def neighbourhoods(self) -> int:
        return self._m.net.n_neighbourhoods

    @property
    def departments(self) -> list[Department]:
        return list(self._m.departments)

    def add_station(self, kind: str, label: str, label_zh: str, servers: int,
                    mean_days: float, *, field_work: bool = True,
                    liftable: bool = False) -> Station:
        """A station of the structure's own (capacity it brings): its parts go to the ledger
        channel named after `kind`; `field_work`: its parts may need field work; `liftable`:
        parts still waiting at a deadline are lifted to idle staff."""
        st = UnitStation(self._m, kind, label, label_zh, servers, mean_days, field_work,
                         liftable)
        self._m.structure_stations.append(st)
        self._m.ledger.code(self._m.ledger.channel_names, _channel_name(st))
        return st

    def add_agent(self, cls: type, *args: Any) -> mesa.Agent:
        """A Mesa agent of the structure's own (e.g. a dispatch centre that keeps counts)."""
        return cls(self._m, *args)

    def waiting(self, station: Station) -> int:
        return int(station.waiting)

    def free(self, station: Station) -> bool:
        return station.free()
