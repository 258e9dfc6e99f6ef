"""红色引擎工程 (Wuhan) -- the party organisations of the area's bodies, enterprises and social
organisations joined into a street 大工委 and a community 大党委, which summon the units an issue
needs; party-led property services (红色物业) take property issues; party members sent down to
communities (下沉党员) mobilise residents.

Which is which: the 大工委 / 大党委 joining of party organisations is seed 004; 红色物业 and the
sending of party members down to communities are Wuhan's public accounts (red property from 2017,
members sent down during 2020), beyond the seed. The summons works as Beijing's whistle (its
routing rows are inherited: a subclass sees its parent's parameters). No number is in the seed:
every row says "assumption".
"""

from __future__ import annotations

import random
from typing import ClassVar

from cogov_sim.rows import P, Param
from cogov_sim.structures.base import Context, IssueInfo, Route
from cogov_sim.structures.whistle import Whistle


class Wuhan(Whistle):
    """The 大工委 summons units as the whistle does; 红色物业 takes property issues; sent-down
    party members add a mobilising push."""

    name = "wuhan"
    title = "red engine (Wuhan)"
    title_zh = "红色引擎工程（武汉）"
    summary = "street and community party committees summon units; red property; members sent down"
    summary_zh = "街道大工委、社区大党委吹哨调度；红色物业承接物业事项；党员下沉社区动员"
    marker, colour = "P", "#c00000"
    key_params = ("wuhan.property_servers", "wuhan.sent_per_1000")
    params: ClassVar[list[Param]] = [
        P("wuhan.property_category", "int", 0, "category",
          "The category of property issues (0 is the largest: housing & construction)",
          "物业类事项所属类别（0为最大类：住建）", low=0, high=29, source="assumption"),
        P("wuhan.property_servers", "int", 2, "server",
          "Teams of party-led property services (红色物业) serving the street's property issues",
          "红色物业服务本街道物业事项的力量", low=0, high=1000,
          source="Wuhan's 红色物业 (public accounts, beyond seed 004); the number: assumption"),
        P("wuhan.property_days", "float", 1.5, "day",
          "Mean staff time of 红色物业 on a property issue", "红色物业处理一件物业事项的平均工作时间",
          low=0.01, high=365.0, source="assumption"),
        P("wuhan.sent_per_1000", "float", 2.0, "person/1000 person",
          "Party members sent down to communities (下沉党员) per 1,000 residents",
          "每千名居民对应的下沉社区党员数", low=0.0, high=1000.0,
          source="Wuhan 2020 (public accounts, beyond seed 004); the number: assumption"),
        P("wuhan.reach", "float", 50.0, "person",
          "Residents one sent-down member visits and mobilises", "每名下沉党员走访动员的居民数",
          low=0.0, high=100_000.0, source="assumption"),
    ]

    def attach(self, ctx: Context) -> None:
        super().attach(ctx)
        self.property = ctx.add_station("red property", "red property (红色物业)", "红色物业",
                                        self.p["property_servers"], self.p["property_days"])

    def route(self, issue: IssueInfo, rnd: random.Random, ctx: Context) -> Route:
        way = super().route(issue, rnd, ctx)
        prop = getattr(self, "property", None)
        if (prop is not None and prop.servers > 0 and not issue.multi
                and issue.category == self.p["property_category"]):
            return Route(way.delay, way.transfers, way.bounces, to=[prop])
        return way

    def mobilisation(self, ctx: Context) -> float:
        """A reached resident gets a party member's neighbour's push (party.intensity x
        party.spillover); spread evenly, that times the share reached."""
        reached = min(1.0, self.p["sent_per_1000"] * self.p["reach"] / 1000.0)
        return ctx.p["party.intensity"] * ctx.p["party.spillover"] * reached
