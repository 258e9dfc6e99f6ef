from __future__ import annotations

import functools
import socket
from collections.abc import Iterator

import pytest

from cogov_sim import api


@functools.cache
def cached_run(scenario: str, seed: int = 1, days: int | None = None) -> api.RunResult:
    """Runs shared between tests (the model is deterministic, so sharing is safe)."""
    return api.run(scenario, seed=seed, days=days)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: drives headless Debian Chromium against a live `cogov viz` server")


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
