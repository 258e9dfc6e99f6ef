"""The Solara page of `cogov viz`: two runs side by side on one screen.

A bar of controls (both sides' scenarios, seed, play), a line saying in words what differs
between the sides, a sidebar (guided lesson, settings, save and load) and the main view in
tabs: where the time goes (readouts and interactive charts), the community, why it is faster.
Everything offline (plotly.js ships with plotly; no Markdown/KaTeX), every word from `i18n`.
Start it with `cogov viz`; `solara run cogov_sim/viz/app.py` works too (PYTHONPATH = repo).
"""

from __future__ import annotations

import dataclasses
import html
import os
import threading
import time
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import solara

from cogov_sim.errors import InputError
from cogov_sim.params import table
from cogov_sim.scenario import available
from cogov_sim.structures import registry
from cogov_sim.viz import charts, export, lesson, why
from cogov_sim.viz import sides as sd
from cogov_sim.viz.i18n import LANG_NAMES, LANGS, STRINGS, param_label, scenario_title, t, unit
from cogov_sim.viz.readouts import READOUTS, difference, fmt
from cogov_sim.viz.session import Frame, Session, all_sliders, sliders_for

ENV_SCENARIO = "COGOV_VIZ_SCENARIO"
ENV_LANG = "COGOV_VIZ_LANG"
HERE = Path(__file__).resolve().parent
EVERY = (1, 5, 10, 30)
REDRAW_EVERY = 3.0
"""Seconds between two set-ups of the charts asked for by the browser (no loop if it cannot)."""
PATIENCE = 0.25
"""Seconds the play loop waits for the browser to show a frame before stepping on without
sending one (a skipped frame)."""
CSS = (HERE / "style.css").read_text(encoding="utf-8")


@solara.component_vue(str(HERE / "vue" / "copy_button.vue"))
def CopyButton(text: str, label: str, done_label: str) -> None:
    """A button that copies `text` to the clipboard (in the browser, no round trip)."""


@solara.component_vue(str(HERE / "vue" / "file_picker.vue"))
def FilePicker(browse_label: str, drop_label: str, event_file: Any = None) -> None:
    """Click to browse, or drop, a file; its name and text come back through `event_file`."""


@solara.component_vue(str(HERE / "vue" / "frame_ack.vue"))
def FrameAck(day: int, event_ack: Any = None) -> None:
    """Reports back (`event_ack`) once the browser's charts show `day`."""


@solara.component_vue(str(HERE / "vue" / "resize_kick.vue"))
def ResizeKick(tick: int) -> None:
    """Makes plotly figures fill their containers after layout changes (tab, language)."""


def _start() -> tuple[sd.Settings, str]:
    """The first view: 九龙治水 vs 社治委, or `cogov viz SCENARIO` on the right."""
    settings = sd.default_settings()
    name = os.environ.get(ENV_SCENARIO)
    if not name:
        return settings, ""
    try:
        side = sd.Side.of(name)
    except InputError as e:
        return settings, str(e)
    return settings.with_side(1, side), ""


def _ready() -> threading.Event:
    event = threading.Event()
    event.set()
    return event


def _initial_lang() -> str:
    lang = os.environ.get(ENV_LANG, "zh")
    return lang if lang in LANGS else "zh"


def _context() -> Any:
    try:
        from solara.server import kernel_context

        return kernel_context.get_current_context()
    except Exception:  # noqa: BLE001 - rendered outside a server (tests): always connected
        return None


def connected(ctx: Any) -> bool:
    """Whether the browser tab behind this page is still there (always, outside a server)."""
    if ctx is None:
        return True
    if ctx.closed_event.is_set():
        return False
    from solara.server.kernel_context import PageStatus

    status = list(ctx.page_status.values())
    return not status or PageStatus.CONNECTED in status


def side_options(settings: sd.Settings, i: int, lang: str) -> dict[str, sd.Side | None]:
    """A side's choices by label: every scenario; on the right also the left scenario with
    only its structure changed, and no comparison at all; the current side if custom."""
    opts: dict[str, sd.Side | None] = {}
    for name in available():
        opts[scenario_title(name, lang)] = _lazy(name)
    if i == 1:
        left = settings.left
        for s in registry():
            if s != left.value("structure"):
                side = sd.Side(left.base, {"structure": s})
                opts[side.title(lang)] = side
        opts[t("none_side", lang)] = None
    current = settings.right if i == 1 else settings.left
    if current is not None and (current.overrides or current.base.name not in available()):
        opts.setdefault(current.title(lang), current)
    return opts


class _lazy(str):
    """A shipped scenario's name, loaded only when chosen."""


def _resolve(choice: sd.Side | str | None) -> sd.Side | None:
    return sd.Side.of(str(choice)) if isinstance(choice, _lazy) else choice


def _label_of(settings: sd.Settings, i: int, lang: str) -> str:
    side = settings.right if i == 1 else settings.left
    if side is None:
        return t("none_side", lang)
    return side.title(lang)


def readout_table(frame: Frame, names: list[str], lang: str) -> str:
    """The readouts as an HTML table: one column per side, then right minus left."""
    two = len(frame.readouts) == 2
    head = "".join(f'<th class="cogov-side{i}">{n}</th>' for i, n in enumerate(names))
    head += f"<th>{t('difference', lang)}</th>" if two else ""
    rows = []
    for r in READOUTS:
        vals = [x.get(r.key, float("nan")) for x in frame.readouts]
        cells = "".join(f'<td data-key="{r.key}" data-side="{i}">{fmt(v, r)}</td>'
                        for i, v in enumerate(vals))
        if two:
            d = difference(vals[0], vals[1])
            mark = ""
            if not r.judged:
                mark = f' <span class="cogov-unjudged">{t("not_judged", lang)}</span>'
            elif d == d and abs(d) > 1e-12:
                good = (d < 0) == r.lower_is_better
                mark = (f' <span class="cogov-{"better" if good else "worse"}">'
                        f'{"▼" if d < 0 else "▲"} {t("better" if good else "worse", lang)}</span>')
            cells += f'<td data-key="{r.key}" data-side="diff">{fmt(d, r, signed=True)}{mark}</td>'
        tip = f' title="{html.escape(t("def_" + r.key, lang))}"' if "def_" + r.key in STRINGS else ""
        rows.append(f"<tr><th{tip}>{t(r.key, lang)}</th>{cells}</tr>")
    return (f'<table class="cogov-table" data-day="{frame.day}"><thead><tr>'
            f'<th>{t("readout", lang)}</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')


def step_effect(frame: Frame, lang: str) -> str:
    """The lesson's live figures: this step's own change (right − left) in the headline time
    and, with a reference run, the running total (right − 九龙治水)."""
    if len(frame.readouts) < 2:
        return ""
    r = READOUTS[0]
    right = frame.readouts[1].get(r.key)
    own = fmt(difference(frame.readouts[0].get(r.key), right), r, signed=True)
    text = t("step_own", lang, days=own)
    if frame.reference is not None:
        total = fmt(difference(frame.reference.get(r.key), right), r, signed=True)
        text += "<br>" + t("step_total", lang, days=total)
    return text


def stage_open_note(frame: Frame, names: list[str], lang: str) -> str:
    """What the time-by-stage bar leaves out: each side's share of issues still open."""
    r = next(x for x in READOUTS if x.key == "resolution_censored_share")
    shares = ("；" if lang == "zh" else "; ").join(
        f"{name.split('：' if lang == 'zh' else ': ', 1)[0]} {fmt(x.get(r.key), r)}"
        for name, x in zip(names, frame.readouts, strict=False))
    return t("stage_open", lang, shares=shares)


@solara.component
def ParamSlider(name: str, low: float, high: float, step: float, value: float, lang: str,
                on_release: Any, hidden: bool = False, side_label: str = "") -> None:
    """One common parameter: label with its value and unit, its own range, a tooltip; a
    change applies when the thumb is released (vuetify's `change`), not while dragging."""
    p = table()[name]
    low, high = min(low, value), max(high, value)
    u = unit(p, lang)
    shown = f"{value:g}"
    help_text = (f"{p.zh if lang == 'zh' else p.en}。{t('range', lang)} {low:g}–{high:g} {u}"
                 if lang == "zh" else f"{p.en}. {t('range', lang)} {low:g}–{high:g} {u}")
    title = f"{side_label} · {param_label(name, lang)}" if side_label else param_label(name, lang)
    label = solara.v.Html(tag="div", class_="cogov-slider-label",
                          children=[f"{title}：{shown}" if lang == "zh" else f"{title}: {shown}"])
    with solara.Column(gap="0px", classes=["cogov-slider"] + (["cogov-hidden"] if hidden else [])):
        solara.v.Tooltip(bottom=True, max_width=320, v_slots=[{
            "name": "activator", "variable": "tip",
            "children": solara.v.Html(tag="div", v_on="tip.on", children=[label])}],
            children=[help_text])
        slider = solara.v.Slider(v_model=value, min=low, max=high, step=step, dense=True,
                                 hide_details=True, thumb_label=True, class_="cogov-range")
        solara.v.use_event(slider, "change", lambda *args: on_release(
            name, int(args[2]) if p.kind == "int" else float(args[2])))
        solara.v.Html(tag="div", class_="cogov-slider-range",
                      children=[f"{low:g} – {high:g} {u}".strip()])


@solara.component
def LiveFigure(fig: go.Figure, cls: str, filename: str, update: Any = None,
               data: Any = None, redraw: int = 0) -> None:
    """A plotly figure as a live widget, then `update(widget)` whenever `data` changes (only
    the traces' data travel to the browser). The widget is made with the whole figure in its
    initial state (messages sent before the browser has drawn it can be lost, which left
    charts blank); a new one when `fig` changes or `redraw` does (the browser reported a
    chart not drawn)."""
    url = charts.bundle_url(solara.lab.headers.value)
    widget = solara.use_memo(lambda: charts.make_widget(url, fig, filename), [fig, redraw])

    def forget() -> Any:
        return widget.close  # replaced or unmounted: free it

    def refresh() -> None:
        if update is not None:
            update(widget)

    solara.use_effect(forget, [widget])
    solara.use_effect(refresh, [widget, data])
    solara.v.Html(tag="div", class_=f"cogov-chart {cls}", children=[widget])


@solara.component
def Page() -> None:
    """The whole app: one component tree per browser tab, with its own runs."""
    start = solara.use_memo(_start, [])
    lang = solara.use_reactive(_initial_lang())
    settings = solara.use_reactive(start[0])
    session = solara.use_reactive(solara.use_memo(lambda: Session(start[0]), []))
    frame = solara.use_reactive(solara.use_memo(lambda: session.value.frame(), []))
    message = solara.use_reactive(("error", start[1]) if start[1] else ("", ""))
    seed_text = solara.use_reactive(str(start[0].seed))
    playing = solara.use_reactive(False)
    every = solara.use_reactive(1)
    delay = solara.use_reactive(0)
    colour_by = solara.use_reactive("activity")
    tab = solara.use_reactive(0)
    side_tab = solara.use_reactive(0)
    step_i = solara.use_reactive(0)
    play_gen = solara.use_ref(0)
    ack = solara.use_ref(_ready())
    redraw = solara.use_reactive(0)  # bumped when the browser reports a chart not drawn
    redrawn = solara.use_ref(0.0)
    made = solara.use_ref([session.value])  # every run this tab started, freed when it closes

    L = lang.value
    s = settings.value

    def restart(new: sd.Settings, note: tuple[str, str] = ("", "")) -> None:
        playing.set(False)
        play_gen.current += 1
        try:
            ses = Session(new)
        except InputError as e:
            message.set(("error", str(e)))
            return
        made.current = [*made.current[-1:], ses]
        settings.set(new)
        session.set(ses)
        seed_text.set(str(new.seed))
        message.set(note)
        frame.set(ses.frame())

    def set_common(name: str, value: Any) -> None:
        try:
            restart(settings.value.set_common(name, value))
        except InputError as e:
            message.set(("error", str(e)))

    def set_mechanism(i: int, name: str, value: Any) -> None:
        cur = settings.value
        try:
            restart(cur.with_side(i, cur.side(i).set(name, value)))
        except InputError as e:
            message.set(("error", str(e)))

    def choose(i: int, label: str) -> None:
        opts = side_options(settings.value, i, lang.value)
        if label not in opts or label == _label_of(settings.value, i, lang.value):
            return
        side = _resolve(opts[label])
        if i == 0 and side is None:
            return
        restart(settings.value.with_side(i, side))

    def on_seed(text: str | None) -> None:
        try:
            seed = sd.parse_seed(text or "")
        except ValueError:
            message.set(("error", t("seed_bad", lang.value) + repr(text)))
            return
        restart(dataclasses.replace(settings.value, seed=seed))

    def step_once() -> None:
        frame.set(session.value.advance(every.value))

    def play_loop() -> None:
        """Step, and send a frame only once the browser has shown the last one (`FrameAck`):
        at most one frame in flight, so Pause and Reset act at once; when the browser falls
        behind, the runs keep stepping (every day simulated) and the frames between are
        skipped."""
        play_gen.current += 1
        me = play_gen.current
        ctx = _context()
        shown_ok = ack.current
        try:
            while playing.value and play_gen.current == me and connected(ctx):
                t0 = time.perf_counter()
                current = session.value
                shown = current.advance(every.value)  # made while the browser draws the last
                if shown_ok.wait(PATIENCE) and playing.value and session.value is current \
                        and play_gen.current == me:
                    shown_ok.clear()
                    frame.set(shown)
                if not current.running:
                    if session.value is current and frame.value.day != current.day:
                        frame.set(current.frame())  # the last day is always shown
                    break
                time.sleep(max(0.0, delay.value / 1000 - (time.perf_counter() - t0)))
        finally:
            if play_gen.current == me and connected(ctx):
                playing.set(False)

    def on_ack(info: dict) -> None:
        if info.get("missing") and time.monotonic() - redrawn.current > REDRAW_EVERY:
            redrawn.current = time.monotonic()
            redraw.set(redraw.value + 1)
        if info.get("day") == frame.value.day:
            ack.current.set()

    solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True)

    def on_unmount() -> Any:
        def cleanup() -> None:  # the tab is gone: stop the loop, free the runs
            play_gen.current += 1
            for ses in made.current:
                ses.close()
        return cleanup

    solara.use_effect(on_unmount, [])

    def apply_step(i: int) -> None:
        step_i.set(i)
        cur = settings.value
        restart(lesson.STEPS[i].settings(cur.seed, cur.common))

    def on_file(info: dict) -> None:
        name = Path(str(info.get("name") or "scenario.toml")).name
        text = str(info.get("text") or "")
        try:
            if not info.get("ok", True):
                raise InputError(name, t("file_not_text", lang.value))
            parent = sd.bad_parent(text)
            if parent is not None:
                message.set(("error", t("file_extends", lang.value, file=name, value=parent,
                                        key="extends",
                                        allowed="、".join(sorted(available())) if lang.value == "zh"
                                        else ", ".join(sorted(available())))))
                return
            side, seed = sd.side_from_toml(text, name)
        except InputError as e:
            message.set(("error", t("file_error", lang.value, file=name)
                         + (e.message if e.key is None else f"{e.key}: {e.message}")))
            return
        new = settings.value.with_side(1, side)
        if seed is not None:
            new = dataclasses.replace(new, seed=seed)
        restart(new, ("ok", t("loaded", lang.value) + name))

    def on_batch(folder: str, run_id: str) -> None:
        problem = sd.batch_problem(folder, run_id)
        if problem:
            message.set(("error", t(problem[0], lang.value, **problem[1])))
            return
        try:
            side, seed = sd.side_from_batch(folder, run_id)
        except (InputError, OSError, ValueError, KeyError, IndexError) as e:
            message.set(("error", t("batch_error", lang.value, folder=folder.strip(),
                                    run=run_id.strip()) + str(e)))
            return
        new = dataclasses.replace(settings.value.with_side(1, side), seed=seed)
        restart(new, ("ok", f"{t('loaded', lang.value)}{folder} · {run_id}"))

    names = [f"{t('left' if i == 0 else 'right', L)}：{side.title(L)}" if L == "zh" else
             f"{t('left' if i == 0 else 'right', L)}: {side.title(L)}"
             for i, side in enumerate(s.sides)]
    stage_fig = solara.use_memo(lambda: charts.stage_figure(names, L), [tuple(names), L])
    trend_fig = solara.use_memo(lambda: charts.trends_figure(names, L), [tuple(names), L])

    solara.Title(t("title", L))
    solara.Style(CSS)
    with solara.Column(gap="0px", classes=["cogov-root"]):
        with solara.Row(classes=["cogov-header"], gap="8px"):
            solara.HTML(tag="h1", unsafe_innerHTML=t("title", L), classes=["cogov-title"])
            solara.HTML(tag="span", unsafe_innerHTML=t("subtitle", L), classes=["cogov-sub"])
            solara.v.Spacer()
            for code in LANGS:
                solara.Button(LANG_NAMES[L][code], on_click=lambda c=code: lang.set(c),
                              outlined=code != L, color="primary", small=True,
                              classes=[f"cogov-lang-{code}"])
        with solara.Row(classes=["cogov-controls"], gap="8px"):
            for i in (0, 1):
                opts = side_options(s, i, L)
                with solara.Div(classes=[f"cogov-pick cogov-pick{i}"]):
                    solara.Select(t("side_pick", L, side=t("left" if i == 0 else "right", L)),
                                  values=list(opts), value=_label_of(s, i, L),
                                  on_value=lambda v, i=i: v and choose(i, v))
            with solara.Div(classes=["cogov-seed"]):
                solara.InputText(t("seed", L), value=seed_text, on_value=on_seed,
                                 continuous_update=False)
            PlayBar(frame, playing, every, L, step_once, lambda: restart(settings.value), on_ack)
        diffs = sd.differences(s, L)
        diff_text = (t("diff_title", L) + ("；" if L == "zh" else "; ").join(diffs)) if diffs \
            else (t("diff_none", L) if s.right is not None else t("single_note", L))
        solara.HTML(tag="div", unsafe_innerHTML=diff_text, classes=["cogov-diff"])
        # always present (empty when there is nothing to say), so the elements after it keep
        # their place and are not re-created when a message appears
        kind, text = message.value
        solara.HTML(tag="div", unsafe_innerHTML=_escape(text),
                    classes=["cogov-msg", f"cogov-msg-{kind or 'ok'}"] if text else ["cogov-nomsg"])
        with solara.Row(classes=["cogov-body"], gap="10px"):
            with solara.Column(classes=["cogov-sidebar"], gap="0px"), \
                    solara.lab.Tabs(value=side_tab):
                with solara.lab.Tab(t("tab_lesson", L)):
                    LessonPanel(step_i.value, L, apply_step, frame)
                with solara.lab.Tab(t("tab_settings", L)):
                    SettingsPanel(s, L, set_common, set_mechanism, colour_by, delay)
                with solara.lab.Tab(t("tab_files", L)):
                    FilesPanel(s, frame, names, L, on_file, on_batch)
            with solara.Column(classes=["cogov-main"], gap="0px"):
                ResizeKick(tick=tab.value * 10 + LANGS.index(L) + 100 * len(s.sides))
                with solara.lab.Tabs(value=tab):
                    # every view stays mounted (closing a live chart widget mid-session makes
                    # the browser log errors); only the visible picture is redrawn per frame
                    with solara.lab.Tab(t("tab_time", L)):
                        TimeView(frame, names, L, stage_fig, trend_fig, redraw.value)
                    with solara.lab.Tab(t("tab_network", L)):
                        NetworkView(session.value, frame, names, L, colour_by.value,
                                    tab.value == 1)
                    with solara.lab.Tab(t("tab_why", L)):
                        WhyView(s, names, L)


def _escape(text: str) -> str:
    return html.escape(text)


@solara.component
def PlayBar(frame: solara.Reactive[Frame], playing: solara.Reactive[bool],
            every: solara.Reactive[int], L: str, step_once: Any, reset: Any, on_ack: Any) -> None:
    """Play, step, reset, days per step and the day: the only controls a frame changes (so a
    frame re-renders this bar and the views, not the whole page)."""
    f = frame.value
    with solara.Row(gap="8px", classes=["cogov-playbar"]):
        solara.Button(t("pause" if playing.value else "play", L), color="primary",
                      on_click=lambda: playing.set(not playing.value),
                      disabled=not f.running, classes=["cogov-play"])
        solara.Button(t("step", L), color="primary", outlined=True, on_click=step_once,
                      disabled=playing.value or not f.running, classes=["cogov-step"])
        solara.Button(t("reset", L), outlined=True, classes=["cogov-reset"], on_click=reset)
        with solara.Div(classes=["cogov-every"]):
            per = {f"{n} {t('day_axis', L)}": n for n in EVERY}
            solara.Select(t("every", L), values=list(per),
                          value=f"{every.value} {t('day_axis', L)}",
                          on_value=lambda v: v and every.set(per[v]))
        solara.Text(t("day", L, day=f.day, days=f.days), classes=["cogov-day"])
        if not f.running:
            solara.Text(t("finished", L), classes=["cogov-finished"])
        FrameAck(day=f.day, event_ack=on_ack)


@solara.component
def TimeView(frame: solara.Reactive[Frame], names: list[str], lang: str, stage_fig: go.Figure,
             trend_fig: go.Figure, redraw: int = 0) -> None:
    """Readouts with the difference, the time-by-stage bar, the trends."""
    f = frame.value
    with solara.Row(gap="10px", classes=["cogov-top"]):
        with solara.Column(gap="0px", classes=["cogov-readouts"]):
            solara.HTML(tag="div", unsafe_innerHTML=readout_table(f, names, lang))
            warm = 30
            note = t("readout_note", lang)
            if f.day <= warm:
                note = t("warmup", lang, days=warm) + " · " + note
            solara.HTML(tag="div", unsafe_innerHTML=note, classes=["cogov-note"])
        with solara.Column(gap="0px", classes=["cogov-stagebox"]):
            solara.HTML(tag="div", unsafe_innerHTML=t("stage_title", lang),
                        classes=["cogov-chart-title"])
            solara.HTML(tag="div", unsafe_innerHTML=stage_open_note(f, names, lang),
                        classes=["cogov-note", "cogov-stage-open"])
            LiveFigure(stage_fig, "cogov-stage", "time-by-stage",
                       lambda w: charts.update_stage(w, f.readouts, f.day), f, redraw)
    LiveFigure(trend_fig, "cogov-trends", "trends",
               lambda w: charts.update_trends(w, f.series, f.day), f, redraw)


@solara.component
def NetworkView(session: Session, frame: solara.Reactive[Frame], names: list[str], lang: str,
                colour_by: str, visible: bool) -> None:
    """Each side's community today: residents coloured, open issues by stage (drawn only while
    its tab is shown)."""
    if not visible:
        return
    _ = frame.value  # re-drawn with every frame
    from cogov_sim.viz.i18n import stage_name
    from cogov_sim.viz.raster import STAGE_COLOURS
    from cogov_sim.viz.readouts import STAGE_KEYS

    with solara.Row(gap="10px"):
        for i, name in enumerate(names):
            with solara.Column(gap="2px", classes=["cogov-netbox"]):
                solara.HTML(tag="div", unsafe_innerHTML=t("network_title", lang, side=name),
                            classes=["cogov-chart-title"])
                solara.Image(session.network_png(i, colour_by), width="100%",
                             classes=["cogov-network"])
    keys = ([("#f28e2b", t("leg_active", lang)), ("#c4c8d0", t("leg_inactive", lang))]
            if colour_by == "activity" else [("linear-gradient(90deg,#440154,#21918c,#fde725)",
                                              t("leg_propensity", lang))])
    items = "".join(f'<span class="cogov-key"><i style="background:{c}"></i>{txt}</span>'
                    for c, txt in keys)
    items += f'<span class="cogov-key">{t("leg_issue", lang)}：</span>' if lang == "zh" else \
        f'<span class="cogov-key">{t("leg_issue", lang)}:</span>'
    items += "".join(f'<span class="cogov-key"><b style="color:{STAGE_COLOURS[k]}">▲</b>'
                     f"{stage_name(k, lang)}</span>" for k in STAGE_KEYS)
    solara.HTML(tag="div", unsafe_innerHTML=items, classes=["cogov-legend"])


@solara.component
def WhyView(s: sd.Settings, names: list[str], lang: str) -> None:
    """The stored Shapley decomposition for the two sides' scenarios, when there is one."""
    p = why.pair(s)
    ex = why.explanation(*p) if p else None
    fig = solara.use_memo(lambda: charts.why_figure(ex.table, why.METRIC, names, lang) if ex
                          else go.Figure(), [p, lang, tuple(names)])
    if ex is None:
        a, b = p or ("fragmented", "committee")
        solara.HTML(tag="div", classes=["cogov-note"],
                    unsafe_innerHTML=t("why_missing", lang) + f" <code>{why.command(a, b)}</code>")
    else:
        solara.HTML(tag="div", classes=["cogov-note"],
                    unsafe_innerHTML=t("why_intro", lang, reps=ex.replications))
    # the chart stays mounted (hidden when there is nothing to show): see Page
    LiveFigure(fig, "cogov-why" if ex else "cogov-why cogov-hidden", "why-faster")


@solara.component
def LessonPanel(i: int, lang: str, apply_step: Any, frame: solara.Reactive[Frame]) -> None:
    """The guided lesson: this step's title, what to notice, what to try, the step's own
    change and the running total (live); back and next."""
    n = len(lesson.STEPS)
    st = lesson.STEPS[i]
    with solara.Column(gap="4px", classes=["cogov-lesson"]):
        solara.HTML(tag="div", classes=["cogov-lesson-count"],
                    unsafe_innerHTML=t("lesson_step", lang, i=i + 1, n=n))
        solara.HTML(tag="h3", classes=["cogov-lesson-title"],
                    unsafe_innerHTML=st.text("title", lang))
        solara.HTML(tag="p", unsafe_innerHTML=f"<b>{t('notice', lang)}</b> "
                    + st.text("notice", lang))
        solara.HTML(tag="p", unsafe_innerHTML=f"<b>{t('try', lang)}</b> " + st.text("try", lang))
        if i >= 2:  # the steps that add a change (the first two set the scene)
            solara.HTML(tag="div", unsafe_innerHTML=step_effect(frame.value, lang),
                        classes=["cogov-lesson-effect"])
        with solara.Row(gap="6px"):
            solara.Button(t("lesson_prev", lang), small=True, outlined=True, disabled=i == 0,
                          on_click=lambda: apply_step(i - 1), classes=["cogov-lesson-prev"])
            solara.Button(t("lesson_apply", lang), small=True, outlined=True,
                          on_click=lambda: apply_step(i), classes=["cogov-lesson-apply"])
            solara.Button(t("lesson_next", lang), small=True, color="primary",
                          disabled=i == n - 1, on_click=lambda: apply_step(i + 1),
                          classes=["cogov-lesson-next"])


@solara.component
def SettingsPanel(s: sd.Settings, lang: str, set_common: Any, set_mechanism: Any,
                  colour_by: solara.Reactive[str], delay: solara.Reactive[int]) -> None:
    """Values common to both sides (sliders), each side's mechanism switches, display."""
    with solara.Column(gap="2px", classes=["cogov-settings"]):
        solara.HTML(tag="div", unsafe_innerHTML=t("common", lang), classes=["cogov-section"])
        shown = {row[0] for row in sliders_for(s)}
        for name, low, high, step in all_sliders():
            ParamSlider(name, low, high, step, float(s.common_value(name)), lang, set_common,
                        name not in shown)
        solara.HTML(tag="div", unsafe_innerHTML=t("mechanisms", lang), classes=["cogov-section"])
        for name, low, high, step in sd.SIDE_SLIDERS:
            for i, side in enumerate(s.sides):
                ParamSlider(name, low, high, step, float(side.value(name)), lang,
                            lambda n, v, i=i: set_mechanism(i, n, v),
                            side_label=t("left" if i == 0 else "right", lang)).key(f"side-{name}-{i}")
        for name in sd.mechanism_switches():
            with solara.Row(gap="0px", classes=["cogov-mech"]):
                solara.HTML(tag="span", unsafe_innerHTML=param_label(name, lang),
                            classes=["cogov-mech-label"])
                for i, side in enumerate(s.sides):
                    solara.Checkbox(label="", value=bool(side.value(name)),
                                    on_value=lambda v, i=i, n=name: set_mechanism(i, n, bool(v))
                                    ).key(f"mech-{name}-{i}")
        modes = {t("by_activity", lang): "activity", t("by_propensity", lang): "propensity"}
        solara.Select(t("colour_by", lang), values=list(modes),
                      value=next(k for k, v in modes.items() if v == colour_by.value),
                      on_value=lambda v: v and colour_by.set(modes[v]))
        per = {f"{ms} ms" if lang == "en" else f"{ms} 毫秒": ms for ms in (0, 100, 250, 500, 1000)}
        solara.Select(t("speed", lang), values=list(per),
                      value=next(k for k, v in per.items() if v == delay.value),
                      on_value=lambda v: v and delay.set(per[v]))


@solara.component
def FilesPanel(s: sd.Settings, frame: solara.Reactive[Frame], names: list[str], lang: str,
               on_file: Any, on_batch: Any) -> None:
    """Copy both runs as `cogov run` commands, save a side, load a file, export the data."""
    cmds = "\n".join(s.commands())
    with solara.Column(gap="6px", classes=["cogov-files"]):
        solara.HTML(tag="div", unsafe_innerHTML=t("cmd_label", lang), classes=["cogov-section"])
        solara.HTML(tag="pre", unsafe_innerHTML=_escape(cmds), classes=["cogov-cmd"])
        CopyButton(text=cmds, label=t("copy_cmd", lang), done_label=t("copied", lang))
        for i, side in enumerate(s.sides):
            label = t("save_side", lang, side=t("left" if i == 0 else "right", lang))
            solara.FileDownload(lambda side=side: sd.to_toml(side, s.seed, s.common),
                                filename=f"{side.base.name.removesuffix('.toml')}-seed{s.seed}.toml",
                                label=label, mime_type="application/toml").key(f"save-{i}")
        solara.HTML(tag="div", unsafe_innerHTML=t("load", lang), classes=["cogov-section"])
        FilePicker(browse_label=t("browse", lang), drop_label=t("drop", lang),
                   event_file=on_file)
        solara.FileDownload(lambda: export.series_csv(frame.value, names), filename="cogov-viz-series.csv",
                            label=t("export_csv", lang), mime_type="text/csv")
        solara.HTML(tag="div", unsafe_innerHTML=t("export_hint", lang), classes=["cogov-note"])
        BatchOpen(lang, on_batch)


@solara.component
def BatchOpen(lang: str, on_batch: Any) -> None:
    """Replay run k of a `cogov batch` folder on the right side."""
    folder = solara.use_reactive("")
    run_id = solara.use_reactive("")
    solara.HTML(tag="div", unsafe_innerHTML=t("batch", lang), classes=["cogov-section"])
    solara.InputText(t("batch_folder", lang), value=folder)
    solara.InputText(t("batch_run", lang), value=run_id)
    solara.Button(t("batch_open", lang), small=True, outlined=True, classes=["cogov-batch"],
                  on_click=lambda: on_batch(folder.value, run_id.value))
