"""The model can say no (issue 22): the committee's one door is a queue with a capacity sized
from sources, so where it is starved -- more issues than its operators take in, or fewer
operators -- the committee is slower than 九龙治水, while at the default load it is faster."""

from __future__ import annotations

import numpy as np

from cogov_sim import api
from cogov_sim.stats import paired_diff_ci

SEEDS = api.replication_seeds(22, 4)


def _diff(over: dict, days: int = 200) -> tuple[float, float, float]:
    """Committee minus fragmented, restricted mean time to resolution, paired by seed."""
    arms = [[api.run(sc, seed=s, days=days, overrides=over).summary["resolution_rmst_days"]
             for s in SEEDS] for sc in ("fragmented", "committee")]
    return paired_diff_ci(np.array(arms[0]), np.array(arms[1]))


def test_at_the_default_load_the_committee_is_faster() -> None:
    d, lo, hi = _diff({})
    assert hi < 0, (d, lo, hi)


def test_past_the_centres_capacity_the_committee_is_slower() -> None:
    d, lo, hi = _diff({"issues.rate": 0.8})
    assert lo > 0, (d, lo, hi)


def test_a_starved_centre_makes_the_committee_slower() -> None:
    d, lo, hi = _diff({"committee.operators_per_10000": 0.3})
    assert lo > 0, (d, lo, hi)


def test_the_centre_queues_and_classifies_worse_when_behind() -> None:
    """Over every issue the centre routed (not only closed ones, few at this load): the wait
    from known to routed is the centre's queue; transfers are misclassifications in haste."""
    over = {"issues.rate": 0.8, "run.days": 150}
    busy = api.run("committee", seed=3, overrides=over, keep_model=True)
    calm = api.run("committee", seed=3, overrides={"run.days": 150}, keep_model=True)

    def routed(r: api.RunResult) -> tuple[float, float]:
        df = r.issues[r.issues["t_routed"].notna() & (r.issues["channel"] == "departments")]
        return float((df["t_routed"] - df["t_known"]).mean()), float(df["transfers"].mean())

    (busy_wait, busy_moves), (calm_wait, calm_moves) = routed(busy), routed(calm)
    assert busy_wait > 3 * calm_wait, (busy_wait, calm_wait)
    assert busy_moves > 1.5 * calm_moves, (busy_moves, calm_moves)
    centre = busy.model.structure.centre
    assert centre.intake and centre.served > 0
