"""Scenario files: loading, `extends`, `[[change]]` timelines, validation messages, overrides,
hashing, the TOML round trip and queueing mode."""

from __future__ import annotations

from pathlib import Path

import pytest

import cogov_sim
from cogov_sim.errors import InputError
from cogov_sim.params import defaults, table
from cogov_sim.scenario import Change, available, find, from_dict, load, parse_assignment

SHIPPED_DIR = Path(cogov_sim.__file__).resolve().parent.parent / "scenarios"
SHIPPED = sorted(p.stem for p in SHIPPED_DIR.glob("*.toml"))


@pytest.fixture(autouse=True)
def _no_scenario_path(monkeypatch):
    """Tests see only the shipped scenarios unless they set the path themselves."""
    monkeypatch.delenv("COGOV_SCENARIO_PATH", raising=False)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path_or_name, overrides=None) -> InputError:
    with pytest.raises(InputError) as info:
        load(path_or_name, overrides)
    return info.value


# --- shipped scenarios -------------------------------------------------------------------------


def test_shipped_scenarios_exist():
    assert {"fragmented", "committee", "whistle", "reform"} <= set(SHIPPED)
    assert set(SHIPPED) <= set(available())


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_loads(name):
    sc = load(name)
    assert Path(sc.source).resolve() == (SHIPPED_DIR / f"{name}.toml").resolve()
    assert sc.name == name
    assert sc.description, "every shipped scenario should describe itself"
    assert set(sc.params) == set(table())
    assert sc.params["structure"] in table()["structure"].choices
    assert sc.params["run.warmup_days"] < sc.params["run.days"]


def test_shipped_scenarios_differ_where_they_say():
    frag, comm, whistle = load("fragmented"), load("committee"), load("whistle")
    assert frag["structure"] == "fragmented"
    assert comm["structure"] == "committee"
    assert whistle["structure"] == "whistle"
    assert comm["mechanisms.pooled_fraction"] == 0.3
    assert frag["mechanisms.pooled_fraction"] == 0.0
    # both patrol: 九龙治水 with its departments' separate grids (Pidu's 15), the committee with one
    assert comm["mechanisms.grid_discovery"] is True and frag["mechanisms.grid_discovery"] is True
    assert comm["mechanisms.supervision"] is True and frag["mechanisms.supervision"] is False


def test_find_by_name_and_by_path():
    assert find("committee").resolve() == (SHIPPED_DIR / "committee.toml").resolve()
    path = SHIPPED_DIR / "whistle.toml"
    assert find(str(path)) == path
    assert load(path).name == "whistle"


def test_scenario_path_env_is_searched_first(tmp_path, monkeypatch):
    write(tmp_path / "committee.toml", 'description = "shadow"\n[issues]\nrate = 1.5\n')
    write(tmp_path / "mine.toml", '[issues]\nrate = 2.5\n')
    monkeypatch.setenv("COGOV_SCENARIO_PATH", str(tmp_path))
    assert load("mine")["issues.rate"] == 2.5
    sc = load("committee")
    assert sc.description == "shadow"
    assert sc["issues.rate"] == 1.5
    assert Path(sc.source).parent == tmp_path


# --- extends ----------------------------------------------------------------------------------


def test_extends_overrides_parent_keys_and_inherits_the_rest(tmp_path):
    write(tmp_path / "parent.toml", """
description = "the parent"
structure = "whistle"
[issues]
rate = 1.0
service_days = 2.0
[mechanisms]
supervision = true
""")
    write(tmp_path / "child.toml", """
extends = "parent"
[issues]
rate = 2.0
""")
    sc = load(tmp_path / "child.toml")
    assert sc["issues.rate"] == 2.0                 # the child's value wins
    assert sc["issues.service_days"] == 2.0         # inherited from the parent
    assert sc["structure"] == "whistle"             # inherited from the parent
    assert sc["mechanisms.supervision"] is True     # inherited from the parent
    assert sc["community.residents"] == defaults()["community.residents"]  # table default
    assert sc.name == "child"                       # no name given: the file's stem
    assert sc.description == "the parent"           # no description: the parent's


def test_child_description_wins(tmp_path):
    write(tmp_path / "parent.toml", 'description = "the parent"\n')
    write(tmp_path / "child.toml", 'extends = "parent"\ndescription = "the child"\n')
    assert load(tmp_path / "child.toml").description == "the child"


def test_shipped_extends_chain():
    # committee-no-grid extends committee which extends fragmented
    sc = load("committee-no-grid")
    assert sc["mechanisms.grid_discovery"] is False      # own value
    assert sc["structure"] == "committee"                # from committee
    assert sc["mechanisms.pooled_fraction"] == 0.3       # from committee
    assert sc["mechanisms.self_service"] is True         # from fragmented
    assert sc.description != load("committee").description


def test_extends_can_name_a_shipped_scenario(tmp_path):
    write(tmp_path / "mine.toml", 'extends = "committee"\n[issues]\nrate = 0.5\n')
    sc = load(tmp_path / "mine.toml")
    assert sc["structure"] == "committee"
    assert sc["issues.rate"] == 0.5


def test_extends_loop_is_an_input_error(tmp_path):
    a = write(tmp_path / "a.toml", 'extends = "b"\n')
    write(tmp_path / "b.toml", 'extends = "a"\n')
    err = load_error(a)
    assert err.key == "extends"
    assert err.source == str(a)
    assert str(a) in str(err)
    assert "key 'extends'" in str(err)
    assert "loop" in str(err)


def test_extends_itself_is_an_input_error(tmp_path):
    a = write(tmp_path / "self.toml", 'extends = "self"\n')
    err = load_error(a)
    assert err.key == "extends"
    assert str(a) in str(err)


def test_extends_unknown_parent(tmp_path):
    f = write(tmp_path / "child.toml", 'extends = "comittee"\n')
    err = load_error(f)
    assert err.key == "extends"
    assert str(err).startswith(f"{f}: key 'extends': ")
    assert "did you mean 'committee'" in str(err)


# --- change timelines -------------------------------------------------------------------------


def test_reform_switches_to_committee_on_day_180():
    sc = load("reform")
    assert sc["structure"] == "fragmented"
    assert sc["run.days"] == 540
    day180 = [c for c in sc.changes if c.day == 180]
    assert len(day180) == 1
    change = day180[0]
    assert change.values["structure"] == "committee"
    assert change.values["mechanisms.supervision"] is True
    # the rest is phased in: councils on day 240, the street team from day 300, full on day 360
    by_day = {c.day: c.values for c in sc.changes}
    assert by_day[240]["mechanisms.party_mobilisation"] is True
    assert by_day[300]["mechanisms.pooled_fraction"] == 0.15
    assert by_day[360]["mechanisms.pooled_fraction"] == 0.3


def test_changes_are_parsed_and_sorted_by_day(tmp_path):
    f = write(tmp_path / "t.toml", """
[[change]]
day = 50
issues.rate = 1.0

[[change]]
day = 10
structure = "whistle"
""")
    sc = load(f)
    assert sc.changes == (Change(10, {"structure": "whistle"}), Change(50, {"issues.rate": 1.0}))


# --- bad input --------------------------------------------------------------------------------


def assert_names(err: InputError, path: Path, key: str) -> None:
    text = str(err)
    assert err.source == str(path)
    assert err.key == key
    assert text.startswith(f"{path}: key '{key}': "), text
    assert "\n" not in text


def test_unknown_key_suggests_nearest(tmp_path):
    f = write(tmp_path / "t.toml", "[issues]\nrat = 0.3\n")
    err = load_error(f)
    assert_names(err, f, "issues.rat")
    assert "unknown parameter" in str(err)
    assert "did you mean 'issues.rate'" in str(err)


def test_section_typo_suggests_right_section(tmp_path):
    f = write(tmp_path / "t.toml", "[mechanism]\nsanshe = true\n")
    err = load_error(f)
    assert_names(err, f, "mechanism.sanshe")
    assert "did you mean 'mechanisms.sanshe'" in str(err)


def test_unknown_top_level_key(tmp_path):
    f = write(tmp_path / "t.toml", 'sructure = "committee"\n')
    err = load_error(f)
    assert_names(err, f, "sructure")
    assert "did you mean 'structure'" in str(err)


def test_value_out_of_range(tmp_path):
    f = write(tmp_path / "t.toml", "[issues]\nrate = 99\n")
    err = load_error(f)
    assert_names(err, f, "issues.rate")
    assert "out of range" in str(err)
    assert "[0, 20]" in str(err)


def test_value_below_range(tmp_path):
    f = write(tmp_path / "t.toml", "[community]\nresidents = 10\n")
    err = load_error(f)
    assert_names(err, f, "community.residents")
    assert "out of range" in str(err)


@pytest.mark.parametrize(("text", "key", "why"), [
    ('[issues]\nrate = "high"\n', "issues.rate", "wrong type"),
    ("[mechanisms]\nsanshe = 1\n", "mechanisms.sanshe", "wrong type"),
    ('[mechanisms]\nsanshe = "yes"\n', "mechanisms.sanshe", "wrong type"),
    ("[issues]\nrate = true\n", "issues.rate", "wrong type"),
    ("structure = 3\n", "structure", "wrong type"),
    ("[community]\nresidents = 50.5\n", "community.residents", "not an integer"),
])
def test_wrong_type(tmp_path, text, key, why):
    f = write(tmp_path / "t.toml", text)
    err = load_error(f)
    assert_names(err, f, key)
    assert why in str(err)
    assert "allowed:" in str(err)


def test_integer_valued_float_for_int_is_accepted(tmp_path):
    f = write(tmp_path / "t.toml", "[community]\nresidents = 500.0\n[issues]\nrate = 1\n")
    sc = load(f)
    assert sc["community.residents"] == 500
    assert isinstance(sc["community.residents"], int)
    assert sc["issues.rate"] == 1.0
    assert isinstance(sc["issues.rate"], float)


def test_unknown_choice_suggests_nearest(tmp_path):
    f = write(tmp_path / "t.toml", 'structure = "comittee"\n')
    err = load_error(f)
    assert_names(err, f, "structure")
    assert "did you mean 'committee'" in str(err)
    assert "'fragmented'" in str(err)  # lists what is allowed


def test_malformed_toml(tmp_path):
    f = write(tmp_path / "t.toml", "[issues\nrate = 0.3\n")
    err = load_error(f)
    assert err.source == str(f)
    assert str(err).startswith(f"{f}: ")
    assert "not valid TOML" in str(err)
    assert "line 1" in str(err)
    assert "\n" not in str(err)


def test_missing_file(tmp_path):
    f = tmp_path / "nope.toml"
    err = load_error(f)
    assert err.source == str(f)
    assert str(err) == f"{f}: file not found"


def test_unknown_scenario_name_suggests_and_lists():
    err = load_error("comittee")
    text = str(err)
    assert "no scenario named 'comittee'" in text
    assert "did you mean 'committee'" in text
    for name in SHIPPED:
        assert name in text.split("scenarios:", 1)[1]


def test_unknown_scenario_name_without_near_match():
    err = load_error("nosuchscenario")
    assert "no scenario named 'nosuchscenario'" in str(err)
    assert "did you mean" not in str(err)
    assert "fragmented" in str(err)


def test_change_without_day(tmp_path):
    f = write(tmp_path / "t.toml", '[[change]]\nstructure = "committee"\n')
    err = load_error(f)
    assert_names(err, f, "change.day")
    assert "needs a 'day'" in str(err)


@pytest.mark.parametrize("day", ["0", "-3", "1.5", '"ten"', "true"])
def test_change_with_bad_day(tmp_path, day):
    f = write(tmp_path / "t.toml", f'[[change]]\nday = {day}\nstructure = "committee"\n')
    err = load_error(f)
    assert_names(err, f, "change.day")


def test_change_of_non_live_key(tmp_path):
    f = write(tmp_path / "t.toml", "[[change]]\nday = 10\ncommunity.residents = 100\n")
    err = load_error(f)
    assert_names(err, f, "change.community.residents")
    assert "cannot change mid-run" in str(err)
    assert "issues.rate" in str(err)  # lists the keys that may change


def test_change_values_are_validated(tmp_path):
    f = write(tmp_path / "t.toml", "[[change]]\nday = 10\nissues.rate = 99\n")
    err = load_error(f)
    assert_names(err, f, "issues.rate")
    assert "out of range" in str(err)


def test_change_must_be_array_of_tables(tmp_path):
    f = write(tmp_path / "t.toml", "change = 3\n")
    err = load_error(f)
    assert_names(err, f, "change")


@pytest.mark.parametrize(("days", "warmup"), [(30, 30), (30, 40)])
def test_warmup_not_below_days(tmp_path, days, warmup):
    f = write(tmp_path / "t.toml", f"[run]\ndays = {days}\nwarmup_days = {warmup}\n")
    err = load_error(f)
    assert_names(err, f, "run.warmup_days")
    assert "below run.days" in str(err)


def test_warmup_below_days_is_fine(tmp_path):
    f = write(tmp_path / "t.toml", "[run]\ndays = 31\nwarmup_days = 30\n")
    assert load(f)["run.days"] == 31


def test_overrides_in_load_are_checked_for_consistency():
    err = load_error("committee", {"run.days": 10})
    assert err.source == "--set"
    assert err.key == "run.warmup_days"


def test_from_dict_validates():
    sc = from_dict({"issues.rate": 1, "structure": "whistle"})
    assert sc["issues.rate"] == 1.0
    assert sc["structure"] == "whistle"
    with pytest.raises(InputError) as info:
        from_dict({"issues.rat": 1})
    assert info.value.key == "issues.rat"
    assert info.value.source == "<dict>"


# --- --set assignments ------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("a.b=3", ("a.b", 3)),
    ("x=true", ("x", True)),
    ("x=false", ("x", False)),
    ('s="committee"', ("s", "committee")),
    ("s=committee", ("s", "committee")),
    ("issues.rate = 0.5", ("issues.rate", 0.5)),
])
def test_parse_assignment_reads_toml_values(text, expected):
    key, value = parse_assignment(text)
    assert (key, value) == expected
    assert type(value) is type(expected[1])


def test_parse_assignment_without_equals():
    with pytest.raises(InputError) as info:
        parse_assignment("issues.rate")
    assert info.value.source == "--set"
    assert "issues.rate" in str(info.value)


# --- overrides and hashing ----------------------------------------------------------------------


def test_with_overrides_validates_and_records():
    base = load("committee")
    sc = base.with_overrides({"issues.rate": 1, "structure": "whistle"})
    assert sc["issues.rate"] == 1.0
    assert isinstance(sc["issues.rate"], float)
    assert sc["structure"] == "whistle"
    assert sc.overrides == {"issues.rate": 1.0, "structure": "whistle"}
    assert base.overrides == {}
    assert base["issues.rate"] == 0.3          # the original is untouched
    assert sc.name == base.name and sc.changes == base.changes

    again = sc.with_overrides({"issues.rate": 2.0}, source="--days")
    assert again.overrides == {"issues.rate": 2.0, "structure": "whistle"}


@pytest.mark.parametrize(("values", "key"), [
    ({"issues.rate": 99}, "issues.rate"),
    ({"issues.rat": 1}, "issues.rat"),
    ({"mechanisms.sanshe": "yes"}, "mechanisms.sanshe"),
])
def test_with_overrides_rejects_bad_values(values, key):
    with pytest.raises(InputError) as info:
        load("committee").with_overrides(values)
    assert info.value.source == "--set"
    assert info.value.key == key
    assert str(info.value).startswith(f"--set: key '{key}': ")


def test_load_with_overrides_records_them():
    sc = load("committee", {"issues.rate": 0.5})
    assert sc["issues.rate"] == 0.5
    assert sc.overrides == {"issues.rate": 0.5}


def test_hash_is_stable_and_changes_with_overrides():
    a, b = load("committee"), load("committee")
    assert a.hash == b.hash
    assert len(a.hash) == 16
    changed = a.with_overrides({"issues.rate": 0.31})
    assert changed.hash != a.hash
    # setting a value to what it already is changes nothing
    assert a.with_overrides({"issues.rate": a["issues.rate"]}).hash == a.hash
    assert load("committee", {"issues.rate": 0.31}).hash == changed.hash
    assert load("fragmented").hash != a.hash


def test_hash_covers_the_timeline(tmp_path):
    f1 = write(tmp_path / "one.toml", '[[change]]\nday = 10\nstructure = "committee"\n')
    f2 = write(tmp_path / "two.toml", '[[change]]\nday = 11\nstructure = "committee"\n')
    assert load(f1).params == load(f2).params
    assert load(f1).hash != load(f2).hash


def test_hash_ignores_comments_and_name(tmp_path):
    f1 = write(tmp_path / "one.toml", "[issues]\nrate = 0.5\n")
    f2 = write(tmp_path / "two.toml", '# a comment\nname = "other"\n[issues]\nrate = 0.5 # c\n')
    assert load(f1).hash == load(f2).hash


# --- TOML round trip --------------------------------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_to_toml_round_trip(tmp_path, name):
    sc = load(name)
    f = write(tmp_path / "out.toml", sc.to_toml())
    back = load(f)
    assert back.params == sc.params
    assert back.changes == sc.changes
    assert back.name == sc.name
    assert back.description == sc.description
    assert back.hash == sc.hash
    # self-contained: no extends
    assert "extends" not in sc.to_toml()


def test_to_toml_round_trip_keeps_the_reform_timeline(tmp_path):
    sc = load("reform")
    back = load(write(tmp_path / "reform-copy.toml", sc.to_toml()))
    assert back.changes == sc.changes
    assert back.changes[0].day == 180
    assert back.changes[0].values["structure"] == "committee"


def test_to_toml_round_trip_with_overrides(tmp_path):
    sc = load("committee", {"issues.rate": 1.25, "community.residents": 800})
    back = load(write(tmp_path / "o.toml", sc.to_toml()))
    assert back["issues.rate"] == 1.25
    assert back["community.residents"] == 800
    assert back.params == sc.params
    assert back.hash == sc.hash


# --- queueing mode ----------------------------------------------------------------------------


def test_effective_without_queueing_is_params():
    sc = load("committee")
    assert sc.effective() == sc.params


def test_queueing_forces_degenerate_values_only():
    sc = load("committee", {"mode.queueing": True})
    eff = sc.effective()
    tab = table()
    forced = {k for k, p in tab.items() if p.degenerate is not None}
    assert "mechanisms.grid_discovery" in forced and "issues.patience_days" in forced
    for key, p in tab.items():
        if p.degenerate is not None:
            assert eff[key] == p.degenerate, key
        else:
            assert eff[key] == sc.params[key], key
    # it really changes something in this scenario
    assert sc["mechanisms.grid_discovery"] is True
    assert eff["mechanisms.grid_discovery"] is False
    assert eff["issues.patience_days"] == 1e9
    assert eff["issues.multi_share"] == 0.0
    # non-degenerate values are left alone
    assert eff["structure"] == "committee"
    assert eff["issues.rate"] == sc["issues.rate"]
    assert eff["mechanisms.pooled_fraction"] == 0.3
    # effective() does not modify the scenario itself
    assert sc["mechanisms.grid_discovery"] is True
