"""The headline: the committee resolves issues faster than 九龙治水, cross-department issues
gain most, and the time split shows where the gain comes from."""

from __future__ import annotations

import pytest

from cogov_sim import compare
from cogov_sim.metrics import STAGES


@pytest.fixture(scope="module")
def headline():
    return compare(["fragmented", "committee", "whistle"])  # default replications


def test_committee_faster_with_ci_excluding_zero(headline) -> None:
    t = headline.table
    row = t.loc[("committee", "resolution_mean_days")]
    assert t.loc[("committee", "resolution_mean_days"), "mean"] < t.loc[
        ("fragmented", "resolution_mean_days"), "mean"]
    assert row["diff_ci_high"] < 0


def test_multi_department_issues_gain_more(headline) -> None:
    t = headline.table
    gain_single = -t.loc[("committee", "resolution_mean_days_1dept"), "diff"]
    gain_multi = -t.loc[("committee", "resolution_mean_days_multidept"), "diff"]
    assert gain_multi > gain_single > 0


def test_time_split_explains_the_difference(headline) -> None:
    t = headline.table
    diffs = {s: t.loc[("committee", f"stage_{s}_days"), "diff"] for s in STAGES}
    total = t.loc[("committee", "resolution_mean_days"), "diff"]
    assert sum(diffs.values()) == pytest.approx(total, abs=1e-6)
    # routing (one door, no transfers) and coordination (joint dispatch) both shrink
    assert t.loc[("committee", "stage_routing_days"), "diff_ci_high"] < 0
    assert t.loc[("committee", "stage_coordination_days"), "diff_ci_high"] < 0
    assert t.loc[("committee", "transfers_per_issue"), "diff_ci_high"] < 0


def test_whistle_in_between(headline) -> None:
    t = headline.table
    m = {s: t.loc[(s, "resolution_mean_days"), "mean"] for s in
         ("fragmented", "committee", "whistle")}
    assert m["committee"] < m["whistle"] < m["fragmented"]
