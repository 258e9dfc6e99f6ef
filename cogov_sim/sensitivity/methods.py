"""The sensitivity methods, SALib-style: each one samples a design and analyses outputs.

Every method has the same small interface (`sample`, `analyze`, `half`), so a sweep does not
care which one it runs. `half(X, n)` gives the rows of the design that form a valid design of
half the base size -- used for the convergence check (indices from half the sample vs all).
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
from SALib.analyze import delta as delta_an
from SALib.analyze import fast as fast_an
from SALib.analyze import morris as morris_an
from SALib.analyze import sobol as sobol_an
from SALib.sample import fast_sampler, latin
from SALib.sample import morris as morris_sa
from SALib.sample import sobol as sobol_sa

RESAMPLES = 500


class Method(Protocol):
    name: str
    main: str  # the index that ranks parameters
    def sample(self, problem: dict, n: int, seed: int) -> np.ndarray: ...
    def analyze(self, problem: dict, X: np.ndarray, Y: np.ndarray, seed: int) -> pd.DataFrame: ...
    def half(self, problem: dict, X: np.ndarray, n: int) -> np.ndarray: ...
    def runs(self, d: int, n: int) -> int: ...


def _frame(problem: dict, res: Any, cols: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: np.asarray(res[c], dtype=float) for c in cols},
                        index=pd.Index(problem["names"], name="parameter"))


@dataclass(frozen=True)
class Sobol:
    """Sobol' indices, Saltelli/Jansen estimators (Saltelli et al. 2010, Comput. Phys. Commun.
    181:259); bootstrap CIs. `n` is the base sample size (a power of 2)."""

    second_order: bool = False
    name: str = "sobol"
    main: str = "ST"

    def sample(self, problem: dict, n: int, seed: int) -> np.ndarray:
        return sobol_sa.sample(problem, n, calc_second_order=self.second_order, seed=seed)

    def analyze(self, problem: dict, X: np.ndarray, Y: np.ndarray, seed: int) -> pd.DataFrame:
        res = sobol_an.analyze(problem, Y, calc_second_order=self.second_order,
                               num_resamples=RESAMPLES, seed=seed)
        df = _frame(problem, res, ("S1", "S1_conf", "ST", "ST_conf"))
        if self.second_order:
            s2 = pd.DataFrame(res["S2"], index=problem["names"], columns=problem["names"])
            df.attrs["S2"] = s2
        return df

    def block(self, d: int) -> int:
        return 2 * d + 2 if self.second_order else d + 2

    def half(self, problem: dict, X: np.ndarray, n: int) -> np.ndarray:
        return np.arange((n // 2) * self.block(problem["num_vars"]))

    def runs(self, d: int, n: int) -> int:
        return n * self.block(d)


@dataclass(frozen=True)
class Morris:
    """Elementary effects (Morris 1991; mu* of Campolongo et al. 2007); `n` trajectories."""

    levels: int = 4
    name: str = "morris"
    main: str = "mu_star"

    def sample(self, problem: dict, n: int, seed: int) -> np.ndarray:
        return morris_sa.sample(problem, n, num_levels=self.levels, seed=seed)

    def analyze(self, problem: dict, X: np.ndarray, Y: np.ndarray, seed: int) -> pd.DataFrame:
        res = morris_an.analyze(problem, X, Y, num_resamples=RESAMPLES, num_levels=self.levels,
                                seed=seed)
        return _frame(problem, res, ("mu", "mu_star", "sigma", "mu_star_conf"))

    def half(self, problem: dict, X: np.ndarray, n: int) -> np.ndarray:
        return np.arange((n // 2) * (problem["num_vars"] + 1))

    def runs(self, d: int, n: int) -> int:
        return n * (d + 1)


@dataclass(frozen=True)
class Fast:
    """Extended FAST first-order and total indices (Saltelli et al. 1999, Technometrics 41:39)."""

    name: str = "fast"
    main: str = "ST"

    def sample(self, problem: dict, n: int, seed: int) -> np.ndarray:
        return fast_sampler.sample(problem, n, M=4, seed=seed)

    def analyze(self, problem: dict, X: np.ndarray, Y: np.ndarray, seed: int) -> pd.DataFrame:
        res = fast_an.analyze(problem, Y, M=4, num_resamples=RESAMPLES, seed=seed)
        return _frame(problem, res, ("S1", "S1_conf", "ST", "ST_conf"))

    def half(self, problem: dict, X: np.ndarray, n: int) -> np.ndarray:
        return np.array([], dtype=int)  # a FAST design cannot be halved: no convergence check

    def runs(self, d: int, n: int) -> int:
        return n * d


@dataclass(frozen=True)
class Delta:
    """Borgonovo's moment-independent delta and S1 on a Latin hypercube (Plischke et al. 2013)."""

    name: str = "delta"
    main: str = "delta"

    def sample(self, problem: dict, n: int, seed: int) -> np.ndarray:
        return latin.sample(problem, n, seed=seed)

    def analyze(self, problem: dict, X: np.ndarray, Y: np.ndarray, seed: int) -> pd.DataFrame:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SALib 1.6's binning and bias notices, per input
            res = delta_an.analyze(problem, X, Y, num_resamples=RESAMPLES, seed=seed)
        if "delta" not in res:  # SALib 1.6: the classic estimator is 'delta_raw'
            res = {**res, "delta": res["delta_raw"], "delta_conf": res["delta_raw_conf"]}
        return _frame(problem, res, ("delta", "delta_conf", "S1", "S1_conf"))

    def half(self, problem: dict, X: np.ndarray, n: int) -> np.ndarray:
        return np.arange(n // 2)  # the first half of a Latin hypercube is a random design

    def runs(self, d: int, n: int) -> int:
        return n


def _emulator() -> type:
    from cogov_sim.sensitivity.emulator import Emulator

    return Emulator


METHODS: dict[str, type] = {"sobol": Sobol, "morris": Morris, "fast": Fast, "delta": Delta,
                            "emulator": _emulator()}


def make(name: str, second_order: bool = False) -> Method:
    return Sobol(second_order) if name == "sobol" else METHODS[name]()
