"""社治委 (一元统领) -- one door, accurate classification, joint dispatch."""

from __future__ import annotations

import math
import random
from typing import ClassVar

import mesa

from cogov_sim.rows import P, Param
from cogov_sim.structures.base import (
    CALLS_PER_DAY_SOURCE,
    CALLS_PER_ISSUE_SOURCE,
    OPERATORS_SOURCE,
    Context,
    IssueInfo,
    Route,
    Structure,
    exp,
    intake_capacity,
)


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
    marker, colour = "*", "#ffd700"
    key_params = ("committee.accuracy", "committee.dispatch_days")
    params: ClassVar[list[Param]] = [
        P("committee.accuracy", "float", 0.95, "probability",
          "Chance the centre classifies an issue to the right department(s)",
          "中心分类派单的准确率", low=0.0, high=1.0, degenerate=1.0, source="assumption"),
        P("committee.operators_per_10000", "float", 0.78, "operator",
          "Hotline operators per 10,000 residents taking in and classifying issues at the "
          "centre (one door)", "每万居民的热线接线员（中心接件、分类派单）", low=0.0001, high=100.0,
          source=OPERATORS_SOURCE),
        P("committee.calls_per_operator_day", "float", 90.0, "call/day",
          "Calls an operator takes a day", "每名接线员每日接听量", low=1.0, high=10_000.0,
          source=CALLS_PER_DAY_SOURCE),
        P("committee.calls_per_issue", "float", 4.0, "call",
          "Calls the centre takes per issue it dispatches (most calls are answered directly; "
          "repeat calls); 0: intake "
          "takes no time", "中心每派出一件工单所接听的电话数（多数电话直接答复；重复来电）",
          low=0.0, high=100.0, degenerate=0.0,
          source=CALLS_PER_ISSUE_SOURCE),
        P("committee.rush_loss", "float", 0.1, "1/day of backlog",
          "How fast classification accuracy falls as the centre falls behind: accuracy x "
          "exp(-rush_loss x backlog in days of the centre's work)",
          "中心积压时分类准确率下降的速度：准确率×exp(-系数×积压天数)", low=0.0, high=100.0,
          degenerate=0.0, source="assumption (a busy centre classifies in haste)"),
        P("committee.dispatch_days", "float", 0.5, "day",
          "Mean days from classification to the departments receiving the work order",
          "从分类到部门收到工单的平均天数",
          low=0.0, high=365.0, degenerate=0.0, source="assumption"),
        P("committee.redispatch_days", "float", 1.0, "day",
          "Mean delay before a wrong department sends a misclassified issue back to the centre",
          "错派部门将事项退回中心的平均延迟", low=0.0, high=365.0, degenerate=0.0, source="assumption"),
        P("committee.joint_share", "float", 1.0, "share",
          "Share of multi-department issues dispatched to all their departments at once "
          "(集中派单、协同整治); the rest pass one after another",
          "多部门事项同时派给所有部门协同整治的比例；其余依次办理", low=0.0, high=1.0,
          source="seeds 000-002: 集中派单、协同整治 (all at once)"),
        P("committee.coordination_days", "float", 0.5, "day",
          "Mean overhead of joint action per department beyond the first (coordinating more "
          "departments costs more)", "多部门协同整治中每增加一个部门的平均额外耗时",
          low=0.0, high=365.0, degenerate=0.0, source="assumption"),
    ]

    def attach(self, ctx: Context) -> None:
        self.agent = ctx.add_agent(DispatchCentre)
        self.capacity = intake_capacity(self.p, ctx.residents)
        """Issues a day the centre can take in and classify (this community's share)."""
        self.centre = (ctx.add_station("dispatch centre", "dispatch centre", "指挥调度中心", 1,
                                       1.0 / self.capacity, field_work=False, intake=True)
                       if math.isfinite(self.capacity) else None)

    def route(self, issue: IssueInfo, rnd: random.Random, ctx: Context) -> Route:
        """The issue queues at the centre (one door) to be taken in and classified; then it
        goes to the departments it needs, or, misclassified, to a wrong one that sends it back
        to the centre's queue after a delay -- to be classified again."""
        if self.centre is not None and issue.intakes == 0:
            return Route(0.0, via=self.centre)
        self.routed += 1
        if rnd.random() < self.accuracy(ctx):
            return Route(exp(rnd, self.p["dispatch_days"]))
        back = exp(rnd, self.p["dispatch_days"]) + exp(rnd, self.p["redispatch_days"])
        return Route(back, transfers=1, via=self.centre)

    def accuracy(self, ctx: Context) -> float:
        """Classification accuracy, lower the longer the centre's backlog (in days of work)."""
        if self.centre is None:
            return self.p["accuracy"]
        backlog_days = ctx.waiting(self.centre) / self.capacity
        return self.p["accuracy"] * math.exp(-self.p["rush_loss"] * backlog_days)

    def coordination(self, rnd: random.Random, n_departments: int) -> float:
        return exp(rnd, self.p["coordination_days"] * (n_departments - 1))
