"""Every effect earned by a mechanism: no number that shapes results outside the parameter
table, councils that decide, 三社联动 and service centres through their channels, staff that
cannot vanish, rural scenarios that differ in one thing."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np

from cogov_sim import api
from cogov_sim.mechanisms import registry as mechanism_registry
from cogov_sim.mechanisms.centres import centre_distance
from cogov_sim.model import CoGovModel
from cogov_sim.scenario import load
from cogov_sim.stats import paired_diff_ci

PKG = Path(__file__).resolve().parents[1] / "cogov_sim"
MODEL_CODE = tuple(sorted(
    str(f.relative_to(PKG)) for f in (
        *PKG.glob("*.py"), *PKG.glob("mechanisms/*.py"), *PKG.glob("structures/*.py"))
    if f.name in ("model.py", "population.py", "service.py", "agents.py", "issues.py",
                  "network.py", "arrivals.py", "pipeline.py", "observation.py", "context.py",
                  "events.py") or f.parent.name in ("mechanisms", "structures")))
"""Every module of the model: the core, every mechanism, every structure."""

# Numeric literals other than 0 and 1 that may appear in the model's code, each with why it is
# not a model parameter. Anything else is a number that shapes results outside the table.
ALLOWED: dict[tuple[str, float], str] = {
    ("observation.py", 30): "MONTH: days in a month (unit conversion)",
    ("arrivals.py", 365.0): "days in a year (unit conversion of per-year rates)",
    ("model.py", 365.0): "days in a year (ledger capacity from the per-year rate)",
    ("mechanisms/self_service.py", 1000.0): "per-1,000 residents (unit conversion)",
    ("mechanisms/self_service.py", 2): "'a group' means at least two (definition)",
    ("arrivals.py", 2): "'several departments' mean at least two (definition); the surge bump "
                        "x^2 e^(2(1-x)) is the form that peaks at 1 when x = 1",
    ("arrivals.py", 0.5): "the day's midpoint for the daily rate",
    ("pipeline.py", 0.5): "the outcome halves every residents.satisfied_days (the parameter's "
                          "definition)",
    ("model.py", 1.3): "ledger capacity head-room (memory only)",
    ("model.py", 64): "ledger capacity head-room (memory only)",
    ("model.py", 1e8): "'no deadline' sentinel (the table's degenerate 1e9)",
    ("arrivals.py", 1e8): "'no patience' sentinel (the table's degenerate 1e9)",
    ("arrivals.py", 3): "three of each issue's uniform draws taken at once (speed only)",
    ("network.py", 15): "int16's range, 2**15: the smallest integer type for tie counts "
                        "(memory only)",
    ("population.py", 30): "WINDOW: participation is counted over a month (the patterns' unit)",
    ("population.py", 0.01): "trust kept off 0 so its logit stays finite (numerical guard)",
    ("population.py", 0.99): "trust kept off 1 so its logit stays finite (numerical guard)",
    ("population.py", 10): "NEVER sentinel, -10**6 days",
    ("population.py", 6): "NEVER sentinel, -10**6 days",
    ("population.py", 1e-6): "logit clip (numerical guard)",
    ("population.py", 36500): "default horizon = the table's largest run.days",
    ("population.py", 2): "the history array's head-room (memory only)",
    ("mechanisms/centres.py", 2): "centres sit mid-way in their share of neighbourhoods",
    ("service.py", 2.0): "lognormal: mu = ln(mean) - sigma^2 / 2 (the distribution's algebra)",
    ("issues.py", 1024): "ledger capacity (memory only)",
    ("issues.py", 16): "ledger capacity (memory only)",
    ("issues.py", 2): "ledger doubling (memory only)",
    ("service.py", 4): "the four job states (an enumeration)",
    ("events.py", 3): "an event tuple's callback field (time, priority, sequence, callback, arg)",
    ("events.py", 4): "an event tuple's argument field",
    ("mechanisms/base.py", 100): "a mechanism's default place in hook order (a sequence number)",
    ("structures/shanghai.py", 10000): "per-10,000 residents (unit conversion)",
    ("model.py", 10000): "per-10,000 residents (unit conversion)",
    ("structures/base.py", 10000): "per-10,000 residents (unit conversion)",
    ("structures/wuhan.py", 1000.0): "per-1,000 residents (unit conversion)",
    ("network.py", 2): "each tie is drawn from one end, so a mean per person halves; a "
                       "household clique links each member to the next two; symmetrising",
}


ALLOWED.update({
    (f"mechanisms/{cls.__module__.rsplit('.', 1)[1]}.py", cls.order):
        "its place in the mechanisms' hook order (a sequence number)"
    for cls in mechanism_registry().values()})


def _literals(rel: str) -> list[tuple[int, float]]:
    """Numeric literals in a module, outside the parameter table's rows (`P(...)` calls) and
    enumeration bodies."""
    tree = ast.parse((PKG / rel).read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        is_row = (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                  and node.func.id == "P")
        is_enum = isinstance(node, ast.ClassDef) and any(
            isinstance(b, ast.Name) and b.id == "IntEnum" for b in node.bases)
        if is_row or is_enum:
            skip.update(id(n) for n in ast.walk(node))
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and type(n.value) in (int, float)
            and n.value not in (0, 1) and id(n) not in skip]


def test_no_number_that_shapes_results_lives_outside_the_parameter_table() -> None:
    stray = [f"{rel}:{line}: {value!r}" for rel in MODEL_CODE for line, value in _literals(rel)
             if (rel, value) not in ALLOWED]
    assert not stray, "numbers outside the parameter table:\n" + "\n".join(stray)


def test_every_allowed_literal_is_still_there() -> None:
    """The list above stays honest: an entry whose number is gone is removed."""
    found = {(rel, v) for rel in MODEL_CODE for _, v in _literals(rel)}
    assert not set(ALLOWED) - found, sorted(set(ALLOWED) - found)


# 0, 1, True and False where they could act as an effect size: a branch that picks a constant
# (`x if c else True` once made community channels always solve) or a constant given to a
# probability-like name. Each allowed one is an absence, a reset or a definition, not a size.
ZERO_ONE_ALLOWED: dict[tuple[str, str], str] = {
    ("model.py", "1 if total >= len(self.departments) else 0"):
        "each department keeps one own staff member when there are enough (the rule of 7.5)",
    ("model.py", "round(st.seconded * total) if st.owner == self.structure.name else 0"):
        "a structure not in use seconds no one",
    ("service.py", "self.field_time() if job.home.field_work and self._field[0] > 0 else 0.0"):
        "stations without field work spend no time on it",
    ("service.py", "minimum if total >= minimum * k else 0"):
        "the per-department minimum applies only when there are enough staff",
    ("agents.py", "self.rated_closed = self.rated_solved = 0"): "counters restart",
    ("mechanisms/supervision.py", "d.rated_closed = d.rated_solved = 0"): "counters restart",
    ("issues.py", "RESOLVED = 1"): "a status code",
    ("observation.py", "t - 1 if t > 0 else 0"): "yesterday's index, clipped at day 0",
    ("network.py", "ends[k - 1] - n if ends[k - 1] > n else 0"): "index arithmetic",
    ("pipeline.py", "0.5 ** (days / self.p['residents.satisfied_days']) if resolved and solved "
                    "else 0.0"): "an issue not solved gives its resident nothing (the outcome "
                                 "scale's zero)",
    ("pipeline.py", "issue.structure.coordination(self.random, issue.n_departments) if "
                    "issue.joint else 0.0"): "sequential work pays hand-offs, not joint "
                                             "coordination (7.8)",
    ("mechanisms/self_service.py", "float(active[org.members].mean()) if len(org.members) else "
                                   "0.0"): "a group without members has no activity",
    ("mechanisms/grid.py", "self.model.structure.grid_efficiency() * p['grid.reference_residents"
                           "_per_worker'] / p['grid.residents_per_worker'] / p['grid.discovery_"
                           "days'] if self.on else 0.0"): "no grid, no grid finds",
    ("mechanisms/sanshe.py", "int(self.p['sanshe.social_workers']) + social if self.on else 0"):
        "三社联动 off: no social workers",
    ("structures/base.py", "rnd.expovariate(1.0 / mean) if mean > 0 else 0.0"):
        "a zero mean delay is no delay",
}
EFFECT_NAMES = ("share", "accuracy", "prob", "solve", "chance", "rate", "efficiency", "pass",
                "quality", "outcome", "solved", "said")


def _zero_one(rel: str) -> list[str]:
    return _zero_one_in((PKG / rel).read_text(encoding="utf-8"))


def _zero_one_in(source: str) -> list[str]:
    """Constant-0/1 branches and 0/1 constants given to probability-like names in code."""
    def is01(n: ast.AST) -> bool:
        return isinstance(n, ast.Constant) and type(n.value) in (bool, int, float) \
            and n.value in (0, 1)

    out = []
    for node in ast.walk(ast.parse(source)):
        branch = isinstance(node, ast.IfExp) and (is01(node.body) or is01(node.orelse))
        named = isinstance(node, ast.Assign) and is01(node.value) and any(
            k in ast.unparse(t).rsplit(".", 1)[-1].lower() for t in node.targets
            for k in EFFECT_NAMES)
        if branch or named:
            out.append(ast.unparse(node))
    return out


def test_no_zero_or_one_acts_as_an_effect_size() -> None:
    stray = [f"{rel}: {code}" for rel in MODEL_CODE for code in _zero_one(rel)
             if (rel, code) not in ZERO_ONE_ALLOWED]
    assert not stray, "0/1 literals that may act as effect sizes:\n" + "\n".join(stray)
    found = {(rel, code) for rel in MODEL_CODE for code in _zero_one(rel)}
    assert not set(ZERO_ONE_ALLOWED) - found, sorted(set(ZERO_ONE_ALLOWED) - found)


def test_the_zero_one_scan_finds_what_it_is_for() -> None:
    """The scan would have caught community channels that always solve (`else True`) and a
    solve share fixed at 1; a plain counter set to 1 is not its business."""
    found = _zero_one_in("solved = rnd.random() < q if dept else True\nst.solve_share = 1.0\n"
                         "n = 1\n")
    assert sorted(found) == ["rnd.random() < q if dept else True", "st.solve_share = 1.0"]


def test_every_row_of_the_table_has_a_source_or_says_assumption() -> None:
    from cogov_sim.params import table

    missing = [name for name, p in table().items() if not p.source.strip()]
    assert not missing, f"rows with neither a source nor 'assumption': {missing}"


# --- councils --------------------------------------------------------------------------------


def test_councils_solve_community_issues_with_the_volunteers_they_mobilise() -> None:
    res = api.run("committee", seed=3, days=240, keep_model=True)
    m, df = res.model, res.issues
    council = df[df["channel"].astype(str) == "council"]
    assert len(council) > 0
    assert council["community"].all() and (council["n_departments"] == 1).all()
    done = council[council["status"].astype(str) == "resolved"]
    q = m.p["party.council_solve_share"]  # council volunteers solve with their own share
    assert len(done) > 0 and abs(done["solved"].mean() - q) < 4 * np.sqrt(q * (1 - q) / len(done))
    parts = done[["discovery_days", "routing_days", "waiting_days", "coordination_days",
                  "service_days"]].sum(axis=1)
    assert np.allclose(parts, done["resolution_days"])  # the stages still add up
    teams = [st for st in m.stations() if type(st).__name__ == "CouncilTeam"]
    assert sum(t.served for t in teams) == len(done)
    # each team's size is set by the last council's attendance in its neighbourhood
    k = m.p["party.council_volunteers_per_issue"]
    attended = np.bincount(m.net.neighbourhood[m.pop.last["council"] == m.pop.last[
        "council"].max()], minlength=m.net.n_neighbourhoods)
    assert [t.servers for t in teams] == list((attended // k).astype(int))


def test_a_council_takes_waiting_community_issues_out_of_department_queues() -> None:
    over = {"mechanisms.party_mobilisation": True, "departments.staff_per_10000": 16}  # long queues
    res = api.run("fragmented", seed=3, days=240, overrides=over, keep_model=True)
    taken = sum(b.issues_taken for b in res.model.mechanism("party").branches)
    df = res.issues
    council = df[df["channel"].astype(str) == "council"]
    assert 0 < taken <= len(council)
    assert (council["waiting_days"].dropna() > 0).sum() >= 1  # waited in a queue first


def test_councils_that_cannot_mobilise_anyone_decide_nothing() -> None:
    seeds = api.replication_seeds(8, 6)
    on, off = [], []
    for s in seeds:
        for out, k in ((on, None), (off, 10_000.0)):
            over = {} if k is None else {"party.council_volunteers_per_issue": k}
            df = api.run("committee", seed=s, days=240, overrides=over).issues
            assert k is None or not (df["channel"].astype(str) == "council").any()
            res = df[(df["status"].astype(str) == "resolved") & df["community"]
                     & (df["t_occur"] >= 30)]
            out.append(res["resolution_days"].mean())
    d, lo, hi = paired_diff_ci(np.array(off), np.array(on))
    assert hi < 0, (d, lo, hi)


# --- service centres and 三社联动 -----------------------------------------------------------


def test_centres_cost_rises_with_distance_and_never_exceeds_the_cost_without() -> None:
    assert list(centre_distance(6, 5000, 5000.0)) == [3, 2, 1, 0, 1, 2]
    assert list(centre_distance(6, 10000, 5000.0)) == [1, 0, 1, 1, 0, 1]
    sc = load("committee")
    m = CoGovModel(sc, rng=1)
    p, pop = m.p, m.pop
    steps = centre_distance(m.net.n_neighbourhoods, m.net.n,
                            p["centres.residents_per_centre"])[m.net.neighbourhood]
    urban = ~m.net.rural
    want = np.minimum(p["residents.participation_cost"], p["centres.participation_cost"]
                      + p["centres.distance_cost"] * steps)
    assert np.allclose(pop.cost[urban], want[urban])
    off = CoGovModel(sc.with_overrides({"mechanisms.service_centres": False}), rng=1)
    assert np.allclose(off.pop.cost[urban], p["residents.participation_cost"])
    assert (pop.cost <= off.pop.cost).all()


def test_sanshe_participation_comes_from_projects_engaging_residents() -> None:
    seeds = api.replication_seeds(9, 5)
    with_p, without = [], []
    for s in seeds:
        for out, k in ((with_p, 10.0), (without, 0.0)):
            r = api.run("committee-sanshe", seed=s, days=180,
                        overrides={"sanshe.project_volunteers": k}, keep_model=True)
            assert (r.model.mechanism("sanshe").hub.engaged > 0) == (k > 0)
            out.append(r.summary["participation_volunteer_mean"])
    d, lo, hi = paired_diff_ci(np.array(without), np.array(with_p))
    assert lo > 0, (d, lo, hi)


# --- staff and scenarios ---------------------------------------------------------------------


def test_departments_cannot_silently_lose_all_staff() -> None:
    # 12 staff for 16 departments: at least one each, under every structure (ODD 7.5)
    m = CoGovModel(load("fragmented", {"issues.categories": 16}), rng=1)
    assert [d.servers for d in m.departments] == [1] * 16
    # the same 16 under the committee, 5 of them pooled: the pooled team serves departments
    # with no staff of their own
    m = CoGovModel(load("committee", {"issues.categories": 16}), rng=1)
    assert m.service.pool.servers == 5 and sum(d.servers for d in m.departments) == 11
    assert min(d.servers for d in m.departments) == 0


def test_a_timeline_that_ends_the_pooled_team_gives_each_department_one(tmp_path) -> None:
    f = tmp_path / "s.toml"
    f.write_text('extends = "committee"\n[issues]\ncategories = 16\n'
                 '[[change]]\nday = 10\nmechanisms.pooled_fraction = 0.0\n')
    m = CoGovModel(load(str(f)), rng=2)
    assert min(d.servers for d in m.departments) == 0  # the pooled team serves those
    for _ in range(12):
        m.step()
    assert m.service.pool.servers == 0
    assert [d.allocated for d in m.departments] == [1] * 16


def test_rural_scenarios_differ_only_in_governance_not_in_the_street() -> None:
    a, b = load("rural").params, load("rural-fragmented").params
    committee, fragmented = load("committee").params, load("fragmented").params
    differ = {k for k in a if a[k] != b[k]}
    assert differ == {k for k in committee if committee[k] != fragmented[k]}
    assert not any(k.startswith(("community.", "grid.")) for k in differ)
