"""三社联动 (community, social organisations, social workers): social workers and cultivated
social organisations take community issues at a hub, run projects that recruit volunteers,
and cultivate active self-organisations into social organisations."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cogov_sim.agents import CommunityHub, SelfOrganisation
from cogov_sim.issues import Channel, Issue
from cogov_sim.mechanisms.base import Mechanism
from cogov_sim.rows import P
from cogov_sim.service import Station
from cogov_sim.structures.base import exp

SWITCH = "mechanisms.sanshe"


class Sanshe(Mechanism):
    """The social-work hub, its projects and cultivation (ODD 7.12)."""

    name = "sanshe"
    title, title_zh = "三社联动 switched on", "开启三社联动"
    switch, off, order = SWITCH, {SWITCH: True}, 70
    series = ("social_orgs",)
    station_kinds = ("hub",)
    params = [
        P("mechanisms.sanshe", "bool", False, "",
          "三社联动: community-solvable issues go to social organisations and social workers",
          "三社联动：社区可解决事项交社会组织和社工", live=True, degenerate=False, source="assumption"),
        P("sanshe.social_workers", "int", 2, "server",
          "Professional social workers serving the street's community issues", "街道社工力量（办理组数）",
          low=0, high=1000, source="assumption"),
        P("sanshe.intake_days", "float", 0.5, "day",
          "Mean days for a community issue to reach the social-work hub", "社区事项转到社工站的平均天数",
          low=0.0, high=365.0, source="assumption"),
        P("sanshe.service_days", "float", 2.0, "day",
          "Mean days for a social organisation project to solve a community issue",
          "社会组织项目解决社区事项的平均天数", low=0.01, high=365.0, source="assumption"),
        P("sanshe.solve_share", "float", 0.7266, "probability",
          "Chance a social-work project really solves a community issue",
          "社工与社会组织项目真正解决社区事项的概率", low=0.0, high=1.0, live=True,
          source="assumption: as a department's unrated share "
                 "(departments.solve_share), so no channel starts ahead"),
        P("sanshe.cultivation_rate", "float", 0.1, "1/month",
          "Monthly chance an active self-organisation is cultivated into a social organisation",
          "活跃自组织每月被培育为社会组织的概率", low=0.0, high=1.0, source="assumption"),
        P("sanshe.cultivation_activity", "float", 0.3, "share",
          "Share of active members a self-organisation needs to be cultivated",
          "自组织获培育所需的活跃成员比例", low=0.0, high=1.0, source="assumption"),
        P("sanshe.project_volunteers", "float", 10.0, "person/month",
          "Residents one project engages as volunteers each month (one per social worker and per "
          "social organisation; social organisations recruit in their neighbourhood)",
          "每个项目每月动员的志愿者人数（每名社工、每个社会组织各一个项目；社会组织在本小区招募）",
          low=0.0, high=10_000.0, source="assumption"),
    ]

    def attach(self) -> None:
        self.hub = CommunityHub(self.model, 0, self.p["sanshe.service_days"])

    def stations(self) -> Sequence[Station]:
        return (self.hub,)

    staffed = stations

    def apply(self) -> None:
        self.hub.solve_share = self.p["sanshe.solve_share"]
        self._staff()

    def _staff(self) -> None:
        """Social workers plus every social organisation serve at the hub, while it is on."""
        self.hub.account(self.model.now)
        social = sum(o.social for o in self.model.self_orgs)
        self.hub.servers = int(self.p["sanshe.social_workers"]) + social if self.on else 0

    def organisation_month(self, org: SelfOrganisation) -> None:
        p = self.p
        if (self.on and not org.social and org.activity >= p["sanshe.cultivation_activity"]
                and self.model.rng.random() < p["sanshe.cultivation_rate"]):
            org.social = True

    def month_projects(self, day: int) -> None:
        """Every social worker runs a project recruiting volunteers street-wide, every social
        organisation one in its own neighbourhood (Poisson(sanshe.project_volunteers)
        residents each, this month)."""
        if not self.on or day <= 0:
            return
        m, k = self.model, self.p["sanshe.project_volunteers"]
        everyone = np.arange(m.net.n)
        for _ in range(int(self.p["sanshe.social_workers"])):
            self.hub.engaged += m.pop.recruit(everyone, int(m.rng.poisson(k)), day - 1)
        for org in m.self_orgs:
            if org.social:
                self.hub.engaged += m.pop.recruit(m.residents_of[org.neighbourhood],
                                                  int(m.rng.poisson(k)), day - 1)

    def month_growth(self, day: int) -> None:
        self._staff()

    def take(self, issue: Issue) -> bool:
        """A community issue goes to the hub (after an intake delay) while it has staff."""
        m = self.model
        if not (m.ledger.community[issue.i] and self.on and self.hub.servers > 0):
            return False
        m.ledger.channel[issue.i] = Channel.SANSHE
        issue.depts = [self.hub]
        issue.homes = [self.hub]
        m.after(exp(m.random, self.p["sanshe.intake_days"]), m.on_arrive, issue)
        return True

    def observe(self) -> tuple[float, ...]:
        return (sum(o.social for o in self.model.self_orgs),)
