"""An issue's life once it is known, on the model's events: the community may take it (the
mechanisms' `take` hooks), else the structure in force routes it; its parts queue, are served
(jointly or one after another) and it closes -- handled, and solved or not -- or is abandoned.
A mixin of `CoGovModel`: these are the callbacks the service network and the events call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cogov_sim.agents import Department
from cogov_sim.issues import Channel, Discoverer, Issue, Stage, Status
from cogov_sim.service import Job, Station
from cogov_sim.structures import IssueInfo

if TYPE_CHECKING:
    from cogov_sim.model import CoGovModel

ROUTING, WAITING, SERVICE, COORDINATION, CLOSED = (
    int(s) for s in (Stage.ROUTING, Stage.WAITING, Stage.SERVICE, Stage.COORDINATION, Stage.CLOSED))
RESOLVED, ABANDONED = int(Status.RESOLVED), int(Status.ABANDONED)
DEPARTMENTS = int(Channel.DEPARTMENTS)
"""Codes as plain ints: an IntEnum costs more to hash, compare with an array value or write."""


def channel_name(station: Any) -> str:
    """The ledger's channel name for a structure's station (its kind, snake-cased)."""
    return str(getattr(station, "kind", type(station).__name__)).replace(" ", "_").lower()


class IssuePipeline:
    """Known -> taken by the community or routed -> waiting -> served -> closed."""

    def on_known(self: CoGovModel, issue: Issue) -> None:
        """An issue becomes known: credit the report, let the community take what it can,
        else the structure routes it."""
        if not issue.live:
            return
        self.ledger.stage[issue.i] = ROUTING
        if not self.queueing:
            self._credit_discovery(issue)
            for take in self.hooks.take:
                if take(issue):
                    return
        issue.cats = self._departments_needed(issue)
        self._route(issue)

    def _credit_discovery(self: CoGovModel, issue: Issue) -> None:
        """A resident's or a neighbour's report is participation; mechanisms hear of the rest."""
        i, L, day = issue.i, self.ledger, int(self.now)
        by = int(L.discovered_by[i])
        if by == Discoverer.RESIDENT:
            self.pop.note("report", int(L.resident[i]), day)
        elif by == Discoverer.NEIGHBOUR:
            r = int(L.resident[i])
            row = self.net.adj.indices[self.net.adj.indptr[r]:self.net.adj.indptr[r + 1]]
            if len(row):
                self.pop.note("report", int(row[self.random.randrange(len(row))]), day)
        for f in self.hooks.issue_known:
            f(issue, by)

    def _departments_needed(self: CoGovModel, issue: Issue) -> list[int]:
        """The owning department, then n - 1 others drawn uniformly without replacement."""
        n, cat = issue.n_departments, issue.category
        cats = [cat]
        if n > 1:
            others = [c for c in range(len(self.departments)) if c != cat]
            cats += self.random.sample(others, n - 1)
        return cats

    def _route(self: CoGovModel, issue: Issue) -> None:
        """The structure in force decides the journey and who serves; the issue arrives after
        the journey's delay -- or first queues for intake work at the structure's station."""
        i, L, st, cats = issue.i, self.ledger, self.structure, issue.cats
        info = IssueInfo(i, cats[0], tuple(cats), issue.neighbourhood, issue.rural, issue.public,
                         self.now, issue.intakes)
        route = st.route(info, self.random, self.context)
        if route.transfers:
            L.transfers[i] += route.transfers
        if route.bounces:
            L.bounces[i] += route.bounces
        if st is not self._coded[0]:  # a structure's code is fixed when it first routes
            self._coded = (st, L.code(L.structure_names, st.name))
        L.structure[i] = self._coded[1]
        issue.structure = st
        if route.via is not None:
            issue.depts = [route.via]
            self.after(route.delay, self._to_intake, issue)
            return
        if route.to is None:
            to = [self.departments[c] for c in cats]
            L.channel[i] = DEPARTMENTS
        else:
            to = list(route.to)
            L.channel[i] = (DEPARTMENTS if all(isinstance(x, Department) for x in to)
                            else L.code(L.channel_names, channel_name(to[0])))
        issue.depts = issue.homes = to  # never mutated: depts is replaced by slices
        issue.joint = len(to) > 1 and st.parallel(info, self.random)
        if route.delay > 0:
            self.after(route.delay, self.on_arrive, issue)
        else:
            self.on_arrive(issue)

    def _to_intake(self: CoGovModel, issue: Issue) -> None:
        """The issue queues at an intake station (its jobs are intake work, not parts)."""
        if not issue.live:
            return
        job = Job(issue, issue.depts[0], self.now)
        issue.jobs = [job]
        self.service.submit(job)

    def _intake_done(self: CoGovModel, job: Job) -> None:
        issue = job.issue
        issue.jobs = []
        issue.intakes += 1
        self._route(issue)

    def channel_code(self: CoGovModel, station: Station) -> int:
        """The ledger's channel code for a station's kind (a new name is coded the first
        time): what a mechanism's own station passes to `take_in_community`."""
        return self.ledger.code(self.ledger.channel_names, channel_name(station))

    def take_in_community(self: CoGovModel, issue: Issue, station: Station, channel: int,
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

    # --- queues and work ------------------------------------------------------------------

    def on_arrive(self: CoGovModel, issue: Issue) -> None:
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

    def on_job_start(self: CoGovModel, job: Job) -> None:
        if job.home.intake:  # classifying is not yet acting on the issue
            return
        issue, L = job.issue, self.ledger
        i = issue.i
        if not issue.started:
            issue.started = True
            L.t_first_start[i] = self.now
        L.stage[i] = SERVICE
        if job.server is self.service.pool:
            L.pooled_parts[i] += 1

    def on_job_done(self: CoGovModel, job: Job) -> None:
        if job.home.intake:
            self._intake_done(job)
            return
        issue, L = job.issue, self.ledger
        i = issue.i
        solved = self._part_solved(job)
        reported = solved or any(f(job) for f in self.hooks.reported)
        issue.outcomes.append((job.home, solved, reported))
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
            delay = (issue.structure.coordination(self.random, issue.n_departments)
                     if issue.joint else 0.0)
            if delay > 0:
                self.after(delay, self._close_resolved, issue)
            else:
                self.close(issue, resolved=True)
        else:
            self.close(issue, resolved=True)

    def on_escalate(self: CoGovModel, job: Job) -> None:
        self.ledger.escalations[job.issue.i] += 1

    def on_borrow(self: CoGovModel, job: Job) -> None:
        """A lifted part is served by another department's staff."""
        self.ledger.borrowed_parts[job.issue.i] += 1

    def on_patience(self: CoGovModel, issue: Issue) -> None:
        """Nobody has started to act in time: the issue is abandoned."""
        if issue.started or not issue.live:
            return
        for job in issue.jobs:
            self.service.cancel(job)
        self.close(issue, resolved=False)

    # --- closing ----------------------------------------------------------------------------

    def _close_resolved(self: CoGovModel, issue: Issue) -> None:
        self.close(issue, resolved=True)

    def close(self: CoGovModel, issue: Issue, resolved: bool) -> None:
        """Close an issue: handled (`resolved`; solved unless a department's part was handled
        without solving it, 办而未决; reported solved unless such a part was also reported so)
        or abandoned."""
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
            solved, L.reported[i] = self._answered(issue)
            L.solved[i] = solved
            self.observer.closed(now, days, solved)
        for f in self.hooks.closed:
            f(issue, resolved)
        if not self.queueing:  # residents learn from how it ended
            outcome = (0.5 ** (days / self.p["residents.satisfied_days"])
                       if resolved and solved else 0.0)
            self.pop.record_outcome(int(L.resident[i]), outcome)
        self.open.pop(i, None)
        issue.jobs = []  # no cycle between a closed issue and its parts

    def _part_solved(self: CoGovModel, job: Job) -> bool:
        """Whether a finished part was really solved: with its station's solve share (a
        structure's own station: the owning department's), less for a generalist -- the
        pooled team or another department's staff (`departments.generalist_solve`)."""
        home = job.home
        q = home.solve_share
        if q is None:
            q = self.departments[job.issue.category].solve_share
        if job.server is not home:
            q *= self.p["departments.generalist_solve"]
        return self.random.random() < q

    def _answered(self: CoGovModel, issue: Issue) -> tuple[bool, bool]:
        """(solved, reported solved): an issue is either when every part was."""
        return (all(ok for _, ok, _ in issue.outcomes),
                all(said for _, _, said in issue.outcomes))
