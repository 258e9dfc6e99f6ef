from __future__ import annotations

import os

# One BLAS thread in each test process and what it starts, set before anything loads numpy
# (which reads these once): `make test` runs a process per core (pytest-xdist), and threaded BLAS
# on top oversubscribes them; OpenBLAS's spinning threads then made one delta-method test take
# 460 s instead of 20.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import functools  # noqa: E402
import socket  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402

from cogov_sim import api  # noqa: E402


@functools.cache
def cached_run(scenario: str, seed: int = 1, days: int | None = None) -> api.RunResult:
    """Runs shared between tests (the model is deterministic, so sharing is safe)."""
    return api.run(scenario, seed=seed, days=days)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: drives headless Debian Chromium against a live `cogov viz` server")


def pytest_collection_modifyitems(config, items) -> None:
    """Browser tests first (the longest file; each file keeps its order): a long file started
    last leaves the other cores idle at the end."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is None)


@pytest.fixture(scope="session", autouse=True)
def _default_viz_port_taken() -> Iterator[None]:
    """The whole suite runs with `cogov viz`'s default port 8765 taken, as on a machine where
    a student or a developer has the visualiser open: no test may need it free."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", 8765))
            s.listen()
        except OSError:
            pass  # taken already: by another `cogov viz`, which is the point
        yield
