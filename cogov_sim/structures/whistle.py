"""街乡吹哨、部门报到 (Beijing) -- the street summons departments, who must report in time."""

from __future__ import annotations

import random
from typing import ClassVar

from cogov_sim.rows import P, Param
from cogov_sim.structures.base import Context, IssueInfo, Route, Structure, exp


class Whistle(Structure):
    """The street office takes the issue and blows the whistle: every department it needs is
    summoned at once and must start within a deadline, but staff stay in their silos."""

    name = "whistle"
    title = "street whistle"
    title_zh = "街乡吹哨、部门报到"
    summary = "the street summons all departments at once, with a report deadline; silos stay"
    summary_zh = "街道吹哨，所需部门同时报到，限时处置；力量仍在各部门"
    marker, colour = "*", "#ff7f0e"
    key_params = ("whistle.accuracy", "whistle.report_days")
    params: ClassVar[list[Param]] = [
        P("whistle.accuracy", "float", 0.85, "probability",
          "Chance the street office summons the right department(s)", "街道吹哨找对部门的概率",
          low=0.0, high=1.0, degenerate=1.0, source="assumption"),
        P("whistle.summon_days", "float", 1.0, "day",
          "Mean days from the street taking an issue to the summons", "街道接件到吹哨的平均天数",
          low=0.0, high=365.0, degenerate=0.0, source="assumption"),
        P("whistle.redispatch_days", "float", 2.0, "day",
          "Mean delay when the wrong department was summoned", "吹哨叫错部门后重新吹哨的平均延迟",
          low=0.0, high=365.0, degenerate=0.0, source="assumption"),
        P("whistle.joint_share", "float", 1.0, "share",
          "Share of multi-department issues whose departments are all summoned at once; the "
          "rest pass one after another", "多部门事项所需部门同时报到的比例；其余依次办理",
          low=0.0, high=1.0, source="seed 004: 吹哨 summons the departments at once"),
        P("whistle.coordination_days", "float", 1.0, "day",
          "Mean overhead of the joint on-site meeting per department beyond the first",
          "多部门现场会商中每增加一个部门的平均额外耗时", low=0.0, high=365.0, degenerate=0.0,
          source="assumption"),
        P("whistle.report_days", "float", 2.0, "day",
          "Departments must start on a summoned issue within this deadline, or it is escalated",
          "部门须在该时限内报到处置，否则升级督办", low=0.1, high=365.0, degenerate=1e9, source="assumption"),
    ]

    def route(self, issue: IssueInfo, rnd: random.Random, ctx: Context) -> Route:
        self.routed += 1
        t = exp(rnd, self.p["summon_days"])
        if rnd.random() < self.p["accuracy"]:
            return Route(t)
        return Route(t + exp(rnd, self.p["redispatch_days"]), transfers=1)

    def coordination(self, rnd: random.Random, n_departments: int) -> float:
        return exp(rnd, self.p["coordination_days"] * (n_departments - 1))

    def report_deadline(self) -> float | None:
        return self.p["report_days"]
