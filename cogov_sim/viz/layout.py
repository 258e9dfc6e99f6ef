"""A stable, fast, deterministic layout of the community network.

Neighbourhoods sit on a grid; inside each, buildings (rural: 林盘 clusters, scattered) sit on a
sub-grid; residents of a building fill a sunflower spiral in household order, so households
stay together. O(N) array work: about 5 ms for 5,000 residents, against seconds for a spring
layout. Computed once per community and cached by the community's content, never per frame.
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from cogov_sim.network import Community

GOLDEN_ANGLE = math.pi * (3.0 - math.sqrt(5.0))
PAD = 0.06
MAX_EDGES = 1500
_CACHE: OrderedDict[str, Layout] = OrderedDict()
_CACHE_SIZE = 8


@dataclass(frozen=True)
class Layout:
    """Positions of residents and places, in data coordinates (the community spans
    [0, cols] x [0, rows])."""

    xy: np.ndarray  # (n, 2) resident positions
    nb_box: np.ndarray  # (n_nb, 4) x0, y0, width, height
    nb_rural: np.ndarray  # (n_nb,) bool
    edges: np.ndarray  # (m, 2, 2) a seeded sample of tie segments
    cols: int
    rows: int

    @property
    def nb_centre(self) -> np.ndarray:
        return self.nb_box[:, :2] + self.nb_box[:, 2:] / 2


def _key(net: Community) -> str:
    h = hashlib.blake2b(digest_size=16)
    for a in (net.neighbourhood, net.building, net.household, net.nb_rural, net.adj.indptr,
              net.adj.indices):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def layout_for(net: Community) -> Layout:
    """The cached layout of this community (computed on first request)."""
    key = _key(net)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    lay = compute(net)
    _CACHE[key] = lay
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return lay


def compute(net: Community, seed: int = 0) -> Layout:
    """Place neighbourhoods, buildings and residents; deterministic for a given community."""
    rng = np.random.default_rng(seed)
    n_nb = net.n_neighbourhoods
    cols = math.ceil(math.sqrt(n_nb))
    rows = math.ceil(n_nb / cols)
    i = np.arange(n_nb)
    nb_box = np.column_stack([i % cols + PAD, rows - 1 - i // cols + PAD,
                              np.full(n_nb, 1 - 2 * PAD), np.full(n_nb, 1 - 2 * PAD)])

    b = net.building.astype(np.int64)
    n_b = int(b.max()) + 1
    b_nb = np.zeros(n_b, dtype=np.int64)
    b_nb[b] = net.neighbourhood
    first_b = np.full(n_nb, n_b, dtype=np.int64)
    np.minimum.at(first_b, b_nb, np.arange(n_b))
    b_count = np.bincount(b_nb, minlength=n_nb)
    local = np.arange(n_b) - first_b[b_nb]
    g = np.ceil(np.sqrt(np.maximum(b_count, 1))).astype(np.int64)[b_nb]
    cell = nb_box[b_nb, 2] / g
    rural_b = net.nb_rural[b_nb]
    urban_centre = nb_box[b_nb, :2] + np.column_stack([(local % g + 0.5) * cell,
                                                       (local // g + 0.5) * cell])
    scatter = nb_box[b_nb, :2] + 0.1 + rng.random((n_b, 2)) * (nb_box[b_nb, 2:] - 0.2)
    centre = np.where(rural_b[:, None], scatter, urban_centre)
    radius = np.where(rural_b, 0.22, 0.44) * cell

    order = np.argsort(b, kind="stable")
    size = np.bincount(b, minlength=n_b)
    start = np.concatenate(([0], np.cumsum(size)[:-1]))
    rank = np.empty(net.n, dtype=np.int64)
    rank[order] = np.arange(net.n) - start[b[order]]
    r = radius[b] * np.sqrt((rank + 0.5) / size[b])
    theta = rank * GOLDEN_ANGLE
    xy = centre[b] + np.column_stack([r * np.cos(theta), r * np.sin(theta)])
    xy += rng.normal(0.0, 0.06, (net.n, 2)) * radius[b][:, None] / np.sqrt(size[b])[:, None]

    upper = sp.triu(net.adj, k=1).tocoo()
    m = len(upper.row)
    pick = np.sort(rng.choice(m, MAX_EDGES, replace=False)) if m > MAX_EDGES else np.arange(m)
    edges = np.stack([xy[upper.row[pick]], xy[upper.col[pick]]], axis=1)
    return Layout(xy=xy, nb_box=nb_box, nb_rural=net.nb_rural.copy(), edges=edges, cols=cols,
                  rows=rows)
