"""A `cogov viz` server and headless Chromium for the browser tests and the benchmark.

Debian's chromium driven by Playwright (no browser download), offline; the server listens on
127.0.0.1 on a free port and is stopped with its whole process group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
REPO = Path(__file__).resolve().parents[2]



SHOWN_DAYS = """() => ({
  label: parseInt(document.querySelector('.cogov-day').innerText.replace(/[^0-9 ]/g, ' ').trim()),
  table: parseInt(document.querySelector('.cogov-table').dataset.day),
  charts: [...document.querySelectorAll('.cogov-stage .js-plotly-plot, .cogov-trends .js-plotly-plot')]
    .map(g => g.layout.meta),
})"""
"""The day each part of the page shows: the label, the table, each chart (its layout.meta)."""


def same_day(page: Any, timeout: float = 60_000) -> dict[str, Any]:
    """Wait until the day label, the table and both charts show one day; what they show."""
    page.wait_for_function(f"() => {{ const s = ({SHOWN_DAYS})(); return s.charts.length === 2 "
                           "&& s.charts.every(c => c === s.label) && s.table === s.label; }",
                           timeout=timeout)
    return page.evaluate(SHOWN_DAYS)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(lang: str = "zh") -> Iterator[tuple[str, int]]:
    """`cogov viz` on a free port; yields (url, pid) and stops it (its process group)."""
    port = free_port()
    cmd = [sys.executable, "-m", "cogov_sim.cli", "viz", "--port", str(port), "--lang", lang]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError("cogov viz exited")
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("cogov viz did not answer in 90 s")
            time.sleep(0.3)
        yield url, proc.pid
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    """Stop a server started in its own session: its whole process group, TERM then KILL."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
