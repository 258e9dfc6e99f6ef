"""The `cogov` command, called in-process through `cli.main` (plus one real subprocess)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import cogov_sim
from cogov_sim import api, cli
from cogov_sim.params import table
from cogov_sim.scenario import load

ROOT = Path(cogov_sim.__file__).resolve().parent.parent
SHIPPED = sorted(p.stem for p in (ROOT / "scenarios").glob("*.toml"))


@pytest.fixture(autouse=True)
def _hermetic(monkeypatch):
    """Only the shipped scenarios; no `git` subprocess (provenance's git field is None)."""
    monkeypatch.delenv("COGOV_SCENARIO_PATH", raising=False)
    monkeypatch.setattr(cli, "git_commit", lambda: None)


def run_json(capsys, *argv: str) -> dict:
    assert cli.main(["run", *argv, "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert len(out.strip().splitlines()) == 1, "--json prints exactly one line"
    doc = json.loads(out)
    assert isinstance(doc, dict)
    return doc


def nan_to_none(d: dict) -> dict:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}


# --- run --------------------------------------------------------------------------------------


def test_run_prints_a_readable_summary(capsys):
    assert cli.main(["run", "committee", "--seed", "3", "--days", "60"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "scenario 'committee'" in out
    assert "seed 3" in out
    assert "60 days" in out
    assert "ledger balanced: yes" in out
    assert "Resolution time" in out
    assert not out.lstrip().startswith("{")


def test_a_timeline_cut_off_by_the_run_end_is_named(capsys):
    assert cli.main(["run", "reform", "--seed", "3", "--days", "200"]) == 0
    err = capsys.readouterr().err
    assert "reform.toml" in err and "day 240, 300, 360" in err and "never takes effect" in err
    assert "180" not in err


def test_run_json_has_provenance_and_summary(capsys):
    doc = run_json(capsys, "committee", "--seed", "3", "--days", "60")
    assert set(doc) == {"provenance", "summary"}
    prov, summary = doc["provenance"], doc["summary"]
    assert prov["scenario"] == "committee"
    assert prov["scenario_hash"] == load("committee", {"run.days": 60}).hash
    assert prov["scenario_hash"] != load("committee").hash
    assert prov["seed"] == 3
    assert prov["days"] == 60
    assert prov["overrides"] == {"run.days": 60}
    assert summary["ledger_balanced"] == 1.0
    assert summary["issues_created"] > 0
    assert 0.0 <= summary["resolution_rate"] <= 1.0


def test_run_json_is_reproducible_per_seed(capsys):
    a = run_json(capsys, "committee", "--seed", "3", "--days", "60")["summary"]
    b = run_json(capsys, "committee", "--seed", "3", "--days", "60")["summary"]
    c = run_json(capsys, "committee", "--seed", "4", "--days", "60")["summary"]
    assert a == b
    assert a != c


def test_run_json_matches_the_api(capsys):
    doc = run_json(capsys, "committee", "--seed", "3", "--days", "60")
    res = api.run("committee", seed=3, days=60)
    assert doc["summary"] == nan_to_none(res.summary)


def test_run_set_overrides_are_applied_and_recorded(capsys):
    doc = run_json(capsys, "committee", "--days", "60", "--set", "issues.rate=0.6",
                   "--set", "structure=whistle")
    prov = doc["provenance"]
    assert prov["overrides"] == {"issues.rate": 0.6, "structure": "whistle", "run.days": 60}
    expected = load("committee", {"issues.rate": 0.6, "structure": "whistle",
                                  "run.days": 60}).hash
    assert prov["scenario_hash"] == expected


def test_run_out_writes_tables_summary_and_scenario(capsys, tmp_path):
    out_dir = tmp_path / "out"
    assert cli.main(["run", "committee", "--seed", "3", "--days", "60",
                     "--out", str(out_dir)]) == 0
    text = capsys.readouterr().out
    assert str(out_dir) in text
    for name in ("issues.parquet", "daily.parquet", "stations.parquet", "summary.json",
                 "scenario.toml"):
        assert (out_dir / name).is_file(), name

    issues = pd.read_parquet(out_dir / "issues.parquet")
    daily = pd.read_parquet(out_dir / "daily.parquet")
    stations = pd.read_parquet(out_dir / "stations.parquet")
    assert len(issues) > 0 and {"issue", "t_occur", "t_closed"} <= set(issues.columns)
    assert len(daily) >= 60 and "time" in daily.columns
    assert len(stations) > 0 and {"name", "kind", "servers"} <= set(stations.columns)
    for col in ("category", "n_departments", "rural"):  # closed-only and censoring-aware times
        by = pd.read_parquet(out_dir / f"by_{col}.parquet")
        assert {col, "issues", "resolution_mean_days", "resolution_rmst_days",
                "cif_abandoned_90d"} <= set(by.columns), col
        assert by["issues"].sum() == len(issues[issues["t_occur"] >= 30])

    saved = json.loads((out_dir / "summary.json").read_text())
    assert saved["provenance"]["seed"] == 3
    assert saved["provenance"]["days"] == 60
    assert saved["summary"]["issues_created"] > 0
    assert saved["summary"]["all_issues"] == len(issues)

    sc = load(out_dir / "scenario.toml")
    assert sc.name == "committee"
    assert sc["run.days"] == 60
    assert sc.hash == saved["provenance"]["scenario_hash"]
    again = api.run(sc, seed=3)
    assert nan_to_none(again.summary) == saved["summary"]


def test_run_out_scenario_runs_again_through_the_cli(capsys, tmp_path):
    out_dir = tmp_path / "out"
    first = run_json(capsys, "committee", "--seed", "5", "--days", "60", "--out", str(out_dir))
    second = run_json(capsys, str(out_dir / "scenario.toml"), "--seed", "5")
    assert second["summary"] == first["summary"]
    assert second["provenance"]["scenario_hash"] == first["provenance"]["scenario_hash"]


# --- compare ----------------------------------------------------------------------------------


def test_compare_json_table(capsys):
    assert cli.main(["compare", "fragmented", "committee", "-r", "2", "--days", "60",
                     "--json"]) == 0
    out, _ = capsys.readouterr()
    assert len(out.strip().splitlines()) == 1
    doc = json.loads(out)
    assert doc["replications"] == 2
    assert [s["name"] for s in doc["scenarios"]] == ["fragmented", "committee"]
    rows = doc["table"]
    assert rows
    for row in rows:
        assert {"scenario", "metric", "mean", "ci_low", "ci_high", "diff"} <= set(row)
    by_scenario = {name: [r for r in rows if r["scenario"] == name]
                   for name in ("fragmented", "committee")}
    assert by_scenario["fragmented"] and by_scenario["committee"]
    assert {r["metric"] for r in by_scenario["fragmented"]} == \
        {r["metric"] for r in by_scenario["committee"]}
    assert all(r["diff"] is None for r in by_scenario["fragmented"])
    assert all(r["diff"] is not None for r in by_scenario["committee"])
    for r in rows:
        if r["mean"] is not None and r["ci_low"] is not None:
            assert r["ci_low"] <= r["mean"] <= r["ci_high"]


def test_compare_on_worker_processes_equals_in_process(capsys, tmp_path):
    """`--workers 2` runs through the batch engine on two processes: same seeds, same rows."""
    tables = []
    for workers in ("1", "2"):
        out = tmp_path / workers
        assert cli.main(["compare", "fragmented", "committee", "-r", "3", "--days", "60",
                         "--workers", workers, "--out", str(out)]) == 0
        tables.append(pd.read_parquet(out / "runs.parquet").sort_values(
            ["scenario", "replication"]).reset_index(drop=True))
    capsys.readouterr()
    serial, parallel = tables
    assert list(serial["seed"]) == list(parallel["seed"])
    pd.testing.assert_frame_equal(serial, parallel[serial.columns], check_dtype=False)


# --- scenarios and params ---------------------------------------------------------------------


def test_scenarios_lists_every_shipped_scenario(capsys):
    assert cli.main(["scenarios"]) == 0
    out = capsys.readouterr().out
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    assert set(SHIPPED) <= set(names)
    assert "(invalid" not in out
    assert load("committee").description in out


def test_params_lists_parameters(capsys):
    assert cli.main(["params"]) == 0
    out = capsys.readouterr().out
    names = {line.split()[0] for line in out.splitlines() if line.strip()}
    assert "issues.rate" in names
    assert names == set(table())


def test_params_markdown_matches_committed_docs(capsys):
    assert cli.main(["params", "--markdown"]) == 0
    out = capsys.readouterr().out
    committed = (ROOT / "docs" / "parameters.md").read_text(encoding="utf-8")
    assert out == committed, "docs/parameters.md is stale: run `make docs`"


def test_params_json_parses(capsys):
    assert cli.main(["params", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == list(table())
    rate = next(r for r in rows if r["name"] == "issues.rate")
    assert rate["kind"] == "float"
    assert rate["default"] == 0.3
    assert rate["live"] is True
    structure = next(r for r in rows if r["name"] == "structure")
    assert "committee" in structure["choices"]


# --- bad input --------------------------------------------------------------------------------


def one_error_line(capsys) -> str:
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("cogov: error: ")
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(("argv", "expected"), [
    (["run", "committee", "--set", "issues.rat=0.3"],
     ["--set: key 'issues.rat'", "did you mean 'issues.rate'"]),
    (["run", "committee", "--set", "issues.rate=99"],
     ["--set: key 'issues.rate'", "out of range"]),
    (["run", "committee", "--set", "mechanisms.sanshe=1"],
     ["--set: key 'mechanisms.sanshe'", "wrong type"]),
    (["run", "committee", "--set", "community.residents=50.5"],
     ["--set: key 'community.residents'", "not an integer"]),
    (["run", "committee", "--set", "structure=comittee"],
     ["--set: key 'structure'", "did you mean 'committee'"]),
    (["run", "committee", "--set", "issues.rate"],
     ["--set: ", "issues.rate", "not key=value"]),
    (["run", "comittee"],
     ["no scenario named 'comittee'", "did you mean 'committee'", "fragmented"]),
    (["compare", "fragmented", "nosuchscenario", "-r", "1"],
     ["no scenario named 'nosuchscenario'"]),
    (["compare", "fragmented", "committee", "-r", "1", "--set", "issues.rat=1"],
     ["--set: key 'issues.rat'"]),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, expected):
    assert cli.main(argv) == 2
    line = one_error_line(capsys)
    for fragment in expected:
        assert fragment in line


def test_missing_toml_file(capsys, tmp_path):
    f = tmp_path / "missing.toml"
    assert cli.main(["run", str(f)]) == 2
    assert one_error_line(capsys) == f"cogov: error: {f}: file not found"


def test_malformed_toml_file(capsys, tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("[issues\nrate = 0.3\n")
    assert cli.main(["run", str(f)]) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"cogov: error: {f}: not valid TOML")


def test_bad_value_in_toml_file(capsys, tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text('extends = "committee"\n[issues]\nrate = "lots"\n')
    assert cli.main(["run", str(f), "--days", "60"]) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"cogov: error: {f}: key 'issues.rate': ")
    assert "wrong type" in line


def test_unknown_key_in_toml_file(capsys, tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("[mechanism]\nsanshe = true\n")
    assert cli.main(["run", str(f)]) == 2
    line = one_error_line(capsys)
    assert f"{f}: key 'mechanism.sanshe'" in line
    assert "did you mean 'mechanisms.sanshe'" in line


def test_run_days_below_warmup_is_rejected(capsys):
    # `--set run.days=20` is rejected (warm-up is 30 days), and so is `compare --days 20`;
    # `run --days 20` should be too, rather than summarising an empty window.
    assert cli.main(["run", "committee", "--days", "20"]) == 2
    line = one_error_line(capsys)
    assert "run.warmup_days" in line


def test_set_days_below_warmup_is_rejected(capsys):
    assert cli.main(["run", "committee", "--set", "run.days=20"]) == 2
    line = one_error_line(capsys)
    assert "--set: key 'run.warmup_days'" in line


@pytest.mark.parametrize("argv", [
    ["run", "committee", "--days", "abc"],
    ["run", "committee", "--days", "0"],
    ["run", "committee", "--seed", "-1"],
    ["compare", "fragmented", "committee", "--replications", "0"],
    ["compare", "fragmented", "-r", "x"],
    ["run"],
    ["nosuchcommand"],
])
def test_argparse_errors_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "error" in err


def test_subprocess_unknown_scenario_exits_2_with_one_line(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "cogov_sim.cli", "run", "nosuchscenario"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("cogov: error: ")
    assert "nosuchscenario" in lines[0]


def test_a_run_inside_its_warm_up_says_how_to_fix_it(capsys) -> None:
    """`cogov run committee --days 30` ends inside the 30-day warm-up: one line, exit 2, and
    the two ways out."""
    assert cli.main(["run", "committee", "--days", "30"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "run.warmup_days" in err[0]
    assert "--days 60" in err[0] and "--set run.warmup_days=N, N < 30" in err[0]
