"""The benchmark's references are equivalent to what they are compared with."""

from __future__ import annotations

import numpy as np

from cogov_sim.bench import growth_exponent, mmc_scenario, simpy_mmc, sparse_floor
from cogov_sim.model import CoGovModel
from cogov_sim.network import build
from cogov_sim.params import defaults


def test_simpy_reference_serves_the_same_queue() -> None:
    """Both M/M/c models serve about lambda x days customers (Poisson: within 4 sd)."""
    lam, days = 40.0, 200
    simpy_served = simpy_mmc(lam, 1.0, 50, days, seed=1)
    m = CoGovModel(mmc_scenario(lam, 50, days), rng=1).run()
    ours = int((m.ledger.status[: m.ledger.n] == 1).sum())
    sd = np.sqrt(lam * days)
    assert abs(simpy_served - lam * days) < 4 * sd
    assert abs(ours - lam * days) < 4 * sd
    assert m.timings["issues"] > 0 and m.timings["residents"] < m.timings["issues"]


def test_sparse_floor_runs_on_the_model_network() -> None:
    net = build(defaults(), np.random.default_rng(0))
    sparse_floor(net, 3)


def test_growth_exponent() -> None:
    rows = [{"residents": n, "seconds": 0.01 * n} for n in (1000, 10_000, 100_000)]
    assert abs(growth_exponent(rows) - 1.0) < 1e-9
    rows = [{"residents": n, "seconds": 1e-6 * n * n} for n in (1000, 10_000)]
    assert abs(growth_exponent(rows) - 2.0) < 1e-9


def test_count_neighbours_equals_the_float_product() -> None:
    net = build(defaults(), np.random.default_rng(2))
    flag = np.random.default_rng(3).random(net.n) < 0.3
    assert np.array_equal(net.count_neighbours(flag), net.adj @ flag.astype(float))


def test_neighbours_are_the_rows_of_adj() -> None:
    net = build(defaults(), np.random.default_rng(2))
    who = np.array([5, 0, 5, net.n - 1])
    flat, lens = net.neighbours(who)
    rows = [net.adj[w].indices for w in who]
    assert lens.tolist() == [len(r) for r in rows]
    assert flat.tolist() == np.concatenate(rows).tolist()
    empty, none = net.neighbours(who[:0])
    assert len(empty) == 0 and len(none) == 0


def test_district_figure_runs_the_cli_in_a_fresh_process() -> None:
    from cogov_sim.bench import cpu_name, district_figures

    d = district_figures(1500)
    assert d["residents"] == 1500 and d["seconds"] > 0 and d["peak_mb"] > 50
    assert cpu_name()
