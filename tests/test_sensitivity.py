"""Sensitivity sweeps: the whole pipeline (SALib design -> batch engine -> SALib analysis)
recovers known answers, resumes after a kill with identical indices, and rejects bad files."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from cogov_sim.batch import executors, run_batch
from cogov_sim.cli import main
from cogov_sim.sensitivity.analyse import analyse
from cogov_sim.sensitivity.sweep import load_sweep

HERE = Path(__file__).parent
PI = math.pi
# Ishigami with a = 7, b = 0.1: analytic first-order and total Sobol' indices
S1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
ST = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}


def _write(tmp_path: Path, text: str, name: str = "sweep.toml") -> Path:
    f = tmp_path / name
    f.write_text(text)
    return f


ISHIGAMI = f"""
name = "ishigami"
model = "{{model}}"
seed = 3
[sweep]
method = "{{method}}"
n = {{n}}
[parameters]
x1 = [{-PI}, {PI}]
x2 = [{-PI}, {PI}]
x3 = [{-PI}, {PI}]
"""


def _run(sweep_file: Path, out: Path) -> list:
    sweep = load_sweep(sweep_file)
    X = sweep.design()
    res = run_batch(sweep.experiment(X), out, executors.Serial())
    return analyse(sweep, X, res.runs)


def test_pipeline_recovers_ishigami_sobol_indices(tmp_path: Path) -> None:
    f = _write(tmp_path, ISHIGAMI.format(model="ishigami", method="sobol", n=1024))
    (r,) = _run(f, tmp_path / "out")
    idx = r.indices
    for k in S1:
        assert abs(idx.loc[k, "S1"] - S1[k]) <= idx.loc[k, "S1_conf"] + 0.01, (k, idx.loc[k])
        assert abs(idx.loc[k, "ST"] - ST[k]) <= idx.loc[k, "ST_conf"] + 0.01, (k, idx.loc[k])
    assert r.half_change < 0.1 and not r.warnings


def test_pipeline_morris_ranks_ishigami(tmp_path: Path) -> None:
    f = _write(tmp_path, ISHIGAMI.format(model="ishigami", method="morris", n=40))
    (r,) = _run(f, tmp_path / "out")
    mu = r.indices["mu_star"]
    assert mu["x1"] > mu["x3"] and mu["x2"] > mu["x3"]
    assert r.indices["sigma"]["x3"] > 0  # x3 acts only through its interaction with x1


def test_replicate_noise_is_separated_from_parameters(tmp_path: Path) -> None:
    text = """
name = "noisy"
model = "sweep_models:noisy_linear"
replications = 4
seed = 2
[sweep]
method = "sobol"
n = 128
[parameters]
a = [0.0, 1.0]
b = [0.0, 1.0]
"""
    sys.path.insert(0, str(HERE))
    try:
        (r,) = _run(_write(tmp_path, text), tmp_path / "out")
    finally:
        sys.path.remove(str(HERE))
    # parameter variance 4/12 + 1/12 = 0.417, noise 0.25: noise share ~ 0.25 / 0.667
    assert 0.28 < r.noise_share < 0.46
    # noise left in means of 4: 0.0625 / (0.417 + 0.0625)
    assert 0.06 < r.noise_in_means < 0.2
    # on replicate means a explains ~ 4x what b does
    assert r.indices.loc["a", "ST"] > 2.5 * r.indices.loc["b", "ST"]


def _sweep_cmd(f: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "cogov_sim.cli", "sweep", str(f), "--out", str(out),
            "--workers", "1"]


def test_kill_and_resume_gives_identical_indices(tmp_path: Path) -> None:
    f = _write(tmp_path, ISHIGAMI.format(model="sweep_models:slow_ishigami", method="sobol", n=64))
    env = {**os.environ, "PYTHONPATH": str(HERE)}
    whole, part = tmp_path / "whole", tmp_path / "part"
    subprocess.run(_sweep_cmd(f, whole), env=env, check=True, capture_output=True)
    proc = subprocess.Popen(_sweep_cmd(f, part), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline and not list((part / "runs").glob("*.parquet")):
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (part / "sensitivity").exists()  # it really died before finishing
    subprocess.run(_sweep_cmd(f, part), env=env, check=True, capture_output=True)
    a = pd.read_csv(whole / "sensitivity" / "indices.csv")
    b = pd.read_csv(part / "sensitivity" / "indices.csv")
    pd.testing.assert_frame_equal(a, b)


def test_shipped_sweeps_are_valid() -> None:
    for name, method in (("sweep-advantage", "emulator"), ("sweep-participation", "sobol")):
        s = load_sweep(HERE.parent / "experiments" / f"{name}.toml")
        assert s.method.name == method and len(s.bounds) >= 6
        first = s.method.runs(len(s.bounds), s.n) * s.replications * len(s.scenarios)
        assert s.stage_runs()[0] == first and s.runs() == first + s.stage_runs()[1]
    adv = load_sweep(HERE.parent / "experiments" / "sweep-advantage.toml")
    assert adv.contrast == ("fragmented", "committee") and adv.name == "sweep-advantage"
    # the time outputs are censoring-aware (docs/time.md), not the closed-only mean
    assert not any(o.endswith(("resolution_mean_days", "resolution_p90_days"))
                   for o in adv.outputs)


def test_shipped_advantage_result_matches_its_sweep_file() -> None:
    """The committed results folder was produced by the shipped file (same text), and its
    report says per output whether it converged, with the numbers that decide it."""
    folder = HERE.parent / "results" / "sweep-advantage"
    if not (folder / "sensitivity" / "convergence.csv").exists():
        pytest.skip("results/sweep-advantage not present")
    shipped = (HERE.parent / "experiments" / "sweep-advantage.toml").read_text()
    assert (folder / "experiment.toml").read_text() == shipped
    conv = pd.read_csv(folder / "sensitivity" / "convergence.csv")
    s = load_sweep(HERE.parent / "experiments" / "sweep-advantage.toml")
    assert list(conv["output"]) == list(s.outputs)
    from cogov_sim.sensitivity.analyse import CI_WIDEST, CONVERGED

    ok = (conv["max_half_change"] < CONVERGED) & (conv["max_ci_halfwidth"] <= CI_WIDEST)
    assert (conv["converged"] == ok).all()
    report = (folder / "sensitivity" / "report.md").read_text()
    assert "PRIM" in report and "Emulator validation" in report
    assert ("Converged for every output" in report) == bool(conv["converged"].all())


def test_log_outputs_are_log_ratios_of_the_contrast() -> None:
    """'log:KEY' in a contrast is log(first) - log(second), per point and replication; a
    value that cannot be logged is refused in one line naming the output."""
    from types import SimpleNamespace

    from cogov_sim.errors import InputError
    from cogov_sim.sensitivity.analyse import replicate_values

    runs = pd.DataFrame({"point": [0, 0, 1, 1], "replication": [0, 0, 0, 0],
                         "scenario": ["a", "b", "a", "b"], "t": [20.0, 10.0, 5.0, 10.0],
                         "status": "ok"})
    sw = SimpleNamespace(contrast=("a", "b"), source="x.toml")
    logged = replicate_values(sw, runs, "log:t")[0].to_numpy()
    assert logged == pytest.approx([math.log(2), math.log(0.5)])
    assert replicate_values(sw, runs, "t")[0].tolist() == [10.0, -5.0]
    with pytest.raises(InputError, match="cannot be logged"):
        replicate_values(sw, runs.assign(t=[1.0, 0.0, 1.0, 1.0]), "log:t")


def test_convergence_is_per_output_and_never_claimed_when_not_met() -> None:
    from cogov_sim.sensitivity import analyse as an

    sweep = load_sweep(HERE.parent / "experiments" / "sweep-participation.toml")
    idx = pd.DataFrame({"S1": [0.5, 0.1], "S1_conf": [0.05, 0.02], "ST": [0.6, 0.1],
                        "ST_conf": [0.06, 0.02]}, index=["a", "b"])
    good = an.OutputResult("x", idx, 0.1, 0.05, 0.03)
    moved = an.OutputResult("y", idx, 0.1, 0.05, 0.06)  # an index moved by 0.06 >= 0.05
    wide = an.OutputResult("z", idx.assign(S1_conf=[0.12, 0.02]), 0.1, 0.05, 0.01)
    for r in (good, moved, wide):
        r.warnings = an._warnings(sweep, r)
    conv = an.convergence_table([good, moved, wide])
    assert conv["converged"].tolist() == [True, False, False]
    assert conv["max_ci_halfwidth"].tolist() == [0.06, 0.06, 0.12]
    assert "Converged for every output" in an.plain_summary(sweep, [good])
    text = an.plain_summary(sweep, [good, moved, wide])
    assert "NOT converged for `y`, `z`" in text and "Converged for every" not in text


@pytest.mark.parametrize(("body", "key", "says"), [
    ('[sweep]\nmethod = "sobol"\nn = 16\n[parameters]\n"issues.rat" = [0.1, 0.2]\n'
     '"departments.staff_per_10000" = [18, 24]\n', "parameters.issues.rat", "did you mean 'issues.rate'"),
    ('[sweep]\nmethod = "sobol"\nn = 16\n[parameters]\n"issues.rate" = [0.1, 50.0]\n'
     '"departments.staff_per_10000" = [18, 24]\n', "parameters.issues.rate", "outside the allowed range"),
    ('[sweep]\nmethod = "sobl"\nn = 16\n[parameters]\n"issues.rate" = [0.1, 0.2]\n'
     '"departments.staff_per_10000" = [18, 24]\n', "sweep.method", "did you mean 'sobol'"),
    ('[sweep]\nmethod = "sobol"\nn = 20\n[parameters]\n"issues.rate" = [0.1, 0.2]\n'
     '"departments.staff_per_10000" = [18, 24]\n', "sweep.n", "power of 2"),
    ('[sweep]\nmethod = "sobol"\nn = 16\n[parameters]\n"mechanisms.sanshe" = [0, 1]\n'
     '"departments.staff_per_10000" = [18, 24]\n', "parameters.mechanisms.sanshe", "varies numbers only"),
    ('outputs = ["participation_meen"]\n[sweep]\nmethod = "sobol"\nn = 16\n[parameters]\n'
     '"issues.rate" = [0.1, 0.2]\n"departments.staff_per_10000" = [18, 24]\n', "outputs",
     "did you mean 'participation_mean'"),
    ('contrast = ["fragmented", "committee"]\n[sweep]\nmethod = "sobol"\nn = 16\n'
     '[parameters]\n"issues.rate" = [0.1, 0.2]\n"departments.staff_per_10000" = [18, 24]\n', "contrast",
     "not both"),
    ('outputs = ["log:resolution_rmst_dys"]\n[sweep]\nmethod = "emulator"\nn = 16\n'
     '[parameters]\n"issues.rate" = [0.1, 0.2]\n"departments.staff_per_10000" = [18, 24]\n', "outputs",
     "did you mean 'resolution_rmst_days'"),
])
def test_bad_sweep_files_exit_2_with_one_line(tmp_path: Path, capsys, body: str, key: str,
                                              says: str) -> None:
    f = _write(tmp_path, 'scenario = "committee"\n' + body)
    assert main(["sweep", str(f), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(f) in err[0] and key in err[0] and says in err[0], err


def test_estimate_prints_runs_and_time(tmp_path: Path, capsys) -> None:
    f = _write(tmp_path, ISHIGAMI.format(model="ishigami", method="sobol", n=64))
    assert main(["sweep", str(f), "--estimate", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "320 runs" in out and "Estimated time" in out and "Emulator fitting" not in out


def test_estimate_includes_the_emulators_fitting(tmp_path: Path, capsys) -> None:
    """The emulator's fits (bootstrap refits, cross-validation, half-design refit) are timed
    on this machine and added to the runs' time."""
    from cogov_sim.sensitivity import cli as scli

    f = _write(tmp_path, ISHIGAMI.format(model="ishigami", method="emulator", n=64))
    sweep = load_sweep(f)
    e = scli.estimate(sweep, sweep.design(), executors.Serial())
    assert e["fit_s"] > 0
    assert e["seconds"] == pytest.approx(e["runs"] / e["runs_per_s"] + e["startup_s"] + e["fit_s"])
    assert main(["sweep", str(f), "--estimate", "--workers", "1"]) == 0
    assert "Emulator fitting" in capsys.readouterr().out


def test_bad_outputs_fail_before_any_run_even_with_estimate(tmp_path: Path, capsys) -> None:
    f = _write(tmp_path, 'outputs = ["z"]' + ISHIGAMI.format(model="ishigami", method="sobol",
                                                               n=64))
    assert main(["sweep", str(f), "--estimate", "--workers", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "outputs" in err[0] and err[0].endswith("the model gives: y")


def test_indices_that_cannot_be_are_flagged_and_not_summed() -> None:
    from cogov_sim.sensitivity.analyse import OutputResult, impossible, plain_summary

    idx = pd.DataFrame({"S1": [1.56, 0.2, 0.1], "S1_conf": [0.1, 0.05, 0.05],
                        "ST": [1.28, 0.3, 0.1], "ST_conf": [0.1, 0.05, 0.05]},
                       index=["a", "b", "c"])
    assert impossible(idx) == ["a"]
    ok = idx.loc[["b", "c"]]
    assert impossible(ok) == []
    neg = pd.DataFrame({"S1": [-0.4], "S1_conf": [0.1], "ST": [0.2], "ST_conf": [0.1]},
                       index=["d"])
    assert impossible(neg) == ["d"]
    # a dial that does nothing, on an emulator: a rounding-sized miss with a tinier CI is zero
    null = pd.DataFrame({"S1": [-5e-5], "S1_conf": [4e-5], "ST": [2e-7], "ST_conf": [1e-7]},
                        index=["e"])
    assert impossible(null) == []
    sweep = load_sweep(HERE.parent / "experiments" / "sweep-participation.toml")
    r = OutputResult("participation_mean", idx, 0.1, 0.05, 0.01, impossible=impossible(idx))
    from cogov_sim.sensitivity import analyse as an

    r.warnings = an._warnings(sweep, r)
    text = plain_summary(sweep, [r])
    assert "explain about" not in text and "cannot be" in text
    assert "large enough" not in text


def test_per_arm_parameters_vary_in_their_own_scenario_only(tmp_path: Path, capsys) -> None:
    from cogov_sim.batch import models
    from cogov_sim.scenario import load

    pt = {"issues.multi_share": 0.1, "committee:issues.rate": 0.0, "fragmented:issues.rate": 2.0}
    assert models.for_scenario(pt, "committee") == {"issues.multi_share": 0.1, "issues.rate": 0.0}
    assert models.for_scenario(pt, "fragmented") == {"issues.multi_share": 0.1, "issues.rate": 2.0}
    days = {"run.days": 40}
    quiet = models.cogov(pt, 1, scenario=load("committee", days)).summary
    busy = models.cogov(pt, 1, scenario=load("fragmented", days)).summary
    assert quiet["all_issues"] == 0 and busy["all_issues"] > 100
    body = ('contrast = ["fragmented", "committee"]\n[sweep]\nmethod = "sobol"\nn = 16\n'
            '[parameters]\n"committe:issues.rate" = [0.1, 0.2]\n"departments.staff_per_10000" = [18, 24]\n')
    f = _write(tmp_path, body)
    assert main(["sweep", str(f), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'committee'" in err and "parameters.committe:issues.rate" in err
    s = load_sweep(HERE.parent / "experiments" / "sweep-advantage.toml")
    arms = {k.rpartition(":")[0] for k in s.bounds}
    assert arms == {"", "fragmented", "committee"}
    assert not any(k.startswith("fragmented:") and k.split(":")[1].startswith(
        ("committee.", "mechanisms.", "grid.", "supervision.")) for k in s.bounds)


def test_emulator_recovers_noisy_ishigami_within_ci_at_a_small_budget(tmp_path: Path) -> None:
    """A stochastic model (Ishigami + noise, sd 1): 256 design points x 2 replications = 512
    runs, Sobol' indices of the mean through a Gaussian-process emulator, within their CIs of
    the analytic values; the emulator validates (held-out Q², interval coverage). Plain
    Saltelli sampling needs 1024 x 5 = 5,120 runs for the same indices of the noise-free
    function (test above)."""
    import sys

    sys.path.insert(0, str(HERE))
    text = ISHIGAMI.format(model="sweep_models:noisy_ishigami", method="emulator", n=256)
    f = _write(tmp_path, text.replace("seed = 3", "seed = 3\nreplications = 2"))
    sweep = load_sweep(f)
    assert sweep.runs() == 512
    (r,) = _run(f, tmp_path / "out")
    idx, em = r.indices, r.indices.attrs["emulator"]
    # the noise left in the means (0.5 of 14.3) caps Q² at 0.97; 0.8 is what the report asks
    assert em["q2"] > 0.8 and 0.85 <= em["coverage"] <= 1.0, em
    for k in S1:
        assert abs(idx.loc[k, "S1"] - S1[k]) <= idx.loc[k, "S1_conf"] + 0.02, (k, idx.loc[k])
        assert abs(idx.loc[k, "ST"] - ST[k]) <= idx.loc[k, "ST_conf"] + 0.02, (k, idx.loc[k])
        assert idx.loc[k, "ST_conf"] < 0.1
    assert not r.impossible
    # convergence: the emulator refitted on the first 128 points gives the same indices
    assert 0 <= r.half_change < 0.05, r.half_change


def test_reanalyse_runs_nothing_and_rewrites_the_report(tmp_path: Path, capsys) -> None:
    """`--reanalyse` analyses the runs a folder holds (a committed folder keeps runs.parquet
    but not the journal a resumed sweep skips from): no run, the report written again; a
    folder of another experiment is refused with one message and exit 2."""
    f = _write(tmp_path, ISHIGAMI.format(model="ishigami", method="sobol", n=16))
    out = tmp_path / "o"
    assert main(["sweep", str(f), "--out", str(out), "--workers", "1"]) == 0
    report = out / "sensitivity" / "report.md"
    report.unlink()
    mtime = (out / "runs.parquet").stat().st_mtime_ns
    capsys.readouterr()
    assert main(["sweep", str(f), "--out", str(out), "--reanalyse"]) == 0
    err = capsys.readouterr().err
    assert "analysing the 80 runs stored" in err and "cogov batch:" not in err, err
    assert report.exists() and (out / "runs.parquet").stat().st_mtime_ns == mtime
    g = _write(tmp_path, ISHIGAMI.format(model="ishigami", method="sobol", n=32), "other.toml")
    assert main(["sweep", str(g), "--out", str(out), "--reanalyse"]) == 2
    assert "holds the runs of another experiment" in capsys.readouterr().err
