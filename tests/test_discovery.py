"""Scenario discovery (PRIM via EMA Workbench): a planted box is recovered; a contrast sweep
reports where the committee does not help, in words and in boxes.csv."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cogov_sim.cli import main
from cogov_sim.sensitivity import discovery


def test_prim_recovers_a_planted_box() -> None:
    rng = np.random.default_rng(4)
    x = pd.DataFrame(rng.random((2000, 4)), columns=["load", "staff", "noise1", "noise2"])
    cases = ((x["load"] > 0.7) & (x["staff"] < 0.4)).to_numpy()
    flip = rng.random(len(x)) < 0.02  # a little label noise
    boxes = discovery.find_boxes(x, cases ^ flip)
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
        'days = 90\noutputs = ["resolution_mean_days"]\n[set]\n"community.residents" = 1000\n'
        '[sweep]\nmethod = "sobol"\nn = 32\n[parameters]\n"issues.rate" = [0.1, 0.5]\n'
        '"committee:committee.dispatch_days" = [0.1, 40.0]\n', encoding="utf-8")
    assert main(["sweep", str(f), "--out", str(tmp_path / "o"), "--workers", "2"]) == 0
    out = capsys.readouterr().out
    assert "When does it not help?" in out and "`committee:committee.dispatch_days`" in out
    boxes = pd.read_csv(tmp_path / "o" / "sensitivity" / "boxes.csv")
    assert list(boxes.columns) == ["output", "box", "parameter", "low", "high", "coverage",
                                   "density", "mass", "cases"]
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
    boxes = discovery.find_boxes(x, small)
    assert set(boxes[0].limits) == {"dispatch"} and abs(boxes[0].limits["dispatch"][0] - 0.75) < 0.05
    text = discovery.describe_small("log:resolution_rmst_days", ("fragmented", "committee"),
                                    boxes, cut, len(y))
    assert "smallest 25%" in text and "`dispatch` >= 0.7" in text and "times as long" in text
    rate, _ = discovery.small_advantage("solved_rate", np.array([-0.3, -0.2, -0.1, 0.0]))
    assert rate.tolist() == [False, False, False, True]
