"""Party mobilisation and councils (党建引领, 议事会): branches push members and, through them,
neighbours to take part; every `party.council_days` each neighbourhood's council meets, and
its attendees become a volunteer team that solves community issues and raises public ones."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from cogov_sim.agents import CouncilTeam, PartyBranch
from cogov_sim.issues import Channel, Issue, Stage
from cogov_sim.mechanisms.base import Mechanism
from cogov_sim.rows import P
from cogov_sim.service import Station

SWITCH = "mechanisms.party_mobilisation"
DEPARTMENTS, WAITING = int(Channel.DEPARTMENTS), int(Stage.WAITING)


class PartyMobilisation(Mechanism):
    """Mobilising push on propensity, council attendance, and councils that decide (ODD 7.9)."""

    name = "party"
    title, title_zh = "party mobilisation and councils (议事会) off", "关闭党组织动员与议事会"
    switch, off, order = SWITCH, {SWITCH: False}, 50
    station_kinds = ("council",)
    params = [
        P("mechanisms.party_mobilisation", "bool", False, "",
          "Party branches mobilise members and, through them, neighbours; convene councils",
          "党组织动员党员并带动邻里，召集议事会", live=True, source="assumption"),
        P("party.intensity", "float", 0.6, "0-1",
          "How strongly a branch mobilises its members", "党支部动员党员的强度", low=0.0, high=1.0,
          live=True, source="assumption"),
        P("party.spillover", "float", 0.5, "share",
          "Share of the mobilising push members pass on to their neighbours", "党员向邻里传导动员的比例",
          low=0.0, high=1.0, source="assumption"),
        P("party.mobilisation_weight", "float", 1.5, "logit",
          "Effect of mobilisation on propensity", "动员对参与倾向的影响", low=0.0, high=10.0,
          source="assumption"),
        P("party.council_days", "float", 30.0, "day",
          "Days between neighbourhood councils (议事会)", "议事会召开间隔", low=1.0, high=365.0,
          source="assumption"),
        P("party.council_attendance", "float", 0.25, "probability",
          "Chance a resident with propensity 1 attends a council", "参与倾向为1的居民出席议事会的概率",
          low=0.0, high=1.0, source="assumption"),
        P("party.council_solve_share", "float", 0.7266, "probability",
          "Chance council volunteers really solve a community issue they take",
          "议事会志愿队真正解决其承接社区事项的概率", low=0.0, high=1.0, live=True,
          source="assumption: as a department's unrated share "
                 "(departments.solve_share), so no channel starts ahead"),
        P("party.council_volunteers_per_issue", "float", 8.0, "person",
          "Attendees a council needs to take one community issue out of a department's queue and "
          "solve it with residents (co-production)", "议事会承接一件社区事项（居民共同解决）所需的出席人数",
          low=1.0, high=10_000.0, source="assumption (as selforg.members_per_job)"),
    ]

    def attach(self) -> None:
        m = self.model
        self.branches = [
            PartyBranch(m, b, int(m.net.party[m.net.neighbourhood == b].sum()))
            for b in range(m.net.n_neighbourhoods)
        ]
        self.teams = [CouncilTeam(m, b, self.p["selforg.service_days"])
                      for b in range(m.net.n_neighbourhoods)]
        self._attendees: np.ndarray | None = None

    def apply(self) -> None:
        for team in self.teams:
            team.solve_share = self.p["party.council_solve_share"]

    def stations(self) -> Sequence[Station]:
        return self.teams

    def mobilisation(self) -> np.ndarray | None:
        if not self.on:
            return None
        net, pop = self.model.net, self.model.pop
        return self.p["party.intensity"] * (net.party + self.p["party.spillover"]
                                            * pop.party_neighbour)

    def activities(self, day: int) -> Sequence[Callable[[np.ndarray, int], None]]:
        if self.on and day % max(1, round(self.p["party.council_days"])) == 0:
            return (self._attend,)
        return ()

    def _attend(self, pi: np.ndarray, day: int) -> None:
        pop = self.model.pop
        u = pop.rng.random(pop.net.n)
        self._attendees = np.nonzero(u < np.minimum(1.0, self.p["party.council_attendance"] * pi
                                                    * (1.0 + pop.mobilisation) * pop.free))[0]
        pop.mark("council", self._attendees, day)

    def after_residents(self, day: int) -> None:
        if self._attendees is not None:
            self.councils(self._attendees)
            self._attendees = None

    def councils(self, attendees: np.ndarray) -> None:
        """Each neighbourhood's council (议事会) decides: its attendees form a volunteer team
        (one server per `party.council_volunteers_per_issue` of them) that until the next
        council solves community issues itself; it first takes the neighbourhood's
        community-solvable issues still waiting in a department's queue (oldest first), and
        raises its public issues still waiting to the street (lifted, 督办)."""
        m = self.model
        nb_count = np.bincount(m.net.neighbourhood[attendees], minlength=m.net.n_neighbourhoods)
        for team, n in zip(self.teams, nb_count, strict=True):
            team.account(m.now)
            team.servers = int(n // self.p["party.council_volunteers_per_issue"])
        for b in self.branches:
            b.councils += 1
        L = m.ledger
        held = np.fromiter(m.open, dtype=np.int64, count=len(m.open))  # oldest first
        waiting = held[(L.channel[held] == DEPARTMENTS) & (L.stage[held] == WAITING)
                       & (L.community[held] | L.public[held])]
        for i in waiting.tolist():  # what one issue's decision changes leaves the others' alone
            issue = m.open[i]
            b = int(L.neighbourhood[i])
            if L.community[i] and not issue.started and self.teams[b].free():
                since = issue.jobs[0].t_enqueue if issue.jobs else m.now
                for job in issue.jobs:
                    m.service.cancel(job)
                self.branches[b].issues_taken += 1
                m.take_in_community(issue, self.teams[b], Channel.COUNCIL, since)
            elif L.public[i]:
                for job in issue.jobs:
                    m.service.escalate(job)

    def take(self, issue: Issue) -> bool:
        """A community issue goes to its neighbourhood's council volunteers if one is free."""
        m = self.model
        team = self.teams[issue.neighbourhood]
        if not m.ledger.community[issue.i] or not team.free():
            return False
        m.take_in_community(issue, team, Channel.COUNCIL, m.now)
        return True
