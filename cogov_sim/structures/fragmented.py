"""九龙治水 -- many doors, no pooling, departments one after another."""

from __future__ import annotations

import math
import random
from typing import ClassVar

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


class Fragmented(Structure):
    """Whoever reports guesses the owning department and queues at its door (each
    department's own hotline, the operators split among them, none pooled); wrong guesses and
    推诿 cost transfers; a cross-cutting issue passes through its departments one after
    another."""

    name = "fragmented"
    title = "fragmented (nine dragons)"
    title_zh = "九龙治水（条块分割）"
    summary = "many doors: guess the department, transfers and bounces, sequential hand-offs"
    summary_zh = "多头受理：自行找部门，错转推诿，跨部门事项依次移交"
    marker, colour = "", "#999999"
    key_params = ("fragmented.guess_accuracy", "fragmented.handoff_days")
    params: ClassVar[list[Param]] = [
        P("fragmented.door_days", "float", 1.0, "day",
          "Mean days to find a department's door and file the issue", "找到部门窗口并登记的平均天数",
          low=0.0, high=365.0, degenerate=0.0, source="assumption"),
        P("fragmented.operators_per_10000", "float", 0.78, "operator",
          "Hotline operators per 10,000 residents taking issues in at the departments' own "
          "doors, split among the departments by their shares of the issues (no pooling)",
          "每万居民的受理人员，按各部门事项占比分散在各部门自己的热线/窗口（不合并）",
          low=0.0001, high=100.0,
          source="assumption: the same operators as the one door, split among departments' own "
                 f"hotlines before 12345 merged them; the number: {OPERATORS_SOURCE}"),
        P("fragmented.calls_per_operator_day", "float", 90.0, "call/day",
          "Calls an operator at a department's door takes a day", "部门热线每名接线员每日接听量",
          low=1.0, high=10_000.0, source=CALLS_PER_DAY_SOURCE),
        P("fragmented.calls_per_issue", "float", 4.0, "call",
          "Calls a department's door takes per issue it takes in (most calls are answered "
          "directly; repeat calls); 0: intake takes no time",
          "部门热线每受理一件事项所接听的电话数（多数电话直接答复；重复来电）；0：受理不耗时",
          low=0.0, high=100.0, degenerate=0.0, source=CALLS_PER_ISSUE_SOURCE),
        P("fragmented.guess_accuracy", "float", 0.55, "probability",
          "Chance the reporter picks the owning department first time (政出多门)",
          "上报人首次找对主管部门的概率（政出多门）", low=0.0, high=1.0, degenerate=1.0, source="assumption"),
        P("fragmented.transfer_accuracy", "float", 0.75, "probability",
          "Chance a department forwarding an issue picks the right one",
          "部门转办时找对部门的概率", low=0.01, high=1.0, source="assumption"),
        P("fragmented.transfer_days", "float", 3.0, "day",
          "Mean delay of one transfer between departments", "一次部门间转办的平均延迟",
          low=0.0, high=365.0, degenerate=0.0, source="assumption"),
        P("fragmented.bounce_prob", "float", 0.2, "probability",
          "Chance the right department bounces a cross-cutting issue as 'not only ours' (推诿)",
          "主管部门以“非我一家”推回跨部门事项的概率（推诿）", low=0.0, high=0.95,
          degenerate=0.0, source="assumption"),
        P("fragmented.handoff_days", "float", 3.0, "day",
          "Mean delay handing a cross-cutting issue to the next department",
          "跨部门事项移交下一部门的平均延迟", low=0.0, high=365.0, degenerate=0.0, source="assumption"),
        P("fragmented.joint_share", "float", 0.1, "share",
          "Share of multi-department issues handled jointly after all (联合执法, joint "
          "enforcement); the rest pass from department to department",
          "多部门事项仍以联合执法方式共同处置的比例；其余在部门间依次移交", low=0.0, high=1.0,
          source="assumption (联合执法 exists before the reform, rarely)"),
        P("fragmented.coordination_days", "float", 2.0, "day",
          "Mean overhead of joint enforcement per department beyond the first, with no one "
          "coordinating", "联合执法中每增加一个部门的平均额外耗时（无统筹）", low=0.0, high=365.0,
          degenerate=0.0, source="assumption (twice the committee's: no coordinator)"),
        P("fragmented.max_transfers", "int", 50, "transfer",
          "Transfers after which the issue is taken in wherever it is (a guard: rarely reached "
          "unless departments almost never forward correctly)",
          "转办达到该次数后就地受理（兜底：除非部门几乎从不转对，极少触及）", low=1, high=1000,
          source="assumption"),
        P("fragmented.grid_efficiency", "float", 0.4, "ratio",
          "Discovery power of separate per-department grids relative to one integrated grid",
          "分散的多套网格相对统一网格的发现能力", low=0.0, high=1.0,
          source="Pidu before the reform: 15 separate grid systems (issue 7)"),
    ]

    def attach(self, ctx: Context) -> None:
        shares = ctx.category_shares
        self.capacities = [intake_capacity(self.p, ctx.residents, s) for s in shares]
        """Issues a day each department's door takes in (this community's share)."""
        self.doors = [
            ctx.add_station("department door", f"{d.label} door", f"{d.label_zh}受理窗口", 1,
                            1.0 / cap, field_work=False, intake=True)
            for d, cap in zip(ctx.departments, self.capacities, strict=True)
        ] if all(math.isfinite(c) for c in self.capacities) else []
        self.guessed: dict[int, bool] = {}
        """Issues queued at a door: whether it was the owning department's."""

    def route(self, issue: IssueInfo, rnd: random.Random, ctx: Context) -> Route:
        """The reporter finds a door -- the owning department's with chance `guess_accuracy`,
        else another at random -- and queues there to be taken in; then a wrong door forwards
        it, and the right one may bounce a cross-cutting issue (推诿), each a transfer (a
        delay, not another intake)."""
        p, multi = self.p, issue.multi
        doors = getattr(self, "doors", [])
        if issue.intakes == 0:
            t = exp(rnd, p["door_days"])
            right = rnd.random() < p["guess_accuracy"]
            if doors:
                door, k = issue.category, len(doors)
                if not right and k > 1:
                    other = rnd.randrange(k - 1)
                    door = other + (other >= door)
                self.guessed[issue.index] = right
                return Route(t, via=doors[door])
        else:  # taken in at a door (or at another structure's, before a switch)
            t = 0.0
            right = self.guessed.pop(issue.index, None)
            if right is None:
                right = rnd.random() < p["guess_accuracy"]
        transfers = bounces = 0
        for _ in range(p["max_transfers"]):
            if right and not (multi and rnd.random() < p["bounce_prob"]):
                break
            bounces += right
            transfers += 1
            t += exp(rnd, p["transfer_days"])
            right = rnd.random() < p["transfer_accuracy"]
        return Route(t, transfers, bounces)

    def coordination(self, rnd: random.Random, n_departments: int) -> float:
        return exp(rnd, self.p["coordination_days"] * (n_departments - 1))

    def handoff(self, rnd: random.Random) -> float:
        return exp(rnd, self.p["handoff_days"])

    def grid_efficiency(self) -> float:
        return self.p["grid_efficiency"]
