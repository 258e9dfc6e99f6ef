"""The batch engine for real: identical results serially, on 2 local processes and on a Dask
cluster; failing runs recorded, not fatal; driver memory flat as runs accumulate."""

from __future__ import annotations

import io
import math
import os
import tracemalloc
from pathlib import Path
from typing import Any

import pandas as pd
import psutil
import pytest

from cogov_sim.batch import executors, load_experiment, run_batch
from cogov_sim.batch.progress import Progress
from cogov_sim.batch.store import VOLATILE
from cogov_sim.cli import main

EXP = """
name = "executors"
scenarios = ["fragmented", "committee"]
replications = 3
seed = 5
days = 40
keep = ["summary", "issues", "daily"]
[set]
"community.residents" = 300
"run.warmup_days" = 5
[grid]
"issues.rate" = [0.3, 0.6]
"""


def flaky(overrides: dict[str, Any], seed: int, **_: Any) -> dict[str, float]:
    """A model that fails on part of its input domain, as real models sometimes do."""
    x = overrides["x"]
    if x >= 0.5:
        raise ValueError(f"diverged at x={x}")
    return {"y": x * 2 + seed % 7, "z": -x}


flaky.params = {"x": (0.0, 1.0)}  # type: ignore[attr-defined]


def dies_once(overrides: dict[str, Any], seed: int, **_: Any) -> dict[str, float]:
    """A model whose worker process dies (as in a segfault or the OOM killer) the first time."""
    marker = Path(overrides["marker"])
    if overrides["x"] == 0.5 and marker.exists():
        marker.unlink()
        os._exit(1)
    return {"y": overrides["x"] * 2}


def wide(overrides: dict[str, Any], seed: int, **_: Any) -> dict[str, float]:
    """Many outputs per run, so that holding finished runs in memory would show."""
    return {f"m{i:04d}": float(seed % 1000 + i) for i in range(1000)}


def stable(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=list(VOLATILE)).sort_values("run_id").reset_index(drop=True)


def ledgers(folder: Path, name: str) -> pd.DataFrame:
    df = pd.read_parquet(folder / name)
    df["scenario"] = df["scenario"].astype(str)
    return df.sort_values(["run_id", *(["issue"] if name == "issues" else ["time"])]).reset_index(
        drop=True)


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("serial")
    (d / "exp.toml").write_text(EXP)
    res = run_batch(load_experiment(d / "exp.toml"), d / "out", executors.Serial())
    assert res.ok == 12 and res.failed == 0
    return d / "exp.toml", d / "out"


def test_two_local_processes_match_serial(serial: tuple[Path, Path], tmp_path: Path) -> None:
    exp, ref = serial
    ex = executors.make(workers=2)
    try:
        res = run_batch(load_experiment(exp), tmp_path / "out", ex, chunk=2)
    finally:
        ex.close()
    assert res.workers == 2
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    assert runs["worker"].nunique() == 2  # both processes took part
    pd.testing.assert_frame_equal(stable(runs), stable(pd.read_parquet(ref / "runs.parquet")))
    for name in ("issues", "daily"):
        pd.testing.assert_frame_equal(ledgers(tmp_path / "out", name), ledgers(ref, name))


def test_dask_cluster_matches_serial(serial: tuple[Path, Path], tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    exp, ref = serial
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        code = main(["batch", str(exp), "--out", str(tmp_path / "out"),
                     "--scheduler", cluster.scheduler_address, "--chunk", "2"])
    assert code == 0
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    pd.testing.assert_frame_equal(stable(runs), stable(pd.read_parquet(ref / "runs.parquet")))
    pd.testing.assert_frame_equal(ledgers(tmp_path / "out", "issues"), ledgers(ref, "issues"))
    assert "dask tcp://127.0.0.1:" in (tmp_path / "out" / "manifest.json").read_text()


@pytest.mark.parametrize("workers", [1, 2])
def test_a_run_that_raises_is_recorded_not_fatal(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 workers: int) -> None:
    exp = tmp_path / "exp.toml"
    exp.write_text(f'model = "{__name__}:flaky"\nreplications = 2\n[grid]\nx = [0.1, 0.5, 0.3, 0.9]\n')
    out = tmp_path / "out"
    code = main(["batch", str(exp), "--out", str(out), "--workers", str(workers), "--chunk", "3"])
    captured = capsys.readouterr()
    assert code == 1
    assert "4 ok, 4 failed" in captured.out
    assert "4 runs failed in all" in captured.err and "runs.parquet" in captured.err
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 8
    bad = runs[runs["status"] == "failed"]
    assert sorted(bad["x"]) == [0.5, 0.5, 0.9, 0.9]
    assert bad["error"].str.startswith("ValueError: diverged at x=").all()
    assert bad["y"].isna().all()
    good = runs[runs["status"] == "ok"]
    assert (good["error"] == "").all() and good["y"].notna().all()
    # resuming skips the failed runs (recorded), unless asked to retry them
    assert main(["batch", str(exp), "--out", str(out), "--workers", "1"]) == 1
    assert "8 already stored" in capsys.readouterr().out
    assert main(["batch", str(exp), "--out", str(out), "--workers", "1", "--retry-failed"]) == 1
    assert "4 already stored" in capsys.readouterr().out
    assert len(pd.read_parquet(out / "runs.parquet")) == 8


def test_driver_memory_stays_flat(tmp_path: Path) -> None:
    exp = tmp_path / "exp.toml"
    exp.write_text(f'model = "{__name__}:wide"\nreplications = 240\n')
    proc = psutil.Process()
    seen: list[tuple[int, int, int]] = []

    def measure(records: list) -> None:
        seen.append((len(records), tracemalloc.get_traced_memory()[0],
                     proc.memory_info().rss))

    tracemalloc.start()
    try:
        run_batch(load_experiment(exp), tmp_path / "out", executors.Serial(), chunk=5,
                  on_records=measure)
    finally:
        tracemalloc.stop()
    assert len(seen) == 48
    early, late = seen[9], seen[-1]  # after 50 runs, after 240 runs
    # holding the 190 runs in between would take ~18 MB (checked by keeping them in `measure`)
    grew = late[1] - early[1]
    print(f"traced Python memory grew {grew / 1e6:.2f} MB, RSS {(late[2] - early[2]) / 1e6:.1f} MB "
          "from run 50 to run 240")
    assert grew < 2e6
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    assert len(runs) == 240 and math.isclose(runs["m0999"].iloc[0], runs["seed"].iloc[0] % 1000 + 999)


@pytest.mark.parametrize("bar", [True, False])
def test_progress_bar_on_a_terminal_plain_lines_otherwise(bar: bool) -> None:
    stream = io.StringIO()
    p = Progress(10, done=2, stream=stream, interval=0.0, bar=bar)
    p.update(3, 1)
    p.update(4, 0)
    p.close()
    text = stream.getvalue()
    if bar:
        assert "10/10" in text and "failed=1" in text
    else:
        assert text.splitlines()[-1].startswith("cogov batch: 10/10 runs, 1 failed, ")
        assert "runs/min, ETA" in text


def test_a_worker_that_dies_once_is_replaced_and_its_run_retried(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "die"
    marker.touch()
    exp = tmp_path / "exp.toml"
    exp.write_text(f'model = "{__name__}:dies_once"\n[set]\nmarker = "{marker}"\n'
                   '[grid]\nx = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]\n')
    out = tmp_path / "out"
    assert main(["batch", str(exp), "--out", str(out), "--workers", "2", "--chunk", "1"]) == 0
    assert not marker.exists(), "the worker did not die"
    assert "8 ok, 0 failed" in capsys.readouterr().out
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 8 and (runs["status"] == "ok").all()
    assert list(runs["y"]) == [x * 2 for x in runs["x"]]


def test_journal_parts_are_merged_in_long_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exp = tmp_path / "exp.toml"
    exp.write_text('model = "ishigami"\nreplications = 1\n[sample]\nn = 23\n[sample.ranges]\n'
                   "x1 = [-3.0, 3.0]\nx2 = [-3.0, 3.0]\nx3 = [-3.0, 3.0]\n")
    ref = run_batch(load_experiment(exp), tmp_path / "ref", executors.Serial()).runs
    monkeypatch.setattr("cogov_sim.batch.store.MERGE_AT", 5)
    res = run_batch(load_experiment(exp), tmp_path / "out", executors.Serial(), chunk=1)
    parts = sorted(p.name for p in (tmp_path / "out" / "runs").iterdir())
    assert len(parts) == 4 + 3 and sum(p.endswith("-m.parquet") for p in parts) == 4
    pd.testing.assert_frame_equal(stable(res.runs), stable(ref))
