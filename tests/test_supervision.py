"""Supervision that acts (ODD 7.6, 7.15): lifted parts are reassigned to idle staff, the
rhythm's four events fire on their days and do what ODD says, and the solved-rate effect is
produced by ratings, not by a switch between two levels."""

from __future__ import annotations

import numpy as np
import pytest

from cogov_sim import api
from cogov_sim.issues import Channel
from cogov_sim.model import CoGovModel
from cogov_sim.scenario import load
from cogov_sim.service import Job, ServiceNetwork
from cogov_sim.stats import paired_diff_ci

SEEDS = api.replication_seeds(16, 6)


def _paired(scenario: str, a: dict, b: dict, metric: str, days: int = 200):
    """Mean of metric(b) - metric(a) over common seeds, with its 95% CI."""
    xa = [api.run(scenario, seed=s, days=days, overrides=a).summary[metric] for s in SEEDS]
    xb = [api.run(scenario, seed=s, days=days, overrides=b).summary[metric] for s in SEEDS]
    return paired_diff_ci(np.array(xa), np.array(xb))


def test_a_report_deadline_shortens_waiting() -> None:
    """部门报到: a part not started within whistle.report_days is lifted and given to idle staff
    of another department, so a short deadline cuts waiting; a deadline nobody reaches does
    nothing."""
    d, lo, hi = _paired("whistle", {"whistle.report_days": 365.0},
                        {"whistle.report_days": 2.0}, "stage_waiting_days")
    assert hi < 0, (d, lo, hi)
    d, lo, hi = _paired("whistle", {"whistle.report_days": 365.0},
                        {"whistle.report_days": 2.0}, "resolution_p90_days")
    assert hi < 0, (d, lo, hi)


def test_supervision_cuts_waiting_and_raises_solving_from_the_same_start() -> None:
    """Supervision on vs off in silos, departments starting at the same solve share (no prior
    rhythm): overdue parts are reassigned (less waiting) and ratings raise solving. (Under the
    committee the pooled team already keeps waiting short: docs/ODD.md, 7.16.)"""
    off = {"mechanisms.supervision": False}
    on = {"mechanisms.supervision": True}
    d, lo, hi = _paired("fragmented", off, on, "stage_waiting_days", days=365)
    assert hi < 0, (d, lo, hi)
    d, lo, hi = _paired("fragmented", off, on, "solved_rate", days=365)
    assert lo > 0, (d, lo, hi)


def test_lifting_a_part_reassigns_it_to_an_idle_department() -> None:
    m = CoGovModel(load("whistle", {"departments.staff_per_10000": 16, "issues.categories": 4}), rng=3)
    busy, idle = m.departments[0], m.departments[1]
    busy.busy = busy.servers  # every server of department 0 is taken
    assert idle.free() and m.service.pool.servers == 0
    issue = next(iter(m.open.values()), None) or _any_issue(m)
    job = Job(issue, busy, m.time)
    m.service.submit(job)
    assert job.state == Job.WAITING and busy.waiting == 1
    m.service.escalate(job)
    assert job.state == Job.SERVING and job.server is idle and busy.waiting == 0
    assert m.ledger.borrowed_parts[issue.i] == 1 and m.ledger.escalations[issue.i] == 1


def test_a_lifted_part_nobody_can_take_waits_first_in_line_and_on_the_overdue_list() -> None:
    m = CoGovModel(load("whistle", {"departments.staff_per_10000": 16, "issues.categories": 4}), rng=3)
    for d in m.departments:
        d.busy = d.servers
    issue = _any_issue(m)
    old, new = Job(issue, m.departments[0], m.time), Job(issue, m.departments[0], m.time)
    m.service.submit(old)
    m.service.submit(new)
    m.service.escalate(new)
    assert m.departments[0].head() is new and m.service.overdue[0] is new
    # a server of another department frees up with nothing of its own: it takes the lifted part
    helper = m.departments[2]
    helper.busy -= 1
    m.service._pull(helper)
    assert new.state == Job.SERVING and new.server is helper and old.state == Job.WAITING


def _any_issue(m: CoGovModel):
    for _ in range(5):
        m.step()
        if m.open:
            return next(iter(m.open.values()))
    raise AssertionError("no issue in five days")


def _supervised(**over) -> CoGovModel:
    p = {"mechanisms.supervision": True, **over}
    return CoGovModel(load("fragmented", p), rng=5)


def _before(m: CoGovModel, day: int) -> None:
    """Run every event up to just before the boundary at `day`."""
    m.run_until(day - 1e-9)


def _at(m: CoGovModel, day: int) -> None:
    """Run the boundary at `day` (the day step, with the rhythm, runs first at t = day)."""
    m.run_until(day)


def _rated(m: CoGovModel, q: list[float]) -> list[float]:
    """Each department's share after a rating, from ODD 7.15's rule."""
    p = m.p
    top, r = p["departments.solve_ceiling"], p["supervision.rating_response"]
    return [qi if d.rated_closed == 0 else
            max(qi, min(top, qi + r * max(0.0, top - d.rated_solved / d.rated_closed)))
            for d, qi in zip(m.departments, q, strict=True)]


def test_rating_fires_quarterly_and_moves_each_department_by_its_rated_shortfall() -> None:
    m = _supervised()
    q0 = [d.solve_share for d in m.departments]
    _before(m, 90)
    assert [d.solve_share for d in m.departments] == q0  # nothing before the first rating
    assert sum(d.rated_closed for d in m.departments) > 0
    want = _rated(m, q0)
    _at(m, 90)
    assert [d.solve_share for d in m.departments] == pytest.approx(want)
    assert any(w > q for w, q in zip(want, q0, strict=True))
    _before(m, 180)
    assert [d.solve_share for d in m.departments] == pytest.approx(want)  # until the next


def test_drill_fires_half_yearly_and_pulls_every_department_toward_the_best_rated() -> None:
    m = _supervised()
    _before(m, 180)
    rated = _rated(m, [d.solve_share for d in m.departments])
    scores = [d.rated_solved / d.rated_closed if d.rated_closed else d.score
              for d in m.departments]
    best = rated[max((i for i, s in enumerate(scores) if s is not None),
                     key=lambda i: scores[i])]
    learn = m.p["supervision.drill_learning"]
    want = [q + learn * max(0.0, best - q) for q in rated]
    assert want != pytest.approx(rated)  # the drill has something to do
    _at(m, 180)  # day 180: the second rating, then the first drill
    assert [d.solve_share for d in m.departments] == pytest.approx(want)


def test_drill_alone_closes_the_stated_share_of_the_gap() -> None:
    m = _supervised()
    for d, q, s in zip(m.departments[:3], (0.6, 0.8, 0.7), (0.5, 0.9, 0.6), strict=False):
        d.solve_share, d.score = q, s
    m.mechanism("supervision").drill(0.25)
    assert [d.solve_share for d in m.departments[:3]] == pytest.approx(
        [0.6 + 0.25 * 0.2, 0.8, 0.7 + 0.25 * 0.1])


def test_dispatch_meeting_reallocates_staff_to_the_parts_received() -> None:
    m = _supervised(**{"supervision.meeting_days": 3650.0})
    before = [d.allocated for d in m.departments]
    _before(m, 60)
    received = np.array([d.received for d in m.departments], dtype=float)
    total = sum(d.allocated for d in m.departments)
    assert [d.allocated for d in m.departments] == before  # nothing moves before the meeting
    _at(m, 60)
    want = ServiceNetwork.allocate(total, received, minimum=1)
    assert [d.allocated for d in m.departments] == list(want) != before
    assert sum(d.allocated for d in m.departments) == total
    # the meeting itself takes one of each department's staff for its staff-days
    assert [d.away for d in m.departments] == [1] * len(m.departments)
    assert [d.servers for d in m.departments] == [a - 1 if a else 0 for a in want]
    m.run_until(60 + m.p["supervision.dispatch_staff_days"] + 0.01)
    assert [d.servers for d in m.departments] == list(want)  # all back


def test_on_site_meeting_lifts_the_longest_open_cases_monthly() -> None:
    cases = 3
    m = _supervised(**{"supervision.meeting_cases": cases, "supervision.deadline_days": 365.0,
                       "departments.staff_per_10000": 16})
    _before(m, 30)
    L = m.ledger
    waiting = [iss for iss in m.open.values() if L.channel[iss.i] == Channel.DEPARTMENTS
               and any(j.state == Job.WAITING and not j.escalated for j in iss.jobs)]
    assert len(waiting) > cases and all(L.escalations[iss.i] == 0 for iss in waiting)
    _at(m, 30)
    lifted = [iss for iss in waiting if L.escalations[iss.i] > 0]
    assert lifted == waiting[:cases]  # the oldest ones, and only as many as the meeting takes


def test_no_structure_starts_ahead() -> None:
    """Quality is earned in the run: every structure's departments start from the same draws
    of their own solve shares (around departments.solve_share), whatever is switched on."""
    shares = {name: [d.solve_share for d in CoGovModel(load(name), rng=1).departments]
              for name in ("fragmented", "committee", "whistle")}
    assert shares["fragmented"] == shares["committee"] == shares["whistle"]
    assert len(set(shares["committee"])) == len(shares["committee"])  # departments differ


def test_parts_are_solved_with_their_own_departments_share() -> None:
    """With ratings kept out of the run, departments alike and generalists as good as
    specialists, each department keeps its share, and an issue is solved when every part is:
    the solved share of department issues is q ** n."""
    over = {"supervision.rating_days": 3650.0, "supervision.drill_days": 3650.0,
            "departments.solve_spread": 0.0, "departments.generalist_solve": 1.0,
            "run.days": 240}
    res = api.run("committee", seed=4, overrides=over, keep_model=True)
    q = res.model.solve_share()
    assert all(d.solve_share == q for d in res.model.departments)
    dep = res.issues[(res.issues["status"].astype(str) == "resolved")
                     & (res.issues["channel"].astype(str) == "departments")]
    p = q ** dep["n_departments"].to_numpy(dtype=float)
    assert abs(dep["solved"].sum() - p.sum()) <= 4 * np.sqrt((p * (1 - p)).sum()) + 1


def test_a_rating_never_lowers_a_share_and_never_passes_the_ceiling() -> None:
    m = _supervised()
    d = m.departments[0]
    d.solve_share, d.rated_closed, d.rated_solved = 0.99, 10, 5  # above the ceiling (0.985)
    d.rate(0.985, 0.5)
    assert d.solve_share == 0.99 and d.score == 0.5
    d.solve_share, d.rated_closed, d.rated_solved = 0.9, 10, 0
    d.rate(0.985, 0.5)
    assert d.solve_share == 0.985  # 0.9 + 0.5 x 0.985 would pass it
    d.rate(0.985, 0.5)  # nothing rated since: no change
    assert d.solve_share == 0.985


def test_ratings_are_double_edged_informal_closure_inflates_what_is_reported() -> None:
    """Under rating pressure some unsolved parts are reported solved (informal closure): the
    reported solved rate exceeds the true one where ratings exist, never elsewhere, and not
    when informal closure is off."""
    committee = api.run("committee", seed=5, days=300).summary
    assert committee["reported_solved_rate"] > committee["solved_rate"] + 0.01
    honest = api.run("committee", seed=5, days=300,
                     overrides={"supervision.informal_pressure": 0.0}).summary
    assert honest["reported_solved_rate"] == honest["solved_rate"]
    silos = api.run("fragmented", seed=5, days=300).summary
    assert silos["reported_solved_rate"] == silos["solved_rate"]


def test_scores_count_what_callers_say_not_the_truth() -> None:
    """With every solved part rated down (strategic negatives = 1) and informal closure off, a
    department's score is 0 whatever it solved, so each rating pushes it the whole way its
    response allows; with honest callers the score tracks its true solved share."""
    over = {"run.days": 200, "supervision.informal_pressure": 0.0}
    spite = api.run("committee", seed=2, overrides={**over, "supervision.strategic_negative": 1.0},
                    keep_model=True).model
    fair = api.run("committee", seed=2, overrides={**over, "supervision.strategic_negative": 0.0},
                   keep_model=True).model
    assert all(d.score == 0.0 for d in spite.departments if d.score is not None)
    fair_scores = [d.score for d in fair.departments if d.score is not None]
    assert fair_scores and min(fair_scores) > 0.4
    assert np.mean([d.solve_share for d in spite.departments]) > np.mean(
        [d.solve_share for d in fair.departments])
