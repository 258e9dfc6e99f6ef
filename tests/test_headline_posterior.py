"""`cogov compare A B --posterior DIR`: the headline over posterior draws, paired by seed
across arms, beside the run-to-run headline (short runs: 60 days, 3 draws)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cogov_sim import api, cli
from cogov_sim.inference import headline, posterior
from cogov_sim.scenario import load
from cogov_sim.stats import replication_seeds

EXAMPLE = Path(__file__).parent / "data" / "posterior-example"
DAYS, R, K, SEED = 60, 3, 3, 1
RMST = "resolution_rmst_days"


def arms(days: int = DAYS) -> list:
    return [load(n).with_overrides({"run.days": days}) for n in ("fragmented", "committee")]


@pytest.fixture(scope="module")
def example() -> headline.Headline:
    return headline.run(arms(), headline.load(EXAMPLE), draws=K, replications=R, seed=SEED)


@pytest.fixture(autouse=True)
def _hermetic(monkeypatch):
    """Only the shipped scenarios; no `git` subprocess."""
    monkeypatch.delenv("COGOV_SCENARIO_PATH", raising=False)
    monkeypatch.setattr(cli, "git_commit", lambda: None)


def test_seeds_are_paired_across_arms_and_independent_across_draws(example):
    runs = example.runs
    assert len(runs) == (K + 1) * R * 2
    by = runs.pivot_table(index=["draw", "replication"], columns="scenario", values="seed")
    assert (by["fragmented"] == by["committee"]).all()
    at = runs[runs["draw"] == headline.DEFAULTS]
    assert sorted(set(at["seed"])) == sorted(replication_seeds(SEED, R)), \
        "at the scenarios' own values, the seeds of `cogov compare --seed 1`"
    for d in example.draws:
        got = runs[(runs["draw"] == d.index) & (runs["scenario"] == "committee")]
        assert list(got.sort_values("replication")["seed"]) == replication_seeds(d.seed, R)
    assert len(set(runs["seed"])) == (K + 1) * R, "no seed shared between draws"


def test_each_draw_sets_its_values_in_the_arms_that_read_them(example):
    runs = example.runs[example.runs["draw"] != headline.DEFAULTS]
    p = example.posterior.particles.set_index("particle")
    for _, row in runs.iterrows():
        assert row["issues.rate"] == p.loc[row["particle"], "issues.rate"]
        if row["scenario"] == "committee":
            assert row["committee.rush_loss"] == p.loc[row["particle"], "committee.rush_loss"]
        else:
            assert np.isnan(row["committee.rush_loss"]), "fragmented does not read it"
    assert example.coverage == {"issues.rate": ["fragmented", "committee"],
                                "committee.rush_loss": ["committee"]}
    one = runs[runs["scenario"] == "committee"].iloc[0]
    direct = api.run(arms()[1], seed=int(one["seed"]), overrides={
        "issues.rate": one["issues.rate"], "committee.rush_loss": one["committee.rush_loss"]})
    assert direct.summary[RMST] == one[RMST], "a draw's run is the model run at its values"


def test_a_structure_row_is_read_where_that_structure_is_in_force():
    assert not headline.reads(load("fragmented"), "committee.rush_loss")
    assert headline.reads(load("committee"), "committee.rush_loss")
    assert headline.reads(load("shanghai"), "committee.rush_loss"), "built on the committee"
    assert headline.reads(load("reform"), "committee.rush_loss"), "switches to it mid-run"
    assert headline.reads(load("fragmented"), "issues.rate")
    fr = load("fragmented").with_overrides({"run.days": DAYS})
    a = api.run(fr, seed=3).summary
    b = api.run(fr, seed=3, overrides={"committee.rush_loss": 0.3}).summary
    assert pd.Series(a).equals(pd.Series(b)), "an unread row changes nothing"


def test_the_posterior_interval_spans_the_per_draw_means(example):
    row = example.table.loc[("committee", RMST)]
    a, b = headline.paired(example.runs, "fragmented", "committee", RMST)
    per_draw = (b - a).mean(axis=1)
    assert row["posterior_diff"] == pytest.approx(per_draw.mean())
    assert row["interval_low"] == pytest.approx(per_draw.min()), "3 draws: the whole spread"
    assert row["interval_high"] == pytest.approx(per_draw.max())
    assert row["interval_low"] <= row["ci_low"] <= row["posterior_diff"] <= row["ci_high"] \
        <= row["interval_high"]
    at = example.runs[example.runs["draw"] == headline.DEFAULTS]
    cmp = api.compare(arms(), replications=R, seed=SEED)
    assert row["defaults_diff"] == pytest.approx(cmp.table.loc[("committee", RMST), "diff"])
    assert len(at) == 2 * R


def test_the_variance_split_recovers_known_components():
    rng = np.random.default_rng(5)
    k, r = 400, 20
    effect = rng.normal(0, 2.0, (k, 1))
    noise = rng.normal(0, 2.0, (k, r))
    w = np.full(k, 1 / k)
    half = headline.over_draws(3 + effect + noise, w, np.random.default_rng(0))
    assert half["share_between"] == pytest.approx(0.5, abs=0.08)
    assert half["sd_within"] == pytest.approx(2.0, rel=0.05)
    none = headline.over_draws(3 + noise, w, np.random.default_rng(0))
    assert none["share_between"] < 0.03
    assert half["ci_low"] < 3 < half["ci_high"]
    assert none["ci_high"] - none["ci_low"] < half["ci_high"] - half["ci_low"]


def test_identical_particles_at_the_defaults_give_the_defaults_headline(tmp_path):
    sc = load("committee")
    parts = pd.DataFrame({"particle": range(K), "weight": 1 / K,
                          "issues.rate": sc.params["issues.rate"],
                          "committee.rush_loss": sc.params["committee.rush_loss"]})
    posterior.write(tmp_path, parts, {"parameters": {
        "issues.rate": {"low": 0.1, "high": 0.5, "source": "test"},
        "committee.rush_loss": {"low": 0.0, "high": 0.3, "source": "test"}}})
    h = headline.run(arms(), headline.load(tmp_path), draws=K, replications=2, seed=SEED)
    row = h.table.loc[("committee", RMST)]
    same = [api.compare(arms(), replications=2, seed=d.seed).table.loc[("committee", RMST), "diff"]
            for d in h.draws]
    assert row["posterior_diff"] == pytest.approx(np.mean(same), abs=1e-12), \
        "each draw is `cogov compare` at its seeds: the parameters moved nothing"
    assert row["share_between"] < 0.05
    a, b = headline.paired(h.runs, "fragmented", "committee", RMST)
    assert np.all(np.abs(a - b) > 0), "the arms differ"


def test_every_particle_once_with_its_weight_when_there_are_few(tmp_path):
    shutil.copytree(EXAMPLE, tmp_path / "p")
    f = tmp_path / "p" / posterior.CSV
    df = pd.read_csv(f)
    df["weight"] = [0.5, 0.1, 0.1, 0.1, 0.1, 0.1]
    df.to_csv(f, index=False)
    ds = headline.choose_draws(headline.load(tmp_path / "p"), None, SEED)
    assert [d.particle for d in ds] == list(range(6))
    assert [d.weight for d in ds] == pytest.approx([0.5, 0.1, 0.1, 0.1, 0.1, 0.1])
    three = headline.choose_draws(headline.load(tmp_path / "p"), 3, SEED)
    assert len(three) == 3 and all(d.weight == pytest.approx(1 / 3) for d in three)


def compare(*extra: str) -> list[str]:
    return ["compare", "fragmented", "committee", "--days", str(DAYS), "--workers", "1", *extra]


def test_json_and_out(capsys, tmp_path):
    out = tmp_path / "o"
    assert cli.main(compare("--posterior", str(EXAMPLE), "--draws", "2", "-r", "2", "--json",
                            "--out", str(out))) == 0
    text, err = capsys.readouterr()
    assert err == ""
    doc = json.loads(text)
    assert doc["mode"] == "posterior" and doc["draws"] == 2 and doc["replications"] == 2
    prov = doc["posterior"]
    assert prov["folder"] == str(EXAMPLE) and len(prov["csv_sha256"]) == 64
    assert prov["base"] == "fragmented" and prov["parameters"] == ["issues.rate",
                                                                   "committee.rush_loss"]
    assert [set(d) for d in prov["draws"]] == [{"draw", "particle", "weight", "seed", "values"}] * 2
    assert prov["applies_to"]["committee.rush_loss"] == ["committee"]
    assert prov["sampling"].startswith("2 draws by weight (systematic resampling")
    rows = {(r["scenario"], r["metric"]): r for r in doc["table"]}
    top = rows[("committee", RMST)]
    for k in ("defaults_diff", "defaults_ci_low", "defaults_ci_high", "posterior_diff",
              "interval_low", "interval_high", "ci_low", "ci_high", "share_between"):
        assert isinstance(top[k], float), k
    assert json.loads((out / "headline.json").read_text())["table"] == doc["table"]
    assert len(pd.read_parquet(out / "runs.parquet")) == (2 + 1) * 2 * 2
    assert len(pd.read_parquet(out / "headline.parquet")) == len(doc["table"])


def test_text_shows_both_intervals_and_the_provenance(capsys):
    assert cli.main(compare("--posterior", str(EXAMPLE), "--draws", "2", "-r", "2")) == 0
    text = capsys.readouterr().out
    line = next(x for x in text.splitlines() if x.startswith("resolution time, restricted mean"))
    assert line.count("[") == 3 and line.count("|") == 2 and line.endswith("%")
    assert f"posterior: {EXAMPLE}" in text and "committee.rush_loss -> committee (not read by " \
        "fragmented" in text


def damaged(tmp_path: Path, csv: str | None = None, meta: str | None = None) -> str:
    f = tmp_path / "p"
    shutil.copytree(EXAMPLE, f)
    if csv is not None:
        (f / posterior.CSV).write_text(csv)
    if meta is not None:
        (f / posterior.META).write_text(meta)
    return str(f)


@pytest.mark.parametrize(("case", "args", "says"), [
    ("no folder", lambda t: ["--posterior", str(t / "nope")], "is not a folder"),
    ("a file", lambda t: ["--posterior", str(EXAMPLE / posterior.CSV)], "is not a folder"),
    ("empty folder", lambda t: ["--posterior", str(t)], "no posterior.json here"),
    ("bad value", lambda t: ["--posterior", damaged(t, "particle,weight,issues.rate,committee."
                                                      "rush_loss\n0,1,abc,0.1\n")],
     "key 'issues.rate': row 1: value 'abc' is not a finite number"),
    ("missing column", lambda t: ["--posterior", damaged(t, "particle,weight,issues.rate\n0,1,"
                                                            "0.3\n")],
     "columns ['committee.rush_loss'] missing"),
    ("empty csv", lambda t: ["--posterior", damaged(t, "")], "cannot be read as a table"),
    ("bad json", lambda t: ["--posterior", damaged(t, meta="{oops")], "is not valid JSON"),
    ("negative weights", lambda t: ["--posterior", damaged(
        t, "particle,weight,issues.rate,committee.rush_loss\n0,-1,0.3,0.1\n")], "weights must"),
    ("out of range", lambda t: ["--posterior", damaged(
        t, "particle,weight,issues.rate,committee.rush_loss\n0,1,-0.3,0.1\n")],
     "posterior.csv (particle 0): key 'issues.rate': value -0.3 is out of range"),
    ("one replication", lambda t: ["--posterior", str(EXAMPLE), "-r", "1"], "allowed: 2 or more"),
    ("set a calibrated key", lambda t: ["--posterior", str(EXAMPLE), "--set", "issues.rate=0.2"],
     "issues.rate is calibrated by the posterior"),
    ("draws alone", lambda t: ["--draws", "3"], "applies with --posterior DIR only"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, case, args, says):
    assert cli.main(compare(*args(tmp_path))) == 2, case
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and says in err, err


def test_one_scenario_or_zero_draws_exit_2(capsys):
    assert cli.main(["compare", "committee", "--posterior", str(EXAMPLE), "--days", "60",
                     "--workers", "2"]) == 2, "refused before any worker starts"
    assert "at least two scenarios" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        cli.main(compare("--posterior", str(EXAMPLE), "--draws", "0"))
    assert e.value.code == 2
    assert "--draws: value 0 is out of range" in capsys.readouterr().err
