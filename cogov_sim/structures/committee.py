"""社治委 (一元统领) -- one door, accurate classification, joint dispatch."""

from __future__ import annotations

import random
from typing import ClassVar

import mesa

from cogov_sim.rows import P, Param
from cogov_sim.structures.base import Context, IssueInfo, Route, Structure, exp


class DispatchCentre(mesa.Agent):
    """社治委 and its dispatch centre (指挥调度中心): one door for every issue."""

    label, label_zh = "coordinating committee", "社治委（指挥调度中心）"


class Committee(Structure):
    """One door (一号通, 中心接件+分类派单); all departments dispatched at once and acting
    jointly (集中派单、协同整治) at a small coordination cost."""

    name = "committee"
    title = "coordinating committee"
    title_zh = "社治委一元统领"
    summary = "one door: central intake and classified dispatch, departments act jointly"
    summary_zh = "一号通：中心接件、分类派单，部门协同整治"
    joint = True
    marker, colour = "*", "#ffd700"
    key_params = ("committee.accuracy", "committee.dispatch_days")
    params: ClassVar[list[Param]] = [
        P("committee.accuracy", "float", 0.95, "probability",
          "Chance the centre classifies an issue to the right department(s)",
          "中心分类派单的准确率", low=0.0, high=1.0, degenerate=1.0, source="assumption"),
        P("committee.dispatch_days", "float", 0.5, "day",
          "Mean days from intake to dispatch", "从接件到派单的平均天数",
          low=0.0, high=365.0, degenerate=0.0, source="assumption"),
        P("committee.redispatch_days", "float", 1.0, "day",
          "Mean delay when a misclassified issue is sent back and re-dispatched",
          "错派事项退回重派的平均延迟", low=0.0, high=365.0, degenerate=0.0, source="assumption"),
        P("committee.coordination_days", "float", 0.5, "day",
          "Mean overhead of joint action for a multi-department issue", "多部门协同整治的平均额外耗时",
          low=0.0, high=365.0, degenerate=0.0, source="assumption"),
    ]

    def attach(self, ctx: Context) -> None:
        self.centre = ctx.add_agent(DispatchCentre)

    def route(self, issue: IssueInfo, rnd: random.Random, ctx: Context) -> Route:
        self.routed += 1
        t = exp(rnd, self.p["dispatch_days"])
        if rnd.random() < self.p["accuracy"]:
            return Route(t)
        return Route(t + exp(rnd, self.p["redispatch_days"]), transfers=1)

    def coordination(self, rnd: random.Random) -> float:
        return exp(rnd, self.p["coordination_days"])
