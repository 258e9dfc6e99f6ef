"""Crash safety for real: `kill -9` a running `cogov batch` subprocess, run it again, and get
a runs table (and issue ledgers) identical to an uninterrupted batch's, row for row."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pyarrow.parquet as pq

from cogov_sim.batch import executors, load_experiment, run_batch
from cogov_sim.batch.store import VOLATILE

EXP = """
name = "crash"
scenarios = ["fragmented", "committee", "whistle"]
replications = 40
seed = 3
days = 60
keep = ["summary", "issues"]
[set]
"community.residents" = 1000
"run.warmup_days" = 5
"""


def session_processes(sid: int) -> list[psutil.Process]:
    out = []
    for p in psutil.process_iter():
        try:
            if os.getsid(p.pid) == sid:
                out.append(p)
        except (ProcessLookupError, psutil.NoSuchProcess):
            pass
    return out


def batch(exp: Path, out: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "cogov_sim.cli", "batch", str(exp), "--out", str(out),
                             "--workers", "2", "--interval", "0.5", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def stable(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=list(VOLATILE)).sort_values("run_id").reset_index(drop=True)


def test_kill_9_then_resume_equals_uninterrupted(tmp_path: Path) -> None:
    exp = tmp_path / "crash.toml"
    exp.write_text(EXP)
    out = tmp_path / "killed"
    proc = batch(exp, out, "--chunk", "2")
    try:
        deadline = time.monotonic() + 60
        while len(list((out / "runs").glob("part-*.parquet"))) < 4:
            assert proc.poll() is None, ("the batch ended before it could be killed", proc.communicate())
            assert time.monotonic() < deadline
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        assert not (out / "runs.parquet").exists(), "the batch finished before it was killed"
        # the workers notice their driver is gone and exit by themselves
        deadline = time.monotonic() + 15
        while session_processes(proc.pid):
            assert time.monotonic() < deadline, session_processes(proc.pid)
            time.sleep(0.2)
        # the resource tracker frees the dead driver's semaphores without alarming anyone
        _, err = proc.communicate(timeout=30)
        assert "leaked semaphore" not in err, err
    finally:
        for p in session_processes(proc.pid):
            p.kill()
    # nothing left corrupt: every file there is complete
    json.loads((out / "manifest.json").read_text())
    stored = 0
    for f in out.rglob("*.parquet"):
        t = pq.read_table(f)
        stored += t.num_rows if f.parent.name == "runs" else 0
    assert 0 < stored < 120

    again = batch(exp, out)
    stdout, stderr = again.communicate(timeout=120)
    assert again.returncode == 0, stdout + stderr
    assert f"120 runs planned, {stored} already stored, {120 - stored} run now" in stdout, stdout

    ref = tmp_path / "uninterrupted"
    res = run_batch(load_experiment(exp), ref, executors.Serial())
    assert res.ok == 120
    resumed = pd.read_parquet(out / "runs.parquet")
    assert resumed["run_id"].is_unique and len(resumed) == 120
    pd.testing.assert_frame_equal(stable(resumed), stable(pd.read_parquet(ref / "runs.parquet")))
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "issues").sort_values(["run_id", "issue"]).reset_index(drop=True),
        pd.read_parquet(ref / "issues").sort_values(["run_id", "issue"]).reset_index(drop=True))
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["sessions"]) == 2 and manifest["finished"]
    assert manifest["counts"] == {"planned": 120, "ok": 120, "failed": 0}
