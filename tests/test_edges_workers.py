"""Local workers as robust as Dask workers (issue 15): a worker process that dies loses only
its chunk, which is retried a bounded number of times and then recorded as failed with its
cause; every other run finishes; `--retry-failed` runs only that one. With a real pool."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from cogov_sim import cli


def kills_itself(overrides: dict[str, Any], seed: int, **_: Any) -> dict[str, float]:
    """SIGKILLs its own worker process at x = 0.5 while the marker file exists."""
    if overrides["x"] == 0.5 and Path(overrides["marker"]).exists():
        os.kill(os.getpid(), signal.SIGKILL)
    return {"y": overrides["x"] * 2}


@pytest.fixture(autouse=True)
def _no_git(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "git_commit", lambda: None)


def test_a_run_that_kills_its_worker_fails_alone_and_retry_failed_runs_only_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "kill"
    marker.touch()
    xs = [round(0.02 * i, 2) for i in range(45)]  # 45 points x 2 replications = 90 runs
    exp = tmp_path / "exp.toml"
    exp.write_text(f'model = "{__name__}:kills_itself"\nreplications = 2\n[set]\n'
                   f'marker = "{marker}"\n[grid]\nx = {xs}\n')
    out = tmp_path / "out"
    argv = ["batch", str(exp), "--out", str(out), "--workers", "2", "--chunk", "4",
            "--interval", "0"]
    assert cli.main(argv) == 1
    stdout, err = capsys.readouterr()
    assert "Traceback" not in err
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 90
    bad = runs[runs["status"] != "ok"]
    assert list(bad["x"]) == [0.5, 0.5] and len(bad) == 2  # one per replication (seed)
    assert bad["error"].str.contains("WorkerDied: its worker process was killed by SIGKILL "
                                     "while running it, 3 times").all()
    assert (runs.loc[runs["status"] == "ok", "y"] == 2 * runs.loc[runs["status"] == "ok", "x"]).all()
    # the progress line and the summary agree
    progress = [line for line in err.splitlines() if line.startswith("cogov batch: ")]
    assert progress[-1].startswith("cogov batch: 90/90 runs, 2 failed, "), progress[-1]
    assert "88 ok, 2 failed" in stdout
    assert "2 runs failed in all (first: WorkerDied" in err and "--retry-failed" in err

    marker.unlink()
    assert cli.main([*argv, "--retry-failed"]) == 0
    stdout, err = capsys.readouterr()
    assert "90 runs planned, 88 already stored, 2 run now" in stdout
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 90 and (runs["status"] == "ok").all()
    assert list(runs["y"]) == [x * 2 for x in runs["x"]]


SCRIPT = """
import cogov_sim
from cogov_sim import compare

cmp = compare(["fragmented", "committee"], replications=2, seed=1, days=60,
              executor=cogov_sim.batch.executors.make(workers=2))
print("OK", len(cmp.runs))
"""


def test_the_readme_api_example_works_in_a_plain_script(tmp_path: Path) -> None:
    """No `if __name__ == "__main__":` guard, `cogov_sim.batch` as a plain attribute."""
    script = tmp_path / "plain.py"
    script.write_text(SCRIPT)
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "OK 4"
