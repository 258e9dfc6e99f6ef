"""A mechanism is one new file: the worked example of docs/mechanisms.md, put on
$COGOV_MECHANISM_PATH, shows in `cogov params`, `cogov mechanisms`, `cogov explain`'s dials
and the visualiser's switches, acts in a run, and changes nothing while switched off."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cogov_sim import ablation, api, cli, explain
from cogov_sim.errors import InputError
from cogov_sim.mechanisms import base, registry
from cogov_sim.scenario import load

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "examples" / "mediation.py"


@pytest.fixture
def mediation(tmp_path, monkeypatch):
    folder = tmp_path / "my_mechanisms"
    folder.mkdir()
    shutil.copy(EXAMPLE, folder / "mediation.py")
    monkeypatch.setenv("COGOV_MECHANISM_PATH", str(folder))
    yield folder
    base._REGISTRY.pop("mediation", None)


def test_the_example_appears_in_every_view(mediation, capsys) -> None:
    assert list(registry())[:4] == ["pooled_team", "grid", "supervision", "mediation"]
    assert cli.main(["params", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["mediation.mediators"]["default"] == 2
    assert cli.main(["mechanisms", "--list"]) == 0
    listed = capsys.readouterr().out
    assert "mediation" in listed and str(mediation / "mediation.py") in listed
    switch = {s.key: s for s in ablation.switches()}["mediation"]
    assert switch.change == {"mechanisms.mediation": True}
    a = load("committee")
    b = a.with_overrides({"mechanisms.mediation": True, "mediation.mediators": 4})
    dials = explain.dials(a, b)
    assert [d.key for d in dials] == ["mediation"]
    assert set(dials[0].change) == {"mechanisms.mediation", "mediation.mediators"}
    from cogov_sim.viz import sides

    assert "mechanisms.mediation" in sides.mechanism_switches()


def test_the_example_acts_only_when_switched_on(mediation) -> None:
    off = api.run("committee", seed=4, days=120)
    on = api.run("committee", seed=4, days=120,
                 overrides={"mechanisms.mediation": True, "mediation.mediators": 3})
    channels = on.issues["channel"].astype(str)
    taken = on.issues[channels == "mediation"]
    assert len(taken) > 0 and taken["community"].all()
    assert (off.issues["channel"].astype(str) != "mediation").all()
    assert on.daily["mediators_busy"].max() > 0 and off.daily["mediators_busy"].max() == 0
    # issues the mediators take are ones self-organisations and councils no longer see
    share = lambda r, ch: (r.issues["channel"].astype(str) == ch).mean()  # noqa: E731
    assert share(on, "self_org") + share(on, "council") < share(off, "self_org") + share(
        off, "council")


def test_switched_off_it_changes_no_result(mediation, monkeypatch) -> None:
    monkeypatch.delenv("COGOV_MECHANISM_PATH")
    assert "mediation" not in registry()
    without = api.run("committee", seed=5, days=90)
    monkeypatch.setenv("COGOV_MECHANISM_PATH", str(mediation))
    assert "mediation" in registry()
    with_off = api.run("committee", seed=5, days=90)
    assert with_off.summary == without.summary
    cols = [c for c in without.issues.columns if c != "channel"]
    assert with_off.issues[cols].equals(without.issues[cols])
    assert (with_off.issues["channel"].astype(str) == without.issues["channel"].astype(str)).all()


def test_a_plugin_that_does_not_parse_is_named_with_its_line(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "bad.py").write_text("x = 1\ndef f(:\n", encoding="utf-8")
    monkeypatch.setenv("COGOV_MECHANISM_PATH", str(folder))
    with pytest.raises(InputError, match=r"bad\.py:2: .*does not parse"):
        registry()
    monkeypatch.setenv("COGOV_STRUCTURE_PATH", str(folder))
    monkeypatch.delenv("COGOV_MECHANISM_PATH")
    assert cli.main(["params"]) == 2
