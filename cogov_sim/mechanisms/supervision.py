"""Supervision (督导落实): a department part still waiting at the deadline is lifted (督办) to
idle staff, and a four-beat rhythm counted from the day supervision starts --
一月一现场会 (on-site meetings lift the longest-open cases), 两月一调度 (dispatch meetings move
departments' staff to where parts arrived), 一季一督导 (ratings on callbacks move each
department's solve share), 半年一拉练 (drills spread the best-rated department's practice).
Ratings are double-edged: they count what callers say, not the truth -- some callers rate a
solved part down (strategic negatives), and a department under pressure closes some unsolved
parts informally, which some callers accept, so its score rises without solving more."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from cogov_sim.agents import Department
from cogov_sim.issues import Channel
from cogov_sim.mechanisms.base import Mechanism
from cogov_sim.rows import CALIBRATED_BEIJING, P
from cogov_sim.service import Job

SWITCH = "mechanisms.supervision"
BEATS = ("meeting", "dispatch", "rating", "drill")
DEPARTMENTS = int(Channel.DEPARTMENTS)


class Supervision(Mechanism):
    """Deadline lifting and the rhythm of meetings, dispatch, ratings and drills (ODD 7.8)."""

    name = "supervision"
    title, title_zh = "supervision (督办, rhythm, rating) off", "关闭督导落实（督办、节奏、考核）"
    switch, off, order = SWITCH, {SWITCH: False}, 30
    parts: ClassVar[dict[str, tuple[str, dict[str, Any]]]] = {}  # below: from its rows
    params = [
        P("mechanisms.supervision", "bool", False, "",
          "Supervision (督导落实): overdue issues are lifted and reassigned to idle staff; the "
          "rhythm of on-site meetings, dispatch, rating and drills (一月一现场会、两月一调度、"
          "一季一督导、半年一拉练)",
          "督导落实：超时事项上提并改派空闲力量；一月一现场会、两月一调度、一季一督导、半年一拉练",
          live=True, degenerate=False, source="assumption"),
        P("departments.solve_ceiling", "float", 0.985, "probability",
          "Highest chance of solving a part a department can reach (some requests cannot be met "
          "within law and budget)", "部门解决其负责部分所能达到的最高概率（部分诉求依法依规无法满足）",
          low=0.0, high=1.0,
          source="Set so that issue-level resolution nears Beijing's later 97% (seed 004, issue 7)"),
        P("supervision.deadline_days", "float", 3.0, "day",
          "A department part still waiting this long is lifted to the street or committee (督办), "
          "which reassigns it to idle staff (the pooled team, else another department's)",
          "部门事项排队超过该时限即上提督办，改派空闲力量（先综合队伍，后其他部门）",
          low=0.1, high=365.0, live=True, source="assumption"),
        P("supervision.meeting_days", "float", 30.0, "day",
          "Days between on-site meetings (一月一现场会), each lifting the longest-open cases",
          "现场会间隔（一月一现场会），每次上提办理时间最长的事项", low=1.0, high=3650.0,
          source="seed 002: 一月一现场会"),
        P("supervision.meeting_cases", "int", 10, "issue",
          "Longest-open department issues an on-site meeting takes up (their waiting parts are "
          "lifted at once, before any deadline)",
          "每次现场会研究的办理时间最长事项数（其排队部分立即上提改派）",
          low=0, high=10_000, source="assumption"),
        P("supervision.dispatch_days", "float", 60.0, "day",
          "Days between dispatch meetings (两月一调度) that reallocate departments' own staff to "
          "the parts each received since the last one",
          "调度会间隔（两月一调度），按各部门收到的事项重新调配其力量",
          low=1.0, high=3650.0, source="seed 002: 两月一调度"),
        P("supervision.rating_days", "float", 90.0, "day",
          "Days between ratings of departments (一季一督导) on callbacks of the parts they closed "
          "(接诉即办's 回访 and ranking)", "督导考核间隔（一季一督导），按回访结果评价各部门办结事项",
          low=1.0, high=3650.0, source="seeds 000 and 002: 一季一督导"),
        P("supervision.rating_response", "float", 0.1845, "share",
          "Share of its rated shortfall (solve ceiling minus its rated solved share) a department "
          "makes up after each rating", "每次考核后部门弥补其考核差距（最高解决率减考核解决率）的比例",
          low=0.0, high=1.0, source=CALIBRATED_BEIJING),
        P("supervision.drill_days", "float", 180.0, "day",
          "Days between drills (半年一拉练): departments visit and compare, learning from the best",
          "拉练间隔（半年一拉练）：观摩比较，向最优学习", low=1.0, high=3650.0,
          source="seeds 000 and 002: 半年一拉练"),
        P("supervision.drill_learning", "float", 0.2, "share",
          "Share of the gap to the best-rated department's solve share a department closes at a "
          "drill", "拉练时部门向考核最优部门解决率缩小差距的比例", low=0.0, high=1.0,
          source="assumption"),
        P("supervision.informal_pressure", "float", 1.0, "probability",
          "Chance that a department under rating pressure closes an unsolved part informally "
          "(reports it solved: explained away, persuaded to withdraw), per unit of its last "
          "rating's shortfall (solve ceiling minus rated score)",
          "受考核压力的部门对未解决部分作简单化、非正式办结（上报为已解决）的概率，按其上次考核差距计",
          low=0.0, high=10.0, degenerate=0.0,
          source="assumption; the behaviour is reported by Zhou & Yao 2025 (接诉即办 in a Beijing "
                 "town, doi 10.13766/j.bhsk.1008-2204.2024.1186), its size is not"),
        P("supervision.informal_pass", "float", 0.5, "share",
          "Share of informally closed parts the caller rates as solved at the callback",
          "非正式办结的部分在回访中被评为已解决的比例", low=0.0, high=1.0, degenerate=0.0,
          source="assumption (callers also rate explanations and attitude)"),
        P("supervision.strategic_negative", "float", 0.05, "share",
          "Share of callbacks on really solved parts rated unsolved all the same (strategic "
          "negative ratings)", "回访中对已真正解决部分仍评为未解决的比例（策略性差评）",
          low=0.0, high=1.0, degenerate=0.0,
          source="assumption; reported by Zhou & Yao 2025, size not given"),
        P("supervision.meeting_staff_days", "float", 0.5, "staff-day",
          "Staff time each department gives an on-site meeting (one member away this long)",
          "每次现场会各部门投入的人员时间（一人离岗的天数）", low=0.0, high=30.0, degenerate=0.0,
          source="assumption (half a working day)"),
        P("supervision.dispatch_staff_days", "float", 0.5, "staff-day",
          "Staff time each department gives a dispatch meeting", "每次调度会各部门投入的人员时间",
          low=0.0, high=30.0, degenerate=0.0, source="assumption (half a working day)"),
        P("supervision.rating_staff_days", "float", 1.0, "staff-day",
          "Staff time each department spends on a rating: reports, ledgers, inspections "
          "(形式主义's burden)", "每次考核各部门用于报表、台账、迎检的人员时间（形式主义负担）",
          low=0.0, high=30.0, degenerate=0.0, source="assumption (a working day a quarter)"),
        P("supervision.drill_staff_days", "float", 2.0, "staff-day",
          "Staff time each department spends on a drill (visiting, comparing)",
          "每次拉练各部门投入的人员时间（观摩比较）", low=0.0, high=30.0, degenerate=0.0,
          source="assumption (two working days)"),
    ]

    @classmethod
    def _parts(cls) -> dict[str, tuple[str, dict[str, Any]]]:
        """Its deadline and each beat switched off alone (set to the table's longest value),
        and each edge of the ratings (informal closure, strategic negatives) set to 0."""
        high = {p.name: p.high for p in cls.params}
        keys = {"deadline": "supervision.deadline_days",
                **{beat: f"supervision.{beat}_days" for beat in BEATS}}
        parts = {part: (f"supervision's {part} {'lifting' if part == 'deadline' else 'beat'} "
                        "alone off", {key: high[key]}) for part, key in keys.items()}
        parts["informal"] = ("supervision's informal closure alone off",
                             {"supervision.informal_pressure": 0.0})
        parts["strategic"] = ("supervision's strategic negative ratings alone off",
                              {"supervision.strategic_negative": 0.0})
        return parts

    def attach(self) -> None:
        self.start: int | None = None
        """The day the rhythm started (None while supervision is off)."""
        self.periods = (1, 1, 1, 1)

    def reported(self, job: Any) -> bool:
        """Informal closure (简单化、非正式处理): a department under rating pressure reports
        some unsolved parts solved, with chance informal_pressure x its last shortfall."""
        home = job.home
        if self.start is None or not isinstance(home, Department) or home.shortfall <= 0.0:
            return False
        chance = self.p["supervision.informal_pressure"] * home.shortfall
        return chance > 0.0 and self.model.random.random() < chance

    def closed(self, issue: Any, resolved: bool) -> None:
        """Callbacks (回访) on a handled issue's department parts, counted for the next rating:
        a solved part is rated solved unless the caller rates it down strategically, an
        informally closed one when the caller accepts it."""
        if self.start is None or not resolved:
            return
        p, rnd = self.p, self.model.random
        for home, solved, reported in issue.outcomes:
            if not isinstance(home, Department):
                continue
            if solved:
                said = rnd.random() >= p["supervision.strategic_negative"]
            else:
                said = reported and rnd.random() < p["supervision.informal_pass"]
            home.rated_closed += 1
            home.rated_solved += said

    def deadline(self) -> float | None:
        return self.p["supervision.deadline_days"] if self.on else None

    def apply(self) -> None:
        self.periods = tuple(max(1, round(self.p[f"supervision.{k}_days"])) for k in BEATS)
        if not self.on:
            self.start = None
        elif self.start is None:
            self.start = int(round(self.model.now))
            for d in self.model.departments:  # ratings count callbacks from the rhythm's start
                d.rated_closed = d.rated_solved = 0

    def day_begins(self, day: int) -> None:
        """The beats falling on `day`, in the order meeting, dispatch, rating, drill; each
        takes one of every department's staff away for its staff-days."""
        start, p = self.start, self.p
        if start is None or day <= start:
            return
        beats = [(day - start) % period == 0 for period in self.periods]
        for beat, due in zip(BEATS, beats, strict=True):
            if due:
                for d in self.model.departments:
                    self.model.send_away(d, p[f"supervision.{beat}_staff_days"])
        meeting, dispatch, rating, drill = beats
        if meeting:
            self.on_site_meeting(int(p["supervision.meeting_cases"]))
        if dispatch:
            self.dispatch_meeting()
        if rating:
            for d in self.model.departments:
                d.rate(p["departments.solve_ceiling"], p["supervision.rating_response"])
        if drill:
            self.drill(p["supervision.drill_learning"])

    def on_site_meeting(self, cases: int) -> None:
        """Lift every waiting part of the `cases` longest-open department issues that still
        have one not yet lifted (open issues are kept in order of occurrence)."""
        m = self.model
        channel = m.ledger.channel
        for issue in list(m.open.values()):
            if cases <= 0:
                return
            if int(channel[issue.i]) != DEPARTMENTS:
                continue
            waiting = [j for j in issue.jobs if j.state == Job.WAITING and not j.escalated]
            if waiting:
                cases -= 1
                for job in waiting:
                    m.service.escalate(job)

    def dispatch_meeting(self) -> None:
        """Departments' own staff are reallocated in proportion to the parts each received
        since the last dispatch meeting (each keeps one when there are enough)."""
        m = self.model
        received = np.array([d.received for d in m.departments], dtype=float)
        if received.sum() == 0:
            return
        m.staff_departments(sum(d.allocated for d in m.departments), received)
        for d in m.departments:
            d.received = 0
        m.service.rebalance(list(m.departments))

    def drill(self, learning: float) -> None:
        """Every department closes `learning` of its gap to the best-rated one's solve share."""
        departments = self.model.departments
        rated = [d for d in departments if d.score is not None]
        if not rated:
            return
        best = max(rated, key=lambda d: d.score).solve_share
        for d in departments:
            d.solve_share += learning * max(0.0, best - d.solve_share)


Supervision.parts = Supervision._parts()
