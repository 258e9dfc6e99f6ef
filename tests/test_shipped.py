"""Shipped package data found from any folder; `cogov init`; where each scenario came from."""

from __future__ import annotations

from pathlib import Path

import pytest

from cogov_sim import shipped
from cogov_sim.cli import main
from cogov_sim.scenario import find, load, origins

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """An empty working folder with no repository in sight."""
    monkeypatch.delenv("COGOV_SCENARIO_PATH", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_clone_paths_are_links_to_the_one_copy():
    data = shipped.data_dir()
    assert data == REPO / "cogov_sim" / "data"
    for old in ("scenarios", "experiments", "results/explain-fragmented-committee/explain.json"):
        assert (REPO / old).is_symlink()
        assert (REPO / old).resolve() == (data / old).resolve()


def test_shipped_scenarios_are_found_from_any_folder(elsewhere):
    found = origins()
    assert {"committee", "fragmented", "whistle", "reform"} <= set(found)
    assert {label for _, label in found.values()} == {"shipped"}
    assert find("committee").parent == shipped.folder("scenarios")
    assert load("reform").name == "reform"  # extends committee / fragmented, found beside it


def test_local_scenarios_come_first_and_say_so(elsewhere, capsys):
    (elsewhere / "scenarios").mkdir()
    (elsewhere / "scenarios" / "committee.toml").write_text(
        'extends = "fragmented"\ndescription = "mine"\n[issues]\nrate = 0.5\n')
    sc = load("committee")
    assert (sc.description, sc["issues.rate"]) == ("mine", 0.5)
    assert main(["scenarios"]) == 0
    lines = {ln.split()[0]: ln.split()[1] for ln in capsys.readouterr().out.splitlines()}
    assert lines["committee"] == "./scenarios"
    assert lines["fragmented"] == "shipped"


def test_local_extends_of_its_own_name_is_a_loop(elsewhere):
    """A local file extending the name it shadows finds itself first: said in one line."""
    from cogov_sim.errors import InputError

    (elsewhere / "scenarios").mkdir()
    (elsewhere / "scenarios" / "committee.toml").write_text('extends = "committee"\n')
    with pytest.raises(InputError, match="loops back on itself"):
        load("committee")


@pytest.mark.parametrize("given", ["headline", "headline.toml", "experiments/headline.toml"])
def test_experiments_by_name_or_clone_path(elsewhere, given):
    assert shipped.locate(given, "experiments") == shipped.folder("experiments") / "headline.toml"


def test_unknown_experiment_name_is_one_line(elsewhere, capsys):
    assert main(["batch", "headlin"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cogov: error: headlin: no file and no experiment of that name "
                          "(did you mean 'headline'?); experiments: calibrate, headline,")
    assert err.count("\n") == 1


def test_explain_from_the_shipped_result_anywhere(elsewhere, capsys):
    for given in ("results/explain-fragmented-committee/explain.json",
                  "results/explain-fragmented-committee"):
        assert main(["explain", "fragmented", "committee", "--from", given, "--top", "2"]) == 0
        out, err = capsys.readouterr()
        assert "structure" in out and err == ""


def test_init_copies_everything_and_never_overwrites(elsewhere, capsys):
    assert main(["init", "work"]) == 0
    for kind in shipped.KINDS:
        copied = sorted(p.name for p in (elsewhere / "work" / kind).iterdir())
        assert copied == sorted(p.name for p in shipped.folder(kind).glob("*.toml"))
    edited = elsewhere / "work" / "scenarios" / "committee.toml"
    edited.write_text(edited.read_text() + "\n# mine\n")
    capsys.readouterr()
    assert main(["init", "work"]) == 2
    err = capsys.readouterr().err
    shipped_files = sum(len(list(shipped.folder(k).glob("*.toml"))) for k in shipped.KINDS)
    assert err.startswith(f"cogov: error: work: {shipped_files} file(s) already there")
    assert err.count("\n") == 1
    assert edited.read_text().endswith("# mine\n")


def test_init_into_a_file_is_one_line(elsewhere, capsys):
    (elsewhere / "f").write_text("x")
    assert main(["init", "f"]) == 2
    assert capsys.readouterr().err == ("cogov: error: f: is a file, not a folder; give a new or "
                                       "empty folder\n")


def test_version_comes_from_the_package_metadata(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out == f"cogov-sim {version('cogov-sim')}\n"


def test_sweeps_calibration_and_validation_files_resolve_from_any_folder(elsewhere):
    from cogov_sim.batch import load_experiment
    from cogov_sim.sensitivity.sweep import load_sweep
    from cogov_sim.validation.calibrate import load_calibration
    from cogov_sim.validation.cli import CALIBRATE, VALIDATION

    assert load_sweep("sweep-participation").name == "sweep-participation"
    assert load_sweep("experiments/sweep-advantage.toml").contrast == ("fragmented", "committee")
    assert load_calibration(CALIBRATE).name == "calibrate"
    assert load_experiment(VALIDATION).name == "validation"
