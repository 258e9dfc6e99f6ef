"""区域化党建 (Shanghai) -- the units of an area joined with the community in one party-building
community: member units claim issues with their own capacity, their party members find issues.

Seed 004: Shanghai integrates the resources of all units in an area (驻区单位: enterprises,
schools, hospitals, public bodies) and links them with the community into one regional
party-building community. In the model the street runs one door as the committee does (its
routing rows are inherited), and on top of it the member units claim the single-department
issues within their resources and serve them with their own staff, while their in-service
party members (在职党员进社区) add a discovery channel. No number here is in the seed: every row
says "assumption".
"""

from __future__ import annotations

import random
from typing import ClassVar

from cogov_sim.rows import P, Param
from cogov_sim.structures.base import Context, IssueInfo, Route
from cogov_sim.structures.committee import Committee


class Shanghai(Committee):
    """One door and joint dispatch, plus member units that claim issues and find them."""

    name = "shanghai"
    title = "regional party building (Shanghai)"
    title_zh = "区域化党建（上海）"
    summary = "one door; member units of the area claim issues with their own staff and find them"
    summary_zh = "一门受理；区域内驻区单位认领事项、以自身力量办理，在职党员参与发现"
    marker, colour = "h", "#d62728"
    key_params = ("shanghai.units_per_10000", "shanghai.claim_share")
    params: ClassVar[list[Param]] = [
        P("shanghai.units_per_10000", "float", 12.0, "unit/10000 person",
          "Member units (驻区单位) in the area's party-building community, per 10,000 residents",
          "每万名居民对应的区域化党建成员单位（驻区单位）数", low=0.0, high=1000.0,
          source="assumption"),
        P("shanghai.unit_servers", "int", 1, "server",
          "Issue-handling teams each member unit lends to the community", "每个成员单位投入的办理力量",
          low=0, high=100, source="assumption"),
        P("shanghai.unit_days", "float", 2.0, "day",
          "Mean staff time of a member unit on an issue it claims", "成员单位办理认领事项的平均工作时间",
          low=0.01, high=365.0, source="assumption"),
        P("shanghai.claim_share", "float", 0.3, "share",
          "Share of issue categories within one member unit's resources (matched on the "
          "needs and resources lists, 需求清单、资源清单)",
          "单个成员单位资源可覆盖的事项类别比例（需求清单与资源清单对接）", low=0.0, high=1.0,
          source="assumption"),
        P("shanghai.member_discovery_days", "float", 20.0, "day",
          "Mean days for the units' in-service party members to find a visible issue "
          "(在职党员进社区)", "在职党员进社区发现可见事项的平均天数", low=0.1, high=36500.0,
          source="assumption"),
    ]

    def attach(self, ctx: Context) -> None:
        super().attach(ctx)
        n = round(ctx.residents * self.p["units_per_10000"] / 10_000)
        k = len(ctx.departments)
        self.units = []
        self.covers: list[set[int]] = []
        for u in range(n):
            unit = ctx.add_station("member unit", f"member unit {u + 1}", f"成员单位{u + 1}",
                                   self.p["unit_servers"], self.p["unit_days"])
            self.units.append(unit)
            self.covers.append({c for c in range(k) if ctx.random.random()
                                < self.p["claim_share"]})

    def route(self, issue: IssueInfo, rnd: random.Random, ctx: Context) -> Route:
        way = super().route(issue, rnd, ctx)
        if not issue.multi:
            for unit, covers in zip(getattr(self, "units", []), getattr(self, "covers", []),
                                    strict=True):
                if issue.category in covers and ctx.free(unit):
                    return Route(way.delay, way.transfers, way.bounces, to=[unit])
        return way

    def discovery_hazard(self, ctx: Context) -> float:
        if not getattr(self, "units", None):
            return 0.0
        return 1.0 / self.p["member_discovery_days"]
