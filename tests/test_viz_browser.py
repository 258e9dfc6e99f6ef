"""The visualiser in a real browser, offline: `cogov viz` serves it on 127.0.0.1, headless
Debian Chromium (driven by Playwright, no browser download) renders it, and a student's
actions change what it shows. Every request must succeed and the console stay clean."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from cogov_sim.scenario import load
from cogov_sim.viz import session as ses

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
DOCS_SHOT = Path(__file__).resolve().parent.parent / "docs" / "viz-screenshot.png"

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """`cogov viz` on a free port; always stopped at the end (its own process group)."""
    port = _free_port()
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "cogov_sim.cli", "viz", "--port", str(port),
                             "--lang", "zh"], stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail("cogov viz exited: " + (tmp_path / "server.log").read_text())
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("cogov viz did not answer in 90 s: "
                            + (tmp_path / "server.log").read_text())
            time.sleep(0.3)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


def test_app_in_headless_chromium_offline(server, tmp_path):
    assert Path(CHROMIUM).exists(), "Debian chromium is missing: run `make browser`"
    sync_api = pytest.importorskip("playwright.sync_api")
    failed: list[str] = []
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 2300})
            page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
            page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.url} {r.status}"))
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.set_default_timeout(30_000)
            page.goto(server)

            def images_ready(n_networks: int = 1) -> None:
                page.wait_for_function(
                    """n => { const im = [...document.querySelectorAll(
                        'img.cogov-network, img.cogov-flow, img.cogov-charts')];
                      return im.length === 2 * n + 1
                        && im.every(i => i.complete && i.naturalWidth > 100); }""",
                    arg=n_networks)

            def day_is(text: str) -> None:
                page.wait_for_function(
                    "t => (document.querySelector('.cogov-day') || {}).innerText === t", arg=text)

            def src(cls: str) -> str:
                return page.get_attribute(f"img.{cls}", "src") or ""

            def changed(cls: str, old: str) -> None:
                page.wait_for_function(
                    "([c, o]) => document.querySelector('img.' + c).src !== o", arg=[cls, old])

            # the page renders completely: controls, network, flow, charts
            images_ready()
            day_is("第 0 / 365 天")
            for label in ("▶ 播放", "单步", "重置", "English"):
                assert page.get_by_role("button", name=label).count() == 1
            assert page.locator(".cogov-slider .v-slider").count() == len(ses.sliders("fragmented"))
            assert page.locator("input[type=checkbox]").count() >= len(ses.MECHANISMS) + 1

            # change a slider (the first key parameter: the issue rate): the run restarts
            page.get_by_role("button", name="单步").click()
            day_is("第 1 / 365 天")
            first = page.locator(".cogov-param").first
            before = first.inner_text()
            track = page.locator(".cogov-slider .v-slider").first.bounding_box()
            net = src("cogov-network")
            page.mouse.click(track["x"] + track["width"] * 0.2, track["y"] + track["height"] / 2)
            page.wait_for_function("b => document.querySelector('.cogov-param').innerText !== b",
                                   arg=before)
            assert first.inner_text().startswith("= ") and "issues.rate" in first.inner_text()
            day_is("第 0 / 365 天")
            changed("cogov-network", net)

            # save the settings as a scenario file; it loads back with the new value and seed
            rate = first.inner_text().split()[1]
            with page.expect_download() as download:
                page.get_by_role("button", name="保存为情景文件").click()
            saved = tmp_path / "saved.toml"
            download.value.save_as(saved)
            assert load(saved)["issues.rate"] == float(rate)
            assert ses.initial_settings(saved).seed == 1

            # drag a scenario file onto the page to load it (here: the same, with seed 77); a
            # real file drag, through the DevTools protocol, as from a file manager
            mine = tmp_path / "mine.toml"
            mine.write_text(saved.read_text(encoding="utf-8").replace("--seed 1", "--seed 77"),
                            encoding="utf-8")
            zone = page.locator(".solara-file-drop").bounding_box()
            cdp = page.context.new_cdp_session(page)
            for kind in ("dragEnter", "dragOver", "drop"):
                cdp.send("Input.dispatchDragEvent", {
                    "type": kind, "x": zone["x"] + zone["width"] / 2,
                    "y": zone["y"] + zone["height"] / 2,
                    "data": {"items": [], "files": [str(mine)], "dragOperationsMask": 1}})
            page.wait_for_function(
                "() => (document.querySelector('.cogov-msg') || {}).innerText === '已载入：mine.toml'")
            assert page.get_by_label("随机种子（整数）").input_value() == "77"
            assert first.inner_text().split()[1] == rate
            day_is("第 0 / 365 天")

            # step: the counter and the charts change
            charts = src("cogov-charts")
            for day in (1, 2, 3):
                page.get_by_role("button", name="单步").click()
                day_is(f"第 {day} / 365 天")
            changed("cogov-charts", charts)

            # switch the language: labels, sliders and figures follow
            net = src("cogov-network")
            page.get_by_role("button", name="English").click()
            day_is("Day 3 / 365")
            changed("cogov-network", net)
            assert page.get_by_role("button", name="Step").count() == 1
            assert page.get_by_text("Mechanisms", exact=True).count() == 1
            charts = src("cogov-charts")
            page.get_by_role("button", name="Step").click()
            day_is("Day 4 / 365")
            changed("cogov-charts", charts)

            # side by side, then play and pause
            page.get_by_text("Side by side: two structures", exact=True).last.click()
            images_ready(2)
            day_is("Day 0 / 365")
            page.get_by_role("button", name="▶ Play").click()
            page.wait_for_function(
                "() => parseInt(document.querySelector('.cogov-day').innerText.split(' ')[1]) >= 30",
                timeout=90_000)
            page.get_by_role("button", name="❚❚ Pause").click()
            page.get_by_role("button", name="▶ Play").wait_for()
            page.wait_for_timeout(1000)  # a frame already being drawn may still land
            paused = page.inner_text(".cogov-day")
            page.wait_for_timeout(1000)
            assert page.inner_text(".cogov-day") == paused
            print("frame time shown by the app:", page.inner_text(".cogov-frame"))

            # and back to Chinese for the screenshot: the glyphs need a CJK font in the browser
            net = src("cogov-network")
            page.get_by_role("button", name="中文").click()
            day_is(paused.replace("Day ", "第 ") + " 天")
            changed("cogov-network", net)
            images_ready(2)
            page.wait_for_timeout(500)

            shot = tmp_path / "viz.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 50_000
            if os.environ.get("COGOV_UPDATE_SCREENSHOT"):
                shutil.copy(shot, DOCS_SHOT)
        finally:
            browser.close()
    assert failed == [], failed
    assert errors == [], errors
