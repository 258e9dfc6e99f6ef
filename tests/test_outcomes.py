"""Field work and 'handled but not solved' (ODD 7.7, 7.10): what they do, checked against the
probabilities and accounting that define them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cogov_sim import api
from cogov_sim.scenario import load


def _resolved(issues: pd.DataFrame) -> pd.DataFrame:
    return issues[issues["status"].astype(str) == "resolved"]


def _within(observed: float, p: np.ndarray, sigmas: float = 4.0) -> bool:
    """Observed share of successes consistent with independent Bernoulli(p_i) draws."""
    return abs(observed * len(p) - p.sum()) <= sigmas * np.sqrt((p * (1 - p)).sum()) + 1


def test_solved_share_is_q_to_the_number_of_departments() -> None:
    q = 0.6
    over = {"departments.solve_share": q, "departments.solve_spread": 0.0,  # departments alike
            "selforg.solve_share": 0.9}
    res = _resolved(api.run("fragmented", seed=4, days=240, overrides=over).issues)
    dep = res[res["channel"].astype(str) == "departments"]
    assert _within(dep["solved"].mean(), q ** dep["n_departments"].to_numpy(dtype=float))
    multi = dep[dep["n_departments"] > 1]
    assert multi["solved"].mean() < dep[dep["n_departments"] == 1]["solved"].mean()
    community = res[res["channel"].astype(str) == "self_org"]  # with their own share
    assert len(community) > 0 and _within(community["solved"].mean(), np.full(len(community), 0.9))


def test_field_work_delays_issues_but_occupies_no_staff() -> None:
    """Field work lengthens a department's handling time, not its servers' busy time: staff time
    per job served stays at issues.service_days, while the service stage grows by about
    share x field days per part."""
    out = {}
    for share in (0.0, 0.3):
        r = api.run("committee", seed=5, days=240,  # generalists as fast as specialists
                    overrides={"issues.field_share": share, "issues.field_days": 10.0,
                               "departments.generalist_days": 1.0})
        st = r.stations[r.stations["kind"].isin(["department", "pooled team"])]
        out[share] = (st["busy_area"].sum() / st["served"].sum(), r.summary["stage_service_days"])
    mean = load("committee").params["issues.service_days"]
    for staff_time, _ in out.values():
        assert abs(staff_time / mean - 1) < 0.12, out
    assert out[0.3][1] - out[0.0][1] > 0.3 * 10.0 * 0.7, out
