"""The organised actors, as Mesa agents: they carry meaning, state and capacity.

Residents are not here: they live as arrays in `population.py`, updated in bulk.
"""

from __future__ import annotations

import mesa
import numpy as np

from cogov_sim.service import Station

DEPARTMENT_NAMES = [
    ("housing & construction", "住建"), ("urban management", "城管"),
    ("civil affairs", "民政"), ("public security", "公安"), ("human resources", "人社"),
    ("health", "卫健"), ("market regulation", "市场监管"), ("justice", "司法"),
    ("ecology & environment", "生态环境"), ("transport", "交通"), ("education", "教育"),
    ("water", "水务"), ("culture & tourism", "文旅"), ("emergency management", "应急"),
    ("natural resources", "规划和自然资源"), ("agriculture", "农业农村"),
    ("veterans", "退役军人"), ("petitions", "信访"), ("finance", "财政"),
    ("development & reform", "发改"),
]


class Department(Station, mesa.Agent):
    """A functional department (职能部门): owns one issue category, has its own staff."""

    kind = "department"
    pool_serves = liftable = field_work = helps_when_idle = True

    def __init__(self, model: mesa.Model, index: int, servers: int, mean_days: float,
                 solve_share: float):
        super().__init__(model)
        self.index = index
        en, zh = DEPARTMENT_NAMES[index % len(DEPARTMENT_NAMES)]
        self.label, self.label_zh = en, zh
        self.init_station(servers, mean_days)
        self.solve_share = solve_share
        """Chance its handling really solves a part (moved by ratings and drills)."""
        self.received = 0
        """Parts received since the last dispatch meeting."""
        self.rated_closed = self.rated_solved = 0
        """Callbacks on its closed parts since the last rating, and how many said solved."""
        self.score: float | None = None
        """Its rated solved share at the last rating (what callers said, not the truth)."""
        self.shortfall = 0.0
        """Ceiling minus its last rating's score: the pressure on it (0 before any rating)."""
        self.allocated = servers
        """Staff allocated to it; `servers` is that less those `away` (at meetings, drills)."""
        self.away = 0

    def rate(self, ceiling: float, response: float) -> None:
        """A rating (督导, on callbacks): make up `response` of the shortfall of the rated
        solved share from the ceiling, never beyond it (a share already above the ceiling
        stays); nothing to rate, nothing changes."""
        if self.rated_closed == 0:
            return
        self.score = self.rated_solved / self.rated_closed
        self.shortfall = max(0.0, ceiling - self.score)
        step = response * self.shortfall
        self.solve_share = max(self.solve_share, min(ceiling, self.solve_share + step))
        self.rated_closed = self.rated_solved = 0


class StreetTeam(Station, mesa.Agent):
    """The pooled street-level team (一支队伍统管) of staff sunk from departments."""

    label, label_zh = "pooled street team", "街道综合队伍"
    kind = "pooled team"

    def __init__(self, model: mesa.Model, servers: int, mean_days: float):
        super().__init__(model)
        self.init_station(servers, mean_days)


class CommunityHub(Station, mesa.Agent):
    """三社联动: social workers plus cultivated social organisations serving community issues."""

    label, label_zh = "social-work hub", "社工站（三社联动）"
    kind = "hub"

    def __init__(self, model: mesa.Model, servers: int, mean_days: float):
        super().__init__(model)
        self.init_station(servers, mean_days)
        self.engaged = 0
        """Residents its projects engaged as volunteers (counted once a month each)."""


class SocialEnterprise(Station, mesa.Agent):
    """A social enterprise (社会企业): paid services, capacity grows with revenue."""

    label, label_zh = "social enterprise", "社会企业"
    kind = "enterprise"

    def __init__(self, model: mesa.Model, mean_days: float, jobs_per_server: float,
                 max_servers: int):
        super().__init__(model)
        self.init_station(1, mean_days)
        self.jobs_per_server, self.max_servers = jobs_per_server, max_servers

    def grow(self) -> None:
        """Revenue from jobs served funds more servers, up to a ceiling."""
        self.account(self.model.now)
        self.servers = min(self.max_servers, 1 + int(self.served // self.jobs_per_server))


class SelfOrganisation(Station, mesa.Agent):
    """A residents' self-organisation (自组织) in one neighbourhood.

    Its members are residents (indices into the population arrays). It solves small
    community issues itself when it has enough active members, raises issues it sees, and
    may be cultivated into a social organisation under 三社联动.
    """

    label, label_zh = "self-organisation", "社区自组织"
    kind = "self-organisation"

    def __init__(self, model: mesa.Model, neighbourhood: int, members: np.ndarray,
                 mean_days: float):
        super().__init__(model)
        self.neighbourhood = neighbourhood
        self.members = members
        self.activity = 0.0
        self.social = False
        self.init_station(1, mean_days)


class CouncilTeam(Station, mesa.Agent):
    """The residents a neighbourhood council (议事会) mobilised at its last meeting to solve
    community issues themselves: one server per `party.council_volunteers_per_issue`
    attendees, until the next council."""

    label, label_zh = "council volunteers", "议事会志愿队"
    kind = "council"

    def __init__(self, model: mesa.Model, neighbourhood: int, mean_days: float):
        super().__init__(model)
        self.neighbourhood = neighbourhood
        self.init_station(0, mean_days)


class PartyBranch(mesa.Agent):
    """A community party branch (党支部) for one neighbourhood: mobilises and convenes."""

    label, label_zh = "party branch", "党支部"

    def __init__(self, model: mesa.Model, neighbourhood: int, members: int):
        super().__init__(model)
        self.neighbourhood = neighbourhood
        self.members = members
        self.councils = 0
        self.issues_taken = 0
        """Community issues its councils took out of departments' queues and co-produced."""


class UnitStation(Station, mesa.Agent):
    """A station a governance structure brings (e.g. Shanghai's member units, Wuhan's 红色物业):
    its kind names its channel in the ledger; the flags say what the street may do with it."""

    def __init__(self, model: mesa.Model, kind: str, label: str, label_zh: str, servers: int,
                 mean_days: float, field_work: bool = True, liftable: bool = False):
        super().__init__(model)
        self.kind, self.label, self.label_zh = kind, label, label_zh
        self.field_work, self.liftable = field_work, liftable
        self.init_station(servers, mean_days)
        self._t = float(model.now)  # busy and server time count from when it was added
        self.owner: str | None = None
        """The structure that added it."""
        self.seconded = 0.0
        """Share of departments' staff it takes while its structure is in force (0: none)."""


class StreetOffice(mesa.Agent):
    """The street office (街道) with its grid workers (网格员)."""

    label, label_zh = "street office", "街道办事处"

    def __init__(self, model: mesa.Model, grid_workers: int):
        super().__init__(model)
        self.grid_workers = grid_workers
        self.discovered = 0
