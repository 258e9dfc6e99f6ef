"""Pure metric and statistics functions on small hand-made tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cogov_sim import metrics
from cogov_sim.stats import mean_ci, paired_diff_ci


def _issues() -> pd.DataFrame:
    cat = pd.Categorical(["resolved", "resolved", "abandoned", "open", "resolved"],
                         categories=["open", "resolved", "abandoned"])
    return pd.DataFrame({
        "t_occur": [0.0, 10.0, 20.0, 30.0, 40.0],
        "t_known": [1.0, 12.0, np.nan, 31.0, 40.5],
        "t_closed": [5.0, 20.0, 80.0, np.nan, 43.5],
        "status": cat,
        "resolution_days": [5.0, 10.0, np.nan, np.nan, 3.5],
        "discovery_days": [1.0, 2.0, np.nan, 1.0, 0.5],
        "routing_days": [1.0, 3.0, np.nan, np.nan, 0.0],
        "waiting_days": [1.0, 2.0, np.nan, np.nan, 1.0],
        "coordination_days": [0.0, 1.0, np.nan, np.nan, 0.0],
        "service_days": [2.0, 2.0, np.nan, np.nan, 2.0],
        "n_departments": [1, 2, 1, 1, 1],
        "channel": pd.Categorical(["departments", "departments", "none", "departments",
                                   "self_org"]),
        "transfers": [0, 2, 0, 1, 0],
        "bounces": [0, 1, 0, 0, 0],
        "escalations": [0, 1, 0, 0, 0],
        "pooled_parts": [1, 0, 0, 0, 0],
        "discovered_by": pd.Categorical(["resident", "grid", "none", "resident", "self_org"]),
        "rural": [False, True, False, True, False],
        "solved": [True, False, False, False, True],
    })


def test_ledger_counts() -> None:
    assert metrics.ledger_counts(_issues()) == {"created": 5, "resolved": 3, "abandoned": 1,
                                                "open": 1}


def test_issue_metrics_by_hand() -> None:
    m = metrics.issue_metrics(_issues())
    assert m["resolution_rate"] == pytest.approx(3 / 5)
    assert m["solved_rate"] == pytest.approx(2 / 5)  # one was handled but not solved
    assert m["abandonment_rate"] == pytest.approx(1 / 5)
    assert m["resolution_mean_days"] == pytest.approx((5 + 10 + 3.5) / 3)
    assert m["resolution_median_days"] == pytest.approx(5.0)
    assert m["response_mean_days"] == pytest.approx((4 + 8 + 3) / 3)
    assert m["stage_routing_days"] == pytest.approx(4 / 3)
    assert m["resolution_mean_days_1dept"] == pytest.approx(4.25)
    assert m["resolution_mean_days_multidept"] == pytest.approx(10.0)
    assert m["transfers_per_issue"] == pytest.approx(1.0)  # departments channel only
    assert m["pooled_part_share"] == pytest.approx(1 / 4)
    assert m["undiscovered_share"] == pytest.approx(0.2)
    assert m["found_by_grid_share"] == pytest.approx(0.2)
    assert m["channel_self_org_share"] == pytest.approx(0.25)  # of the 4 known issues


def test_warmup_excludes_early_issues() -> None:
    m = metrics.issue_metrics(_issues(), warmup=15.0)
    assert m["issues_created"] == 3
    assert m["resolution_mean_days"] == pytest.approx(3.5)


def test_gap_metrics() -> None:
    res = pd.DataFrame({"neighbourhood": [0, 0, 1, 1], "rural": [False, False, True, True],
                        "active": [True, True, True, False]})
    g = metrics.gap_metrics(_issues(), res)
    assert g["gap_resolution_rural_urban"] == pytest.approx(10.0 - 4.25)
    assert g["gap_participation_rural_urban"] == pytest.approx(-0.5)
    assert g["participation_spread_neighbourhoods"] == pytest.approx(0.5)
    g2 = metrics.gap_metrics(_issues(), res.assign(rural=False))
    assert np.isnan(g2["gap_resolution_rural_urban"])


def test_station_metrics() -> None:
    st = pd.DataFrame({"kind": ["department", "department", "pooled team"],
                       "busy_area": [50.0, 10.0, 30.0], "server_area": [100.0, 100.0, 40.0]})
    m = metrics.station_metrics(st)
    assert m["utilisation_departments"] == pytest.approx(0.3)
    assert m["utilisation_max_department"] == pytest.approx(0.5)
    assert m["utilisation_pool"] == pytest.approx(0.75)


def test_mean_ci_matches_textbook() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0])
    m, lo, hi = mean_ci(x)
    half = stats.t.ppf(0.975, 3) * x.std(ddof=1) / 2
    assert (m, lo, hi) == pytest.approx((2.5, 2.5 - half, 2.5 + half))
    assert np.isnan(mean_ci(np.array([1.0]))[1])


def test_paired_diff_uses_pairs() -> None:
    a = np.array([10.0, 20.0, 30.0])
    b = a + np.array([1.0, 1.1, 0.9])
    d, lo, hi = paired_diff_ci(a, b)
    assert d == pytest.approx(1.0) and lo > 0.5 and hi < 1.5
