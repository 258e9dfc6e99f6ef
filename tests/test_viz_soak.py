"""Play under load, in a real browser: five minutes of play, pause, resume and reset with both
CPUs kept busy by two spinning processes (started and stopped here), against one `cogov viz`.
Checks what issue 23 found broken: the connection never drops, a pause stops the page within
one in-flight frame and 1 s, a reset shows day 0 within 1 s, and the day label, the table and
both charts show the same day whenever play stops (and never more than one frame apart while
it runs)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from cogov_sim.viz.browser import ARGS, CHROMIUM, SHOWN_DAYS, same_day, server

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.alone]
SOAK_S = 300
SPIN = "import time\nend = time.monotonic() + 600\nwhile time.monotonic() < end: pass\n"

WATCH = """() => {
  window.__changes = [];
  const el = document.querySelector('.cogov-day');
  new MutationObserver(() => window.__changes.push([performance.now(), el.innerText]))
    .observe(el, { subtree: true, childList: true, characterData: true });
}"""
CLICK = "sel => { document.querySelector(sel).click(); return performance.now(); }"


def test_five_minutes_of_play_on_a_saturated_machine(tmp_path: Path):
    assert Path(CHROMIUM).exists(), "Debian chromium is missing: run `make browser`"
    sync_api = pytest.importorskip("playwright.sync_api")
    spinners = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(2)]
    closed: list[str] = []
    errors: list[str] = []
    pauses: list[float] = []
    resets: list[float] = []
    try:
        with server("zh") as (url, _), sync_api.sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            pg = b.new_page(viewport={"width": 1366, "height": 768})
            pg.on("websocket", lambda ws: ws.on("close", lambda _: closed.append(ws.url)))
            pg.on("console", lambda m: m.type == "error" and errors.append(m.text))
            pg.on("pageerror", lambda e: errors.append(str(e)))
            pg.set_default_timeout(60_000)
            pg.goto(url)
            pg.wait_for_selector(".cogov-trends .js-plotly-plot")
            pg.evaluate(WATCH)
            start = time.monotonic()
            played = 0
            while time.monotonic() - start < SOAK_S:
                before = same_day(pg, timeout=10_000)["label"]
                pg.evaluate(CLICK, ".cogov-play")  # play
                pg.wait_for_function(f"() => parseInt(document.querySelector('.cogov-day')"
                                     f".innerText.replace(/[^0-9 ]/g, ' ').trim()) > {before}")
                for _ in range(4):  # while playing: the charts at most one frame behind
                    pg.wait_for_timeout(1500)
                    s = pg.evaluate(SHOWN_DAYS)
                    assert all(s["label"] - 30 <= c <= s["label"] for c in s["charts"]), s
                n = pg.evaluate("() => window.__changes.length")
                clicked = pg.evaluate(CLICK, ".cogov-play")  # pause (or play again at the end)
                pg.wait_for_timeout(2500)
                after = [c for c in pg.evaluate("() => window.__changes")[n:] if c[0] > clicked]
                running = pg.inner_text(".cogov-play") != "▶ 播放"
                s = same_day(pg, timeout=10_000)
                if s["label"] == 365:  # reached the end while playing: reset
                    if running:
                        pg.evaluate(CLICK, ".cogov-play")
                        pg.wait_for_timeout(1000)
                    n = pg.evaluate("() => window.__changes.length")
                    clicked = pg.evaluate(CLICK, ".cogov-reset")
                    pg.wait_for_function("() => document.querySelector('.cogov-day').innerText"
                                         " === '第 0 / 365 天'")
                    shown = [c[0] for c in pg.evaluate("() => window.__changes")[n:]
                             if c[1].startswith("第 0 ")]
                    resets.append((shown[0] - clicked) / 1000)
                    assert same_day(pg, timeout=10_000)["label"] == 0
                    continue
                assert not running, "Play did not stop"
                assert len({c[1] for c in after}) <= 1, after  # at most the frame in flight
                pauses.append((after[-1][0] - clicked) / 1000 if after else 0.0)
                played += 1
            lost = list(closed)  # before the browser closes its own connection
            print(f"soak: {played} pauses, longest {max(pauses):.2f} s; resets "
                  f"{[round(r, 2) for r in resets]}; connections closed: {closed}")
            b.close()
    finally:
        for sp in spinners:
            sp.kill()
            sp.wait()
    assert lost == [] and errors == []
    assert played >= 10 and resets
    assert max(pauses) <= 1.0 and max(resets) <= 1.0
