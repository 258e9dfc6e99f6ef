"""Issue 25's reproductions ("Edges, turn 3"): each ends in exit code 2 and one line
`cogov: error: ...` naming the thing, before any run -- or in the documented success."""

from __future__ import annotations

import errno
import math
import os
import shutil
import socket
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cogov_sim import api, cli
from cogov_sim.batch.store import VOLATILE, atomic_write
from cogov_sim.errors import InputError

COGOV_EXP = """name = "{name}"
scenarios = ["committee"]
replications = 2
seed = {seed}
days = 40
[set]
"community.residents" = 200
"run.warmup_days" = 5
"""
ISHIGAMI_SWEEP = ('model = "ishigami"\n{extra}\n[sweep]\nmethod = "{method}"\nn = {n}\n{sweep}\n'
                  "[parameters]\nx1 = [-3.0, 3.0]\nx2 = [-3.0, 3.0]\nx3 = {x3}\n")
COGOV_SWEEP = ('{extra}\n[sweep]\nmethod = "sobol"\nn = 4\n[parameters]\n'
               '"issues.rate" = [0.2, 0.4]\n{dial} = [9, 12]\n')


def ishigami_sweep(method: str = "sobol", n: int = 4, extra: str = "", sweep: str = "",
                   x3: str = "[-3.0, 3.0]") -> str:
    """An Ishigami sweep file, valid unless a part is given otherwise."""
    return ISHIGAMI_SWEEP.format(extra=extra, method=method, n=n, sweep=sweep, x3=x3)


def cogov_sweep(extra: str, dial: str = '"departments.staff_per_10000"') -> str:
    """A cogov sweep of the committee, valid unless a part is given otherwise."""
    return COGOV_SWEEP.format(extra=extra, dial=dial)


@pytest.fixture(autouse=True)
def _hermetic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(cli, "git_commit", lambda: None)
    monkeypatch.chdir(tmp_path)  # results/NAME defaults land here


def refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """`cogov ARGV` exits 2 with one line on stderr, nothing on stdout, no traceback."""
    try:
        code = cli.main(argv)
    except SystemExit as e:
        code = e.code  # type: ignore[assignment]
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    assert code == 2, (code, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cogov: error: "), err
    assert out == ""
    return lines[0]


# --- the suite with port 8765 taken ---------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_viz_names_a_bad_scenario_even_while_its_port_is_taken(capsys) -> None:
    """conftest holds 8765 for the whole session (or another `cogov viz` does)."""
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", 8765)) == 0  # something listens there
    line = refused(capsys, ["viz", "no-such-scenario"])
    assert "no-such-scenario" in line and "8765" not in line


def test_viz_with_a_good_scenario_on_a_taken_port_names_the_port(capsys) -> None:
    port = _free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
        s.listen()
        line = refused(capsys, ["viz", "committee", "--port", str(port)])
    assert f"port {port}" in line and "already in use" in line


# --- names that would escape the output folder ----------------------------------------------

BAD_NAMES = ["../../escaped", "/tmp/cogov-escaped-abs", "a/b", "a\\b", "..", ".hidden", "",
             "a\x00b", "x/../../y"]


@pytest.mark.parametrize("name", BAD_NAMES)
@pytest.mark.parametrize("field", ["scenario", "experiment", "sweep", "explain", "batch-scenario"])
def test_no_name_writes_outside_the_output_folder(tmp_path: Path, capsys, name: str,
                                                  field: str) -> None:
    work = tmp_path / "deep" / "er"
    work.mkdir(parents=True)
    quoted = name.replace("\\", "\\\\").replace("\x00", "\\u0000")
    sc = work / "evil.toml"
    sc.write_text(f'name = "{quoted}"\nextends = "fragmented"\n')
    exp = work / "exp.toml"
    if field == "experiment":
        exp.write_text(COGOV_EXP.format(name=quoted, seed=1))
    elif field == "batch-scenario":
        exp.write_text(COGOV_EXP.format(name="fine", seed=1).replace('["committee"]',
                                                                      f'["{sc}"]'))
    elif field == "sweep":
        exp.write_text(f'name = "{quoted}"\n' + ishigami_sweep(method="sobol", n=4))
    argv = {"scenario": ["compare", str(sc), "committee", "-r", "1"],
            "experiment": ["batch", str(exp), "--workers", "1"],
            "batch-scenario": ["batch", str(exp), "--workers", "1", "--out", str(work / "out")],
            "sweep": ["sweep", str(exp), "--workers", "1"],
            "explain": ["explain", "fragmented", str(sc), "-r", "2"]}[field]
    line = refused(capsys, argv)
    assert "name" in line
    assert not Path("/tmp/cogov-escaped-abs").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep"]
    assert sorted(p.name for p in work.iterdir()) == sorted(["evil.toml", "exp.toml"][
        :1 if field in ("scenario", "explain") else 2])


def test_a_scenario_file_named_by_its_stem_still_loads(tmp_path: Path) -> None:
    f = tmp_path / "my variant.toml"
    f.write_text('extends = "committee"\n')
    assert api.load_scenario(f).name == "my variant"


# --- sweep files checked completely before the first run ------------------------------------


@pytest.mark.parametrize(("text", "key", "says"), [
    (cogov_sweep(extra='contrast = ["committee", "committee"]'),
     "contrast", "twice"),
    (cogov_sweep(extra="description = 5"), "description",
     "wrong type"),
    (cogov_sweep(extra='name = 5'), "name", "wrong type"),
    (cogov_sweep(extra="", dial='":departments.staff_per_10000"'),
     "parameters.:departments.staff_per_10000",
     "names no scenario"),
    (cogov_sweep(extra='contrast = ["fragmented", "committee"]',
                        dial='"comittee:departments.staff_per_10000"'),
     "parameters.comittee:departments.staff_per_10000", "did you mean 'committee'"),
    (cogov_sweep(extra='days = 40\ncontrast = ["fragmented", "committee"]',
                 dial='"run.warmup_days"').replace("[9, 12]", "[5, 60]"),
     "parameters.run.warmup_days", "'fragmented' become invalid at run.warmup_days = 60"),
    (cogov_sweep(extra="days = \"x\""), "days", "integer"),
    (cogov_sweep(extra="replications = 1000000000000"),
     "replications", "10,000,000"),
    (cogov_sweep(extra="seed = -1"), "seed", "from 0"),
    (cogov_sweep(extra="[set]\n\"issues.rat\" = 1"),
     "issues.rat", "did you mean"),
    (ishigami_sweep(method="emulator", n=4),
     "sweep.n", "from 16"),
    (ishigami_sweep(method="fast", n=4),
     "sweep.n", "from 65"),
    (ishigami_sweep(method="delta", n=4),
     "sweep.n", "from 64"),
    (ishigami_sweep(method="sobol", n=2**40),
     "sweep.n", "10,000,000"),
    (ishigami_sweep(method="sobol", n=2**21),
     "sweep.n", "runs"),
    (ishigami_sweep(method="sobol", n=4, x3="[-3.0, inf]"),
     "parameters.x3", "finite"),
    (ishigami_sweep(method="sobol", n=4, x3="[nan, 3.0]"),
     "parameters.x3", "finite"),
    (ishigami_sweep(method="sobol", n=4, x3="[-1e308, 1e308]"),
     "parameters.x3", "finite"),
    (ishigami_sweep(extra='days = "x"', method="sobol", n=4),
     "days", "cogov model only"),
    (ishigami_sweep(extra='days = 30', method="sobol", n=4),
     "days", "cogov model only"),
    (ishigami_sweep(extra='scenario = "committee"', method="sobol", n=4), "scenario", "cogov model only"),
    (ishigami_sweep(method="morris", n=4, sweep="second_order = true"), "sweep.second_order", "'sobol' only"),
    (ishigami_sweep(extra="[set]\nx9 = 1", method="sobol", n=4), "set.x9", "unknown parameter"),
])
def test_sweep_files_are_checked_completely_first(tmp_path: Path, capsys, text: str, key: str,
                                                  says: str) -> None:
    f = tmp_path / "sweep.toml"
    f.write_text(text)
    line = refused(capsys, ["sweep", str(f), "--workers", "1"])
    assert str(f) in line and f"key '{key}'" in line and says in line, line
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("method,n", [("delta", 64), ("fast", 65), ("emulator", 16),
                                      ("morris", 4), ("sobol", 4)])
def test_the_smallest_allowed_sweep_of_each_method_runs_through(tmp_path: Path, capsys,
                                                                method: str, n: int) -> None:
    f = tmp_path / "sweep.toml"
    f.write_text(ishigami_sweep(method=method, n=n))
    assert cli.main(["sweep", str(f), "--workers", "1", "--out", str(tmp_path / "o")]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    idx = pd.read_csv(tmp_path / "o" / "sensitivity" / "indices.csv")
    assert list(idx["parameter"]) == ["x1", "x2", "x3"]


def test_an_experiment_dial_for_no_scenario_is_refused(tmp_path: Path, capsys) -> None:
    f = tmp_path / "exp.toml"
    f.write_text(COGOV_EXP.format(name="x", seed=1) + '[grid]\n"nosuch:issues.rate" = [0.3, 0.4]\n')
    line = refused(capsys, ["batch", str(f), "--workers", "1"])
    assert "grid.nosuch:issues.rate" in line and "'committee:NAME'" in line


# --- flags: the same limits everywhere, nothing ignored -------------------------------------


@pytest.mark.parametrize(("argv", "says"), [
    (["batch", "x.toml", "--workers", "1000000000000"], "--workers: value 1000000000000 is out of"),
    (["compare", "committee", "-r", "1000000000000"], "--replications: value 1000000000000"),
    (["explain", "fragmented", "committee", "-r", "1000000000000"], "--replications"),
    (["run", "committee", "--seed", str(2**64)], "--seed"),
    (["params", "--markdown", "--json"], "--json: not allowed with argument --markdown"),
    (["params", "--zh", "--json"], "--json: not allowed with argument --zh"),
    (["params", "--zh", "--markdown"], "--markdown: not allowed with argument --zh"),
])
def test_flags_have_limits_and_none_is_ignored(capsys, argv: list[str], says: str) -> None:
    assert says in refused(capsys, argv)


def test_workers_far_above_the_cores_are_refused_before_any_process_starts(tmp_path: Path,
                                                                            capsys) -> None:
    import psutil

    f = tmp_path / "exp.toml"
    f.write_text(COGOV_EXP.format(name="x", seed=1))
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    line = refused(capsys, ["batch", str(f), "--workers", "100000"])
    assert "--workers" in line and f"({os.cpu_count()} cores)" in line
    assert {p.pid for p in psutil.Process().children(recursive=True)} <= before
    assert not (tmp_path / "results" / "x").exists()


@pytest.mark.parametrize("flag", [["--estimate"], ["--json"], ["--out", "o"], ["-r", "5"],
                                  ["--seed", "3"], ["--set", "issues.rate=0.3"], ["--days", "9"],
                                  ["--workers", "2"], ["--permutations", "4"]])
def test_explain_from_refuses_the_flags_it_would_ignore(capsys, flag: list[str]) -> None:
    shipped = Path(cli.__file__).resolve().parent.parent / "results" / \
        "explain-fragmented-committee" / "explain.json"
    line = refused(capsys, ["explain", "fragmented", "committee", "--from", str(shipped), *flag])
    assert f"{flag[0].replace('-r', '--replications') if flag[0] == '-r' else flag[0]}: cannot " \
           "be used with --from" in line


# --- the Python API -------------------------------------------------------------------------


@pytest.mark.parametrize(("call", "says"), [
    (lambda: api.compare([]), "non-empty list"),
    (lambda: api.compare("committee"), "non-empty list"),
    (lambda: api.compare(["committee"], replications=0), "replications"),
    (lambda: api.compare(["committee"], replications=True), "replications"),
    (lambda: api.compare(["committee", "committee"]), "given twice"),
    (lambda: api.compare(["committee"], overrides=[("issues.rate", 0.3)]), "a dict"),
    (lambda: api.run("committee", overrides=["issues.rate=0.3"]), "a dict"),
])
def test_the_api_says_what_is_wrong(call, says: str) -> None:
    with pytest.raises(InputError, match=says):
        call()


# --- results folders: foreign parts, deleted copies, a full disk ----------------------------


def _stable(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=list(VOLATILE)).sort_values("run_id").reset_index(drop=True)


@pytest.fixture(scope="module")
def two_batches(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two batches of the same scenario and run ids, different master seeds."""
    d = tmp_path_factory.mktemp("foreign")
    for name, seed in (("a", 1), ("b", 2)):
        (d / f"{name}.toml").write_text(COGOV_EXP.format(name=name, seed=seed))
        assert cli.main(["batch", str(d / f"{name}.toml"), "--out", str(d / name),
                         "--workers", "1"]) == 0
    return d


@pytest.mark.parametrize("marked", [True, False])
def test_a_foreign_journal_part_is_set_aside_and_its_runs_rerun(two_batches: Path, tmp_path: Path,
                                                                capsys, marked: bool) -> None:
    ref = two_batches / "a"
    copy = tmp_path / "a"
    shutil.copytree(ref, copy)
    foreign = sorted((two_batches / "b" / "runs").glob("part-*.parquet"))[-1]
    target = copy / "runs" / "part-99999999999999999999-1.parquet"  # the newest: it would win
    if marked:
        shutil.copy(foreign, target)
    else:  # a part written before parts were marked: told apart by its seeds
        pq.write_table(pq.read_table(foreign).replace_schema_metadata(None), target)
    capsys.readouterr()
    assert cli.main(["batch", str(two_batches / "a.toml"), "--out", str(copy),
                     "--workers", "1"]) == 0
    err = capsys.readouterr().err
    assert "set aside 1 damaged or foreign file(s)" in err and target.name in err
    assert ("another batch: plan" if marked else "has seed") in err
    pd.testing.assert_frame_equal(_stable(pd.read_parquet(copy / "runs.parquet")),
                                  _stable(pd.read_parquet(ref / "runs.parquet")))
    assert not target.exists()


def test_a_deleted_scenarios_copy_is_restored_with_a_message(two_batches: Path, tmp_path: Path,
                                                             capsys) -> None:
    ref = two_batches / "a"
    copy = tmp_path / "a"
    shutil.copytree(ref, copy)
    shutil.rmtree(copy / "scenarios")
    (copy / "plan.parquet").unlink()
    capsys.readouterr()
    assert cli.main(["batch", str(two_batches / "a.toml"), "--out", str(copy),
                     "--workers", "1"]) == 0
    err = capsys.readouterr().err
    assert "were deleted" in err and "scenarios/committee.toml" in err and "plan.parquet" in err
    assert (copy / "scenarios" / "committee.toml").read_bytes() == \
        (ref / "scenarios" / "committee.toml").read_bytes()
    assert (copy / "plan.parquet").read_bytes() == (ref / "plan.parquet").read_bytes()
    assert cli.main(["report", str(copy), "--out", str(tmp_path / "rep")]) == 0


def test_a_full_disk_names_the_file(tmp_path: Path) -> None:
    """/dev/full fails every write with ENOSPC, reported naming no file. (Given as an open
    file, not a path: pyarrow deletes a path it failed to write -- /dev/full itself.)"""
    table = pa.table({"x": list(range(1000))})

    def write(_: Path) -> None:
        with open("/dev/full", "wb") as f:
            pq.write_table(table, f)

    with pytest.raises(OSError) as e:
        atomic_write(tmp_path / "part.parquet", write)
    assert e.value.errno == errno.ENOSPC and e.value.filename == str(tmp_path / "part.parquet")
    assert cli.os_error_line(e.value) == f"{tmp_path / 'part.parquet'}: No space left on device"
    assert list(tmp_path.iterdir()) == []


def test_a_toml_file_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    f = tmp_path / "bom.toml"
    f.write_bytes(b"\xef\xbb\xbf" + b'name = "bom"\nextends = "committee"\n')
    assert api.load_scenario(f).name == "bom"


@pytest.mark.parametrize("cmd", ["validate", "calibrate"])
def test_validate_and_calibrate_check_out_before_computing(tmp_path: Path, capsys,
                                                           cmd: str) -> None:
    (tmp_path / "a-file").write_text("x")
    line = refused(capsys, [cmd, "--workers", "1", "--out", str(tmp_path / "a-file")])
    assert "--out" in line and "is a file" in line


# --- Dask ------------------------------------------------------------------------------------


def kills_its_worker(overrides: dict, seed: int, **_: object) -> dict[str, float]:
    """A model whose run at x = 0.5 kills the Dask worker process every time."""
    if overrides["x"] == 0.5:
        os._exit(1)
    return {"y": overrides["x"]}


kills_its_worker.params = {"x": (0.0, 1.0)}  # type: ignore[attr-defined]


def test_a_task_dask_gives_up_on_is_failed_with_its_cause(tmp_path: Path, capsys) -> None:
    distributed = pytest.importorskip("distributed")
    import dask

    f = tmp_path / "exp.toml"
    f.write_text(f'model = "{__name__}:kills_its_worker"\n[grid]\nx = [0.1, 0.5, 0.3]\n')
    # one task on the worker at a time (no innocent task dies with it), given up after its
    # second death
    with dask.config.set({"distributed.scheduler.allowed-failures": 1,
                          "distributed.scheduler.worker-saturation": 1.0}), \
            distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                     host="127.0.0.1", dashboard_address=None) as cluster:
        code = cli.main(["batch", str(f), "--out", str(tmp_path / "o"), "--chunk", "1",
                         "--scheduler", cluster.scheduler_address])
    err = capsys.readouterr().err
    assert code == 1 and "did not run" not in err, err
    runs = pd.read_parquet(tmp_path / "o" / "runs.parquet")
    bad = runs[runs["status"] != "ok"]
    assert list(bad["x"]) == [0.5] and list(bad["status"]) == ["failed"]
    assert "Dask worker died" in bad["error"].iloc[0]
    assert sorted(runs.loc[runs["status"] == "ok", "x"]) == [0.1, 0.3]


# --- sweeps as a policy analyst runs them ---------------------------------------------------

SLOW_SWEEP = ('model = "sweep_models:slow_ishigami"\n[sweep]\nmethod = "sobol"\nn = 64\n'
              "[parameters]\nx1 = [-3.0, 3.0]\nx2 = [-3.0, 3.0]\nx3 = [-3.0, 3.0]\n")


@pytest.fixture
def sweep_models_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent))


def test_a_resumed_sweep_says_what_was_stored_and_times_every_session(
        tmp_path: Path, capsys, sweep_models_importable: None) -> None:
    import json

    f = tmp_path / "sweep.toml"
    f.write_text(SLOW_SWEEP)
    out = tmp_path / "o"
    assert cli.main(["sweep", str(f), "--workers", "1", "--out", str(out)]) == 0
    first = json.loads((out / "sensitivity" / "timing.json").read_text())
    err = capsys.readouterr().err
    assert "analysing output 1 of 1: y (sobol on 320 design points)" in err
    assert "already stored" not in err
    assert cli.main(["sweep", str(f), "--workers", "1", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"320 of 320 runs were already stored in {out}/" in err and "ran 0 now" in err
    again = json.loads((out / "sensitivity" / "timing.json").read_text())
    assert again["runs_s"] == first["runs_s"] > 0  # the first session's runs, not "0m 00s"
    assert "of runs over 1 session(s)" in (out / "sensitivity" / "report.md").read_text()


def test_a_second_driver_is_refused_before_any_setup(tmp_path: Path, capsys,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """While one driver holds the folder, another is refused before it samples or starts a
    single worker process."""
    from cogov_sim.batch import executors
    from cogov_sim.batch.store import Store

    def no_workers(*_: object) -> None:
        raise AssertionError("workers started before the folder was held")

    f = tmp_path / "sweep.toml"
    f.write_text(ishigami_sweep(method="sobol", n=4))
    held = Store(tmp_path / "o").hold()
    monkeypatch.setattr(executors, "make", no_workers)
    try:
        for cmd in ("sweep", "batch"):
            exp = f if cmd == "sweep" else tmp_path / "exp.toml"
            if cmd == "batch":
                exp.write_text(COGOV_EXP.format(name="x", seed=1))
            line = refused(capsys, [cmd, str(exp), "--workers", "2", "--out", str(tmp_path / "o")])
            assert "is writing to this folder right now" in line
    finally:
        held.close()


def test_the_sweep_report_reads_like_cogov_compare() -> None:
    from cogov_sim.batch.store import scenario_dict
    from cogov_sim.render import LABELS
    from cogov_sim.sensitivity import discovery
    from cogov_sim.sensitivity.cli import scenario_provenance
    from cogov_sim.sensitivity.sweep import label_of

    assert label_of("cif_abandoned_90d") == LABELS["cif_abandoned_90d"]
    assert label_of("log:resolution_rmst_days").startswith("log of resolution time")
    assert "almost" not in discovery.describe("solved_rate", ("fragmented", "committee"), [],
                                              0, 1024)
    assert "everywhere in this design (at all 1024" in discovery.describe(
        "solved_rate", ("fragmented", "committee"), [], 0, 1024)
    sc = api.load_scenario("committee")
    assert scenario_provenance("committee", scenario_dict(sc)).endswith(f"hash {sc.hash})")
    ran = sc.with_overrides({"run.days": 90})
    line = scenario_provenance("committee", scenario_dict(ran))
    assert f"hash {sc.hash};" in line and ran.hash in line  # the file's, as compare prints it


def test_a_top_dial_is_never_also_one_that_hardly_matters() -> None:
    from types import SimpleNamespace

    from cogov_sim.sensitivity.analyse import OutputResult, plain_summary
    from cogov_sim.sensitivity.methods import Sobol

    idx = pd.DataFrame({"S1": [0.9, 0.01, 0.0, 0.0], "ST": [0.95, 0.02, 0.01, 0.0]},
                       index=pd.Index(["a", "b", "c", "d"], name="parameter"))
    sweep = SimpleNamespace(method=Sobol(), contrast=None, replications=1, n=64)
    text = plain_summary(sweep, [OutputResult("y", idx, math.nan, math.nan, 0.01)])
    most, hardly = text.split("Hardly matters:")
    assert "`b`" in most and "`c`" in most and "`b`" not in hardly and "`c`" not in hardly
    assert "`d`" in hardly


def test_an_experiment_of_too_many_runs_in_all_is_refused(tmp_path: Path, capsys) -> None:
    f = tmp_path / "exp.toml"
    f.write_text('model = "ishigami"\nreplications = 1000\n[grid]\nx1 = [0.0, 1.0, 2.0]\n'
                 f"x2 = [{', '.join(map(str, range(10_000)))}]\n")
    line = refused(capsys, ["batch", str(f), "--workers", "1"])
    assert "key 'grid': asks for 30,000,000 runs" in line and "at most 10,000,000" in line
