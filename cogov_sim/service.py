"""Queues and servers in continuous time.

A `Station` is anything that works on issues with a number of servers: a department, the
pooled street team, the social-work hub, a social enterprise, a self-organisation. The
`ServiceNetwork` starts, finishes and lifts jobs; the pooled team takes the oldest waiting
job of any department (lifted jobs first) whenever one of its servers frees up. A lifted
(escalated, 督办) job is reassigned at once to idle staff -- the pooled team, else another
department -- and otherwise waits at the front of its department's queue and in the street's
overdue list, which idle department staff take from once their own queue is empty.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Callable
from typing import Any, ClassVar, Protocol

import numpy as np

from cogov_sim.issues import Issue


class ServiceHost(Protocol):
    """What the service network needs of the model."""

    p: dict[str, Any]
    random: random.Random

    now: float
    """The event clock (days)."""

    def after(self, delay: float, function: Callable[[Any], None], arg: Any) -> None: ...
    def on_job_start(self, job: Job) -> None: ...
    def on_job_done(self, job: Job) -> None: ...
    def on_escalate(self, job: Job) -> None: ...
    def on_borrow(self, job: Job) -> None: ...


class Job:
    """One department's (or community actor's, or a structure's station's) part of an issue."""

    __slots__ = ("issue", "home", "server", "t_enqueue", "t_start", "state", "escalated")

    WAITING, SERVING, DONE, CANCELLED = range(4)

    def __init__(self, issue: Issue, home: Station, t: float) -> None:
        self.issue, self.home, self.server = issue, home, None
        self.t_enqueue, self.t_start = t, np.nan
        self.state, self.escalated = Job.WAITING, False


def lognormal(rnd: random.Random, mean: float, cv: float) -> float:
    """A lognormal draw with the given mean and coefficient of variation."""
    s2 = math.log1p(cv * cv)
    return rnd.lognormvariate(math.log(mean) - s2 / 2.0, math.sqrt(s2))


class Station:
    """Servers, a FIFO queue with a lane for lifted parts, and busy-time accounting. What the
    street may do with its parts is stated by four flags (a department has them all)."""

    kind: ClassVar[str] = "station"
    """What it is, for tables (the stations table's `kind`)."""
    pool_serves = False
    """The pooled street team may take its waiting parts."""
    liftable = False
    """Its parts still waiting at a deadline are lifted (督办) to idle staff."""
    field_work = False
    """Its parts may need field work after the staff time (ODD 7.7)."""
    helps_when_idle = False
    """Its idle staff take other stations' lifted parts."""
    solve_share: float | None = None
    """Chance its handling really solves a part; None: as the owning department's."""
    intake = False
    """Its jobs are intake work (classifying an issue before it is routed), not parts."""

    def init_station(self, servers: int, mean_days: float) -> None:
        self.servers = int(servers)
        self.mean_days = mean_days
        self.busy = 0
        self.queue: deque[Job] = deque()
        self.urgent: deque[Job] = deque()
        self.waiting = 0
        self.served = 0
        self.busy_area = 0.0
        self.server_area = 0.0
        self._t = 0.0

    def account(self, t: float) -> None:
        dt = t - self._t
        if dt > 0:
            self.busy_area += self.busy * dt
            self.server_area += self.servers * dt
            self._t = t

    def free(self) -> bool:
        return self.busy < self.servers

    def head(self) -> Job | None:
        """The next live job (escalated lane first), dropping stale entries."""
        for lane in (self.urgent, self.queue):
            while lane and lane[0].state != Job.WAITING:
                lane.popleft()
            if lane:
                return lane[0]
        return None

    def utilisation(self) -> float:
        return self.busy_area / self.server_area if self.server_area > 0 else float("nan")


class ServiceNetwork:
    """Moves jobs through stations for one model."""

    def __init__(self, model: ServiceHost) -> None:
        self.model = model
        self.pool: Station | None = None
        self.pool_sources: list[Station] = []
        """Stations whose queues the pooled team serves."""
        self.helpers: list[Station] = []
        """Stations whose idle staff may take lifted parts."""
        self.deadline: float | None = None
        self.overdue: deque[Job] = deque()
        """Lifted department jobs still waiting, oldest lift first (stale entries skipped)."""
        self._pool_queue = 0
        """Jobs waiting at stations the pooled team serves (its sources are those)."""
        self._rnd = model.random
        self._after, self._on_start = model.after, model.on_job_start
        self.set_params(model.p)

    def set_params(self, p: dict[str, Any]) -> None:
        """Take the parameters the hot path reads (again after a mid-run change)."""
        self._cv, self._lognormal = p["issues.service_cv"], p["issues.service_dist"] == "lognormal"
        self._field = (p["issues.field_days"], p["issues.field_share"], p["issues.field_cv"])
        self._generalist = p["departments.generalist_days"]

    def service_time(self, mean: float) -> float:
        cv, rnd = self._cv, self._rnd
        if mean <= 0:
            return 0.0
        if cv == 1.0:
            return rnd.expovariate(1.0 / mean)
        if self._lognormal:
            return lognormal(rnd, mean, cv)
        k = 1.0 / (cv * cv)
        return rnd.gammavariate(k, mean / k)

    def submit(self, job: Job) -> None:
        """A job arrives at its home station: start now if a server is free, else queue."""
        home, pool = job.home, self.pool
        if home.busy < home.servers:
            self._start(job, home)
        elif home.pool_serves and pool is not None and pool.busy < pool.servers:
            self._start(job, pool)
        else:
            home.queue.append(job)
            home.waiting += 1
            if home.pool_serves:
                self._pool_queue += 1
            if self.deadline is not None and home.liftable:
                self._after(self.deadline, self.escalate, job)

    def submit_now_or_never(self, job: Job) -> bool:
        """Start at once if the home station has a free server; otherwise do nothing."""
        if not job.home.free():
            return False
        self._start(job, job.home)
        return True

    def _start(self, job: Job, station: Station) -> None:
        t = self.model.now
        station.account(t)
        station.busy += 1
        job.state, job.server, job.t_start = Job.SERVING, station, t
        self._on_start(job)
        mean = job.home.mean_days
        if station is not job.home:  # the pooled team or another department: a generalist
            mean *= self._generalist
        self._after(self.service_time(mean), self.finish, job)

    def finish(self, job: Job) -> None:
        t = self.model.now
        station = job.server
        station.account(t)
        station.busy -= 1
        station.served += 1
        job.state = Job.DONE
        self._pull(station)
        lag = self.field_time() if job.home.field_work and self._field[0] > 0 else 0.0
        if lag > 0:
            self._after(lag, self.model.on_job_done, job)
        else:
            self.model.on_job_done(job)

    def field_time(self) -> float:
        """Field work a department's part needs after its staff time, if any (lognormal;
        occupies no server)."""
        mean, share, cv = self._field
        rnd = self._rnd
        if mean <= 0 or share <= 0 or rnd.random() >= share:
            return 0.0
        return lognormal(rnd, mean, cv)

    def _pull(self, station: Station) -> None:
        """Give free servers of `station` the next waiting jobs: its own (lifted first); a
        department with nothing of its own left helps with other departments' lifted jobs."""
        while station.busy < station.servers:
            if station is self.pool:
                nxt = self._next_for_pool()
            else:
                nxt = station.head()
                if nxt is None and station.helps_when_idle:
                    nxt = self._next_overdue()
                    if nxt is not None:
                        self.model.on_borrow(nxt)
            if nxt is None:
                return
            self._take(nxt)
            self._start(nxt, station)

    def _take(self, job: Job) -> None:
        """A waiting job leaves its queue (to start, or to be reassigned)."""
        home = job.home
        home.waiting -= 1
        if home.pool_serves:
            self._pool_queue -= 1
        lane = home.urgent if job.escalated else home.queue
        if lane and lane[0] is job:
            lane.popleft()

    def _next_for_pool(self) -> Job | None:
        """The oldest waiting part the pooled team may take (lifted ones first): its own (a
        structure routed it there) or any department's."""
        pool = self.pool
        if not self._pool_queue and not pool.waiting:  # nothing waits where it may take it
            return None
        best, best_key = None, None
        for st in (pool, *self.pool_sources) if pool.waiting else self.pool_sources:
            if not st.waiting:
                continue
            job = st.head()
            if job is not None:
                key = (not job.escalated, job.t_enqueue)
                if best_key is None or key < best_key:
                    best, best_key = job, key
        return best

    def escalate(self, job: Job) -> None:
        """Lift a waiting department job (督办: deadline passed, or taken up by a meeting or a
        council): reassign it to idle staff if there are any -- the pooled team first, else
        the department with most free servers -- or else put it first in line at its own
        department and in the street's overdue list."""
        if job.state != Job.WAITING or job.escalated:
            return
        job.escalated = True
        self.model.on_escalate(job)
        helper = self._idle_for(job)
        if helper is not None:
            self._take(job)
            if helper is not self.pool:
                self.model.on_borrow(job)
            self._start(job, helper)
            return
        job.home.urgent.append(job)  # its old queue entry is skipped later (state check)
        self.overdue.append(job)

    def _idle_for(self, job: Job) -> Station | None:
        if self.pool is not None and self.pool.free() and job.home.pool_serves:
            return self.pool
        best, spare = None, 0
        for st in self.helpers:
            free = st.servers - st.busy
            if st is not job.home and free > spare:
                best, spare = st, free
        return best

    def _next_overdue(self) -> Job | None:
        q = self.overdue
        while q and q[0].state != Job.WAITING:
            q.popleft()
        return q[0] if q else None

    def cancel(self, job: Job) -> None:
        if job.state == Job.WAITING:
            job.state = Job.CANCELLED
            job.home.waiting -= 1
            if job.home.pool_serves:
                self._pool_queue -= 1

    def rebalance(self, stations: list[Station]) -> None:
        """After staff moved (a reform), let every free server take waiting work."""
        for st in stations:
            st.account(self.model.now)
        for st in stations:
            self._pull(st)

    @staticmethod
    def allocate(total: int, shares: np.ndarray, minimum: int = 1) -> np.ndarray:
        """Split `total` servers in proportion to shares (largest remainder), each >= minimum
        when there are enough to go round."""
        k = len(shares)
        base = np.full(k, minimum if total >= minimum * k else 0, dtype=np.int64)
        rest = total - base.sum()
        raw = shares / shares.sum() * rest
        alloc = np.floor(raw).astype(np.int64)
        left = rest - alloc.sum()
        order = np.argsort(-(raw - alloc), kind="stable")
        alloc[order[:left]] += 1
        return base + alloc
