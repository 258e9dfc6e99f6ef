"""Pooled street team (力量下沉, 一支队伍统管): a share of the departments' staff sunk into one
street team that takes the oldest waiting part of any department (lifted parts first)."""

from __future__ import annotations

from collections.abc import Sequence

from cogov_sim.agents import StreetTeam
from cogov_sim.mechanisms.base import Mechanism
from cogov_sim.rows import P
from cogov_sim.service import Station

SWITCH = "mechanisms.pooled_fraction"


class PooledTeam(Mechanism):
    """Staff seconded from the departments to one multi-category team (the service network's
    pool: ODD 7.5)."""

    name = "pooled_team"
    title, title_zh = "pooled street team (一支队伍统管) off", "关闭街道综合队伍（一支队伍统管）"
    switch, off, order = SWITCH, {SWITCH: 0.0}, 10
    series = ("pooled_servers",)
    station_kinds = ("pooled team",)
    params = [
        P("mechanisms.pooled_fraction", "float", 0.0, "share",
          "Share of department staff sunk into one street team serving every category "
          "(力量下沉, 一支队伍统管)", "下沉到街道综合队伍的部门力量比例（一支队伍统管）",
          low=0.0, high=1.0, live=True, source="assumption"),
    ]

    def attach(self) -> None:
        m = self.model
        self.team = StreetTeam(m, 0, self.p["issues.service_days"])
        self._pooled = 0
        m.service.pool = self.team
        m.service.pool_sources = list(m.departments)

    def stations(self) -> Sequence[Station]:
        return (self.team,)

    staffed = stations

    def seconded(self, total: int) -> int:
        self._pooled = round(self.p[SWITCH] * total)
        return self._pooled

    def apply(self) -> None:
        self.team.account(self.model.now)
        self.team.servers = self._pooled

    def observe(self) -> tuple[float, ...]:
        return (self.team.servers,)
