"""`cogov curve`: the table, pairing by seed, the batch engine's equal numbers, bad input
stopped before any run, the written files, and the verdict on hand-made tables."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cogov_sim import cli
from cogov_sim.batch.executors import make
from cogov_sim.curve import METRICS, compute, curve, verdict

SMALL = {"community.residents": 300}
DAYS, VALUES, R = 60, [0.2, 0.8], 2
SMALL_ARGS = ["--days", str(DAYS), "--set", "community.residents=300", "--values", "0.2,0.8",
              "-r", str(R)]


@pytest.fixture(scope="module")
def small():
    return curve("fragmented", "committee", "issues.rate", VALUES, R, seed=1, days=DAYS,
                 overrides=SMALL)


def test_table_has_one_row_per_value_and_metric(small):
    t = small.table
    assert len(t) == len(VALUES) * len(METRICS)
    assert sorted(set(t["value"])) == VALUES and list(dict.fromkeys(t["metric"])) == list(METRICS)
    for col in ("a_mean", "a_ci_low", "a_ci_high", "b_mean", "b_ci_low", "b_ci_high", "diff",
                "diff_ci_low", "diff_ci_high", "n", "a_util", "b_util", "a_pool_util",
                "b_pool_util", "a_open", "b_open"):
        assert col in t.columns, col
    assert (t["n"] == R).all()
    assert t["a_util"].between(0, 1).all() and t["b_util"].between(0, 1).all()
    # more load, busier departments
    u = t[t["metric"] == METRICS[0]].set_index("value")["a_util"]
    assert u[0.8] > u[0.2]


def test_difference_is_the_mean_of_per_seed_differences(small):
    runs = small.runs
    # the same seeds at every point and in both arms
    seeds = runs.groupby(["arm", "value"])["seed"].apply(tuple)
    assert len(set(seeds)) == 1
    for (v, m), row in small.table.set_index(["value", "metric"]).iterrows():
        a = runs[(runs["arm"] == "a") & (runs["value"] == v)].sort_values("replication")[m]
        b = runs[(runs["arm"] == "b") & (runs["value"] == v)].sort_values("replication")[m]
        per_seed = b.to_numpy() - a.to_numpy()
        assert row["diff"] == pytest.approx(np.nanmean(per_seed), rel=1e-12, abs=1e-12)
        assert row["b_mean"] - row["a_mean"] == pytest.approx(row["diff"], abs=1e-9)


def test_two_local_workers_give_the_same_numbers(small):
    ex = make(2)
    try:
        par = curve("fragmented", "committee", "issues.rate", VALUES, R, seed=1, days=DAYS,
                    overrides=SMALL, executor=ex)
    finally:
        ex.close()
    cols = ["arm", "value", "replication", "seed", *METRICS, "utilisation_departments"]
    pd.testing.assert_frame_equal(par.runs[cols], small.runs[cols])
    pd.testing.assert_frame_equal(par.table, small.table)


@pytest.mark.parametrize("args, words", [
    (["--over", "issues.rat"], ["--over", "issues.rat", "did you mean 'issues.rate'"]),
    (["--over", "structure"], ["--over", "structure", "numeric"]),
    (["--values", "0.2,abc"], ["--values", "'abc'", "not a number"]),
    (["--values", "0.2,25"], ["--values", "issues.rate", "25", "out of range", "[0, 20]"]),
    (["--values", "0.2"], ["--values", "1 value(s)", "2 to"]),
    (["--values", "0.2,0.2"], ["--values", "0.2", "more than once"]),
    (["--from", "0.1", "--to", "1"], ["--points", "missing"]),
    (["--over", "issues.categories", "--values", "9,10.5"], ["issues.categories", "10.5",
                                                            "not an integer"]),
    (["--over", "run.warmup_days", "--values", "10,50"], ["run.warmup_days", "50",
                                                         "below run.days (40)"]),
    (["--set", "issues.rate=0.5"], ["--set", "issues.rate", "dial"]),
    (["--metrics", "solved_rat"], ["--metrics", "solved_rat", "did you mean 'solved_rate'"]),
    (["-r", "1"], ["--replications", "1", "from 2"]),
])
def test_bad_input_is_one_line_and_nothing_runs(args, words, capsys, monkeypatch):
    def no_runs(*a, **k):
        raise AssertionError("a run started before the input was checked")

    monkeypatch.setattr(compute, "run_points", no_runs)
    assert exit_code(["curve", "fragmented", "committee", "--days", "40", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    for w in words:
        assert w in err, (w, err)


def exit_code(argv: list[str]) -> int:
    """`cogov ARGV`'s exit code, whether argparse or the command stops it."""
    try:
        return cli.main(argv)
    except SystemExit as e:
        return int(e.code)


def test_same_scenario_twice_is_refused(capsys, monkeypatch):
    monkeypatch.setattr(compute, "run_points", None)
    assert exit_code(["curve", "committee", "committee"]) == 2
    err = capsys.readouterr().err
    assert "given as both A and B" in err and err.count("\n") == 1


def test_out_writes_table_json_and_figure_and_resumes(small, tmp_path, capsys):
    out = tmp_path / "c"
    argv = ["curve", "fragmented", "committee", *SMALL_ARGS, "--workers", "1", "--out", str(out)]
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    assert "committee - fragmented [95% CI]" in text and "util fragmented" in text
    for name in ("curve.csv", "curve.json", "curve.png", "curve.svg", "runs.parquet"):
        assert (out / name).stat().st_size > 0, name
    t = pd.read_csv(out / "curve.csv")
    assert len(t) == len(VALUES) * len(METRICS)
    d = json.loads((out / "curve.json").read_text())
    p = d["provenance"]
    assert p["a"]["name"] == "fragmented" and p["b"]["name"] == "committee"
    assert p["a"]["file"].endswith("fragmented.toml") and len(p["b"]["hash"]) == 16
    assert p["a"]["overrides"]["community.residents"] == 300
    assert (p["seed"], p["replications"], p["values"], p["days"]) == (1, R, VALUES, DAYS)
    assert len(p["replication_seeds"]) == R and p["cogov_sim"] and "git" in p
    assert set(d["verdicts"]) == set(METRICS)
    assert d["verdicts"][METRICS[0]]["sentence"] in text
    # the runs went through the batch store: the same numbers as in memory, and the same
    # command again finds them all there and runs nothing
    pd.testing.assert_frame_equal(t, small.table, check_dtype=False, rtol=1e-12)
    assert cli.main(argv) == 0
    sessions = json.loads((out / "batch" / "manifest.json").read_text())["sessions"]
    assert [s["runs"] for s in sessions] == [2 * len(VALUES) * R, 0]
    assert pd.read_csv(out / "curve.csv").equals(t)
    # another setting into the same folder is refused, not mixed in
    capsys.readouterr()
    other = [x if x != "0.2,0.8" else "0.2,0.9" for x in argv]
    assert cli.main(other) == 2
    err = capsys.readouterr().err
    assert "different experiment" in err and "issues.rate = 0.2, 0.9" in err


def _rows(values, lo, hi):
    return pd.DataFrame({"value": values, "diff_ci_low": lo, "diff_ci_high": hi})


def test_verdict_finds_where_the_committee_is_no_longer_faster():
    # times: committee - fragmented < 0 is faster; CI includes 0 from 0.6, positive from 1.0
    t = _rows([0.1, 0.3, 0.6, 0.8, 1.0, 1.2], [-9, -5, -2, -1, 0.5, 2], [-4, -1, 1, 3, 4, 6])
    v = verdict(t, "resolution_rmst_days", "fragmented", "committee", "issues.rate")
    assert v.states == ("better", "better", "unclear", "unclear", "worse", "worse")
    assert (v.first_not_better, v.holds_on, v.first_worse) == (0.6, True, 1.0)
    assert v.sentence.startswith("committee is no faster than fragmented from issues.rate = "
                                 "0.6 on (slower from 1 on).")
    assert "faster at 0.1-0.3" in v.sentence


def test_verdict_never_and_again_and_direction():
    t = _rows([0.1, 0.5, 1.0], [-3, -2, -1], [-1, -0.5, -0.1])
    v = verdict(t, "resolution_rmst_days", "fragmented", "committee", "issues.rate")
    assert v.first_not_better is None and not v.holds_on
    assert v.sentence == ("committee is faster than fragmented at every value from "
                          "issues.rate 0.1 to 1.")
    # a gap that closes again: not "from X on"
    t = _rows([0.1, 0.5, 1.0], [-3, -2, -1], [-1, 0.5, -0.1])
    v = verdict(t, "resolution_rmst_days", "fragmented", "committee", "issues.rate")
    assert (v.first_not_better, v.holds_on) == (0.5, False)
    assert "first no faster than fragmented at issues.rate = 0.5, but faster again at 1" \
        in v.sentence
    # more is better for a rate: a positive difference is the committee's advantage
    v = verdict(_rows([0.1, 0.5], [0.01, -0.02], [0.05, 0.01]), "solved_rate", "fragmented",
                "committee", "issues.rate")
    assert v.states == ("better", "unclear") and v.first_not_better == 0.5
    # a NaN CI (one replication, no issues) is not counted as better
    v = verdict(_rows([0.1, 0.5], [np.nan, -2], [np.nan, -1]), "resolution_rmst_days", "A", "B",
                "x")
    assert v.states == ("unclear", "better")
