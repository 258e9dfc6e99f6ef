from __future__ import annotations

import functools

from cogov_sim import api


@functools.cache
def cached_run(scenario: str, seed: int = 1, days: int | None = None) -> api.RunResult:
    """Runs shared between tests (the model is deterministic, so sharing is safe)."""
    return api.run(scenario, seed=seed, days=days)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: drives headless Debian Chromium against a live `cogov viz` server")
