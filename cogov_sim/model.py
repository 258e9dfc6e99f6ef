"""CoGovModel: wiring and time.

Residents' behaviour runs in daily steps (bulk arrays, `population.py`); an issue's life runs
in continuous time on Mesa's event schedule (completions at fractional days). The governance
structure is a plug-in (`structures/`) that decides routing and how departments cooperate.
"""

from __future__ import annotations

import math
from collections import deque
from functools import partial
from time import perf_counter
from typing import Any

import mesa
import numpy as np

from cogov_sim import network
from cogov_sim.agents import (
    Committee,
    CommunityHub,
    Department,
    PartyBranch,
    SelfOrganisation,
    SocialEnterprise,
    StreetOffice,
    StreetTeam,
)
from cogov_sim.issues import Channel, Discoverer, Issue, Job, Ledger, Stage, Status
from cogov_sim.population import KINDS, Population
from cogov_sim.scenario import Scenario, effective_params, from_dict
from cogov_sim.service import ServiceNetwork, Station
from cogov_sim.structures import make, registry
from cogov_sim.structures.base import exp

GRID_REFERENCE = 740.0  # residents per grid worker at which grid.discovery_days is stated
MONTH = 30
PHASES = ("setup", "residents", "issues", "collect")
SERIES = (
    "created", "resolved", "abandoned", "backlog", *(f"stage_{s.name.lower()}" for s in
                                                       list(Stage)[:5]),
    "participation", *(f"participation_{k}" for k in KINDS), "propensity", "trust",
    "efficacy", "resolution_30d", "solved_30d", "self_orgs", "self_org_members", "social_orgs",
    "enterprise_servers", "pooled_servers",
)


class CoGovModel(mesa.Model):
    """Community co-governance on a resident network under a swappable governance structure.

    Args:
        spec: a validated `Scenario` (defaults when None).
        rng: the seed; every random draw comes from the model's two generators.
        **overrides: dotted parameter names with values, e.g. ``{"issues.rate": 0.4}``.
    """

    def __init__(self, spec: Scenario | None = None, rng: int = 1, **overrides: Any) -> None:
        started = perf_counter()
        super().__init__(rng=rng)
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
        self.counts = {Status.RESOLVED: 0, Status.ABANDONED: 0}
        self._first_open = 0
        self._recent: deque[tuple[float, float, bool]] = deque()  # resolved: t_closed, days, solved
        self._undiscovered: list[tuple[float, int]] = []
        self._undiscovered_next = 0

        k = int(p["issues.categories"])
        shares = (np.arange(1, k + 1, dtype=float)) ** -p["issues.category_skew"]
        self.category_share = shares / shares.sum()
        self.departments = [Department(self, c, 0, p["issues.service_days"]) for c in range(k)]
        self.pool = StreetTeam(self, 0, p["issues.service_days"])
        self.service.pool = self.pool
        self.service.poolable = list(self.departments)
        self.hub = CommunityHub(self, 0, p["sanshe.service_days"])
        self.enterprises = [
            SocialEnterprise(self, p["enterprise.service_days"], p["enterprise.jobs_per_server"],
                             p["enterprise.max_servers"])
            for _ in range(int(p["enterprise.count"]))
        ]
        self.street = StreetOffice(self, math.ceil(self.net.n / p["grid.residents_per_worker"]))
        self.committee = Committee(self) if p["structure"] == "committee" else None
        self.branches = [
            PartyBranch(self, b, int(self.net.party[self.net.neighbourhood == b].sum()))
            for b in range(self.net.n_neighbourhoods)
        ]
        self.self_orgs: list[SelfOrganisation] = []
        self._nb_members = [np.nonzero(self.net.neighbourhood == b)[0]
                            for b in range(self.net.n_neighbourhoods)]
        self._found_initial_orgs()
        self.org_hazard = np.zeros(self.net.n_neighbourhoods)

        self._structure_names = list(registry())
        self.structure = make(p["structure"], p)
        self._supervised_since: float | None = None  # when rated supervision started
        self._apply_params()
        self._month_update()

        self.series = {name: np.zeros(self.days + 1) for name in SERIES}
        self.observed: dict[str, float] = {}
        self._frozen_means: dict[str, float] | None = None
        self.datacollector = mesa.DataCollector(model_reporters={
            n: partial(observed_value, name=n) for n in SERIES})
        self._begin_day(0)
        self._observe()
        self.timings["setup"] = perf_counter() - started

    # --- parameters and structure ---------------------------------------------------------

    def _apply_params(self) -> None:
        """Derive everything that depends on parameters allowed to change mid-run."""
        p = self.p
        if self.structure.name != p["structure"]:
            self.structure = make(p["structure"], p)
            if p["structure"] == "committee" and self.committee is None:
                self.committee = Committee(self)
        deadlines = [d for d in (
            p["supervision.deadline_days"] if p["mechanisms.supervision"] else None,
            self.structure.report_deadline(),
        ) if d is not None]
        self.service.deadline = min(deadlines) if deadlines and min(deadlines) < 1e8 else None
        if not p["mechanisms.supervision"]:
            self._supervised_since = None
        elif self._supervised_since is None:
            self._supervised_since = self.time if self.time > 0 else -math.inf
        total = int(p["departments.staff"])
        pooled = round(p["mechanisms.pooled_fraction"] * total)
        own = ServiceNetwork.allocate(total - pooled, self.category_share,
                                      minimum=1 if total - pooled >= len(self.departments) else 0)
        for d, s in zip(self.departments, own, strict=True):
            d.account(self.time)
            d.servers = int(s)
        self.pool.account(self.time)
        self.pool.servers = pooled
        self._set_hub_servers()
        self.pop.set_params(p)
        grid = p["mechanisms.grid_discovery"]
        self.grid_hazard = (self.structure.grid_efficiency() * GRID_REFERENCE
                            / p["grid.residents_per_worker"] / p["grid.discovery_days"]
                            ) if grid else 0.0
        self.service.rebalance([*self.departments, self.pool, self.hub])

    def _set_hub_servers(self) -> None:
        self.hub.account(self.time)
        social = sum(o.social for o in self.self_orgs)
        self.hub.servers = (int(self.p["sanshe.social_workers"]) + social
                            if self.p["mechanisms.sanshe"] else 0)

    # --- time -----------------------------------------------------------------------------

    def step(self) -> None:
        """Day boundary at t = d: residents' day d-1 ends, day d begins."""
        day = int(round(self.time))
        t0 = perf_counter()
        if not self.queueing:
            council = (self.p["mechanisms.party_mobilisation"]
                       and day % max(1, round(self.p["party.council_days"])) == 0)
            self.pop.daily(day - 1, council, self.p["mechanisms.sanshe"])
            if council:
                for b in self.branches:
                    b.councils += 1
            if day % MONTH == 0:
                self._month_update()
        t1 = perf_counter()
        self.timings["residents"] += t1 - t0
        self._close_undiscovered()
        if day in self.changes:
            self.p.update(effective_params({**self.p, **self.changes[day]}))
            self._apply_params()
        if day < self.days:
            self._begin_day(day)
        t2 = perf_counter()
        self._observe()
        self.timings["collect"] += perf_counter() - t2
        if day >= self.days:
            self.running = False

    def run(self) -> CoGovModel:
        """Run to the horizon; returns self. `timings` then holds seconds per phase: setup,
        residents (bulk daily dynamics), issues (occurrence and every issue event), collect."""
        t0 = perf_counter()
        while self.time < self.days:
            self.step()
        self._finalise()
        total = perf_counter() - t0
        tm = self.timings
        tm["issues"] = total - tm["residents"] - tm["collect"]
        return self

    def _finalise(self) -> None:
        """Close the books at the horizon: discoveries drawn for later have not happened."""
        self._close_undiscovered()
        L = self.ledger
        later = np.nonzero(L.t_known[: L.n] > self.time)[0]
        L.t_known[later] = np.nan
        L.discovered_by[later] = Discoverer.NONE
        for st in self.stations():
            st.account(self.time)

    def stations(self) -> list[Station]:
        return [*self.departments, self.pool, self.hub, *self.enterprises, *self.self_orgs]

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
        lam = p["issues.rate"] / 365.0 * net.n * self.rate_multiplier(day + 0.5)
        k = int(rng.poisson(lam))
        if k == 0:
            return
        self.created_counter += k
        L = self.ledger
        s = L.add(k)
        t_occ = day + np.sort(rng.random(k))
        who = rng.integers(0, net.n, k)
        L.t_occur[s] = t_occ
        L.resident[s] = who
        L.neighbourhood[s] = net.neighbourhood[who]
        L.rural[s] = net.rural[who]
        L.category[s] = rng.choice(len(self.departments), k, p=self.category_share)
        multi = rng.random(k) < p["issues.multi_share"]
        n_dep = np.where(multi, 2 + rng.integers(0, p["issues.max_departments"] - 1, k), 1)
        L.n_departments[s] = np.minimum(n_dep, len(self.departments))
        single = L.n_departments[s] == 1
        L.visible[s] = rng.random(k) < p["issues.visible_share"]
        L.public[s] = rng.random(k) < p["issues.public_share"]
        u = rng.random(k)
        L.community[s] = single & (u < p["issues.community_share"])
        L.paid_service[s] = single & ~L.community[s] & (
            u < p["issues.community_share"] + p["issues.service_share"])

        if self.queueing or p["residents.report_days"] <= 0:
            t_known = t_occ
            found_by = np.full(k, Discoverer.RESIDENT, dtype=np.int8)
        else:
            t_known, found_by = self._discovery(s, who, t_occ)
        patience = p["issues.patience_days"]
        for j, idx in enumerate(range(s.start, s.stop)):
            if t_known[j] < t_occ[j] + patience:
                L.t_known[idx] = t_known[j]
                L.discovered_by[idx] = found_by[j]
                issue = Issue(self, idx)
                self.open[idx] = issue
                self.schedule_event(issue.known, at=float(t_known[j]))
                if patience < 1e8:
                    self.schedule_event(issue.give_up, at=float(t_occ[j] + patience))
            else:
                self._undiscovered.append((float(t_occ[j] + patience), idx))

    def _discovery(self, s: slice, who: np.ndarray, t_occ: np.ndarray):
        """Competing hazards: the resident, affected neighbours, grid patrol, self-orgs."""
        p, rng, L = self.p, self.rng, self.ledger
        hz = self.pop.report_hazard()
        h_res = hz[who]
        h_nb = np.where(L.public[s], p["residents.neighbour_report"]
                        * (self.net.adj[who] @ hz), 0.0)
        h_grid = np.where(L.visible[s], self.grid_hazard, 0.0)
        h_org = np.where(L.visible[s], self.org_hazard[L.neighbourhood[s]], 0.0)
        h = np.stack([h_res, h_nb, h_grid, h_org])
        total = h.sum(axis=0)
        with np.errstate(divide="ignore"):
            delay = rng.exponential(1.0, len(who)) / total
        pick = (rng.random(len(who)) * total)[None, :] < np.cumsum(h, axis=0)
        found_by = (np.argmax(pick, axis=0) + 1).astype(np.int8)
        return t_occ + delay, found_by

    def carried(self) -> int:
        """Issues the model still holds: known ones in flight, plus undiscovered ones waiting
        for their patience to run out."""
        return len(self.open) + len(self._undiscovered) - self._undiscovered_next

    def _close_undiscovered(self) -> None:
        """Issues nobody found before their patience ran out are abandoned (bulk, in order)."""
        q, i, now, L = self._undiscovered, self._undiscovered_next, self.time, self.ledger
        while i < len(q) and q[i][0] <= now:
            t, idx = q[i]
            L.t_closed[idx] = t
            L.status[idx] = Status.ABANDONED
            self.counts[Status.ABANDONED] += 1
            i += 1
        self._undiscovered_next = i

    def on_known(self, issue: Issue) -> None:
        i, L = issue.i, self.ledger
        if L.status[i] != Status.OPEN:
            return
        L.stage[i] = Stage.ROUTING
        day = int(self.time)
        by = L.discovered_by[i]
        if self.queueing:
            pass  # behaviour is off: reports are not participation
        elif by == Discoverer.RESIDENT:
            self.pop.note("report", int(L.resident[i]), day)
        elif by == Discoverer.NEIGHBOUR:
            r = int(L.resident[i])
            row = self.net.adj.indices[self.net.adj.indptr[r]:self.net.adj.indptr[r + 1]]
            if len(row):
                self.pop.note("report", int(row[self.random.randrange(len(row))]), day)
        elif by == Discoverer.GRID:
            self.street.discovered += 1
        if not self.queueing and self._community_channel(issue):
            return
        L.channel[i] = Channel.DEPARTMENTS
        n = int(L.n_departments[i])
        cat = int(L.category[i])
        cats = [cat]
        if n > 1:
            others = [c for c in range(len(self.departments)) if c != cat]
            cats += self.random.sample(others, n - 1)
        issue.depts = [self.departments[c] for c in cats]
        issue.structure = self.structure
        L.structure[i] = self._structure_names.index(self.structure.name)
        route = self.structure.route(n > 1, self.random)
        L.transfers[i] = route.transfers
        L.bounces[i] = route.bounces
        if self.committee is not None and self.structure.name == "committee":
            self.committee.dispatched += 1
        if self.structure.name == "whistle":
            self.street.whistles += 1
        if route.delay > 0:
            self.schedule_event(issue.arrive, after=route.delay)
        else:
            self.on_arrive(issue)

    def _community_channel(self, issue: Issue) -> bool:
        """Self-organisations, 三社联动 and social enterprises take what they can."""
        i, L, p = issue.i, self.ledger, self.p
        if L.community[i]:
            if p["mechanisms.self_service"]:
                org = self._free_org(int(L.resident[i]), int(L.neighbourhood[i]))
                if org is not None:
                    L.channel[i] = Channel.SELF_ORG
                    L.t_routed[i] = self.time
                    issue.depts, issue.parts_left = [], 1
                    self.service.submit_now_or_never(Job(issue, org, self.time))
                    return True
            if p["mechanisms.sanshe"] and self.hub.servers > 0:
                L.channel[i] = Channel.SANSHE
                issue.depts = [self.hub]
                self.schedule_event(issue.arrive, after=exp(self.random, p["sanshe.intake_days"]))
                return True
        if L.paid_service[i] and p["mechanisms.social_enterprises"] and self.enterprises:
            L.channel[i] = Channel.ENTERPRISE
            issue.depts = [min(self.enterprises, key=lambda e: (e.busy + e.waiting) / e.servers)]
            self.schedule_event(issue.arrive, after=0.0)
            return True
        return False

    def _free_org(self, resident: int, nb: int) -> SelfOrganisation | None:
        own = self.pop.member[resident]
        orgs = self._orgs_by_nb.get(nb, [])
        for org in sorted(orgs, key=lambda o: o.unique_id != own):
            if org.free():
                return org
        return None

    # --- queues and work ------------------------------------------------------------------

    def on_arrive(self, issue: Issue) -> None:
        i, L = issue.i, self.ledger
        if L.status[i] != Status.OPEN:
            return
        if np.isnan(L.t_routed[i]):
            L.t_routed[i] = self.time
        L.stage[i] = Stage.WAITING
        parallel = issue.structure is None or issue.structure.parallel
        batch = issue.depts if parallel else issue.depts[:1]
        issue.depts = [] if parallel else issue.depts[1:]
        issue.parts_left = len(batch)
        for st in batch:
            job = Job(issue, st, self.time)
            issue.jobs.append(job)
            self.service.submit(job)

    def on_job_start(self, job: Job) -> None:
        issue, L = job.issue, self.ledger
        i = issue.i
        if not issue.started:
            issue.started = True
            L.t_first_start[i] = self.time
        L.stage[i] = Stage.SERVICE
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
        L.service[i] += self.time - job.t_start
        issue.jobs = []
        if issue.depts:  # sequential: hand off to the next department
            L.stage[i] = Stage.COORDINATION
            self.schedule_event(issue.arrive, after=issue.structure.handoff(self.random))
        elif L.n_departments[i] > 1 and issue.structure is not None:
            L.stage[i] = Stage.COORDINATION
            delay = issue.structure.coordination(self.random) if issue.structure.parallel else 0.0
            if delay > 0:
                self.schedule_event(issue.close, after=delay)
            else:
                self.close(issue, resolved=True)
        else:
            self.close(issue, resolved=True)

    def on_escalate(self, job: Job) -> None:
        self.ledger.escalations[job.issue.i] += 1

    def on_patience(self, issue: Issue) -> None:
        """Nobody has started to act in time: the issue is abandoned."""
        if self.ledger.status[issue.i] != Status.OPEN or issue.started:
            return
        for job in issue.jobs:
            self.service.cancel(job)
        self.close(issue, resolved=False)

    def solve_share(self) -> float:
        """Chance a department's part is really solved now: the unsupervised level, or the
        supervised one approached since supervision started (at once for a mature system)."""
        p, since = self.p, self._supervised_since
        q0 = p["departments.solve_share"]
        if since is None:
            return q0
        qs = p["supervision.solve_share"]
        return qs - (qs - q0) * math.exp(-(self.time - since) / p["supervision.learning_days"])

    def close(self, issue: Issue, resolved: bool) -> None:
        """Close an issue: handled (`resolved`; solved unless a department's part was handled
        without solving it, 办而未决) or abandoned."""
        i, L = issue.i, self.ledger
        L.t_closed[i] = self.time
        status = Status.RESOLVED if resolved else Status.ABANDONED
        L.status[i] = status
        self.counts[status] += 1
        if resolved:
            L.stage[i] = Stage.CLOSED
            days = self.time - L.t_occur[i]
            q = self.solve_share() ** int(L.n_departments[i])
            solved = (L.channel[i] != Channel.DEPARTMENTS or q >= 1.0
                      or self.random.random() < q)
            L.solved[i] = solved
            self._recent.append((self.time, days, solved))
            outcome = 0.5 ** (days / self.p["residents.satisfied_days"]) if solved else 0.0
        else:
            outcome = 0.0
        if not self.queueing:
            self.pop.record_outcome(int(L.resident[i]), outcome)
        self.open.pop(i, None)

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

    def _index_orgs(self) -> None:
        self._orgs_by_nb: dict[int, list[SelfOrganisation]] = {}
        for o in self.self_orgs:
            self._orgs_by_nb.setdefault(o.neighbourhood, []).append(o)

    def _month_update(self) -> None:
        """Self-organisations grow, fade, are founded and cultivated; enterprises grow."""
        p, rng, day = self.p, self.rng, int(round(self.time))
        if self.queueing:
            return
        active = self.pop.active(day - 1, "selforg")
        survivors = []
        for org in self.self_orgs:
            if day > 0:
                org.activity = float(active[org.members].mean()) if len(org.members) else 0.0
            else:  # no history yet: assume a third of the members are active
                org.activity = 1.0 / 3.0
            fading = org.activity < p["selforg.fade_activity"] and day > 0
            if fading and org.busy == 0 and rng.random() < 0.5:
                self.pop.member[org.members] = -1
                org.remove()
                continue
            survivors.append(org)
            org.account(self.time)
            n_active = int(active[org.members].sum()) if day > 0 else len(org.members) // 3
            org.servers = int(n_active // p["selforg.members_per_job"])
            if (p["mechanisms.sanshe"] and not org.social
                    and org.activity >= 2 * p["selforg.fade_activity"]
                    and rng.random() < p["sanshe.cultivation_rate"]):
                org.social = True
        self.self_orgs = survivors
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

    def _population_means(self) -> dict[str, float]:
        """Mean propensity, trust, efficacy; frozen in queueing mode (behaviour is off)."""
        if self.queueing and self._frozen_means is not None:
            return self._frozen_means
        means = {"propensity": float(self.pop.propensity.mean()),
                 "trust": float(self.pop.trust.mean()),
                 "efficacy": float(self.pop.efficacy.mean())}
        self._frozen_means = means
        return means

    def _observe(self) -> None:
        """Record today's values in the daily series and the DataCollector.

        Only the ledger's still-open tail is scanned: issues close roughly in the order they
        occur, so the cost per day stays near the backlog size, not the run's issue count."""
        t = int(round(self.time))
        L = self.ledger
        n = int(np.searchsorted(L.t_occur[: L.n], t, side="right"))  # occurred by now
        lo = self._first_open
        while lo < n and L.status[lo] != Status.OPEN:
            lo += 1
        self._first_open = lo
        status = L.status[lo:n]
        openm = status == Status.OPEN
        stage_counts = np.bincount(L.stage[lo:n][openm], minlength=6)
        recent = self._recent
        while recent and recent[0][0] <= t - 30:
            recent.popleft()
        day = t - 1 if t > 0 else 0
        values = {
            "created": float(n),
            "resolved": float(self.counts[Status.RESOLVED]),
            "abandoned": float(self.counts[Status.ABANDONED]),
            "backlog": float(openm.sum()),
            **{f"stage_{s.name.lower()}": float(stage_counts[s]) for s in list(Stage)[:5]},
            "participation": self.pop.active_share(day) if t > 0 else 0.0,
            **{f"participation_{k}": self.pop.active_share(day, k) if t > 0 else 0.0
               for k in KINDS},
            **self._population_means(),
            "resolution_30d": float(np.mean([d for _, d, _ in recent])) if recent
            else float("nan"),
            "solved_30d": float(np.mean([ok for _, _, ok in recent])) if recent
            else float("nan"),
            "self_orgs": float(len(self.self_orgs)),
            "self_org_members": float((self.pop.member >= 0).sum()),
            "social_orgs": float(sum(o.social for o in self.self_orgs)),
            "enterprise_servers": float(sum(e.servers for e in self.enterprises)),
            "pooled_servers": float(self.pool.servers),
        }
        for name, v in values.items():
            self.series[name][t] = v
        self.observed = values
        self.datacollector.collect(self)


def observed_value(model: CoGovModel, name: str) -> float:
    """DataCollector reporter (picklable, unlike a lambda) for one observed value."""
    return model.observed[name]
