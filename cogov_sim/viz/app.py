"""The Solara page of `cogov viz`: controls on the left, the live community on the right.

Our own Solara components rather than Mesa's SolaraViz: the page steps its own `Session`
(one or two models side by side) and shows matplotlib images, so nothing is fetched from a
CDN (no Markdown/KaTeX, no Vega). Every visible word comes from `i18n` in the chosen language.
Start it with `cogov viz`; `solara run cogov_sim/viz/app.py` works too (PYTHONPATH = repo).
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from typing import Any

import solara

from cogov_sim.errors import InputError
from cogov_sim.params import table
from cogov_sim.scenario import available
from cogov_sim.viz import session as ses
from cogov_sim.viz.i18n import LANG_NAMES, LANGS, param_help, param_label, structure_name, t

ENV_SCENARIO = "COGOV_VIZ_SCENARIO"
ENV_LANG = "COGOV_VIZ_LANG"
SMALL = "font-size: 11px; color: #666; margin: 0 0 6px 0; display: block;"
CSS = """
.cogov-title { margin: 0; font-size: 22px; }
.cogov-sub { margin: 2px 0 6px 0; color: #555; font-size: 13px; }
.cogov-day { font-size: 18px; font-weight: 600; margin-right: 16px; }
.cogov-frame { font-size: 12px; color: #777; }
.cogov-msg { color: #b00020; font-size: 13px; display: block; margin: 4px 0; }
.cogov-section { font-weight: 600; margin: 10px 0 2px 0; display: block; }
.cogov-help p { margin: 4px 0; font-size: 13px; }
.cogov-slider .v-input__slot { flex-direction: column; align-items: stretch; }
.cogov-slider .v-label { white-space: normal; height: auto; max-width: none; font-size: 13px;
  line-height: 1.3; margin: 4px 0 0 0; }
.cogov-slider .v-input { margin-top: 0; }
.cogov-slider .v-messages { display: none; }
"""


def _start() -> tuple[ses.Session, str]:
    """The first session: the scenario from `cogov viz SCENARIO`, else 九龙治水."""
    name = os.environ.get(ENV_SCENARIO) or "fragmented"
    try:
        return ses.Session(ses.initial_settings(name)), ""
    except InputError as e:
        return ses.Session(ses.initial_settings("fragmented")), str(e)


def _initial_lang() -> str:
    lang = os.environ.get(ENV_LANG, "zh")
    return lang if lang in LANGS else "zh"


@solara.component
def Section(key: str, lang: str) -> None:
    solara.Text(t(key, lang), classes=["cogov-section"])


@solara.component
def ParamSlider(name: str, low: float, high: float, step: float, settings: ses.Settings,
                lang: str, on_change: Callable[[str, Any], None]) -> None:
    """A slider for one table parameter: label and unit from the table, its range as help."""
    p = table()[name]
    value = settings.value(name)
    low, high = min(low, value), max(high, value)
    with solara.Column(gap="0px", classes=["cogov-slider"]):
        if p.kind == "int":
            solara.SliderInt(param_label(name, lang), value=int(value), min=int(low),
                             max=int(high), step=int(step), on_value=lambda v: on_change(name, int(v)))
        else:
            solara.SliderFloat(param_label(name, lang), value=float(value), min=low, max=high,
                               step=step, on_value=lambda v: on_change(name, float(v)))
        solara.Text(f"= {value:g} · {param_help(name, lang)}", style=SMALL, classes=["cogov-param"])


@solara.component
def Page() -> None:
    """The whole app: one component tree per browser tab, with its own runs."""
    start = solara.use_memo(_start, [])
    lang = solara.use_reactive(_initial_lang())
    session = solara.use_reactive(start[0])
    colour_by = solara.use_reactive("propensity")
    frame = solara.use_reactive(solara.use_memo(lambda: start[0].render(lang.value), []))
    seed_text = solara.use_reactive(str(start[0].settings.seed))
    message = solara.use_reactive(start[1])
    playing = solara.use_reactive(False)
    play_gen = solara.use_ref(0)
    interval = solara.use_reactive(250)
    every = solara.use_reactive(1)
    batch_folder = solara.use_reactive("")
    batch_run = solara.use_reactive("")

    L = lang.value
    settings = session.value.settings
    structures = list(table()["structure"].choices)

    def restart(new: ses.Settings, note: str = "") -> None:
        playing.set(False)
        try:
            s = ses.Session(new)
        except InputError as e:
            message.set(str(e))
            return
        session.set(s)
        seed_text.set(str(new.seed))
        message.set(note)
        frame.set(s.render(lang.value, colour_by.value))

    def change(name: str, value: Any) -> None:
        try:
            restart(session.value.settings.set(name, value))
        except InputError as e:
            message.set(str(e))

    def set_lang(code: str) -> None:
        lang.set(code)
        frame.set(session.value.render(code, colour_by.value))

    def set_colour(mode: str) -> None:
        colour_by.set(mode)
        frame.set(session.value.render(lang.value, mode))

    def step() -> None:
        frame.set(session.value.advance(every.value, lang.value, colour_by.value))

    def on_seed(text: str | None) -> None:
        try:
            seed = ses.parse_seed(text or "")
        except ValueError:
            message.set(t("seed_bad", lang.value) + repr(text))
            return
        restart(dataclasses.replace(session.value.settings, seed=seed))

    def play_loop() -> None:
        play_gen.current += 1
        me = play_gen.current
        while playing.value and session.value.running and play_gen.current == me:
            t0 = time.perf_counter()
            current = session.value
            shown = current.advance(every.value, lang.value, colour_by.value)
            if session.value is current:  # a reset meanwhile replaced the run: drop this frame
                frame.set(shown)
            time.sleep(max(0.0, interval.value / 1000 - (time.perf_counter() - t0)))
        if play_gen.current == me:  # not superseded by a newer play
            playing.set(False)

    solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True)

    def on_file(info: dict) -> None:
        try:
            new = ses.settings_from_toml(info["data"] or b"", info["name"])
        except (InputError, UnicodeDecodeError) as e:
            message.set(str(e))
            return
        restart(new, t("loaded", lang.value) + info["name"])

    loader = ses.batch_loader()

    def open_batch() -> None:
        if loader is None:
            return
        try:
            sc, seed = loader(batch_folder.value.strip(), batch_run.value.strip())
        except (InputError, OSError, ValueError, KeyError, IndexError) as e:
            message.set(str(e))
            return
        restart(ses.Settings(sc, seed=int(seed)), f"{batch_folder.value} #{batch_run.value}")

    f = frame.value
    solara.Title(t("title", L))
    solara.Style(CSS)
    with solara.Column(style="padding: 8px 16px;"):
        with solara.Row(style="align-items: center;"):
            with solara.Column(gap="0px"):
                solara.HTML(tag="h2", unsafe_innerHTML=t("title", L), classes=["cogov-title"])
                solara.HTML(tag="div", unsafe_innerHTML=t("subtitle", L), classes=["cogov-sub"])
            solara.v.Spacer()
            for code in LANGS:
                solara.Button(LANG_NAMES[code], on_click=lambda c=code: set_lang(c),
                              outlined=code != L, color="primary", small=True,
                              classes=[f"cogov-lang-{code}"])
        with solara.Columns([1, 3]):
            with solara.Column(gap="4px"):
                names = list(available())
                if settings.base.name not in names:
                    names.append(settings.base.name)
                solara.Select(t("scenario", L), values=names, value=settings.base.name,
                              on_value=lambda n: n and n != settings.base.name and restart(
                                  dataclasses.replace(ses.initial_settings(n, settings.seed),
                                                      compare=settings.compare)))
                shown = {structure_name(s, L): s for s in structures}
                solara.Select(t("structure", L), values=list(shown),
                              value=structure_name(settings.value("structure"), L),
                              on_value=lambda v: v and change("structure", shown[v]))
                solara.InputText(t("seed", L), value=seed_text, on_value=on_seed,
                                 continuous_update=False)
                with solara.Row():
                    solara.Button(t("pause" if playing.value else "play", L), color="primary",
                                  on_click=lambda: playing.set(not playing.value),
                                  disabled=not f.running)
                    solara.Button(t("step", L), color="primary", on_click=step,
                                  disabled=playing.value or not f.running)
                    solara.Button(t("reset", L), on_click=lambda: restart(session.value.settings))
                solara.SliderInt(t("interval", L), value=interval, min=0, max=1000, step=50)
                solara.SliderInt(t("every", L), value=every, min=1, max=30)
                if message.value:
                    solara.Text(message.value, classes=["cogov-msg"])

                Section("compare", L)
                solara.Checkbox(label=t("side_by_side", L), value=settings.compare is not None,
                                on_value=lambda on: restart(dataclasses.replace(
                                    settings, compare=_other(settings.value("structure"))
                                    if on else None)))
                if settings.compare is not None:
                    solara.Select(t("compare_with", L), values=list(shown),
                                  value=structure_name(settings.compare, L),
                                  on_value=lambda v: v and restart(dataclasses.replace(
                                      settings, compare=shown[v])))
                modes = {t("by_propensity", L): "propensity", t("by_activity", L): "activity"}
                solara.Select(t("colour_by", L), values=list(modes),
                              value=t("by_propensity" if colour_by.value == "propensity"
                                      else "by_activity", L),
                              on_value=lambda v: v and set_colour(modes[v]))

                Section("mechanisms", L)
                for name in ses.MECHANISMS:
                    solara.Checkbox(label=param_label(name, L), value=bool(settings.value(name)),
                                    on_value=lambda v, n=name: change(n, bool(v)))
                Section("parameters", L)
                solara.Text(t("restart_note", L), style=SMALL)
                for name, low, high, stp in ses.sliders(settings.value("structure")):
                    ParamSlider(name, low, high, stp, settings, L, change)

                Section("save", L)
                solara.FileDownload(lambda: session.value.settings.to_toml(),
                                    filename=f"{settings.base.name}-seed{settings.seed}.toml",
                                    label=t("save", L), mime_type="application/toml")
                solara.FileDrop(label=t("load", L), on_file=on_file, lazy=False)
                if loader is not None:
                    Section("batch", L)
                    solara.InputText(t("batch_folder", L), value=batch_folder)
                    solara.InputText(t("batch_run", L), value=batch_run)
                    solara.Button(t("batch_open", L), on_click=open_batch)

            with solara.Column(gap="6px"):
                with solara.Row(style="align-items: baseline;"):
                    solara.Text(t("day", L, day=f.day, days=f.days), classes=["cogov-day"])
                    solara.Text(t("frame", L, ms=f.frame_ms) if f.running
                                else t("finished", L), classes=["cogov-frame"])
                n = len(session.value.models)
                with solara.Columns([1] * n):
                    for i in range(n):
                        with solara.Column(gap="2px"):
                            solara.Image(f.images[f"network{i}"], width="100%",
                                         classes=["cogov-network"])
                            solara.Image(f.images[f"flow{i}"], width="100%",
                                         classes=["cogov-flow"])
                solara.Image(f.images["charts"], width="80%",
                             classes=["cogov-charts"])
                with solara.Card(t("help_title", L)):
                    solara.HTML(tag="div", unsafe_innerHTML=t("help", L), classes=["cogov-help"])


def _other(structure: str) -> str:
    """The natural partner for side by side: the committee, or 九龙治水 when already there."""
    return "fragmented" if structure != "fragmented" else "committee"
