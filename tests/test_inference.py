"""History matching and ABC-SMC (cogov_sim.inference): the algorithm against an exact
posterior, implausibility cuts on a known function, the parameters recovered from synthetic
targets made by the model itself, resume, and bad input."""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cogov_sim.batch import executors
from cogov_sim.errors import InputError
from cogov_sim.inference import abc, history, pipeline, posterior
from cogov_sim.inference.spec import Prior, Spec, load_spec, parse
from cogov_sim.scenario import load
from cogov_sim.stats import replication_seeds
from cogov_sim.validation import patterns as pat
from cogov_sim.validation.runs import pattern_run

ROOT = Path(__file__).resolve().parents[1]


def test_abc_smc_matches_an_exact_posterior():
    """θ ~ U(0, 1), y ~ N(θ, 0.1²), y_obs = 0.4: the posterior is N(0.4, 0.1²) (the prior's
    truncation is 3 sd away). ABC-SMC with a shrinking ε gets its mean and sd."""
    rng = np.random.default_rng(3)

    def distances(_stage, U):
        return np.abs(U[:, 0] + rng.normal(0, 0.1, len(U)) - 0.4)

    start = abc.uniform(1, 2000, 1)
    last, log = abc.smc(1, distances, lambda U: np.ones(len(U), bool), start, 500, 2000, 5, 2)
    mean = float(np.sum(last.weights * last.U[:, 0]))
    sd = float(np.sqrt(np.sum(last.weights * (last.U[:, 0] - mean) ** 2)))
    assert abs(mean - 0.4) < 0.02
    assert 0.08 < sd < 0.125  # ε > 0 widens it a little
    assert [g["epsilon"] for g in log] == sorted((g["epsilon"] for g in log), reverse=True)
    assert last.ess > 100


def test_weights_undo_the_proposal():
    """Particles proposed from a lopsided previous generation get weights that make the
    weighted sample uniform again (all accepted: the posterior is the prior)."""
    rng = np.random.default_rng(0)
    prev = abc.Generation(rng.beta(2, 5, (400, 1)), np.full(400, 1 / 400), np.zeros(400), 1, 400)
    U = abc.propose(prev, 20_000, lambda u: np.ones(len(u), bool), rng)
    w = abc.weights(U, prev)
    assert np.mean(U[:, 0]) < 0.4  # the proposal is lopsided
    assert abs(np.sum(w * U[:, 0]) - 0.5) < 0.03  # the weighted sample is not


def _known(name: str, low: float, high: float, scale: float, measure: str = "y"):
    base = pat.by_name()["chengdu_requests"]
    return dataclasses.replace(base, name=name, target=(low + high) / 2, low=low, high=high,
                               scale=scale, scenario="x", measure=measure)


def test_history_matching_keeps_the_truth_and_rules_out_the_rest():
    """Two outputs of a known function with noise; after two waves the region holds the
    parameter set that made the targets and excludes the far corners."""
    rng = np.random.default_rng(1)
    b = history.Box(["a", "b"], np.zeros(2), np.ones(2))
    targets = (_known("t1", 0.49, 0.51, 0.02, "y1"), _known("t2", 0.29, 0.31, 0.02, "y2"))

    def simulate(_stage, points):
        X = np.array([[p["a"], p["b"]] for p in points])
        return pd.DataFrame({"t1": X[:, 0] + rng.normal(0, 0.03, len(X)),
                             "t2": X[:, 0] * X[:, 1] * 2 + rng.normal(0, 0.03, len(X))})

    waves, log = history.match(b, targets, simulate, 2, 60, 3.0, 1, 4)
    truth = np.array([[0.5, 0.3]])
    assert history.not_implausible(waves, truth).all()
    assert not history.not_implausible(waves, np.array([[0.05, 0.9], [0.95, 0.95]])).any()
    assert 0 < log[-1]["region"] < 0.3


def _tiny(sc_name: str = "committee"):
    return load(sc_name).with_overrides({"community.residents": 1000, "run.days": 180})


def test_recovers_known_parameters_from_synthetic_targets(tmp_path):
    """Targets made by the model itself at known values (issues.rate 0.35, solve share 0.72;
    mean of 8 runs): the posterior's 90% intervals cover both and are narrower than the
    priors. Run again on the same folder, nothing runs and the posterior is the same.
    九龙治水 (no rating moves the departments' solve shares, so the start value shows)."""
    sc = _tiny("fragmented")
    truth = {"issues.rate": 0.35, "departments.solve_share": 0.72}
    runs = [pattern_run(truth, s, scenario=sc) for s in replication_seeds(99, 8)]
    reports = float(np.mean([r["reports_per_capita"] for r in runs]))
    solved = float(np.mean([r["solved_rate"] for r in runs]))
    base = pat.by_name()
    targets = (
        dataclasses.replace(base["chengdu_requests"], low=reports - 0.005, high=reports + 0.005,
                            target=reports, scale=0.02, scenario="fragmented"),
        dataclasses.replace(base["chengdu_resolution"], low=solved - 0.005, high=solved + 0.005,
                            target=solved, scale=0.03, scenario="fragmented"),
    )
    spec = Spec("synthetic", "", 7, {"issues.rate": Prior(0.15, 0.6, "test"),
                                     "departments.solve_share": Prior(0.5, 0.9, "test")},
                targets, {"fragmented": sc}, waves=1, points=40, cut=3.0, rank=1,
                particles=25, proposals=60, generations=3, arms=("fragmented", "committee"),
                draws=0, replications=2, check_draws=0)
    ex = executors.make(2)
    try:
        rec = pipeline.infer(spec, tmp_path, ex, say=lambda s: None)
        again = pipeline.infer(spec, tmp_path, ex, say=lambda s: None)
    finally:
        ex.close()
    rows = {r["parameter"]: r for r in rec["summary"]}
    for k, v in truth.items():
        assert rows[k]["q05"] <= v <= rows[k]["q95"], (k, rows[k])
        assert rows[k]["width_share"] < 0.6, (k, rows[k])
    assert rec["runs"] == 40 + 3 * 60 and again["ran_now"] == 0
    post = posterior.read(tmp_path)
    assert post.parameters == list(truth)
    assert abs(post.particles["weight"].sum() - 1) < 1e-9
    pd.testing.assert_frame_equal(post.particles, pd.read_csv(tmp_path / "posterior.csv"))


SMALL = """name = "small"
seed = 3
targets = ["chengdu_requests", "nyc_within7"]
[set]
"community.residents" = 600
[parameters."issues.rate"]
range = [0.15, 0.6]
source = "test"
[history]
waves = 1
points = 12
[abc]
particles = 10
proposals = 12
generations = 2
[check]
draws = 2
replications = 1
[headline]
draws = 2
replications = 2
"""


def test_cli_pipeline_writes_everything_and_resumes(tmp_path):
    """The whole pipeline through the command line on a small community: posterior, the
    predictive check of every pattern (held out apart), the headline with both intervals;
    run again, nothing runs; `--show` prints it back."""
    f = tmp_path / "small.toml"
    f.write_text(SMALL)
    out = tmp_path / "post"
    cmd = [sys.executable, "-m", "cogov_sim.cli", "infer", str(f), "--out", str(out),
           "--workers", "2"]
    first = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "posterior predictive, held out:" in first.stdout
    assert "(run to run only); over the posterior" in first.stdout
    post = posterior.read(out)
    assert post.meta["set"] == {"community.residents": 600}
    pred = pd.read_csv(out / "predictive.csv")
    assert set(pred["role"]) == {"calibration", "held-out"}
    assert set(pred["pattern"]) == {p.name for p in pat.PATTERNS if p.role != "input"}
    assert (out / "headline" / "headline.json").exists()
    runs = pd.read_parquet(out / "headline" / "runs.parquet")
    assert set(runs["scenario"]) == {"fragmented", "committee"} and len(runs) == 12
    again = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert again.returncode == 0 and "(0 now)" in again.stdout
    shown = subprocess.run([sys.executable, "-m", "cogov_sim.cli", "infer", "--show", str(out)],
                           capture_output=True, text=True, cwd=ROOT)
    assert shown.returncode == 0
    assert shown.stdout.strip() == first.stdout.split("\n", 1)[1].rsplit("\nresults:", 1)[0].strip()


def test_shipped_posterior_is_current_and_complete():
    """The committed posterior was made from the shipped file and scenarios as they are now,
    and carries the predictive counts and the headline with both intervals."""
    from cogov_sim.inference.cli import stale

    for folder in (ROOT / "results/posterior", ROOT / "cogov_sim/data/results/posterior"):
        post = posterior.read(folder)
        assert stale(post.meta) == []
        assert post.meta["file_sha256"] == hashlib.sha256(load_spec("infer").text.encode()
                                                          ).hexdigest()
        assert set(post.meta["predictive"]) == {"calibration", "held-out"}
        d = next(iter(post.meta["headline"]["differences"].values()))
        assert d["interval_low"] <= d["posterior_diff"] <= d["interval_high"]
    assert posterior.read(ROOT / "results/posterior").meta == \
        posterior.read(ROOT / "cogov_sim/data/results/posterior").meta


def test_shipped_file_is_valid():
    spec = load_spec("infer")
    assert {p.name for p in spec.targets} == {p.name for p in pat.targets()}
    assert all(p.source for p in spec.priors.values())
    assert spec.runs()["history"] == spec.waves * spec.points * len(spec.scenarios)


@pytest.mark.parametrize("doc, key, words", [
    ({"parameters": {"issues.rat": {"range": [0.1, 0.2], "source": "x"}}},
     "parameters.issues.rat", "did you mean 'issues.rate'"),
    ({"parameters": {"issues.rate": {"range": [0.3, 0.2], "source": "x"}}},
     "parameters.issues.rate.range", "low < high"),
    ({"parameters": {"issues.rate": {"range": [0.1, 0.2]}}},
     "parameters.issues.rate.source", "say where the range comes from"),
    ({"parameters": {"issues.rate": {"range": [0.1, 0.2], "source": "x"}},
      "targets": ["chengdu_satisfaction"]}, "targets", "is not a calibration target"),
    ({"parameters": {"issues.rate": {"range": [0.1, 0.2], "source": "x"}},
      "abc": {"particles": 50, "proposals": 20}}, "abc.proposals", ">= abc.particles"),
    ({"parameters": {"issues.rate": {"range": [0.1, 0.2], "source": "x"}},
      "history": {"wave": 2}}, "history.wave", "did you mean 'waves'"),
])
def test_bad_input_names_file_key_and_what_is_allowed(doc, key, words):
    with pytest.raises(InputError) as e:
        parse(doc, "my.toml")
    assert e.value.key == key and words in str(e.value) and str(e.value).startswith("my.toml")


def test_cli_bad_file_exits_2_without_traceback(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text('[parameters."issues.rate"]\nrange = [0.1, 0.2]\nsource = "x"\n[abc]\n'
                 'particles = 0\n')
    r = subprocess.run([sys.executable, "-m", "cogov_sim.cli", "infer", str(f), "--out",
                        str(tmp_path / "o")], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "abc.particles" in r.stderr and str(f) in r.stderr


def test_posterior_folder_errors(tmp_path):
    with pytest.raises(InputError, match="not a posterior folder"):
        posterior.read(tmp_path)
    post = posterior.read(ROOT / "tests/data/posterior-example")
    draws = post.draws(1000, 3)
    assert len(draws) == 1000 and set(draws[0]) == set(post.parameters)
