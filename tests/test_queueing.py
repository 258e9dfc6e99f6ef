"""Degenerate mode agrees with queueing theory: fragmented silos are separate M/M/1 queues,
the committee's fully pooled street team one M/M/c queue (Erlang C)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cogov_sim import run
from cogov_sim.scenario import from_dict

C = 4  # departments = categories = staff
MU = 1.0  # service rate per server (1/day)
RESIDENTS = 3650  # so that issues.rate x 10 = arrivals per day
REPS = 8
DAYS = 3000


def erlang_c_wait(c: int, lam: float, mu: float) -> float:
    """Mean waiting time in queue of M/M/c (Erlang C)."""
    a = lam / mu
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


def simulated_wait(structure: str, pooled: float, lam: float) -> tuple[float, float]:
    """Mean queue wait over REPS seeded runs, and its standard error."""
    sc = from_dict({
        "mode.queueing": True, "structure": structure, "mechanisms.pooled_fraction": pooled,
        "issues.categories": C, "issues.category_skew": 0.0,
        "departments.staff_per_10000": C * 10_000 / RESIDENTS,
        "issues.service_days": 1.0 / MU, "community.residents": RESIDENTS,
        "issues.rate": lam / 10.0, "run.days": DAYS, "run.warmup_days": 200,
    })
    waits = []
    for seed in range(REPS):
        res = run(sc, seed=seed)
        df = res.issues[(res.issues.t_occur >= 200) & (res.issues.status == "resolved")]
        assert (df.transfers == 0).all() and (df.n_departments == 1).all()
        assert np.allclose(df.t_known, df.t_occur) and np.allclose(df.t_routed, df.t_occur)
        waits.append(df.waiting_days.mean())
    w = np.array(waits)
    return float(w.mean()), float(w.std(ddof=1) / np.sqrt(len(w)))


@pytest.mark.slow
@pytest.mark.parametrize("rho", [0.5, 0.7, 0.85])
def test_committee_pooled_team_is_mmc(rho: float) -> None:
    lam = rho * C * MU
    mean, se = simulated_wait("committee", 1.0, lam)
    theory = erlang_c_wait(C, lam, MU)
    assert abs(mean - theory) <= 3 * se, (mean, se, theory)


@pytest.mark.slow
@pytest.mark.parametrize("rho", [0.5, 0.7])
def test_fragmented_silos_are_separate_mm1(rho: float) -> None:
    lam = rho * C * MU
    mean, se = simulated_wait("fragmented", 0.0, lam)
    theory = erlang_c_wait(1, lam / C, MU)  # each silo: M/M/1 with a quarter of the arrivals
    assert abs(mean - theory) <= 3 * se, (mean, se, theory)


def test_pooling_beats_silos_at_equal_staff() -> None:
    """The same staff pooled waits less than split into silos (the reason to pool)."""
    lam = 0.7 * C * MU
    assert erlang_c_wait(C, lam, MU) < erlang_c_wait(1, lam / C, MU)
    pooled, _ = simulated_wait("committee", 1.0, lam)
    silos, _ = simulated_wait("fragmented", 0.0, lam)
    assert pooled < 0.5 * silos
