"""Capacity per resident (issue 22): staffing scales with residents, so a district is staffed
like a community and a point on the load curve means the same at any size (ODD 7.5)."""

from __future__ import annotations

from typing import Any

import pytest

from cogov_sim import api
from cogov_sim.model import CoGovModel, department_staff
from cogov_sim.scenario import load

SIZES = (5_000, 200_000)
DAYS = 240


def _staff_utilisation(model: CoGovModel) -> float:
    """Busy share of every department and pooled server together."""
    st = [*model.departments, *([model.service.pool] if model.service.pool else [])]
    return sum(s.busy_area for s in st) / sum(s.server_area for s in st)


@pytest.fixture(scope="module")
def by_size() -> dict[tuple[str, int], Any]:
    # departments' solve shares equal: their draw (eight numbers per run) is noise that no
    # community size averages out
    return {(sc, n): api.run(sc, seed=4, days=DAYS, keep_model=True,
                             overrides={"community.residents": n, "departments.solve_spread": 0.0})
            for sc in ("fragmented", "committee") for n in SIZES}


def test_staff_scale_with_residents() -> None:
    p = load("committee").params
    assert department_staff(p) == 12  # 24 per 10,000 at 5,000 residents
    big = load("committee", {"community.residents": 200_000}).params
    assert department_staff(big) == 480
    m = CoGovModel(load("committee", {"community.residents": 200_000}), rng=1)
    assert m.service.pool.servers == 144 and sum(d.servers for d in m.departments) == 336
    small = CoGovModel(load("committee"), rng=1)  # the one door's operators scale too
    assert m.structure.capacity == pytest.approx(40 * small.structure.capacity)


def _pair(by_size, scenario: str) -> tuple[Any, Any]:
    """The small and the big run; checks what must hold at any size: issues per resident and
    per staff member, participation, and no slower handling."""
    small, big = (by_size[(scenario, n)] for n in SIZES)
    per_staff = [r.summary["issues_created"] / department_staff(r.model.p) for r in (small, big)]
    per_1000 = [r.summary["issues_created"] / n * 1000 for r, n in zip((small, big), SIZES, strict=True)]
    assert per_1000[1] == pytest.approx(per_1000[0], rel=0.06)
    assert per_staff[1] == pytest.approx(per_staff[0], rel=0.06)
    a, b = small.summary, big.summary
    assert b["participation_mean"] == pytest.approx(a["participation_mean"], rel=0.1)
    # more servers per department at the same load queue less (economies of scale): a bigger
    # district is never slower per issue -- and no longer saturated, as a count of 12 left it
    assert b["resolution_rmst_days"] <= a["resolution_rmst_days"] * 1.1
    return small, big


def test_fragmented_per_capita_outcomes_hold_from_5000_to_200000_residents(by_size) -> None:
    small, big = _pair(by_size, "fragmented")
    assert _staff_utilisation(big.model) == pytest.approx(_staff_utilisation(small.model), abs=0.05)
    assert big.summary["solved_rate"] == pytest.approx(small.summary["solved_rate"], abs=0.05)


def test_committee_pooled_team_matters_less_in_a_district(by_size) -> None:
    """Same load per staff member, but a district's departments are big enough to pool within
    themselves: the street team finds fewer queues to take from, so generalists (slower, solving
    less) do less of the work -- pooling pays in a community, less in a district (ODD 7.5)."""
    small, big = _pair(by_size, "committee")
    assert big.model.service.pool.utilisation() < small.model.service.pool.utilisation() - 0.3
    assert big.summary["solved_rate"] >= small.summary["solved_rate"] - 0.01
