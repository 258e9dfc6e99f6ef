"""The community network: households in buildings in neighbourhoods, in communities.

Built with array operations in O(N): ties inside households (all), inside buildings and
neighbourhoods (random partners), and a share rewired to anywhere in the street (long ties).
Rural neighbourhoods are sparser (fewer ties, small 林盘 clusters instead of buildings).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class Community:
    """Residents' fixed attributes and their tie network (symmetric CSR, no self-loops)."""

    n: int
    neighbourhood: np.ndarray  # int32, per resident
    community: np.ndarray  # int32, per resident
    building: np.ndarray  # int32, per resident
    household: np.ndarray  # int32, per resident
    rural: np.ndarray  # bool, per resident
    party: np.ndarray  # bool, per resident
    adj: sp.csr_matrix  # float64 0/1, n x n
    nb_rural: np.ndarray  # bool, per neighbourhood
    nb_community: np.ndarray  # int32, per neighbourhood

    @property
    def n_neighbourhoods(self) -> int:
        return len(self.nb_rural)

    @property
    def degree(self) -> np.ndarray:
        return np.diff(self.adj.indptr)

    @functools.cached_property
    def _ties(self) -> sp.csr_matrix:
        """The tie pattern with the smallest integer weights its largest degree allows; shares
        adj's index arrays."""
        dtype = np.int16 if self.adj.shape[0] == 0 or self.degree.max() < 2**15 else np.int32
        return sp.csr_matrix((np.ones(self.adj.nnz, dtype=dtype), self.adj.indices,
                              self.adj.indptr), shape=self.adj.shape, copy=False)

    def neighbours(self, who: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The neighbours of each resident in `who`, one after another in adjacency order, and
        how many each has: reading a few rows of `adj` without slicing the sparse matrix."""
        ptr = self.adj.indptr
        starts = ptr[who]
        lens = ptr[who + 1] - starts
        flat = np.arange(lens.sum()) + np.repeat(starts - (lens.cumsum() - lens), lens)
        return self.adj.indices[flat], lens

    def count_neighbours(self, flag: np.ndarray) -> np.ndarray:
        """Per resident, how many of their neighbours have `flag` (a bool per resident): the
        same counts as ``adj @ flag`` in floats, with a quarter of the memory traffic (an
        int8 vector, small integer weights), which is what a district-sized network is
        bound by."""
        return self._ties @ flag.view(np.int8)


def _blocks(n: int, sizes: np.ndarray) -> np.ndarray:
    """Block id per item when consecutive items are cut into blocks of the given sizes."""
    ends = np.cumsum(sizes)
    k = int(np.searchsorted(ends, n)) + 1
    sizes = sizes[:k].copy()
    sizes[-1] -= ends[k - 1] - n if ends[k - 1] > n else 0
    return np.repeat(np.arange(k, dtype=np.int32), sizes)


def _members(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index and size of each block of a sorted block-id array."""
    counts = np.bincount(ids)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    return starts, counts


def _random_partners(rng: np.random.Generator, ids: np.ndarray, mean_ties: np.ndarray):
    """Each resident draws Poisson(mean_ties) partners uniformly inside their own block."""
    starts, counts = _members(ids)
    m = rng.poisson(mean_ties)
    src = np.repeat(np.arange(len(ids)), m)
    blk = ids[src]
    dst = starts[blk] + (rng.random(len(src)) * counts[blk]).astype(np.int64)
    return src, dst


def build(p: dict[str, Any], rng: np.random.Generator) -> Community:
    """Generate the community network from scenario parameters."""
    n = int(p["community.residents"])
    n_nb = max(1, round(n / p["community.neighbourhood_size"]))
    n_com = min(int(p["community.communities"]), n_nb)
    nb = np.minimum((np.arange(n) * n_nb) // n, n_nb - 1).astype(np.int32)
    nb_community = ((np.arange(n_nb) * n_com) // n_nb).astype(np.int32)
    n_rural_nb = round(p["community.rural_share"] * n_nb)
    nb_rural = np.zeros(n_nb, dtype=bool)
    if n_rural_nb:
        nb_rural[n_nb - n_rural_nb:] = True  # villages lie at the street's edge
    rural = nb_rural[nb]

    hh_sizes = 1 + rng.poisson(max(p["community.household_size"] - 1.0, 0.0), size=n)
    household = _blocks(n, hh_sizes)
    # households never straddle neighbourhoods: cut at neighbourhood borders
    household = np.unique(np.stack([nb, household]), axis=1, return_inverse=True)[1]
    household = household.astype(np.int32).ravel()
    hh_nb = np.zeros(household.max() + 1, dtype=np.int32)
    hh_nb[household] = nb
    per_building = np.where(nb_rural[hh_nb], p["community.cluster_households"],
                            p["community.building_households"])
    # buildings: consecutive households of one neighbourhood
    hh_building = np.zeros(len(hh_nb), dtype=np.int64)
    b = 0
    starts, counts = _members(hh_nb)
    for s, c in zip(starts, counts, strict=True):
        size = int(per_building[s])
        hh_building[s:s + c] = b + np.arange(c) // size
        b += -(-c // size)
    building = hh_building[household].astype(np.int32)

    factor = np.where(rural, p["community.rural_tie_factor"], 1.0)
    parts = []
    # household: a chain plus a closing tie makes each household a small clique for size <= 3
    same_next = household[1:] == household[:-1]
    idx = np.nonzero(same_next)[0]
    parts.append((idx, idx + 1))
    idx2 = np.nonzero(same_next[1:] & same_next[:-1])[0]
    parts.append((idx2, idx2 + 2))
    parts.append(_random_partners(rng, building, p["community.building_ties"] / 2 * factor))
    parts.append(_random_partners(rng, nb, p["community.neighbourhood_ties"] / 2 * factor))
    src = np.concatenate([a for a, _ in parts])
    dst = np.concatenate([d for _, d in parts])
    long = rng.random(len(src)) < p["community.long_tie_share"]
    dst = np.where(long, rng.integers(0, n, len(src)), dst)
    keep = src != dst
    src, dst = src[keep], dst[keep]
    adj = sp.coo_matrix(
        (np.ones(2 * len(src)), (np.concatenate([src, dst]), np.concatenate([dst, src]))),
        shape=(n, n),
    ).tocsr()
    adj.sum_duplicates()
    adj.data[:] = 1.0
    party = rng.random(n) < p["community.party_share"]
    return Community(n, nb, nb_community[nb], building, household, rural, party, adj, nb_rural,
                     nb_community)
