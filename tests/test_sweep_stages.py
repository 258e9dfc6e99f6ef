"""A sweep's second stage (stochastic kriging's two stages, Ankenman, Nelson & Staum 2010): the
emulator finds where a run is noisiest, those points are run again, and the emulator's mean
there -- and its held-out validation -- gets better; the extra runs are the very runs a design
replicated throughout would have made there."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cogov_sim.batch import executors, run_batch
from cogov_sim.batch.plan import expand
from cogov_sim.cli import main
from cogov_sim.sensitivity.analyse import analyse
from cogov_sim.sensitivity.sweep import load_sweep

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

TIPPING = """
name = "tipping"
model = "sweep_models:tipping"
seed = 7
outputs = {outputs}
[sweep]
method = "emulator"
n = {n}
{stage}
[parameters]
a = [0.0, 1.0]
b = [0.0, 1.0]
c = [0.0, 1.0]
"""
STAGE = "replicate_share = 0.25\nreplicate_to = 6"


def _file(tmp_path: Path, n: int = 128, stage: str = STAGE, outputs: str = '["y"]',
          name: str = "tipping.toml") -> Path:
    f = tmp_path / name
    f.write_text(TIPPING.format(n=n, stage=stage, outputs=outputs))
    return f


def test_the_second_stage_runs_the_noisy_points_and_the_emulator_validates_better(
        tmp_path: Path, capsys) -> None:
    """Through `cogov sweep`: the chosen points are where the model tips (a > 0.7), the
    held-out Q² rises against the first stage alone, the report says what the second stage
    did, a rerun runs nothing, and `--reanalyse` reads both stages."""
    f = _file(tmp_path)
    sweep = load_sweep(f)
    assert sweep.stage_runs() == (128, 32 * 5)
    out = tmp_path / "o"
    assert main(["sweep", str(f), "--out", str(out), "--workers", "1"]) == 0
    chosen = pd.read_csv(out / "replicate.csv")
    X = sweep.design()
    assert len(chosen) == 32 and np.mean(X[chosen["point"], 0] > 0.7) >= 0.8, chosen
    conv = pd.read_csv(out / "sensitivity" / "convergence.csv").set_index("output")
    one = load_sweep(_file(tmp_path, stage="", name="one.toml"))
    first = pd.read_parquet(out / "runs.parquet")
    (alone,) = analyse(one, X, first)
    q_both, q_one = conv.loc["y", "q2"], alone.indices.attrs["emulator"]["q2"]
    assert q_both > q_one + 0.05, (q_both, q_one)
    report = (out / "sensitivity" / "report.md").read_text()
    assert "A second stage ran the 32 points where a run was noisiest 6 times" in report
    assert "second stage: the 32 points" in report and "160 runs in `replicate/`" in report
    capsys.readouterr()
    assert main(["sweep", str(f), "--out", str(out), "--workers", "1"]) == 0
    err = capsys.readouterr().err
    assert "the 32 points chosen earlier" in err and "ran 0 now" in err, err
    assert main(["sweep", str(f), "--out", str(out), "--reanalyse"]) == 0
    assert "analysing the 288 runs stored" in capsys.readouterr().err
    again = pd.read_csv(out / "sensitivity" / "convergence.csv").set_index("output")
    assert again.loc["y", "q2"] == q_both


def test_second_stage_runs_are_the_replicated_designs_runs(tmp_path: Path) -> None:
    """Replications 1 to 5 of the chosen points carry the seeds, and give the outputs, that a
    design of 6 replications throughout gives at those points (common random numbers across
    points, as in the first stage)."""
    sweep = load_sweep(_file(tmp_path, n=16, stage="replicate_share = 0.25\nreplicate_to = 3"))
    X = sweep.design()
    chosen = np.array([2, 5, 11, 13])
    two = sweep.stage_two(X, chosen)
    plan = expand(two)
    assert {r.replication for r in plan.runs} == {1, 2} and len(plan.runs) == 8
    full = load_sweep(_file(tmp_path, n=16, stage="", name="full.toml").as_posix())
    full = type(full)(**{**full.__dict__, "replications": 3})
    whole = {(r.point, r.replication): r for r in expand(full.experiment(X)).runs}
    for r in plan.runs:
        twin = whole[(int(chosen[r.point]), r.replication)]
        assert (r.seed, r.overrides) == (twin.seed, twin.overrides)
    res = run_batch(two, tmp_path / "two", executors.Serial())
    ref = run_batch(full.experiment(X), tmp_path / "full", executors.Serial())
    got = res.runs.assign(point=chosen[res.runs["point"]]).set_index(["point", "replication"])
    want = ref.runs.set_index(["point", "replication"]).loc[got.index]
    assert np.array_equal(got["y"].to_numpy(), want["y"].to_numpy())


def test_two_outputs_are_analysed_side_by_side_and_name_themselves(tmp_path: Path,
                                                                   capfd) -> None:
    """An emulator's outputs are analysed in parallel processes with the same results as one
    by one, and each progress line names its output."""
    from cogov_sim.sensitivity import analyse as an

    f = _file(tmp_path, n=32, stage="", outputs='["y", "z"]')
    sweep = load_sweep(f)
    X = sweep.design()
    runs = run_batch(sweep.experiment(X), tmp_path / "o", executors.Serial()).runs
    side = an.analyse(sweep, X, runs, say=lambda m: print(m, file=sys.stderr))
    err = capfd.readouterr().err
    assert "emulator (y):" in err and "emulator (z):" in err, err
    if (os.cpu_count() or 1) > 1:
        assert "2 outputs at a time, one per core" in err
    for r in side:
        one = an._one(sweep, X, an.replicate_values(sweep, runs, r.output),
                      sweep.outputs.index(r.output) + 1, None)
        pd.testing.assert_frame_equal(r.indices, one.indices)
        assert r.indices.attrs == one.indices.attrs


@pytest.mark.parametrize(("stage", "key", "says"), [
    ("replicate_share = 0.2", "sweep.replicate_to", "needs both"),
    ("replicate_share = 1.5\nreplicate_to = 3", "sweep.replicate_share", "at most 1"),
    ("replicate_share = 0.001\nreplicate_to = 3", "sweep.replicate_share", "no design point"),
    ("replicate_share = 0.2\nreplicate_to = 1", "sweep.replicate_to", "from 2 to 100"),
    ("replicate_share = 0.2\nreplicate_to = true", "sweep.replicate_to", "from 2 to 100"),
])
def test_bad_second_stages_exit_2_with_one_line(tmp_path: Path, capsys, stage: str, key: str,
                                                says: str) -> None:
    f = _file(tmp_path, n=16, stage=stage)
    assert main(["sweep", str(f), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(f) in err[0] and key in err[0] and says in err[0], err


def test_a_second_stage_needs_the_emulator_and_more_replications(tmp_path: Path,
                                                                 capsys) -> None:
    f = tmp_path / "s.toml"
    f.write_text(TIPPING.format(n=16, stage=STAGE, outputs='["y"]').replace('"emulator"',
                                                                            '"sobol"'))
    assert main(["sweep", str(f), "--out", str(tmp_path / "o")]) == 2
    assert "applies to method 'emulator' only" in capsys.readouterr().err
    g = _file(tmp_path, n=16, stage="replicate_share = 0.2\nreplicate_to = 2")
    g.write_text(g.read_text().replace("seed = 7", "seed = 7\nreplications = 2"))
    assert main(["sweep", str(g), "--out", str(tmp_path / "o")]) == 2
    assert "is not above the sweep's 2 replications" in capsys.readouterr().err


def test_estimate_counts_the_second_stage_and_choosing_its_points(tmp_path: Path,
                                                                  capsys, monkeypatch) -> None:
    """`--estimate` counts both stages' runs and adds the time to choose the points (it times
    the real choice on the stand-in: counted here, not compared with a timing, which the
    machine's other work would make flaky)."""
    from cogov_sim.sensitivity import emulator

    f = _file(tmp_path, n=64)
    sweep = load_sweep(f)
    X = sweep.design()
    chose = []
    real = emulator.noisiest
    monkeypatch.setattr(emulator, "noisiest", lambda *a: chose.append(a[3]) or real(*a))
    assert emulator.Emulator().fit_seconds(sweep.problem, X, 1, 7) > 0 and chose == []
    assert emulator.Emulator().fit_seconds(sweep.problem, X, 1, 7, 0.25) > 0
    assert chose == [0.25]
    assert main(["sweep", str(f), "--estimate", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "a second stage of 16 points to 6 replications" in out and "-> 144 runs" in out, out
