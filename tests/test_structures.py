"""Governance structures as plug-ins (docs/structures.md): every registered structure passes the
same checks; a structure from a folder outside the package attaches its own station and is
picked up everywhere; subclasses inherit parameters; the ledger stores names."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cogov_sim import api, cli
from cogov_sim.errors import InputError
from cogov_sim.model import department_staff
from cogov_sim.params import defaults, table
from cogov_sim.scenario import load
from cogov_sim.structures import Route, Structure, base, make, registry
from cogov_sim.structures.whistle import Whistle

STRUCTURES = sorted(registry())


def _run(structure: str, seed: int = 3, days: int = 120, **over) -> api.RunResult:
    return api.run("fragmented", seed=seed, days=days,
                   overrides={"structure": structure, **over}, keep_model=True)


@pytest.mark.parametrize("name", STRUCTURES)
def test_every_structure_balances_its_ledger_and_names_what_it_routed(name: str) -> None:
    res = _run(name)
    assert res.summary["ledger_balanced"] == 1.0
    df = res.issues
    routed = df[df["channel"].astype(str).isin(
        ["departments", *(c for c in df["channel"].cat.categories
                          if c not in ("none", "self_org", "sanshe", "enterprise", "council"))])]
    assert len(routed) > 0 and set(routed["structure"].astype(str)) == {name}
    assert set(df["structure"].cat.categories) >= {"none", name}


@pytest.mark.parametrize("name", STRUCTURES)
def test_every_structure_is_deterministic_by_seed(name: str) -> None:
    a, b = _run(name, seed=11, days=60).summary, _run(name, seed=11, days=60).summary
    assert json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True,
                                                                       default=str)


@pytest.mark.parametrize("name", STRUCTURES)
def test_every_structure_in_queueing_mode_is_a_plain_queue(name: str) -> None:
    res = _run(name, days=150, **{"mode.queueing": True})
    s, df = res.summary, res.issues
    assert s["abandonment_rate"] == 0 and s["transfers_per_issue"] == 0
    done = df[df["status"].astype(str) == "resolved"]
    stages = done[["discovery_days", "routing_days", "waiting_days", "coordination_days",
                   "service_days"]].sum(axis=1)
    assert np.allclose(stages, done["resolution_days"])
    assert (done["discovery_days"] == 0).all() and (done["routing_days"] == 0).all()


def test_structure_names_stay_out_of_the_core() -> None:
    import re

    root = Path(__file__).resolve().parents[1] / "cogov_sim"
    pattern = re.compile(r'"(committee|whistle|fragmented|shanghai|wuhan)"')
    for f in ("model.py", "service.py", "issues.py", "api.py", "metrics.py"):
        hits = [i for i, line in enumerate((root / f).read_text().splitlines(), 1)
                if pattern.search(line)]
        assert not hits, f"{f}: structure names on lines {hits}"


# --- shipped structures: what they claim ---------------------------------------------------


def test_shanghai_member_units_claim_and_serve_issues_and_find_them() -> None:
    res = api.run("shanghai", seed=2, days=150, keep_model=True)
    df = res.issues
    claimed = df[df["channel"].astype(str) == "member_unit"]
    assert len(claimed) > 0 and (claimed["n_departments"] == 1).all()
    units = res.stations[res.stations["kind"] == "member unit"]
    assert len(units) == round(5000 * 12 / 10_000) and units["served"].sum() > 0
    assert (df["discovered_by"].astype(str) == "structure").sum() > 0
    structure = res.model.structure
    for _, row in claimed.iterrows():
        assert any(int(row["category"]) in c for c in structure.covers)


def test_wuhan_red_property_takes_property_issues_and_sent_members_mobilise() -> None:
    res = api.run("wuhan", seed=2, days=150, keep_model=True)
    df = res.issues
    prop = df[df["channel"].astype(str) == "red_property"]
    cat = res.model.p["wuhan.property_category"]
    assert len(prop) > 0 and (prop["category"] == cat).all() and (prop["n_departments"] == 1).all()
    from cogov_sim.model import CoGovModel

    plain = CoGovModel(load("wuhan", {"wuhan.sent_per_1000": 0.0}), rng=2)
    assert (res.model.pop.mobilisation > plain.pop.mobilisation).all()


def test_a_subclass_inherits_its_parents_parameters() -> None:
    w = make("wuhan", defaults())
    assert w.p["accuracy"] == table()["whistle.accuracy"].default
    assert w.p["report_days"] == w.report_deadline()
    assert w.p["sent_per_1000"] == table()["wuhan.sent_per_1000"].default
    try:
        class Echo(Whistle):  # no rows of its own: none declared twice
            name = "echo-test"
            title, title_zh, summary = "echo", "回声", "a whistle by another name"

        assert "echo-test" in table()["structure"].choices
        assert make("echo-test", defaults()).p == make("whistle", defaults()).p
    finally:
        base._REGISTRY.pop("echo-test", None)


# --- a plug-in from outside the package ----------------------------------------------------

DEPOT = '''
from cogov_sim.params import P
from cogov_sim.structures import Route, Structure, exp


class Depot(Structure):
    name = "depot"
    title, title_zh = "repair depot", "维修站"
    summary, summary_zh = "one door; a depot takes repair issues", "一门受理；维修站承接维修事项"
    marker, colour = "s", "#1f77b4"
    key_params = ("depot.servers",)
    params = [
        P("depot.servers", "int", 2, "server", "Depot teams", "维修站力量", low=0, high=50,
          source="assumption"),
        P("depot.intake_days", "float", 0.5, "day", "Mean days from report to the depot",
          "受理到派至维修站的平均天数", low=0.0, high=365.0, degenerate=0.0,
          source="assumption"),
    ]

    def attach(self, ctx):
        self.depot = ctx.add_station("repair depot", "repair depot", "维修站",
                                     self.p["servers"], mean_days=1.0)

    def route(self, issue, rnd, ctx):
        delay = exp(rnd, self.p["intake_days"])
        if not issue.multi and issue.category == 0:
            return Route(delay, to=[self.depot])
        return Route(delay)
'''


@pytest.fixture
def depot(tmp_path, monkeypatch):
    folder = tmp_path / "my_structures"
    folder.mkdir()
    (folder / "depot.py").write_text(textwrap.dedent(DEPOT), encoding="utf-8")
    monkeypatch.setenv("COGOV_STRUCTURE_PATH", str(folder))
    yield folder
    base._REGISTRY.pop("depot", None)


def test_a_structure_from_outside_the_package_is_picked_up_everywhere(depot, tmp_path,
                                                                       capsys) -> None:
    assert "depot" in registry()
    # cogov params
    assert cli.main(["params", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["depot.servers"]["default"] == 2 and "depot" in rows["structure"]["choices"]
    # scenario validation, with "did you mean"
    sc = load("fragmented", {"structure": "depot", "depot.servers": 3})
    assert sc["depot.servers"] == 3
    with pytest.raises(InputError, match="did you mean 'depot.servers'"):
        load("fragmented", {"structure": "depot", "depot.servrs": 3})
    # a run: its station serves the issues it routes there, the ledger says so by name
    out = tmp_path / "out"
    assert cli.main(["run", "fragmented", "--days", "90", "--set", 'structure="depot"',
                     "--out", str(out)]) == 0
    issues = pd.read_parquet(out / "issues.parquet")
    depot_issues = issues[issues["channel"].astype(str) == "repair_depot"]
    assert len(depot_issues) > 0 and (depot_issues["category"] == 0).all()
    assert set(issues["structure"].astype(str)) <= {"none", "depot"}
    stations = pd.read_parquet(out / "stations.parquet")
    assert stations.loc[stations["kind"] == "repair depot", "served"].sum() > 0
    # the visualiser: its labels and its sliders
    from cogov_sim.viz import session as ses
    from cogov_sim.viz.i18n import structure_name

    assert structure_name("depot", "zh") == "维修站"
    assert "repair depot" in structure_name("depot", "en")
    assert "depot.servers" in [name for name, *_ in ses.sliders("depot")]


def test_saved_ledgers_read_back_with_names(tmp_path) -> None:
    out = tmp_path / "run"
    assert cli.main(["run", "reform", "--days", "240", "--out", str(out)]) == 0
    df = pd.read_parquet(out / "issues.parquet")
    assert isinstance(df["structure"].dtype, pd.CategoricalDtype)
    assert set(df["structure"].astype(str)) == {"none", "fragmented", "committee"}
    assert (df.loc[df["channel"].astype(str) != "departments", "structure"]
            .astype(str).isin(["none", "fragmented", "committee"])).all()
    assert "departments" in set(df["channel"].astype(str))


def test_route_is_the_only_thing_a_structure_must_define() -> None:
    class Half(Structure):
        title, title_zh, summary = "half", "半", ""

        def route(self, issue, rnd, ctx):
            return Route(0.0)

    # without a joint_share row its departments work one after another, at no joint cost
    assert Half({}).parallel(None, None) is False and Half({}).discovery_hazard(None) == 0.0
    assert Half({}).coordination(None, 3) == 0.0


PLATFORMS = '''
from cogov_sim.params import P
from cogov_sim.structures import Route, Structure, exp


class Platforms(Structure):
    name = "platforms-test"
    title, title_zh = "four platforms", "四平台"
    summary = "platforms staffed by seconded department staff; pooled team for category 1"
    params = [P("platforms-test.share", "float", 0.25, "share", "Seconded share", "抽调比例",
                low=0.0, high=1.0, source="assumption")]

    def attach(self, ctx):
        self.platform = ctx.add_station("platform", "platform", "平台", 0, 1.0,
                                        seconded=self.p["share"])

    def route(self, issue, rnd, ctx):
        if issue.multi:
            return Route(0.1)
        if issue.category == 1:
            return Route(0.1, to=[ctx.pool])
        return Route(0.1, to=[self.platform])
'''


def test_a_structure_seconds_departments_staff_and_routes_to_the_pooled_team(tmp_path,
                                                                            monkeypatch):
    folder = tmp_path / "plat"
    folder.mkdir()
    (folder / "platforms.py").write_text(textwrap.dedent(PLATFORMS), encoding="utf-8")
    monkeypatch.setenv("COGOV_STRUCTURE_PATH", str(folder))
    try:
        pooled = {"mechanisms.pooled_fraction": 0.25}
        res = _run("platforms-test", seed=5, days=120, **pooled)
        m = res.model
        platform = m.structure.platform
        staff = department_staff(m.p)
        assert platform.servers == round(0.25 * staff)
        assert sum(d.servers for d in m.departments) + platform.servers + m.service.pool.servers \
            == staff  # moved, not added
        ch = res.issues["channel"].astype(str)
        done = res.issues["status"].astype(str) == "resolved"
        assert (done & (ch == "platform")).sum() > 0 and (done & (ch == "pooled_team")).sum() > 0
        assert res.summary["ledger_balanced"] == 1.0
        # when the structure in force changes, the platform's staff return to the departments
        f = tmp_path / "switch.toml"
        f.write_text('extends = "fragmented"\nstructure = "platforms-test"\n'
                     '[mechanisms]\npooled_fraction = 0.25\n'
                     '[[change]]\nday = 60\nstructure = "fragmented"\n', encoding="utf-8")
        m = api.run(str(f), seed=5, days=90, keep_model=True).model
        assert m.structure.name == "fragmented" and m.structure_stations[0].servers == 0
        assert sum(d.servers for d in m.departments) + m.service.pool.servers == staff
    finally:
        base._REGISTRY.pop("platforms-test", None)


def test_the_visualiser_lists_a_found_scenario_with_its_description(tmp_path, monkeypatch):
    from cogov_sim.viz.i18n import scenario_title

    folder = tmp_path / "my_scenarios"
    folder.mkdir()
    (folder / "depot-street.toml").write_text(
        'name = "depot-street"\ndescription = "a street with a repair depot"\n'
        'extends = "fragmented"\n', encoding="utf-8")
    monkeypatch.setenv("COGOV_SCENARIO_PATH", str(folder))
    assert scenario_title("depot-street", "en") == "depot-street: a street with a repair depot"
