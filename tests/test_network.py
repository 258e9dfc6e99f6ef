"""The community network: structure, sparsity, scaling."""

from __future__ import annotations

import numpy as np

from cogov_sim.network import build
from cogov_sim.params import defaults
from cogov_sim.service import ServiceNetwork


def _net(**kw):
    p = {**defaults(), **kw}
    return build(p, np.random.default_rng(0))


def test_symmetric_no_self_loops_binary() -> None:
    net = _net()
    a = net.adj
    assert (a != a.T).nnz == 0
    assert a.diagonal().sum() == 0
    assert set(np.unique(a.data)) == {1.0}
    assert net.n == 5000 and len(net.neighbourhood) == 5000


def test_mostly_local_ties() -> None:
    net = _net()
    r, c = net.adj.nonzero()
    same_nb = (net.neighbourhood[r] == net.neighbourhood[c]).mean()
    same_building = (net.building[r] == net.building[c]).mean()
    assert same_nb > 0.85 and same_building > 0.4
    assert 6 < net.degree.mean() < 14


def test_rural_is_sparser() -> None:
    net = _net(**{"community.rural_share": 0.5, "community.communities": 3})
    deg = net.degree
    assert deg[net.rural].mean() < 0.8 * deg[~net.rural].mean()
    assert net.nb_rural.sum() == round(0.5 * net.n_neighbourhoods)
    assert len(np.unique(net.community)) == 3


def test_households_stay_in_neighbourhoods() -> None:
    net = _net(**{"community.neighbourhood_size": 137})
    hh = net.household
    for h in np.unique(hh)[:500]:
        assert len(np.unique(net.neighbourhood[hh == h])) == 1


def test_large_network_keeps_its_shape() -> None:
    small, large = _net(), _net(**{"community.residents": 100_000})
    assert large.n == 100_000
    assert abs(large.degree.mean() - small.degree.mean()) < 0.5  # local ties: degree is flat


def test_allocate_largest_remainder_with_minimum() -> None:
    shares = np.array([0.5, 0.3, 0.2])
    assert ServiceNetwork.allocate(10, shares).tolist() == [5, 3, 2]
    assert ServiceNetwork.allocate(3, shares).tolist() == [1, 1, 1]
    assert ServiceNetwork.allocate(4, shares).tolist() == [2, 1, 1]
    assert ServiceNetwork.allocate(2, shares, minimum=1).tolist() == [1, 1, 0]
    assert ServiceNetwork.allocate(0, shares, minimum=0).tolist() == [0, 0, 0]
