"""Self-organisations (自组织): groups of residents founded where many take part, growing
active or fading monthly; they raise visible issues in their neighbourhood and (the switch)
solve small community issues themselves (co-production)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from cogov_sim.agents import SelfOrganisation
from cogov_sim.issues import Channel, Discoverer, Issue
from cogov_sim.mechanisms.base import Mechanism
from cogov_sim.rows import CALIBRATED_PARTICIPATION, P
from cogov_sim.service import Station

SWITCH = "mechanisms.self_service"
SELF_ORG = int(Discoverer.SELF_ORG)


class SelfOrganisations(Mechanism):
    """Founding, monthly activity and fading, raising issues, and co-production (ODD 7.10)."""

    name = "self_service"
    title, title_zh = "self-organisations' co-production off", "关闭自组织自行解决（共治共享）"
    switch, off, order = SWITCH, {SWITCH: False}, 40
    series = ("self_orgs", "self_org_members")
    station_kinds = ("self-organisation",)
    params = [
        P("mechanisms.self_service", "bool", True, "",
          "Self-organisations solve small community issues themselves (co-production)",
          "自组织自行解决社区小事（共治共享）", live=True, degenerate=False, source="assumption"),
        P("selforg.per_1000", "float", 1.0, "org/1000 person",
          "Self-organisations per 1,000 residents at the start", "初始每千人自组织数",
          low=0.0, high=50.0,
          source="Jianyang: 1,357 registered self-organisations (seed 003) for ~1.1-1.5 M people"),
        P("selforg.size", "float", 25.0, "person", "Mean members of a new self-organisation",
          "新自组织平均成员数", low=2.0, high=500.0, source="assumption"),
        P("selforg.activity_rate", "float", 0.1, "1/day",
          "Daily chance a member with propensity 1 is active in the group",
          "参与倾向为1的成员每日参加自组织活动的概率", low=0.0, high=1.0, source="assumption"),
        P("selforg.raise_days", "float", 6.0, "day",
          "Mean days for an active self-organisation to raise a visible issue in its neighbourhood",
          "活跃自组织发现并反映本小区可见事项的平均天数", low=0.05, high=365.0, source="assumption"),
        P("selforg.service_days", "float", 2.0, "day",
          "Mean days for a self-organisation to solve a small community issue",
          "自组织解决社区小事的平均天数", low=0.01, high=365.0, source="assumption"),
        P("selforg.solve_share", "float", 0.7266, "probability",
          "Chance a self-organisation's handling really solves a community issue",
          "自组织处置真正解决社区事项的概率", low=0.0, high=1.0, live=True,
          source="assumption: as a department's unrated share "
                 "(departments.solve_share), so no channel starts ahead"),
        P("selforg.members_per_job", "float", 8.0, "person",
          "Active members needed per issue a group handles at once", "每同时处理一件事所需活跃成员数",
          low=1.0, high=1000.0, source="assumption"),
        P("selforg.fade_activity", "float", 0.15, "share",
          "A group whose share of active members stays below this fades away",
          "活跃成员比例低于此值即逐渐解散",
          low=0.0, high=1.0, source="assumption"),
        P("selforg.fade_chance", "float", 0.5, "1/month",
          "Monthly chance a fading group (no job in hand) dissolves",
          "逐渐解散的自组织（无在办事项）每月解散的概率",
          low=0.0, high=1.0, source="assumption"),
        P("selforg.initial_activity", "float", 0.33, "share",
          "Share of a group's members taken as active before any history (the first month)",
          "尚无记录时（首月）视为活跃的成员比例", low=0.0, high=1.0, source="assumption"),
        P("selforg.found_rate", "float", 0.0937, "1/month",
          "Monthly chance a neighbourhood with many active residents founds a new group",
          "活跃居民多的小区每月新成立自组织的概率", low=0.0, high=1.0,
          source=CALIBRATED_PARTICIPATION),
    ]

    def attach(self) -> None:
        m = self.model
        self.hazard = np.zeros(m.net.n_neighbourhoods)
        """Per neighbourhood, the hazard (1/day) of its organisations raising a visible issue."""
        n_orgs = m.rng.poisson(self.p["selforg.per_1000"] * m.net.n / 1000.0)
        for _ in range(int(n_orgs)):
            self._found(int(m.rng.integers(m.net.n_neighbourhoods)))
        self._index()

    def stations(self) -> Sequence[Station]:
        return self.model.self_orgs

    def _found(self, nb: int) -> None:
        m = self.model
        pool = m.residents_of[nb]
        pool = pool[m.pop.member[pool] < 0]
        size = min(len(pool), max(2, int(m.rng.poisson(self.p["selforg.size"]))))
        if size < 2:
            return
        w = m.pop.propensity[pool]
        members = m.rng.choice(pool, size, replace=False, p=w / w.sum())
        org = SelfOrganisation(m, nb, members, self.p["selforg.service_days"])
        org.solve_share = self.p["selforg.solve_share"]
        m.pop.member[members] = org.unique_id
        m.self_orgs.append(org)

    def _index(self) -> None:
        """After organisations changed: who is where, and how many residents are members."""
        m = self.model
        self.by_nb: dict[int, list[SelfOrganisation]] = {}
        for o in m.self_orgs:
            self.by_nb.setdefault(o.neighbourhood, []).append(o)
        self.members = float(np.count_nonzero(m.pop.member >= 0))
        m.pop.memberships_changed()

    def apply(self) -> None:
        for org in self.model.self_orgs:
            org.solve_share = self.p["selforg.solve_share"]

    def activities(self, day: int) -> Sequence[Callable[[np.ndarray, int], None]]:
        return (self._active_members,)

    def _active_members(self, pi: np.ndarray, day: int) -> None:
        pop = self.model.pop
        mem = pop.members
        u = pop.rng.random(len(mem))
        pop.mark("selforg", mem[u < self.p["selforg.activity_rate"] * pi[mem]], day)

    def month_activity(self, day: int) -> None:
        """Each group's active share; a fading group without a job in hand may dissolve; the
        rest serve with one server per `members_per_job` active members."""
        m, p = self.model, self.p
        active = m.pop.active(day - 1, "selforg")
        survivors = []
        for org in m.self_orgs:
            if day > 0:
                org.activity = float(active[org.members].mean()) if len(org.members) else 0.0
            else:  # no history yet
                org.activity = p["selforg.initial_activity"]
            fading = org.activity < p["selforg.fade_activity"] and day > 0
            if fading and org.busy == 0 and m.rng.random() < p["selforg.fade_chance"]:
                m.pop.member[org.members] = -1
                org.remove()
                continue
            survivors.append(org)
            org.account(m.now)
            n_active = (int(active[org.members].sum()) if day > 0
                        else int(len(org.members) * org.activity))
            org.servers = int(n_active // p["selforg.members_per_job"])
            for f in m.hooks.organisation_month:
                f(org)
        m.self_orgs[:] = survivors

    def month_growth(self, day: int) -> None:
        """Neighbourhoods with many active residents may found a group; hazards follow."""
        m, p = self.model, self.p
        if day > 0:
            any_active = m.pop.active(day - 1)
            for nb, members in enumerate(m.residents_of):
                if (any_active[members].mean() > p["residents.influence_reference"]
                        and m.rng.random() < p["selforg.found_rate"]):
                    self._found(nb)
        self._index()
        hz = np.zeros(m.net.n_neighbourhoods)
        for org in m.self_orgs:
            hz[org.neighbourhood] += org.activity / p["selforg.raise_days"]
        self.hazard = hz

    def discovery_hazards(self, neighbourhood: np.ndarray, visible: np.ndarray
                          ) -> Sequence[tuple[int, np.ndarray]]:
        return ((SELF_ORG, np.where(visible, self.hazard[neighbourhood], 0.0)),)

    def take(self, issue: Issue) -> bool:
        """A community issue goes to a free group: the resident's own first."""
        m = self.model
        i = issue.i
        if not (m.ledger.community[i] and self.on):
            return False
        own = m.pop.member[m.ledger.resident[i]]
        orgs = self.by_nb.get(issue.neighbourhood, ())
        org = next((o for o in orgs if o.unique_id == own and o.free()), None)
        if org is None:
            org = next((o for o in orgs if o.free()), None)
        if org is None:
            return False
        m.take_in_community(issue, org, Channel.SELF_ORG, m.now)
        return True

    def observe(self) -> tuple[float, ...]:
        return (len(self.model.self_orgs), self.members)
