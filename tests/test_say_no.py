"""The model can say no (issue 22): the committee's one door is a queue with a capacity sized
from sources, so where it is starved -- more issues than its operators take in, or fewer
operators -- the committee is slower than 九龙治水, while at the default load it is faster. 九龙治水's
doors have the same operators, split among the departments, so its doors can saturate too."""

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


def _routing(r: api.RunResult) -> float:
    """Mean days from known to routed over every issue routed to departments."""
    df = r.issues[r.issues["t_routed"].notna() & (r.issues["channel"] == "departments")]
    return float((df["t_routed"] - df["t_known"]).mean())


def test_the_departments_doors_queue_too() -> None:
    """九龙治水's doors have capacity as the one door does: each department's door queues when
    behind (busier, or with fewer operators), and with `calls_per_issue` 0 intake takes no
    time -- no doors, and routing is as quick as a pure delay makes it."""
    days = {"run.days": 150}
    runs = {name: api.run("fragmented", seed=3, overrides={**days, **over}, keep_model=True)
            for name, over in (("calm", {}), ("busy", {"issues.rate": 0.8}),
                               ("starved", {"fragmented.operators_per_10000": 0.3}),
                               ("instant", {"fragmented.calls_per_issue": 0}))}
    wait = {name: _routing(r) for name, r in runs.items()}
    assert wait["busy"] > 2 * wait["calm"] and wait["starved"] > 2 * wait["calm"], wait
    assert wait["calm"] > wait["instant"] + 1.0, wait
    assert runs["instant"].model.structure.doors == []

    def load(r: api.RunResult) -> float:
        doors = r.model.structure.doors
        assert all(d.intake and d.servers == 1 for d in doors) and sum(d.served for d in doors)
        return float(np.mean([d.utilisation() for d in doors]))

    assert load(runs["busy"]) > load(runs["calm"]) + 0.2, (load(runs["busy"]), load(runs["calm"]))


def test_the_doors_split_the_one_doors_operators_by_category_share() -> None:
    """Symmetric capacity: the doors together take in what the committee's centre does, each
    in proportion to its department's share of the issues (no pooling)."""
    f = api.run("fragmented", seed=1, days=60, keep_model=True).model
    c = api.run("committee", seed=1, days=60, keep_model=True).model
    caps = np.array(f.structure.capacities)
    assert np.isclose(caps.sum(), c.structure.capacity)
    assert np.allclose(caps / caps.sum(), f.category_share)
    assert [1.0 / d.mean_days for d in f.structure.doors] == list(caps)


def test_a_reporter_queues_at_the_door_guessed_and_a_wrong_one_forwards() -> None:
    """The first door is the owning department's only when the guess is right; after intake a
    wrong door costs a transfer (a delay, not another intake)."""
    import random

    from cogov_sim.structures import IssueInfo

    for accuracy in (0.0, 1.0):
        m = api.run("fragmented", seed=1, days=60, keep_model=True,
                    overrides={"fragmented.guess_accuracy": accuracy}).model
        st, rnd, doors = m.structure, random.Random(7), m.structure.doors
        for i in range(200):
            cat = i % len(doors)
            info = IssueInfo(10**6 + i, cat, (cat,), 0, False, False, 0.0)
            first = st.route(info, rnd, m.context)
            assert first.via in doors and (first.via is doors[cat]) == (accuracy == 1.0)
            then = st.route(info._replace(intakes=1), rnd, m.context)
            assert then.via is None and (then.transfers > 0) == (accuracy == 0.0)
        assert st.guessed.keys().isdisjoint(range(10**6, 10**6 + 200))
