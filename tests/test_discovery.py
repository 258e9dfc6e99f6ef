"""Scenario discovery (PRIM via EMA Workbench): a planted box is recovered; PRIM's box is pruned
to the dials that define the cases (quasi-p-values, reruns, a cap); a contrast sweep reports
where the committee does not help, in words and in boxes.csv."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cogov_sim.cli import main
from cogov_sim.sensitivity import discovery


def test_prim_recovers_a_planted_box() -> None:
    rng = np.random.default_rng(4)
    x = pd.DataFrame(rng.random((2000, 4)), columns=["load", "staff", "noise1", "noise2"])
    cases = ((x["load"] > 0.7) & (x["staff"] < 0.4)).to_numpy()
    flip = rng.random(len(x)) < 0.02  # a little label noise
    boxes = discovery.find_boxes(x, cases ^ flip, resamples=3)
    assert boxes, "no box found"
    first = boxes[0]
    assert set(first.limits) == {"load", "staff"}
    assert abs(first.limits["load"][0] - 0.7) < 0.05 and abs(first.limits["staff"][1] - 0.4) < 0.05
    assert first.density >= discovery.MIN_DENSITY and first.coverage > 0.8
    words = first.words()
    assert "`load` >= " in words and "`staff` <= " in words and "noise" not in words


def test_no_cases_no_boxes_and_directions() -> None:
    x = pd.DataFrame({"a": np.linspace(0, 1, 100), "b": np.linspace(1, 0, 100)})
    assert discovery.find_boxes(x, np.zeros(100, dtype=bool)) == []
    assert list(discovery.no_advantage("resolution_mean_days", np.array([-1.0, 0.0, 2.0]))) == [
        True, True, False]
    assert list(discovery.no_advantage("solved_rate", np.array([-0.1, 0.0, 0.1]))) == [
        False, True, True]
    # less is better: abandonment, and a log time ratio
    assert list(discovery.no_advantage("cif_abandoned_90d", np.array([-0.1, 0.0, 0.1]))) == [
        True, True, False]
    assert list(discovery.no_advantage("log:resolution_rmst_days", np.array([-0.1, 0.2]))) == [
        True, False]


def test_a_contrast_sweep_reports_where_the_committee_does_not_help(tmp_path: Path,
                                                                    capsys) -> None:
    f = tmp_path / "adv.toml"
    f.write_text(
        'name = "adv"\ncontrast = ["fragmented", "committee"]\nreplications = 1\nseed = 2\n'
        'days = 120\noutputs = ["resolution_rmst_days"]\n[set]\n"community.residents" = 3000\n'
        '[sweep]\nmethod = "sobol"\nn = 32\n[parameters]\n"issues.rate" = [0.1, 0.5]\n'
        '"committee:committee.dispatch_days" = [0.1, 40.0]\n', encoding="utf-8")
    assert main(["sweep", str(f), "--out", str(tmp_path / "o"), "--workers", "2"]) == 0
    out = capsys.readouterr().out
    assert "When does it not help?" in out and "`committee:committee.dispatch_days`" in out
    boxes = pd.read_csv(tmp_path / "o" / "sensitivity" / "boxes.csv")
    assert list(boxes.columns) == ["output", "box", "parameter", "low", "high", "qp_low",
                                   "qp_high", "reproduced", "coverage", "density", "mass",
                                   "points", "prim_dials", "dropped", "cases"]
    # a slow dispatch centre is where the committee stops helping
    slow = boxes[boxes["parameter"] == "committee:committee.dispatch_days"].iloc[0]
    assert slow["low"] > 2.0 and slow["density"] >= discovery.MIN_DENSITY


def test_smallest_advantage_is_the_lowest_quarter_in_the_right_direction() -> None:
    """Where the committee helps everywhere, the boxes describe its smallest advantage: for a
    time (less is better) the smallest positive contrasts, for a rate the largest contrasts."""
    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.random((1000, 3)), columns=["load", "dispatch", "noise"])
    # the log time ratio is smallest (committee barely faster) when dispatch is slow
    y = 0.8 - 0.7 * x["dispatch"] + 0.01 * rng.normal(size=len(x))
    small, cut = discovery.small_advantage("log:resolution_rmst_days", y.to_numpy())
    assert small.mean() == 0.25 and 0.24 < cut < 0.31
    boxes = discovery.find_boxes(x, small, resamples=3)
    assert set(boxes[0].limits) == {"dispatch"} and abs(boxes[0].limits["dispatch"][0] - 0.75) < 0.05
    text = discovery.describe_small("log:resolution_rmst_days", ("fragmented", "committee"),
                                    boxes, cut, len(y))
    assert "smallest 25%" in text and "`dispatch` >= 0.7" in text and "times as long" in text
    rate, _ = discovery.small_advantage("solved_rate", np.array([-0.3, -0.2, -0.1, 0.0]))
    assert rate.tolist() == [False, False, False, True]


@pytest.fixture(scope="module")
def two_dials() -> tuple[pd.DataFrame, np.ndarray]:
    """800 points of 7 uniform dials; cases mostly where `load` > 0.5 and `staff` < 0.5 (78%
    there, 10% elsewhere): a density of 80% is only reached by peeling noise dials too."""
    rng = np.random.default_rng(4)
    x = pd.DataFrame(rng.random((800, 7)),
                     columns=["load", "staff", *(f"noise{i}" for i in range(1, 6))])
    region = ((x["load"] > 0.5) & (x["staff"] < 0.5)).to_numpy()
    cases = np.where(region, rng.random(len(x)) < 0.78, rng.random(len(x)) < 0.1)
    return x, cases


def _raw_prim(x: pd.DataFrame, cases: np.ndarray) -> tuple[object, int]:
    """PRIM's own box, chosen as find_boxes chooses it, unpruned."""
    box = discovery._run_prim(x, cases)
    traj = box.peeling_trajectory
    good = traj[traj["density"] >= discovery.MIN_DENSITY]
    return box, int(good.sort_values(["coverage", "density"], ascending=False).index[0])


def test_pruning_keeps_only_the_two_dials_that_define_the_cases(two_dials) -> None:
    x, cases = two_dials
    raw, i = _raw_prim(x, cases)
    restricted = set(discovery._restricted(raw, i))
    noise = restricted - {"load", "staff"}
    assert {"load", "staff"} < restricted and noise, "unpruned PRIM must restrict noise dials"
    boxes = discovery.find_boxes(x, cases, max_boxes=1, resamples=3)
    box = boxes[0]
    assert set(box.limits) == {"load", "staff"}
    assert set(box.dropped) == noise and all("qp" in why for why in box.dropped.values())
    assert box.prim_dials == len(restricted)
    assert abs(box.limits["load"][0] - 0.5) < 0.05 and abs(box.limits["staff"][1] - 0.5) < 0.05
    assert all(np.nanmax(q) <= discovery.QP_MAX for q in box.qp.values())
    assert all(r >= discovery.MIN_REPRODUCED for r in box.reproduced.values())
    # coverage, density and points are counted for the pruned box, not copied from PRIM's
    inside = ((x["load"] >= box.limits["load"][0]) & (x["staff"] <= box.limits["staff"][1])
              ).to_numpy()
    assert box.points == inside.sum() and box.mass == inside.mean()
    assert box.coverage == cases[inside].sum() / cases.sum()
    assert box.density == cases[inside].mean()
    assert box.points > raw.peeling_trajectory.loc[i, "n"]
    assert box.density != raw.peeling_trajectory.loc[i, "density"]
    text = discovery.describe("resolution_mean_days", ("fragmented", "committee"), boxes,
                              int(cases.sum()), len(x))
    assert f"restricted {len(restricted)} dials; {len(noise)} dropped" in text
    assert "of reruns" in text and "noise" not in box.words()
    # the same seed gives the same boxes
    again = discovery.find_boxes(x, cases, max_boxes=1, resamples=3)
    pd.testing.assert_frame_equal(discovery.boxes_table("y", boxes),
                                  discovery.boxes_table("y", again))


def test_quasi_p_values_are_ema_workbenchs(two_dials) -> None:
    """Recomputed in the pruned box by our own code: on PRIM's box it must give EMA's."""
    x, cases = two_dials
    raw, i = _raw_prim(x, cases)
    ema = discovery._prim_qps(raw, i)
    ours = discovery._qps({c: x[c].to_numpy() for c in x.columns}, cases,
                          discovery._restricted(raw, i))
    assert set(ours) == set(ema)
    for k in ema:
        np.testing.assert_allclose(ours[k], ema[k], rtol=1e-9, equal_nan=True)
    assert any(np.nanmin(q) > discovery.QP_MAX for q in ema.values())


def test_more_than_four_dials_that_matter_keep_the_strongest_four() -> None:
    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.random((1000, 6)), columns=list("abcdef"))
    cases = (x[list("abcde")] > [0.1, 0.2, 0.3, 0.4, 0.5]).all(axis=1).to_numpy()
    box = discovery.find_boxes(x, cases, max_boxes=1, resamples=2)[0]
    # every case is inside, so coverage stays 100% along PRIM's peeling: the reruns must still
    # find the dials (EMA Workbench's resample would score them 0%)
    assert box.prim_dials == 5 and set(box.limits) == {"b", "c", "d", "e"}
    assert box.dropped == {"a": f"beyond the {discovery.MAX_DIALS} strongest"}
    assert set(box.reproduced.values()) == {1.0} and box.coverage == 1.0
    assert "beyond the 4 strongest" in discovery.boxes_table("y", [box])["dropped"].iloc[0]
