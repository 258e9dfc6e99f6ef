"""Frame time and page load of `cogov viz` measured in the browser: how often the page shows a
new day while playing, at 5,000 residents, one run and side by side; and how long a fresh tab
takes until its table and both charts show day 0.

Starts `cogov viz` on a free port (127.0.0.1), opens it in headless Debian Chromium (offline),
presses Play with one day per step and no delay, and records in the page, with a
MutationObserver, the time at which each new day appears; the median interval is the frame
time. Prints one JSON object. Targets (issue 14): median <= 100 ms single, <= 200 ms side by
side, on an idle 2-core machine. The machine's load average is printed beside the figures.
`--spin N` keeps N extra processes spinning on the CPUs while it measures ("loaded").

    .venv/bin/python scripts/bench_viz.py [--frames 60] [--loads 5] [--spin 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from cogov_sim.viz.browser import ARGS, CHROMIUM, server

OBSERVE = """() => {
  window.__days = [];
  const seen = new Set();
  const note = () => {
    const el = document.querySelector('.cogov-day');
    if (!el) return;
    const d = parseInt(el.innerText.replace(/[^0-9 ]/g, ' ').trim().split(/ +/)[0]);
    if (!seen.has(d)) { seen.add(d); window.__days.push([d, performance.now()]); }
  };
  new MutationObserver(note).observe(document.body,
    { subtree: true, childList: true, characterData: true });
}"""


def measure(page, frames: int, single: bool) -> dict[str, float]:
    """Play from day 0 and time `frames` new days as the browser shows them."""
    page.reload()
    page.wait_for_selector(".cogov-trends .js-plotly-plot", timeout=60_000)
    if single:
        page.locator(".cogov-pick1 .v-select").click()
        page.locator(".v-menu__content .v-list-item").last.click()
        page.wait_for_function("() => document.querySelectorAll('.cogov-table thead th').length"
                               " === 2")
    page.evaluate(OBSERVE)
    page.locator(".cogov-play").click()
    page.wait_for_function(f"() => window.__days.length > {frames + 3}", timeout=300_000)
    page.locator(".cogov-play").click()
    days = page.evaluate("() => window.__days")[3:]  # the first frames warm up
    gaps = [(b[1] - a[1]) / (b[0] - a[0]) for a, b in zip(days, days[1:], strict=False)
            if b[0] > a[0]]
    return {"median_ms": round(statistics.median(gaps), 1),
            "p90_ms": round(statistics.quantiles(gaps, n=10)[-1], 1), "frames": len(gaps)}


READY = """() => {
  const t = document.querySelector('.cogov-table');
  const g = [...document.querySelectorAll('.cogov-stage .js-plotly-plot, .cogov-trends .js-plotly-plot')];
  return t && t.dataset.day === '0' && g.length === 2 && g.every(x => x.layout && x.layout.meta === 0);
}"""


def page_loads(browser, url: str, n: int) -> dict[str, float]:
    """Seconds from opening a fresh tab to its table and both charts showing day 0."""
    times = []
    for _ in range(n):
        ctx = browser.new_context(viewport={"width": 1366, "height": 768})
        page = ctx.new_page()
        t0 = time.perf_counter()
        page.goto(url)
        page.wait_for_function(READY, timeout=120_000)
        times.append(time.perf_counter() - t0)
        ctx.close()
    return {"median_s": round(statistics.median(times), 2), "max_s": round(max(times), 2),
            "loads": n}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--loads", type=int, default=5, help="fresh page loads to time")
    ap.add_argument("--spin", type=int, default=0, help="busy processes to run meanwhile")
    a = ap.parse_args(argv)
    spin = "import time\nend = time.monotonic() + 1800\nwhile time.monotonic() < end: pass\n"
    spinners = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(a.spin)]
    try:
        return _measure(a)
    finally:
        for p in spinners:
            p.kill()
            p.wait()


def _measure(a: argparse.Namespace) -> int:
    from playwright.sync_api import sync_playwright

    out: dict[str, object] = {"load_average": os.getloadavg(), "cpus": os.cpu_count(),
                              "spinning": a.spin}
    with server() as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        out["page_load"] = page_loads(browser, url, a.loads)
        page.goto(url)
        out["side_by_side"] = measure(page, a.frames, single=False)
        out["single"] = measure(page, a.frames, single=True)
        browser.close()
    out["load_average_after"] = os.getloadavg()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
