"""`cogov explain`: Shapley decomposition of a difference between scenarios."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

from cogov_sim import api, explain, load_scenario, metrics
from cogov_sim.cli import main

# a model function with a known decomposition: additive effects a_i plus an interaction b
# between players 0 and 1; player 3 does nothing (a null player)
A = np.array([2.0, 2.0, -5.0, 0.0])
B = 3.0
K = len(A)


def v(mask: int) -> np.ndarray:
    on = np.array([(mask >> i) & 1 for i in range(K)], dtype=float)
    return np.array([on @ A + B * on[0] * on[1], 10.0 * on[2]])  # two "metrics"


VALUES = {m: v(m) for m in range(1 << K)}


def test_exact_shapley_known_decomposition() -> None:
    phi = explain.exact_shapley(VALUES, K)
    # the interaction is split equally; the second metric only sees player 2
    assert phi[:, 0] == pytest.approx([2 + B / 2, 2 + B / 2, -5.0, 0.0])
    assert phi[:, 1] == pytest.approx([0.0, 0.0, 10.0, 0.0])
    # efficiency: contributions add up to v(all) - v(none), in every metric
    assert phi.sum(axis=0) == pytest.approx(VALUES[(1 << K) - 1] - VALUES[0])
    assert phi[0, 0] == phi[1, 0]  # symmetry: interchangeable players share equally
    assert phi[3] == pytest.approx(0.0)  # null player


def test_interaction_index() -> None:
    assert explain.interaction_index(VALUES, K, 0, 1)[0] == pytest.approx(B)
    assert explain.interaction_index(VALUES, K, 0, 2) == pytest.approx([0.0, 0.0])


def test_sampled_shapley_efficient_and_close() -> None:
    rng = np.random.default_rng(5)
    perms = [list(rng.permutation(K)) for _ in range(400)]
    phi, se = explain.sampled_shapley(VALUES, K, perms)
    assert phi.sum(axis=0) == pytest.approx(VALUES[(1 << K) - 1] - VALUES[0])
    exact = explain.exact_shapley(VALUES, K)
    assert np.all(np.abs(phi - exact) <= 4 * se + 1e-12)
    assert se[2, 0] == pytest.approx(0.0)  # player 2's contribution never depends on order
    assert set(explain.permutation_masks(perms)) <= set(range(1 << K))


def test_bootstrap_ci_brackets_the_mean() -> None:
    per_rep = np.random.default_rng(1).normal(3.0, 1.0, size=(2, 30, 1))
    m, lo, hi = explain.bootstrap_ci(per_rep, np.random.default_rng(2))
    assert np.all(lo < m) and np.all(m < hi)
    assert m[0, 0] == pytest.approx(per_rep[0, :, 0].mean())


def test_dials_between_fragmented_and_committee() -> None:
    a, b = load_scenario("fragmented"), load_scenario("committee")
    ds = explain.dials(a, b)
    # both patrol with a grid (九龙治水's separate ones): the grid is not a dial between them
    assert [d.key for d in ds] == ["structure", "pooled_team", "supervision", "party", "centres"]
    sup = next(d for d in ds if d.key == "supervision")
    assert sup.change == {"mechanisms.supervision": True}
    assert explain.mask_overrides(ds, 0b11) == {"structure": "committee",
                                                "mechanisms.pooled_fraction": 0.3}
    assert explain.n_runs(len(ds), 10) == 320


def test_explain_on_the_model_is_efficient_and_paired() -> None:
    """Two dials, 3 replications of 90 days: every metric's contributions add up to B - A,
    and the combination 'none' and 'all' are A and B run with compare's seeds."""
    a = load_scenario("committee", **{"run.days": 90})
    b = dataclasses.replace(a.with_overrides({"mechanisms.supervision": False,
                                              "mechanisms.party_mobilisation": False}), name="b")
    ex = explain.explain(a, b, replications=3, seed=4)
    assert [d.key for d in ex.dials] == ["supervision", "party"] and ex.exact
    for me in ex.metrics:
        t = ex.table.loc[me]
        parts = t.drop(index=["(A)", "(B)", "(total)"])["contribution"].sum()
        total = t.loc["(total)", "contribution"]
        if math.isnan(total):
            continue
        assert parts == pytest.approx(total, abs=1e-9)
        assert total == pytest.approx(t.loc["(B)", "contribution"] - t.loc["(A)", "contribution"])
    cmp = api.compare([a, b], replications=3, seed=4)
    for me in ("resolution_rmst_days", "participation_mean"):
        assert ex.table.loc[(me, "(A)"), "contribution"] == pytest.approx(
            cmp.table.loc[(a.name, me), "mean"])
        assert ex.table.loc[(me, "(total)"), "contribution"] == pytest.approx(
            cmp.table.loc[(b.name, me), "diff"])
    assert len(ex.interactions) == len(ex.metrics)  # one pair
    # sampled permutations (as above 8 dials): still efficient, with a Monte Carlo error
    sp = explain.explain(a, b, replications=3, seed=4, permutations=6)
    assert not sp.exact and "mc_se" in sp.table.columns
    t = sp.table.loc["resolution_rmst_days"]
    assert t.drop(index=["(A)", "(B)", "(total)"])["contribution"].sum() == pytest.approx(
        t.loc["(total)", "contribution"], abs=1e-9)


def test_cli_json_files_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ex"
    assert main(["explain", "committee", "committee-no-grid", "-r", "2", "--days", "60",
                 "--workers", "1", "--json", "--out", str(out)]) == 0
    d = json.loads(capsys.readouterr().out)
    assert [x["key"] for x in d["dials"]] == ["grid"]
    rows = [r for r in d["contributions"] if r["metric"] == metrics.KEY_METRICS[0]]
    assert {r["dial"] for r in rows} == {"(A)", "(B)", "(total)", "grid"}
    for name in ("contributions.parquet", "interactions.parquet", "runs.parquet", "explain.json",
                 f"waterfall-{metrics.KEY_METRICS[0]}.png",
                 f"waterfall-{metrics.KEY_METRICS[0]}.svg"):
        assert (out / name).exists(), name
    # the runs sit in a batch folder: the same command again runs nothing new (resumable)
    assert main(["explain", "committee", "committee-no-grid", "-r", "2", "--days", "60",
                 "--workers", "1", "--json", "--out", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["contributions"] == d["contributions"]
    manifest = json.loads((out / "batch" / "manifest.json").read_text())
    assert [s["runs"] for s in manifest["sessions"]] == [4, 0]
    # a shipped result is printed without running anything
    assert main(["explain", "committee", "committee-no-grid", "--from", str(out / "explain.json"),
                 "--top", "1"]) == 0
    printed = capsys.readouterr().out
    assert "shipped result" in printed and "  grid " in printed
    assert main(["explain", "fragmented", "committee", "--from", str(out / "explain.json")]) == 2
    assert "--from" in capsys.readouterr().err
    assert main(["explain", "fragmented", "committee", "--estimate", "--workers", "2"]) == 0
    assert "320 runs" in capsys.readouterr().out
    assert main(["explain", "committee", "committee"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("cogov: error: ") and "do not differ" in err[0]
    # any summary key can be explained, not only the headline ones
    assert main(["explain", "committee", "committee-no-grid", "-r", "2", "--days", "60",
                 "--workers", "1", "--metric", "trust_final", "--out", str(tmp_path / "t")]) == 0
    assert "trust_final" in capsys.readouterr().out
    assert (tmp_path / "t" / "waterfall-trust_final.svg").exists()
    assert main(["explain", "fragmented", "committee", "--metric", "speed"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--metric" in err[0] and "resolution_rmst_days" in err[0]


SHIPPED = Path(__file__).resolve().parent.parent / "results" / "explain-fragmented-committee"


def test_shipped_headline_explanation_is_current_and_efficient() -> None:
    """`make run` prints this file: its scenarios must still be the shipped ones, and its
    contributions add up to the difference in every metric."""
    ex, stale = explain.load_result(SHIPPED / "explain.json")
    assert stale == [], stale
    assert [d.key for d in ex.dials] == ["structure", "pooled_team", "supervision", "party",
                                         "centres"] and ex.replications == 10
    for me in ex.metrics:
        t = ex.table.loc[me]
        total = t.loc["(total)", "contribution"]
        if not math.isnan(total):
            assert t.drop(index=["(A)", "(B)", "(total)"])["contribution"].sum() == pytest.approx(
                total, abs=1e-9)
    assert (SHIPPED / "waterfall-resolution_rmst_days.svg").exists()
