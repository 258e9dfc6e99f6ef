"""The documented surface of the model a governance structure may use (the protocol is
`structures.base.Context`; docs/structures.md): parameters, the random stream, time, the
departments and the pooled street team, and adding stations or agents of its own. Nothing
private."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa

from cogov_sim.agents import Department, UnitStation
from cogov_sim.service import Station

if TYPE_CHECKING:
    from cogov_sim.model import CoGovModel


class StructureContext:
    """What a structure sees of the model."""

    def __init__(self, model: CoGovModel) -> None:
        self._m = model
        self.p = model.p
        self.random = model.random
        self.attaching: str | None = None
        """The structure whose `attach` is running (owner of the stations it adds)."""

    @property
    def time(self) -> float:
        return self._m.now

    @property
    def residents(self) -> int:
        return self._m.net.n

    @property
    def party_members(self) -> int:
        return int(self._m.net.party.sum())

    @property
    def neighbourhoods(self) -> int:
        return self._m.net.n_neighbourhoods

    @property
    def departments(self) -> list[Department]:
        """Department i owns issue category i (`IssueInfo.category`); its `label` and
        `label_zh` name it (agents.DEPARTMENT_NAMES, in order)."""
        return list(self._m.departments)

    @property
    def category_shares(self) -> list[float]:
        """Each category's share of the issues that occur (index = category = department)."""
        return [float(x) for x in self._m.category_share]

    @property
    def pool(self) -> Station | None:
        """The pooled street team (a station a `Route` may send parts to), or None when no
        mechanism brings one. It has no servers while `mechanisms.pooled_fraction` is 0."""
        return self._m.service.pool

    def add_station(self, kind: str, label: str, label_zh: str, servers: int,
                    mean_days: float, *, field_work: bool = True, liftable: bool = False,
                    seconded: float = 0.0, intake: bool = False) -> Station:
        """A station of the structure's own: its parts go to the ledger channel named after
        `kind`; `field_work`: its parts may need field work; `liftable`: parts still waiting
        at a deadline are lifted to idle staff. `seconded` > 0: the station is staffed with
        that share of the departments' staff (`departments.staff_per_10000`), taken from the
        departments while its structure is in force (then `servers` is ignored) -- capacity
        moved, not added. `intake`: its jobs are intake work (a `Route(via=...)` queues the
        issue there before routing it)."""
        st = UnitStation(self._m, kind, label, label_zh, servers, mean_days, field_work,
                         liftable)
        st.owner, st.seconded, st.intake = self.attaching, seconded, intake
        self._m.structure_stations.append(st)
        self._m.channel_code(st)
        return st

    def add_agent(self, cls: type, *args: Any) -> mesa.Agent:
        """A Mesa agent of the structure's own (e.g. a dispatch centre that keeps counts)."""
        return cls(self._m, *args)

    def waiting(self, station: Station) -> int:
        return int(station.waiting)

    def free(self, station: Station) -> bool:
        return station.free()
