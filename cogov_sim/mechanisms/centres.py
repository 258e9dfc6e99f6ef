"""Party-mass service centres (党群服务中心): residents near a centre take part at the centre's
lower cost, rising with the neighbourhoods between them and the nearest one."""

from __future__ import annotations

import numpy as np

from cogov_sim.mechanisms.base import Mechanism
from cogov_sim.rows import P

SWITCH = "mechanisms.service_centres"


def centre_distance(n_nb: int, n: int, per_centre: float) -> np.ndarray:
    """Per neighbourhood, the steps to the nearest party-mass service centre: the street has
    max(1, round(n / per_centre)) centres, spread evenly over its neighbourhoods (which lie in
    a row, rural ones at the edge)."""
    k = min(n_nb, max(1, round(n / per_centre)))
    at = (np.arange(k) * n_nb + n_nb // 2) // k
    return np.abs(np.arange(n_nb)[:, None] - at[None, :]).min(axis=1)


class ServiceCentres(Mechanism):
    """A lower cost of taking part near a centre (ODD 7.11)."""

    name = "centres"
    title, title_zh = "service centres (党群服务中心) off", "关闭党群服务中心"
    switch, off, order = SWITCH, {SWITCH: False}, 60
    params = [
        P("mechanisms.service_centres", "bool", False, "",
          "Party-mass service centres (党群服务中心): residents near one take part at the centre's "
          "cost instead of the general one", "党群服务中心：就近居民按服务中心的参与成本参与", live=True,
          source="assumption"),
        P("centres.residents_per_centre", "float", 5000.0, "person",
          "Residents per party-mass service centre (党群服务中心)", "每个党群服务中心服务居民数",
          low=10.0, high=1_000_000.0,
          source="Jianyang: 240 new party-mass service centres (seed 003) for ~1.1-1.5 M people"),
        P("centres.participation_cost", "float", 0.2, "0-1",
          "Cost of taking part for a resident in a centre's own neighbourhood",
          "服务中心所在小区居民的参与成本", low=0.0, high=0.99, source="assumption"),
        P("centres.distance_cost", "float", 0.05, "0-1/neighbourhood",
          "Extra cost per neighbourhood between a resident and the nearest centre (never above "
          "the cost without a centre)",
          "居民与最近服务中心每相隔一个小区增加的参与成本（不超过无中心时的成本）",
          low=0.0, high=0.99, source="assumption"),
    ]

    def participation_cost(self, cost: np.ndarray) -> np.ndarray:
        if not self.on:
            return cost
        p, net = self.p, self.model.net
        rural = np.where(net.rural, p["residents.rural_cost_factor"], 1.0)
        steps = centre_distance(net.n_neighbourhoods, net.n,
                                p["centres.residents_per_centre"])[net.neighbourhood]
        near = (p["centres.participation_cost"] + p["centres.distance_cost"] * steps) * rural
        return np.minimum(cost, near)
