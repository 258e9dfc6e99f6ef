"""Determinism, conservation of issues, timestamps, and the timeline of changes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import cached_run

from cogov_sim import run
from cogov_sim.scenario import available, from_dict, load


def test_same_seed_same_everything_other_seed_differs() -> None:
    a = run("committee", seed=5, days=120)
    b = run("committee", seed=5, days=120)
    c = run("committee", seed=6, days=120)
    assert a.summary == b.summary
    pd.testing.assert_frame_equal(a.issues, b.issues)
    pd.testing.assert_frame_equal(a.daily, b.daily)
    assert a.summary != c.summary
    assert a.summary["resolution_mean_days"] != c.summary["resolution_mean_days"]


@pytest.mark.parametrize("name", sorted(available()))
def test_every_issue_accounted_for_in_every_scenario(name: str) -> None:
    res = cached_run(name, 1)
    df = res.issues
    assert res.summary["ledger_balanced"] == 1.0
    st = df.status.astype(str)
    assert len(df) == (st == "resolved").sum() + (st == "abandoned").sum() + (st == "open").sum()
    assert len(df) > 500
    # timestamps are ordered along each issue's life
    r = df[st == "resolved"]
    assert (r.t_known >= r.t_occur).all() and (r.t_routed >= r.t_known).all()
    assert (r.t_first_start >= r.t_routed).all() and (r.t_closed >= r.t_first_start).all()
    # the stage split adds up to the resolution time, and no stage is negative
    stages = r[["discovery_days", "routing_days", "waiting_days", "coordination_days",
                "service_days"]]
    assert (stages >= -1e-9).all().all()
    assert np.allclose(stages.sum(axis=1), r.resolution_days)
    # completions happen at fractional times: continuous, not rounded to days
    assert (r.t_closed % 1 != 0).mean() > 0.99
    # the daily series agrees with the ledger at the end
    last = res.daily.iloc[-1]
    assert last.created == len(df)
    assert last.resolved == (st == "resolved").sum()
    assert last.backlog == (st == "open").sum()


def test_abandoned_issues_never_started() -> None:
    df = cached_run("fragmented", 1).issues
    ab = df[df.status.astype(str) == "abandoned"]
    assert len(ab) > 0
    assert ab.t_first_start.isna().all()
    assert np.allclose(ab.t_closed - ab.t_occur, 60.0)


def test_reform_switches_structure_on_its_day_and_phases_in_mechanisms() -> None:
    res = cached_run("reform", 1)
    df = res.issues
    known = df[df.t_known.notna() & (df.channel.astype(str) == "departments")]
    before = known[known.t_known < 180]
    after = known[known.t_known >= 181]
    assert set(before[before.t_routed < 180].structure) == {"fragmented"}  # stored as names
    # an issue still queued at a department's door at the switch is routed by the committee
    assert (before[before.structure == "committee"].t_routed >= 180).all()
    assert set(after.structure) == {"committee"}
    assert after.transfers.mean() < 0.5 * before.transfers.mean()
    d = res.daily.set_index("time")
    assert d.loc[150:299, "pooled_servers"].max() == 0  # the street team comes on day 300
    assert 0 < d.loc[301:359, "pooled_servers"].max() < d.loc[361:, "pooled_servers"].min()
    # the departments' separate grids patrol from the start; one integrated grid from day 180
    by_grid = lambda part: (part.discovered_by.astype(str) == "grid").mean()  # noqa: E731
    assert 0 < by_grid(before) < by_grid(after)
    early = d.loc[120:179, "resolution_30d"].mean()
    late = d.loc[420:, "resolution_30d"].mean()
    assert late < early  # field work takes as long under any structure (~5 of ~20 days)
    # rated supervision from day 180: departments learn to solve what they close
    # (+0.09 in this run: the committee's lead in quality is earned by ratings, not assumed)
    assert d.loc[420:, "solved_30d"].mean() > d.loc[120:179, "solved_30d"].mean() + 0.05


def test_same_day_changes_merge(tmp_path) -> None:
    f = tmp_path / "two.toml"
    f.write_text('extends = "fragmented"\n[[change]]\nday = 10\nstructure = "committee"\n'
                 '[[change]]\nday = 10\nmechanisms.grid_discovery = true\n')
    from cogov_sim.model import CoGovModel

    m = CoGovModel(load(str(f)), rng=1)
    for _ in range(11):
        m.step()
    assert m.structure.name == "committee" and m.p["mechanisms.grid_discovery"] is True


def test_no_discovery_after_the_horizon() -> None:
    res = cached_run("committee", 1)
    assert (res.issues.t_known.dropna() <= res.days).all()


def test_surge_raises_backlog_then_recovers() -> None:
    """The burst (day 120, about 20 days) piles up work; since the one door has a capacity
    (issue 22) and classifies worse when behind, the backlog takes about a year to drain, not
    the ~200 days it took when the centre was free, so recovery is checked in the second year."""
    d = run("surge", seed=1, days=600).daily.set_index("time")
    normal = d.loc[60:119, "backlog"].mean()
    peak = d.loc[130:170, "backlog"].max()
    assert peak > 2 * normal
    assert d.loc[500:, "backlog"].mean() < 0.25 * peak  # drained (seeds 1-3: 0.11-0.16)


def test_rural_street_reports_a_gap() -> None:
    s = cached_run("rural", 1).summary
    assert not np.isnan(s["gap_resolution_rural_urban"])
    assert s["gap_participation_rural_urban"] < 0  # higher cost, sparser ties


def test_overrides_reach_the_model() -> None:
    base = from_dict({"run.days": 90})
    hi = run(base.with_overrides({"issues.rate": 0.6}), seed=2)
    lo = run(base, seed=2)
    assert hi.summary["all_issues"] > 1.6 * lo.summary["all_issues"]


def test_model_runs_step_by_step_like_mesa() -> None:
    from cogov_sim.model import CoGovModel

    m = CoGovModel(load("committee"), rng=3)
    for _ in range(10):
        m.step()
    assert m.time == 10.0
    df = m.datacollector.get_model_vars_dataframe()
    occurred = (m.ledger.t_occur[: m.ledger.n] <= m.time).sum()
    assert len(df) == 11 and df["created"].iloc[-1] == occurred < m.ledger.n  # day 10 drawn ahead


def test_unique_inverse_equals_numpy_unique() -> None:
    import numpy as np

    from cogov_sim.population import _unique_inverse

    rng = np.random.default_rng(0)
    for n in (0, 1, 2, 7, 300):
        x = rng.integers(0, 40, n)
        got, want = _unique_inverse(x), np.unique(x, return_inverse=True)
        assert all(np.array_equal(g, w) for g, w in zip(got, want, strict=True))
