"""Social enterprises (社会企业): paid-service issues go to the least loaded enterprise, whose
capacity grows with the revenue of jobs served, up to a ceiling."""

from __future__ import annotations

from collections.abc import Sequence

from cogov_sim.agents import SocialEnterprise
from cogov_sim.issues import Channel, Issue
from cogov_sim.mechanisms.base import Mechanism
from cogov_sim.rows import P
from cogov_sim.service import Station

SWITCH = "mechanisms.social_enterprises"


class SocialEnterprises(Mechanism):
    """Enterprises that take paid-service issues and grow monthly (ODD 7.13)."""

    name = "enterprises"
    title, title_zh = "social enterprises switched on", "开启社会企业"
    switch, off, order = SWITCH, {SWITCH: True}, 80
    series = ("enterprise_servers",)
    station_kinds = ("enterprise",)
    params = [
        P("mechanisms.social_enterprises", "bool", False, "",
          "Social enterprises take paid-service issues, growing with revenue",
          "社会企业承接有偿服务事项，随收入扩大", live=True, degenerate=False, source="assumption"),
        P("enterprise.count", "int", 2, "enterprise", "Social enterprises in the street",
          "街道内社会企业数", low=0, high=100, source="assumption"),
        P("enterprise.service_days", "float", 1.0, "day",
          "Mean days for a social enterprise to deliver a service", "社会企业提供一次服务的平均天数",
          low=0.01, high=365.0, source="assumption"),
        P("enterprise.solve_share", "float", 0.7266, "probability",
          "Chance a social enterprise's service really solves the issue",
          "社会企业服务真正解决事项的概率", low=0.0, high=1.0, live=True,
          source="assumption: as a department's unrated share "
                 "(departments.solve_share), so no channel starts ahead"),
        P("enterprise.jobs_per_server", "float", 40.0, "issue",
          "Paid jobs of revenue that fund one more server", "每增加一个服务力量所需的付费订单数",
          low=1.0, high=10_000.0, source="assumption"),
        P("enterprise.max_servers", "int", 4, "server", "Largest size a social enterprise grows to",
          "社会企业最大服务力量", low=1, high=1000, source="assumption"),
    ]

    def attach(self) -> None:
        p = self.p
        self.firms = [
            SocialEnterprise(self.model, p["enterprise.service_days"],
                             p["enterprise.jobs_per_server"], p["enterprise.max_servers"])
            for _ in range(int(p["enterprise.count"]))
        ]

    def stations(self) -> Sequence[Station]:
        return self.firms

    def apply(self) -> None:
        for e in self.firms:
            e.solve_share = self.p["enterprise.solve_share"]

    def month_growth(self, day: int) -> None:
        for e in self.firms:
            e.grow()

    def take(self, issue: Issue) -> bool:
        m = self.model
        if not (m.ledger.paid_service[issue.i] and self.on and self.firms):
            return False
        m.ledger.channel[issue.i] = Channel.ENTERPRISE
        issue.depts = [min(self.firms, key=lambda e: (e.busy + e.waiting) / e.servers)]
        issue.homes = list(issue.depts)
        m.after(0.0, m.on_arrive, issue)
        return True

    def observe(self) -> tuple[float, ...]:
        return (sum(e.servers for e in self.firms),)
