"""Issue 15's reproductions, each: exit code 2, one line `cogov: error: ...` naming the path or
flag, no traceback, nothing changed -- or success where it should succeed."""

from __future__ import annotations

import math
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

import cogov_sim
from cogov_sim import bench, cli

ROOT = Path(cogov_sim.__file__).resolve().parent.parent
SWEEP = ROOT / "experiments" / "sweep-participation.toml"
ISHIGAMI = 'model = "ishigami"\nreplications = 1\n[sample]\nn = 4\n[sample.ranges]\nx1 = [-3.0, 3.0]\n'


@pytest.fixture(autouse=True)
def _hermetic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(cli, "git_commit", lambda: None)
    monkeypatch.chdir(tmp_path)  # results/NAME defaults land here


def error_line(capsys: pytest.CaptureFixture[str], code: int | None) -> str:
    """The one error line (a batch's progress lines before it aside)."""
    assert code == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    lines = [x for x in err.strip().splitlines() if not x.startswith("cogov batch: ")]
    assert len(lines) == 1, err
    assert lines[0].startswith("cogov: error: ")
    return lines[0]


def call(argv: list[str]) -> int | None:
    """`cogov ARGV` in this process; argparse's errors end in SystemExit."""
    try:
        return cli.main(argv)
    except SystemExit as e:
        return e.code  # type: ignore[return-value]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and p.name != ".lock"}


def commands(tmp_path: Path, out: str) -> dict[str, list[str]]:
    exp = tmp_path / "ish.toml"
    exp.write_text(ISHIGAMI)
    batch = tmp_path / "done"
    if not batch.exists():
        assert cli.main(["batch", str(exp), "--out", str(batch), "--workers", "1"]) == 0
    return {
        "run": ["run", "committee", "--days", "40", "--out", out],
        "compare": ["compare", "committee", "--days", "40", "-r", "2", "--workers", "1", "--out", out],
        "batch": ["batch", str(exp), "--workers", "1", "--out", out],
        "report": ["report", str(batch), "--out", out],
        "sweep": ["sweep", str(SWEEP), "--workers", "1", "--out", out],
    }


@pytest.mark.parametrize("cmd", ["run", "compare", "batch", "report", "sweep"])
def test_out_that_is_a_file_is_one_line_and_costs_nothing(
        cmd: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "f"
    f.write_text("x\n")
    argv = commands(tmp_path, str(f))[cmd]
    capsys.readouterr()
    t = time.perf_counter()
    line = error_line(capsys, call(argv))
    assert time.perf_counter() - t < 5, "it computed before checking --out"
    assert f"--out {f}: is a file, not a folder" in line
    assert f.read_text() == "x\n"
    line = error_line(capsys, call(commands(tmp_path, str(f / "sub"))[cmd]))
    assert f"'{f}' is a file" in line


@pytest.mark.parametrize("cmd", ["run", "compare"])
def test_run_and_compare_never_write_into_a_batch_folder(
        cmd: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = commands(tmp_path, str(tmp_path / "done"))[cmd]
    before = {p: p.read_bytes() for p in (tmp_path / "done").rglob("*") if p.is_file()}
    capsys.readouterr()
    line = error_line(capsys, call(argv))
    assert "is a batch results folder" in line
    assert {p: p.read_bytes() for p in (tmp_path / "done").rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("cmd", ["run", "compare", "batch", "report", "sweep"])
def test_out_where_nothing_can_be_written_is_one_line(
        cmd: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = commands(tmp_path, "/proc/cogov-no-such/out")[cmd]
    capsys.readouterr()
    line = error_line(capsys, call(argv))
    assert "--out /proc/cogov-no-such/out: cannot write in '/proc'" in line


def test_an_immutable_folder_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "locked"
    d.mkdir()
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(d)],
                                                        capture_output=True).returncode:
        pytest.skip("cannot make a folder immutable here")
    try:
        line = error_line(capsys, call(["run", "committee", "--days", "40", "--out", str(d / "x")]))
        assert "Operation not permitted" in line or "Permission denied" in line
    finally:
        subprocess.run(["chattr", "-i", str(d)], check=True)


def test_a_name_that_leaves_results_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exp = tmp_path / "a" / "b" / "esc.toml"
    exp.parent.mkdir(parents=True)
    exp.write_text('name = "../../escape"\n' + ISHIGAMI)
    line = error_line(capsys, call(["batch", str(exp), "--workers", "1"]))
    assert "key 'name'" in line and "../../escape" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]
    sweep = tmp_path / "sw.toml"
    sweep.write_text(SWEEP.read_text().replace('name = "sweep-participation"', 'name = "../up"'))
    line = error_line(capsys, call(["sweep", str(sweep), "--workers", "1"]))
    assert "key 'name'" in line and "../up" in line


def test_workers_with_a_scheduler_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exp = tmp_path / "ish.toml"
    exp.write_text(ISHIGAMI)
    for argv in (["batch", str(exp)], ["compare", "committee"], ["sweep", str(SWEEP)]):
        line = error_line(capsys, call([*argv, "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"]))
        assert "--workers: value 2 cannot be used with --scheduler" in line


@pytest.mark.parametrize("argv, flag", [
    (["run", "committee", "--seed", "-1"], "--seed: value -1"),
    (["run", "committee", "--seed", "abc"], "--seed: value 'abc' is not an integer"),
    (["run", "committee", "--days", "0"], "--days: value 0"),
    (["compare", "committee", "--workers", "0"], "--workers: value 0"),
    (["compare", "committee", "--replications", "0"], "--replications: value 0"),
    (["compare", "committee", "-r", "0"], "--replications: value 0"),
    (["batch", "x.toml", "--chunk", "0"], "--chunk: value 0"),
    (["viz", "--port", "99999"], "--port: value 99999 is out of range; allowed: an integer from 1 to 65535"),
    (["run", "committee", "--sed", "1"], "unrecognized arguments: --sed"),
    (["rn", "committee"], "invalid choice: 'rn'"),
    (["compare", "committee", "committee"], "scenario 'committee' is given twice"),
])
def test_flag_errors_are_one_line(argv: list[str], flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    line = error_line(capsys, call(argv))
    assert flag in line
    if argv[0] == "rn":
        assert "(did you mean 'run'?)" in line


def test_viz_on_a_busy_port_is_one_line_and_quick(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("os.execve", lambda *a: pytest.fail("the server was started"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        t = time.perf_counter()
        line = error_line(capsys, call(["viz", "--port", str(port)]))
        assert time.perf_counter() - t < 2
    assert f"--port: port {port} on 127.0.0.1 is already in use" in line
    line = error_line(capsys, call(["viz", "--host", "no-such-host.invalid"]))
    assert "--host: value 'no-such-host.invalid'" in line


def test_bench_without_simpy_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "simpy", None)  # `import simpy` now raises ImportError
    pipe = {"simpy_s": math.nan, "ratio_to_simpy": math.nan}
    text = bench.simpy_text(pipe)
    assert "SimPy is not installed" in text and "nan" not in text.lower()
    with pytest.raises(ImportError):
        bench.simpy_mmc(1.0, 1.0, 1, 1.0, 1)


def test_compare_with_a_local_executor_and_cogov_sim_batch_as_an_attribute() -> None:
    import importlib

    fresh = importlib.reload(cogov_sim)
    assert fresh.batch.executors.make(workers=1).label == "serial"


# --- the Dask scheduler lost mid-batch ----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_lost_dask_scheduler_is_one_line_and_the_batch_resumes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    bin_dir = Path(sys.executable).parent
    env_path = f"{ROOT / 'tests'}"

    def start() -> list[subprocess.Popen[bytes]]:
        sched = subprocess.Popen([str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1",
                                  "--port", str(port), "--no-dashboard"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        worker = subprocess.Popen([str(bin_dir / "dask"), "worker", address, "--nworkers", "1",
                                   "--nthreads", "2", "--no-dashboard"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  env={**__import__("os").environ, "PYTHONPATH": env_path})
        return [sched, worker]

    exp = tmp_path / "slow.toml"
    exp.write_text('model = "sweep_models:slow_ishigami"\nreplications = 1\n[sample]\nn = 400\n'
                   "[sample.ranges]\nx1 = [-3.0, 3.0]\n")
    out = tmp_path / "out"
    procs = start()
    try:
        def kill_scheduler_when_runs_are_stored() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and len(list((out / "runs").glob("part-*"))) < 2:
                time.sleep(0.05)
            procs[0].kill()

        killer = threading.Thread(target=kill_scheduler_when_runs_are_stored)
        time.sleep(2)  # the scheduler listens
        killer.start()
        code = call(["batch", str(exp), "--out", str(out), "--scheduler", address, "--chunk", "2"])
        killer.join()
        line = error_line(capsys, code)
        assert f"--scheduler: lost the Dask scheduler {address} mid-batch" in line
        assert "stored and safe" in line and "run the same command to resume" in line
        stored = len(pd.read_parquet(out / "runs.parquet"))
        assert 0 < stored < 400
    finally:
        for p in procs:
            p.kill()
            p.wait()
    procs = start()
    try:
        time.sleep(2)
        assert call(["batch", str(exp), "--out", str(out), "--scheduler", address]) == 0
        assert f"400 runs planned, {stored} already stored" in capsys.readouterr().out
        runs = pd.read_parquet(out / "runs.parquet")
        assert len(runs) == 400 and (runs["status"] == "ok").all()
    finally:
        for p in procs:
            p.kill()
            p.wait()


def test_a_write_that_fails_after_the_run_keeps_the_results_on_screen(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import errno

    def full(out: Path, *_: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(out / "issues.parquet"))

    monkeypatch.setattr(cli, "write_run", full)
    code = call(["run", "committee", "--days", "40", "--json", "--out", str(tmp_path / "o")])
    out = capsys.readouterr()
    assert code == 2 and '"summary"' in out.out
    assert out.err.strip() == f"cogov: error: {tmp_path / 'o' / 'issues.parquet'}: No space left on device"
