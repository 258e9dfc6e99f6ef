"""Fuzzing the edges (issue 15): scenario, experiment and sweep files mutated at random, random
command-line flag values, random output paths and damaged results folders. Every one must end
in exit code 2 with one line `cogov: error: ...` and no traceback, or succeed; a results
folder given as --out is never changed by a refused command.

Property-based with Hypothesis; the CLI runs in this process (`cli.main`), and every case is
built so that a *valid* input still ends in a quick, known refusal (an --out that is a file, a
results folder of another experiment), so nothing is simulated. Example counts are modest:
the whole file runs in well under two minutes on 2 cores.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import cogov_sim
from cogov_sim import cli
from cogov_sim.batch.store import VOLATILE

ROOT = Path(cogov_sim.__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
EXPERIMENTS = [ROOT / "experiments" / n for n in ("headline.toml", "pooling-grid.toml")]
SWEEPS = sorted((ROOT / "experiments").glob("sweep-*.toml"))

# FUZZ_N=2000 for a deeper local hunt; CI keeps the default (the whole file in ~10 s).
N = int(os.environ.get("FUZZ_N", "100"))
FAST = settings(max_examples=N, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# TOML values a user might write where another was expected: wrong types, out of range,
# NaN and infinities, empty things, dates, a huge integer, nested tables. (No large positive
# counts: a valid experiment asking for millions of runs is allowed, just slow to plan.)
TOKENS = ["-1", "0", "1", "0.5", "-0.0", "1.5", "nan", "inf", "-inf", "1e309", '"x"', '""',
          '"committee"', '"fragmented"', "true", "false", "[]", "[1, 2]", '[1, "a"]', "[[1]]",
          "{}", "{ a = 1 }", "1979-05-27", "12:00:00", "99999999999999999999", "0x10", "1_0",
          '"../../x"', "'a\\b'", '"社治委"']


@contextlib.contextmanager
def _no_git() -> Iterator[None]:
    saved = cli.git_commit
    cli.git_commit = lambda: None
    try:
        yield
    finally:
        cli.git_commit = saved


class _ServerStarted(Exception):
    """`cogov viz` got as far as replacing itself with the server: it accepted its input."""


def _no_exec(*_: object) -> None:
    raise _ServerStarted


def invoke(argv: list[str]) -> tuple[int | None, str, str]:
    """`cogov ARGV` in this process: (exit code, stdout, stderr). `cogov viz` never starts its
    server here (os.execve would replace the test process): getting there counts as exit 0."""
    out, err = io.StringIO(), io.StringIO()
    saved = os.execve
    os.execve = _no_exec
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), _no_git():
        try:
            code = cli.main(argv)
        except SystemExit as e:
            code = e.code  # type: ignore[assignment]
        except _ServerStarted:
            code = 0
        finally:
            os.execve = saved
    return code, out.getvalue(), err.getvalue()


def assert_refused(code: int | None, out: str, err: str) -> str:
    """Exit 2, nothing on stdout, one line on stderr in the project's format, no traceback."""
    assert "Traceback" not in err, err
    assert code == 2, (code, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("cogov: error: "), err
    assert out == "", out
    return lines[0]


@st.composite
def mutated(draw: st.DrawFn, files: list[Path]) -> str:
    """A shipped file's text, changed the way a hurried edit changes it."""
    text = draw(st.sampled_from(files)).read_text(encoding="utf-8")
    lines = text.splitlines()
    assigned = [i for i, line in enumerate(lines) if "=" in line and not line.lstrip().startswith("#")]
    kind = draw(st.sampled_from(["value", "key", "truncate", "insert", "delete", "table"]))
    if kind == "value" and assigned:
        i = draw(st.sampled_from(assigned))
        key = lines[i].split("=", 1)[0]
        lines[i] = f"{key}= {draw(st.sampled_from(TOKENS))}"
    elif kind == "key" and assigned:
        i = draw(st.sampled_from(assigned))
        key, value = lines[i].split("=", 1)
        j = draw(st.integers(0, max(0, len(key.rstrip()) - 1)))
        c = draw(st.sampled_from(["", "x", "_", ".", "s", "Z"]))
        lines[i] = f"{key[:j]}{c}{key[j + 1:]}={value}"
    elif kind == "truncate":
        return text[:draw(st.integers(0, len(text)))]
    elif kind == "insert":
        at = draw(st.integers(0, len(text)))
        junk = draw(st.text(st.characters(exclude_categories=("Nd", "Cs")), max_size=6))
        return text[:at] + junk + text[at:]
    elif kind == "delete" and lines:
        del lines[draw(st.integers(0, len(lines) - 1))]
    elif kind == "table":
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(
            ["[set]", "[grid]", "[sample]", "[[points]]", "[[change]]", "[sweep]", "[parameters]",
             "[issues]", "[nosuch]", "[[grid]]"])))
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def work() -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="cogov-fuzz-"))
    (d / "a-file").write_text("not a folder\n")
    (d / "exp.toml").write_text('name = "fuzzref"\nmodel = "ishigami"\nreplications = 1\n'
                                "[sample]\nn = 4\n[sample.ranges]\nx1 = [-3.0, 3.0]\n")
    code, out, err = invoke(["batch", str(d / "exp.toml"), "--out", str(d / "results"),
                             "--workers", "1"])
    assert code == 0, err
    yield d
    shutil.rmtree(d, ignore_errors=True)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and p.name != ".lock"}


# --- files ----------------------------------------------------------------------------------


@FAST
@given(text=mutated(SCENARIOS))
def test_fuzzed_scenario_files(work: Path, text: str) -> None:
    path = work / "fuzzed-scenario.toml"
    path.write_text(text, encoding="utf-8")
    line = assert_refused(*invoke(["compare", str(path), "-r", "1", "--workers", "1",
                                   "--out", str(work / "a-file")]))
    assert str(path) in line or "--out" in line or "scenario" in line, line


@FAST
@given(text=mutated(EXPERIMENTS))
def test_fuzzed_experiment_files_never_touch_a_results_folder(work: Path, text: str) -> None:
    path = work / "fuzzed-experiment.toml"
    path.write_text(text, encoding="utf-8")
    before = snapshot(work / "results")
    line = assert_refused(*invoke(["batch", str(path), "--workers", "1",
                                   "--out", str(work / "results")]))
    assert str(path) in line or "different experiment" in line or "scenario" in line, line
    assert snapshot(work / "results") == before


@FAST
@given(text=mutated(SWEEPS))
def test_fuzzed_sweep_files(work: Path, text: str) -> None:
    path = work / "fuzzed-sweep.toml"
    path.write_text(text, encoding="utf-8")
    line = assert_refused(*invoke(["sweep", str(path), "--workers", "1",
                                   "--out", str(work / "a-file")]))
    assert str(path) in line or "--out" in line or "scenario" in line, line


# --- flags ----------------------------------------------------------------------------------

FLAG_VALUES = st.one_of(
    st.sampled_from(["", "-1", "0", "1", "2", "65536", "99999", "1e3", "0x10", "1.5", " 3",
                     "nan", "--", "-", "١", "²", "3 4", "-0"]),
    st.integers(-2**70, 2**70).map(str),
    st.text(max_size=8),
)
# Each command ends in a known refusal after its flags parse: nothing runs.
COMMANDS = {
    "run": (["run", "no-such-scenario"], ["--seed", "--days"]),
    "compare": (["compare", "no-such-scenario"], ["--seed", "--days", "--replications", "-r",
                                                  "--workers", "--draws"]),
    "batch": (["batch", "no-such-experiment.toml"], ["--workers", "--chunk"]),
    "sweep": (["sweep", "no-such-sweep.toml"], ["--workers"]),
    "viz": (["viz", "no-such-scenario"], ["--port"]),
    "explain": (["explain", "no-such-scenario", "committee"], ["-r", "--seed", "--days",
                                                                "--permutations", "--top",
                                                                "--workers"]),
    "validate": (["validate", "no-such-experiment.toml"], ["-r", "--workers"]),
    "calibrate": (["calibrate", "no-such-calibration.toml"], ["--workers"]),
}


@settings(max_examples=3 * N, deadline=None, derandomize=True)
@given(cmd=st.sampled_from(sorted(COMMANDS)), data=st.data())
def test_fuzzed_flag_values(cmd: str, data: st.DataObject) -> None:
    base, flags = COMMANDS[cmd]
    flag = data.draw(st.sampled_from(flags))
    value = data.draw(FLAG_VALUES)
    argv = [*base, f"{flag}={value}" if value.startswith("-") else flag, *(
        [] if value.startswith("-") else [value])]
    line = assert_refused(*invoke(argv))
    assert flag.lstrip("-") in line or "no-such" in line or "--port" in line, line


@settings(max_examples=N, deadline=None, derandomize=True)
@given(argv=st.lists(st.one_of(st.sampled_from(
    ["run", "compare", "batch", "report", "sweep", "viz", "--seed", "--days", "--out", "--set",
     "--workers", "--scheduler", "--json", "-r", "--chunk", "--retry-failed", "--port", "--host",
     "committee", "x=1", "issues.rate=2", "--help-me", "-"]), st.text(max_size=5)), max_size=6))
def test_fuzzed_command_lines(work: Path, argv: list[str]) -> None:
    """Any argument list: a refusal in one line, or a command that succeeds (then it only
    printed). Commands that would run the model get a --days so small it is refused."""
    if "--help" in argv or "-h" in argv or "--version" in argv:
        return
    code, out, err = invoke([*argv, "--days", "0"] if argv[:1] in (["run"], ["compare"]) else
                            [*argv, "--out", str(work / "a-file")] if argv[:1] in (["batch"], ["sweep"])
                            else argv)
    if code != 0:
        assert_refused(code, out, err)


# --- output paths and damaged folders -------------------------------------------------------


@FAST
@given(tail=st.lists(st.text(st.characters(exclude_characters="/\x00", exclude_categories=("Cs",)),
                             min_size=1, max_size=6), min_size=0, max_size=3))
def test_fuzzed_out_paths_under_a_file(work: Path, tail: list[str]) -> None:
    out = Path(work / "a-file", *tail)
    line = assert_refused(*invoke(["run", "committee", "--out", str(out)]))
    assert "--out" in line and "is a file" in line


def _stable(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=list(VOLATILE)).sort_values("run_id").reset_index(drop=True)


@settings(max_examples=max(12, N // 5), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_damage_is_refused_by_report_and_repaired_by_batch(work: Path, data: st.DataObject) -> None:
    ref = work / "results"
    victim = data.draw(st.sampled_from(sorted(snapshot(ref))))
    copy = work / "damaged-copy"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(ref, copy)
    raw = (copy / victim).read_bytes()
    how = data.draw(st.sampled_from(["truncate", "flip", "empty"]))
    if how == "truncate":
        raw = raw[:data.draw(st.integers(0, max(0, len(raw) - 1)))]
    elif how == "flip" and raw:
        i = data.draw(st.integers(0, len(raw) - 1))
        raw = raw[:i] + bytes([raw[i] ^ 0xFF]) + raw[i + 1:]
    else:
        raw = b""
    (copy / victim).write_bytes(raw)
    before = snapshot(copy)
    code, out, err = invoke(["report", str(copy)])
    if victim != "manifest.backup.json":  # the report reads the manifest, not its backup
        line = assert_refused(code, out, err)
        assert "damaged" in line
        assert snapshot(copy) == before
    code, out, err = invoke(["batch", str(work / "exp.toml"), "--out", str(copy), "--workers", "1"])
    assert code == 0 and "Traceback" not in err, err
    pd.testing.assert_frame_equal(_stable(pd.read_parquet(copy / "runs.parquet")),
                                  _stable(pd.read_parquet(ref / "runs.parquet")))


# --- issue 15's reproductions, against an existing results folder ------------------------------


@pytest.mark.parametrize("case", [
    "workers-and-scheduler", "chunk-0", "workers-0", "seed-abc", "other-experiment", "escape",
    "report-out-file", "sweep-into-it", "out-under-a-file"])
def test_issue_cases_leave_a_results_folder_unchanged(work: Path, case: str) -> None:
    results, exp = str(work / "results"), str(work / "exp.toml")
    other = work / "other.toml"
    other.write_text((work / "exp.toml").read_text().replace("n = 4", "n = 5"))
    escape = work / "escape.toml"
    escape.write_text('name = "../../escape"\n' + (work / "exp.toml").read_text().split("\n", 1)[1])
    argv = {
        "workers-and-scheduler": ["batch", exp, "--out", results, "--workers", "2",
                                  "--scheduler", "tcp://127.0.0.1:1"],
        "chunk-0": ["batch", exp, "--out", results, "--chunk", "0"],
        "workers-0": ["batch", exp, "--out", results, "--workers", "0"],
        "seed-abc": ["compare", "committee", "--seed", "abc", "--out", results],
        "other-experiment": ["batch", str(other), "--out", results, "--workers", "1"],
        "escape": ["batch", str(escape), "--workers", "1"],
        "report-out-file": ["report", results, "--out", str(work / "a-file")],
        "sweep-into-it": ["sweep", str(SWEEPS[0]), "--out", results, "--workers", "1"],
        "out-under-a-file": ["run", "committee", "--out", str(work / "a-file" / "x")],
    }[case]
    before = snapshot(work / "results")
    assert_refused(*invoke(argv))
    assert snapshot(work / "results") == before
    assert not (work.parent / "escape").exists() and not (work / "escape").exists()


@settings(max_examples=N, deadline=None, derandomize=True)
@given(names=st.lists(st.one_of(st.sampled_from([p.stem for p in SCENARIOS]),
                                st.sampled_from([str(p) for p in SCENARIOS]),
                                st.sampled_from(["comittee", "whistel", "", "-", ".", "/", "nosuch"]),
                                st.text(max_size=6)), min_size=1, max_size=4),
       sets=st.lists(st.sampled_from(["issues.rate=0.4", "issues.rat=1", "run.days=0", "x", "=",
                                      "issues.rate=[1]", "structure=\"whistle\"", "a.b.c=1"]),
                     max_size=2))
def test_fuzzed_scenario_lists(work: Path, names: list[str], sets: list[str]) -> None:
    """`cogov compare` with any scenario names and overrides: checked before anything runs."""
    argv = ["compare", "--", *names] if any(n.startswith("-") for n in names) else ["compare", *names]
    for s in sets:
        argv += ["--set", s]
    assert_refused(*invoke([*argv[:1], *(["--out", str(work / "a-file")]), *argv[1:]]))


# --- issue 25: sweep files built from their parts, flags that would be ignored -----------------

# Each part of a sweep file: values the check must accept, and values it must refuse.
SWEEP_PARTS = {
    "replications": ([None, "1", "2"], ["0", "1000000000000", '"x"', "1.5"]),
    "seed": ([None, "0", "7"], ["-1", "9223372036854775808", "true"]),
    "days": ([None], ["30", '"x"']),
    "scenario": ([None], ['"committee"']),
    "contrast": ([None], ['["committee", "committee"]', '["a"]']),
    "description": ([None, '"d"'], ["5", "[]"]),
    "name": ([None, '"ok-name"'], ['"../../escaped"', '"/tmp/abs"', '"a/b"', "5", '""']),
    "outputs": ([None, '["y"]', '"y"'], ['["z"]', "[]", '["y", "y"]']),
    "second_order": ([None, "false"], ["1", '"yes"']),
    # delta's smallest sweep takes a minute on a busy machine: test_edges3 runs it once
    "method": (['"sobol"', '"morris"', '"fast"', '"emulator"'], ['"sobl"', "1"]),
    "n": ([], ["1", "3", "1099511627776", "-4", '"x"', "4.0"]),
    "bounds": (["[-3.0, 3.0]", "[0, 1]"], ["[3.0, -3.0]", "[1.0, 1.0]", "[-3.0, inf]",
                                           "[nan, 1.0]", "[-1e308, 1e308]", '["a", 1]', "[1]",
                                           "[1, 2, 3]", "2", "[true, false]"]),
    "parameters": ([("x1", "x2", "x3"), ("x1", "x2")], [("x1",), ("x1", "x9")]),
}
GOOD_N = {"sobol": ["4", "16"], "morris": ["4", "8"], "fast": ["65"], "delta": ["64"],
          "emulator": ["16", "32"]}
BAD_N = {"sobol": ["2", "6"], "morris": ["2"], "fast": ["4", "64"], "delta": ["4", "16", "32"],
         "emulator": ["4", "8", "24"]}


@st.composite
def sweep_files(draw: st.DrawFn) -> tuple[str, str | None]:
    """An Ishigami sweep file from its parts: all valid (often), or one part out of range or
    of a wrong type -- or, for n, too small for its method."""
    broken = draw(st.sampled_from([*[None] * 8, *SWEEP_PARTS]))

    def part(key: str) -> object:
        good, bad = SWEEP_PARTS[key]
        return draw(st.sampled_from(bad if key == broken else good))

    method = part("method")
    if broken is None and draw(st.integers(0, 3)) == 0:  # delta, with an n too small for it
        method, broken = '"delta"', "n"
    if broken == "n" and method.strip('"') in BAD_N:
        n = draw(st.sampled_from(BAD_N[method.strip('"')] + SWEEP_PARTS["n"][1]))
    elif broken == "n":
        n = draw(st.sampled_from(SWEEP_PARTS["n"][1]))
    else:
        n = draw(st.sampled_from(GOOD_N.get(method.strip('"'), ["4"])))
    lines = ['model = "ishigami"']
    for key in ("replications", "seed", "days", "scenario", "contrast", "description", "name",
                "outputs"):
        if (v := part(key)) is not None:
            lines.append(f"{key} = {v}")
    lines += ["[sweep]", f"method = {method}", f"n = {n}"]
    second = part("second_order")
    if second is None and method == '"sobol"' and draw(st.booleans()):
        second = "true"
    if second is not None:
        lines.append(f"second_order = {second}")
    lines.append("[parameters]")
    names = part("parameters")
    bad_at = draw(st.integers(0, len(names) - 1))
    for i, x in enumerate(names):
        good, bad = SWEEP_PARTS["bounds"]
        lines.append(f"{x} = {draw(st.sampled_from(bad if broken == 'bounds' and i == bad_at else good))}")
    return "\n".join(lines) + "\n", broken


@settings(max_examples=max(20, N // 3), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=sweep_files())
def test_generated_sweep_files_are_refused_before_any_run_or_run_through(
        work: Path, case: tuple[str, str | None]) -> None:
    """Checked completely before the first run: a file the check accepts must run to its
    report; a file it refuses must have run nothing (no results folder). Each part of the
    generated files is valid or not by construction, and the verdict must agree."""
    text, broken = case
    path = work / "generated-sweep.toml"
    path.write_text(text, encoding="utf-8")
    out = work / "generated-out"
    shutil.rmtree(out, ignore_errors=True)
    code, stdout, err = invoke(["sweep", str(path), "--workers", "1", "--out", str(out)])
    event("ran through" if code == 0 else "refused")
    assert (code == 0) == (broken is None), (broken, code, err, text)
    if code == 0:
        assert (out / "sensitivity" / "report.md").is_file(), text
    else:
        line = assert_refused(code, stdout, err)
        assert str(path) in line, line
        assert not out.exists(), text
    assert not (work.parent / "escaped").exists() and not Path("/tmp/abs").exists()


PARAMS_FLAGS = ["--zh", "--markdown", "--json"]


@settings(max_examples=N, deadline=None, derandomize=True)
@given(flags=st.lists(st.sampled_from([*PARAMS_FLAGS, "--out", "--estimate", "--json", "-r",
                                       "--seed", "--days", "--set", "--workers", "--permutations",
                                       "--top", "--metric"]), unique=True, max_size=3),
       cmd=st.sampled_from(["params", "explain-from"]))
def test_no_flag_is_silently_ignored(flags: list[str], cmd: str) -> None:
    """`params` takes one output form; `explain --from` prints a stored result and takes only
    the flags that shape what it prints (--metric, --top): anything else is refused."""
    values = {"--out": "o", "-r": "3", "--seed": "2", "--days": "9", "--set": "issues.rate=0.3",
              "--workers": "1", "--permutations": "4", "--top": "2",
              "--metric": "resolution_rmst_days"}
    if cmd == "params":
        flags = [f for f in flags if f in PARAMS_FLAGS]
        argv = ["params", *flags]
        ok = len(flags) <= 1
    else:
        shipped = ROOT / "results" / "explain-fragmented-committee" / "explain.json"
        argv = ["explain", "fragmented", "committee", "--from", str(shipped)]
        for f in flags:
            argv += [f, values[f]] if f in values else [f]
        ok = all(f in ("--metric", "--top") for f in flags)
    code, out, err = invoke(argv)
    if ok:
        assert code == 0 and "Traceback" not in err, err
    else:
        assert_refused(code, out, err)
