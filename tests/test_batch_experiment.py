"""Experiment files, plans and seeds, bad input, refusing a different experiment, replay."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from cogov_sim import api
from cogov_sim.batch import evaluate, executors, expand, ishigami, load_experiment, load_run_spec, run_batch
from cogov_sim.batch.store import Store
from cogov_sim.cli import main

TINY = """
name = "tiny"
scenarios = ["fragmented", "committee"]
replications = 3
seed = 11
days = 30
[set]
"community.residents" = 200
"run.warmup_days" = 5
"""


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_plan_ids_and_seeds_depend_only_on_the_experiment(tmp_path: Path) -> None:
    exp = load_experiment(write(tmp_path, TINY + '[grid]\n"issues.rate" = [0.3, 0.5]\n'))
    plan = expand(exp)
    assert len(plan.runs) == 2 * 2 * 3
    assert len({r.run_id for r in plan.runs}) == len(plan.runs)
    assert expand(load_experiment(tmp_path / "exp.toml")) == plan
    # replication r: the same seed in every scenario and point, the same as `cogov compare`
    assert list(plan.seeds) == api.replication_seeds(11, 3)
    assert {r.seed for r in plan.runs if r.replication == 1} == {plan.seeds[1]}
    assert plan.runs[0].run_id == "fragmented.p0.r000"
    assert plan.runs[1].overrides == {"issues.rate": 0.5}
    more = expand(load_experiment(write(tmp_path, TINY.replace("= 3", "= 5"), "more.toml")))
    assert more.seeds[:3] == plan.seeds and more.hash != plan.hash


def test_sample_and_points_designs(tmp_path: Path) -> None:
    exp = load_experiment(write(tmp_path, TINY + """
[sample]
n = 8
method = "lhs"
[sample.ranges]
"issues.rate" = [0.2, 0.6]
"community.neighbourhood_size" = [300, 900]
"""))
    pts = expand(exp).points
    assert len(pts) == 8 and expand(exp).points == pts
    rates = sorted(p["issues.rate"] for p in pts)
    assert all(0.2 <= r <= 0.6 for r in rates)
    assert len({int(r * 8 / 0.4 - 0.2 * 8 / 0.4) for r in rates}) == 8  # one per stratum
    assert all(isinstance(p["community.neighbourhood_size"], int) for p in pts)
    listed = load_experiment(write(tmp_path, TINY + '[[points]]\n"issues.rate" = 0.4\n'
                                   '[[points]]\n"issues.rate" = 0.6\n"mechanisms.supervision" = true\n',
                                   "points.toml"))
    assert [p for p in expand(listed).points] == [{"issues.rate": 0.4},
                                                 {"issues.rate": 0.6, "mechanisms.supervision": True}]


BAD = [
    ('replicatons = 3', "key 'replicatons': unknown key (did you mean 'replications'?)"),
    ('scenarios = ["comittee"]', "no scenario named 'comittee' (did you mean 'committee'?)"),
    ('scenarios = ["committee"]\nreplications = 0', "key 'replications': value 0 is not allowed"),
    ('scenarios = ["committee"]\n[set]\n"issues.rat" = 0.4',
     "key 'issues.rat': unknown parameter (did you mean 'issues.rate'?)"),
    ('scenarios = ["committee"]\n[grid]\n"issues.rate" = [0.3, -1]',
     "key 'issues.rate': value -1 is out of range; allowed:"),
    ('scenarios = ["committee"]\n[grid]\n"issues.rate" = 0.3', "key 'grid.issues.rate': value 0.3"),
    ('scenarios = ["committee"]\nkeep = ["ledger"]', "value \"ledger\" is not allowed (did you mean"),
    ('scenarios = ["committee"]\nmodel = "ishigam"', "(did you mean 'ishigami'?)"),
    ('scenarios = ["committee"]\n[sample]\nn = 4\nmethod = "lhc"\n'
     '[sample.ranges]\n"issues.rate" = [0.1, 0.2]',
     "key 'sample.method': value \"lhc\" is not allowed (did you mean 'lhs'?)"),
    ('scenarios = ["committee"]\ndays = 20', "key 'run.warmup_days': value 30 must be below run.days"),
    ('scenarios = ["committee"]\n[grid]\n"issues.rate" = [0.3]\n[[points]]\n"issues.rate" = 0.3',
     "give one design"),
    ('model = "ishigami"\n[grid]\nx4 = [1.0]', "key 'grid.x4': unknown parameter of model 'ishigami'"),
    ('scenarios = ["committee"\n', "not valid TOML"),
]


@pytest.mark.parametrize(("text", "expected"), BAD)
def test_bad_experiment_one_clear_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              text: str, expected: str) -> None:
    path = write(tmp_path, text)
    assert main(["batch", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"cogov: error: {path}: "), err
    assert expected in err
    assert not (tmp_path / "out").exists()


def test_missing_experiment_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["batch", "experiments/nope.toml"]) == 2
    assert capsys.readouterr().err == "cogov: error: experiments/nope.toml: file not found\n"


def test_shipped_experiments_are_valid() -> None:
    root = Path(__file__).resolve().parent.parent / "experiments"
    files = [root / "headline.toml", root / "pooling-grid.toml"]
    head = expand(load_experiment(root / "headline.toml"))
    assert len(head.runs) >= 150 and {r.scenario for r in head.runs} == {"fragmented", "committee",
                                                                          "whistle"}
    for f in files:
        assert expand(load_experiment(f)).runs


def test_different_experiment_into_existing_folder_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    exp = write(tmp_path, TINY.replace("= 3", "= 1"))
    assert main(["batch", str(exp), "--out", str(out), "--workers", "1"]) == 0
    capsys.readouterr()
    # a comment is not a different experiment: it resumes (nothing left to do)
    exp.write_text(exp.read_text() + "# a note\n")
    assert main(["batch", str(exp), "--out", str(out), "--workers", "1"]) == 0
    assert "2 already stored" in capsys.readouterr().out
    other = write(tmp_path, TINY.replace("seed = 11", "seed = 12"), "other.toml")
    assert main(["batch", str(other), "--out", str(out), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "holds the results of a different experiment" in err
    holder = Store(out)
    holder.lock()  # as if another `cogov batch` were writing there now
    try:
        assert main(["batch", str(exp), "--out", str(out), "--workers", "1"]) == 2
        assert "is writing to this folder right now" in capsys.readouterr().err
    finally:
        holder.close()
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "notes.txt").write_text("mine")
    assert main(["batch", str(exp), "--out", str(tmp_path / "junk"), "--workers", "1"]) == 2
    assert "is not a batch folder" in capsys.readouterr().err


def test_load_run_spec_replays_a_run_exactly(tmp_path: Path) -> None:
    exp = load_experiment(write(tmp_path, TINY + '[grid]\n"issues.rate" = [0.3, 0.6]\n'))
    res = run_batch(exp, tmp_path / "out", executors.Serial())
    row = res.runs.set_index("run_id").loc["committee.p1.r002"]
    sc, seed = load_run_spec(tmp_path / "out", "committee.p1.r002")
    assert seed == row["seed"] and sc["issues.rate"] == 0.6 and sc["run.days"] == 30
    replay = api.run(sc, seed=seed).summary
    assert all(replay[k] == row[k] or (math.isnan(replay[k]) and math.isnan(row[k])) for k in replay)
    with pytest.raises(Exception, match="did you mean 'committee.p1.r002'"):
        load_run_spec(tmp_path / "out", "committee.p1.r02")


def test_evaluate_ishigami_for_sensitivity_analysis() -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(-math.pi, math.pi, (64, 3))
    df = evaluate(ishigami, [dict(zip(("x1", "x2", "x3"), x, strict=True)) for x in X])
    expected = np.sin(X[:, 0]) + 7 * np.sin(X[:, 1]) ** 2 + 0.1 * X[:, 2] ** 4 * np.sin(X[:, 0])
    assert np.allclose(df["y"].to_numpy(), expected) and (df["status"] == "ok").all()
    cog = evaluate("cogov", [{"issues.rate": 0.3}, {"issues.rate": 0.6}], scenario="committee",
                   replications=2, seed=3, executor=executors.Serial())
    assert len(cog) == 4 and list(cog["point"]) == [0, 0, 1, 1]
