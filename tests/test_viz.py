"""The visualiser, in-process: readouts equal `cogov run`, the two sides and the words for
what differs, the page's controls (rendered by Solara without a browser), the lesson, saving,
loading and replaying. The real-browser tests are in test_viz_browser.py; frame time is
measured in the browser by scripts/bench_viz.py, not asserted here."""

from __future__ import annotations

import json
import shlex

import ipyvuetify as v
import numpy as np
import pytest
import solara

from cogov_sim import api, cli
from cogov_sim.errors import InputError
from cogov_sim.structures import registry
from cogov_sim.viz import app, charts, export, lesson, why
from cogov_sim.viz import session as ses
from cogov_sim.viz import sides as sd
from cogov_sim.viz.i18n import STRINGS, param_label, structure_name, t
from cogov_sim.viz.layout import compute, layout_for
from cogov_sim.viz.readouts import READOUTS, STAGE_KEYS, readouts_now, summary_now


def cogov_run(capsys, *args: str) -> dict[str, float]:
    """The summary `cogov run ... --json` prints (the real command-line entry point)."""
    assert cli.main(["run", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)["summary"]


@pytest.fixture(scope="module")
def at_180():
    """The default view (九龙治水 vs 社治委, seed 1) stepped to day 180."""
    s = ses.Session(sd.default_settings(seed=1))
    s.step(180)
    return s


def test_readouts_at_day_180_equal_cogov_run(at_180, capsys):
    f = at_180.frame()
    assert f.day == 180
    keys = [r.key for r in READOUTS] + [f"stage_{k}_days" for k in STAGE_KEYS]
    for side, name in zip(f.readouts, ("fragmented", "committee"), strict=True):
        ref = cogov_run(capsys, name, "--seed", "1", "--days", "180")
        for k in keys:
            assert side[k] == pytest.approx(ref[k], rel=1e-12, abs=1e-12), (name, k)
    # the reform helps in the default view, as the students should see
    assert f.readouts[1]["resolution_mean_days"] < f.readouts[0]["resolution_mean_days"]


def test_solved_as_reported_sits_beside_the_truth_and_is_not_judged(at_180):
    """The books flatter only where ratings press departments: the committee's solved rate as
    reported lies above its true one, 九龙治水's equals it; the row is shown in both languages
    right under the true one and never called better or worse."""
    left, right = at_180.frame().readouts
    assert left["reported_solved_rate"] == left["solved_rate"]
    assert right["reported_solved_rate"] > right["solved_rate"]
    keys = [r.key for r in READOUTS]
    assert keys.index("reported_solved_rate") == keys.index("solved_rate") + 1
    for lang in ("zh", "en"):
        html = app.readout_table(at_180.frame(), ["L", "R"], lang)
        row = next(r for r in html.split("<tr>") if 'data-key="reported_solved_rate"' in r)
        assert t("reported_solved_rate", lang) in row and t("not_judged", lang) in row
        assert t("better", lang) not in row and t("worse", lang) not in row


def test_full_summary_of_a_live_model_equals_a_finished_run(at_180):
    """Every summary key, not only those shown, from the live model (left untouched)."""
    m = at_180.models[1]
    ref = api.run("committee", seed=1, days=180).summary
    got = summary_now(m)
    for k, x in got.items():
        assert x == pytest.approx(ref[k], nan_ok=True), k
    n = m.ledger.n
    readouts_now(m)
    assert m.ledger.n == n  # the snapshot restored the ledger


def test_frame_at_default_size_is_complete(at_180):
    """Non-timed: a frame at 5,000 residents has readouts, series to today and a picture.
    (Frame time is measured in the browser by scripts/bench_viz.py.)"""
    assert all(m.net.n == 5000 for m in at_180.models)
    f = at_180.advance(1)
    assert f.day == 181 and f.running and len(f.readouts) == 2
    assert all(len(s["backlog"]) == 182 and len(s["transfers"]) == 182 for s in f.series)
    png = at_180.network_png(1)
    assert png.startswith(b"\x89PNG") and len(png) > 20_000


def test_layout_is_cached_deterministic_and_inside_neighbourhoods():
    s = ses.Session(sd.Settings(sd.Side.of("rural"), None))
    net = s.models[0].net
    lay = layout_for(net)
    assert layout_for(net) is lay
    np.testing.assert_array_equal(compute(net).xy, lay.xy)
    box = lay.nb_box[net.neighbourhood]
    assert ((lay.xy >= box[:, :2]) & (lay.xy <= box[:, :2] + box[:, 2:])).all()


def test_sides_share_one_community_and_differences_are_worded():
    s = ses.Session(sd.default_settings(seed=5))
    a, b = s.models
    assert (a.net.adj != b.net.adj).nnz == 0  # same seed: same community
    words = sd.differences(s.settings, "zh")
    assert words[0].startswith("治理结构：") and "社治委" in words[0]
    assert any("督办" in w for w in words)  # both patrol with a grid now: supervision differs
    only = sd.default_settings().with_side(1, sd.Side.of("fragmented", structure="committee"))
    assert len(sd.differences(only, "en")) == 1
    assert "structure only" in only.right.title("en")
    same = sd.Settings(sd.Side.of("committee"), sd.Side.of("committee"))
    assert sd.differences(same, "zh") == []
    assert sd.differences(sd.Settings(sd.Side.of("fragmented"), None), "zh") == []


def test_commands_replay_both_sides(capsys):
    settings = sd.Settings(sd.Side.of("fragmented"), sd.Side.of("fragmented", structure="whistle"),
                           seed=3, common={"run.days": 60, "issues.rate": 0.5})
    s = ses.Session(settings)
    s.step(60)
    f = s.frame()
    for cmd, side in zip(settings.commands(), f.readouts, strict=True):
        args = shlex.split(cmd)
        assert args[:2] == ["cogov", "run"]
        ref = cogov_run(capsys, *args[2:])
        assert side["resolution_mean_days"] == pytest.approx(ref["resolution_mean_days"])
        assert side["backlog_final"] == ref["backlog_final"]


def test_saved_side_loads_back_and_replays(tmp_path):
    right = sd.Side.of("fragmented", structure="committee").set("mechanisms.grid_discovery", True)
    text = sd.to_toml(right, seed=7, common={"run.days": 40})
    back, seed = sd.side_from_toml(text.encode(), "mine.toml")
    assert seed == 7 and back.base.name == "mine.toml"
    assert back.spec().params == right.spec({"run.days": 40}).params
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    s = ses.Session(sd.Settings(back, None, seed=7))
    s.step(40)
    res = api.run(path, seed=7)
    np.testing.assert_array_equal(res.daily["backlog"].to_numpy(), s.models[0].series["backlog"])


def test_bad_file_names_the_file_key_value_and_what_is_allowed():
    with pytest.raises(InputError) as e:
        sd.side_from_toml(b'structure = "committe"\n', "bad.toml")
    text = str(e.value)
    assert text.startswith("bad.toml: key 'structure'") and "committe" in text
    assert "allowed" in text and "/tmp" not in text
    with pytest.raises(InputError, match="^broken.toml: .*TOML"):
        sd.side_from_toml(b"structure = ", "broken.toml")
    with pytest.raises(InputError, match="^bin.toml: not a UTF-8"):
        sd.side_from_toml(b"\xff\xfe\x00", "bin.toml")


def test_loaded_file_may_extend_only_shipped_scenarios(tmp_path):
    side, _ = sd.side_from_toml(b'extends = "committee"\n"issues.rate" = 0.5\n', "mine.toml")
    assert side.value("structure") == "committee" and side.value("issues.rate") == 0.5
    secret = tmp_path / "secret.toml"
    secret.write_text('"issues.rate" = 1.5\n', encoding="utf-8")
    for parent in ("/etc/passwd", str(secret), "../secret", "secret.toml", "comittee"):
        with pytest.raises(InputError) as e:
            sd.side_from_toml(f'extends = "{parent}"\n'.encode(), "up.toml")
        text = str(e.value)
        assert text.startswith(f"up.toml: key 'extends': value '{parent}' is not a shipped "
                               "scenario"), text
        assert "allowed: committee" in text and "root:" not in text
    assert "did you mean 'committee'" in str(pytest.raises(
        InputError, sd.side_from_toml, b'extends = "comittee"\n', "up.toml").value)


def test_cli_viz_on_a_public_address_warns_what_it_exposes(tmp_path):
    import subprocess
    import sys

    from cogov_sim.viz.browser import free_port, stop

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "cogov_sim.cli", "viz", "--host", "0.0.0.0",
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        line = proc.stderr.readline()
    finally:
        stop(proc)
    assert line.startswith("cogov viz: warning: --host 0.0.0.0 listens on every network "
                           f"interface of this machine, port {port}")
    assert "without a password" in line and "load scenario files" in line
    assert "127.0.0.1" in line


def test_lesson_walks_the_reform_one_dial_at_a_time():
    first = lesson.STEPS[0].settings(seed=1, common={})
    assert first.specs() == sd.default_settings().specs()  # the page's default view
    assert lesson.STEPS[1].settings(1, {}).right is None  # 九龙治水 alone
    for st in lesson.STEPS:
        for lang in ("zh", "en"):
            assert all(st.text(p, lang) for p in ("title", "notice", "try"))
    before = lesson.STEPS[1].settings(1, {}).left
    for st in lesson.STEPS[2:]:
        s = st.settings(seed=1, common={})
        # the left is the previous step's right, so the difference is this step's own change
        assert s.left.spec().params == before.spec().params
        assert 1 <= len(sd.differences(s, "en")) <= 2
        # names stay right: the two columns never carry the same title
        for lang in ("zh", "en"):
            assert s.left.title(lang) != s.right.title(lang)
            assert "custom" not in s.right.title("en") and "自定义" not in s.right.title("zh")
        before = s.right
    assert [st.settings(1, {}).reference is not None for st in lesson.STEPS] == [
        False, False, False, True, True, True]
    last = lesson.STEPS[-1].settings(1, {})
    assert last.right.spec().params == sd.Side.of("committee").spec().params


def test_lesson_shows_the_step_and_the_running_total():
    s = ses.Session(lesson.STEPS[3].settings(seed=1, common={}))
    f = s.advance(120)
    rm = [r["resolution_rmst_days"] for r in f.readouts]
    ref = f.reference["resolution_rmst_days"]
    assert ref == pytest.approx(api.run("fragmented", seed=1, days=120)
                                .summary["resolution_rmst_days"])
    text = app.step_effect(f, "en")
    assert f"{rm[1] - rm[0]:+.1f} days" in text and f"{rm[1] - ref:+.1f} days" in text


def test_why_view_has_the_stored_decomposition():
    ex = why.explanation("fragmented", "committee")
    assert ex is not None
    fig = charts.why_figure(ex.table, why.METRIC, ["九龙治水", "社治委"], "zh")
    labels = list(fig.data[0].x)
    assert labels[0] == "九龙治水" and labels[-1] == "社治委" and "督办与考评" in labels
    total = sum(fig.data[0].y[1:-1])
    assert fig.data[0].y[0] + total == pytest.approx(fig.data[0].y[-1], abs=0.5)


def test_csv_export_has_both_sides(at_180):
    f = at_180.frame()
    text = export.series_csv(f, ["a", "b"])
    head = text.splitlines()[0].split(",")
    assert head[:2] == ["side", "day"] and "backlog" in head
    assert len(text.splitlines()) == 1 + 2 * (f.day + 1)


@pytest.mark.parametrize("name", sorted(registry()))
def test_every_structure_runs_on_either_side(name):
    settings = sd.default_settings().with_side(1, sd.Side.of("fragmented", structure=name))
    s = ses.Session(settings)
    s.step(3)
    assert s.network_png(1).startswith(b"\x89PNG")
    assert structure_name(name, "zh") == registry()[name].title_zh
    assert [n for n, *_ in ses.sliders(name)][len(sd.COMMON):] == list(registry()[name].key_params)


def test_chinese_strings_have_no_latin_words():
    """Every Chinese UI string: no Latin words (placeholders, numbers, units, symbols and file
    format names are fine)."""
    import re

    formats = re.compile(r"\{\w+(:[^}]*)?\}|CSV|PNG|UTF-8|[.]toml")
    latin = {k: zh for k, (zh, _) in STRINGS.items()
             if re.search(r"[A-Za-z]{2,}", formats.sub("", zh))}
    assert latin == {}


# --- the page, rendered in-process --------------------------------------------------------

@pytest.fixture
def page(monkeypatch):
    monkeypatch.delenv(app.ENV_SCENARIO, raising=False)
    monkeypatch.setenv(app.ENV_LANG, "zh")
    _, rc = solara.render(app.Page(), handle_error=False)
    yield rc
    rc.close()


def _text(rc, cls: str) -> list[str]:
    return [w.children[0] for w in rc.find(v.Html, class_=cls).widgets]


def _click(rc, label: str) -> None:
    rc.find(v.Btn, children=[label]).widget.click()


def _select(rc, label: str):
    return rc.find(v.Select, label=label).widget


def test_page_defaults_step_language_and_seed(page):
    rc = page
    assert _text(rc, "cogov-day") == ["第 0 / 365 天"]
    assert _select(rc, "左侧情景").v_model == "九龙治水（改革前）"
    assert _select(rc, "右侧情景").v_model == "社治委（完整改革）"
    _click(rc, "前进")
    _click(rc, "前进")
    assert _text(rc, "cogov-day") == ["第 2 / 365 天"]
    _click(rc, "英文")
    assert _text(rc, "cogov-day") == ["Day 2 / 365"]
    assert _select(rc, "Right scenario").v_model == "社治委 — the full reform"
    tf = rc.find(v.TextField, label="Seed").widget
    tf.v_model = "43"
    tf.fire_event("keyup.enter", None)
    assert _text(rc, "cogov-day") == ["Day 0 / 365"]
    tf.v_model = "forty-three"
    tf.fire_event("keyup.enter", None)
    assert _html(rc, "cogov-msg-error")


def _html(rc, cls: str) -> list[str]:
    """The inner HTML of `solara.HTML` elements with class `cls`."""
    return [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets
            if cls in w.attributes.get("class", "").split()]


def test_page_right_side_any_scenario_structure_only_or_none(page):
    rc = page
    right = _select(rc, "右侧情景")
    choice = sd.Side.of("fragmented", structure="whistle").title("zh")
    assert choice in right.items
    right.v_model = choice
    assert _select(rc, "右侧情景").v_model == choice
    right = _select(rc, "右侧情景")
    right.v_model = t("none_side", "zh")
    _click(rc, "前进")
    assert _text(rc, "cogov-day") == ["第 1 / 365 天"]
    _select(rc, "右侧情景").v_model = "吹哨报到（北京）"
    assert _select(rc, "右侧情景").v_model == "吹哨报到（北京）"


def test_page_slider_applies_on_release_only(page):
    rc = page
    _click(rc, "前进")
    label = f"{param_label('issues.rate', 'zh')}：0.3"
    assert label in [w.children[0] for w in rc.find(v.Html, class_="cogov-slider-label").widgets]
    slider = rc.find(v.Slider, class_="cogov-range").widgets[0]
    slider.v_model = 0.9  # dragging: nothing restarts
    assert _text(rc, "cogov-day") == ["第 1 / 365 天"]
    slider.fire_event("change", 0.9)  # released
    assert _text(rc, "cogov-day") == ["第 0 / 365 天"]
    labels = [w.children[0] for w in rc.find(v.Html, class_="cogov-slider-label").widgets]
    assert f"{param_label('issues.rate', 'zh')}：0.9" in labels


def test_page_lesson_next_sets_up_both_sides(page):
    rc = page
    _click(rc, "下一步")
    assert _select(rc, "右侧情景").v_model == t("none_side", "zh")
    _click(rc, "下一步")
    assert _select(rc, "右侧情景").v_model == lesson.STEPS[2].right().title("zh")
    _click(rc, "英文")
    _click(rc, "Next")  # the step's left is the previous step's right, both named
    assert _select(rc, "Right scenario").v_model == "one door + street team"
    assert _select(rc, "Left scenario").v_model == "one door (structure only)"


def test_cli_viz_registered_validates_and_culls(capsys):
    a = cli.parser().parse_args(["viz", "committee", "--port", "9999"])
    assert (a.host, a.port, a.scenario) == ("127.0.0.1", 9999, "committee")
    assert cli.main(["viz", "no-such-scenario"]) == 2
    assert "no-such-scenario" in capsys.readouterr().err
    from cogov_sim.viz.cli import server_command, server_env

    assert {"--no-open", "--no-check-version"} <= set(server_command("127.0.0.1", 9999))
    env = server_env("committee", "en")
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "false"
    assert env["COGOV_VIZ_SCENARIO"] == "committee" and env["COGOV_VIZ_LANG"] == "en"
    from solara.util import parse_timedelta

    assert parse_timedelta(env["SOLARA_KERNEL_CULL_TIMEOUT"]) <= 60


TINY_BATCH = """
name = "tiny"
scenarios = ["whistle"]
replications = 1
seed = 99
days = 30
[set]
"community.residents" = 200
"run.warmup_days" = 5
"""


def _batch_fields(rc, folder: str, run_id: str) -> None:
    for key, text in (("batch_folder", folder), ("batch_run", run_id)):
        field = rc.find(v.TextField, label=t(key, "zh")).widget
        field.v_model = text
        field.fire_event("focusout", None)
    _click(rc, t("batch_open", "zh"))


def test_batch_run_opens_on_the_right_and_errors_name_it_in_chinese(page, tmp_path):
    from cogov_sim.batch import executors, load_experiment, run_batch

    exp = tmp_path / "exp.toml"
    exp.write_text(TINY_BATCH, encoding="utf-8")
    res = run_batch(load_experiment(exp), tmp_path / "out", executors.Serial())
    run_id = str(res.runs["run_id"].iloc[0])
    rc = page
    def msg() -> list[str]:
        return [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets
                if "cogov-msg-error" in w.attributes.get("class", "")]

    _batch_fields(rc, "", run_id)
    assert msg() == [t("batch_need_folder", "zh")]
    _batch_fields(rc, str(tmp_path), run_id)
    assert msg() == [f"{tmp_path} 不是批量运行的结果文件夹（缺少 manifest.json / plan.parquet）"]
    _batch_fields(rc, str(tmp_path / "out"), run_id + "x")
    assert msg() == [f"{tmp_path / 'out'} 中没有运行编号 {run_id}x（例如 {run_id}）"]
    _batch_fields(rc, str(tmp_path / "out"), run_id)
    seed = str(res.runs["seed"].iloc[0])
    assert rc.find(v.TextField, label=t("seed", "zh")).widget.v_model == seed
    assert _select(rc, "右侧情景").v_model == "吹哨报到（北京）"


def test_parse_seed():
    assert sd.parse_seed(" 42 ") == 42 and sd.parse_seed(3) == 3
    for bad in ("", "x", "-1", "1.5", True):
        with pytest.raises(ValueError):
            sd.parse_seed(bad)


def test_every_ui_string_formats_with_its_own_fields_in_both_languages():
    """A field named like `t`'s own parameters (the upload message's `key`) once raised a
    TypeError inside the page's event handler, so no message appeared at all."""
    import string

    for name, pair in STRINGS.items():
        for lang, text in zip(("zh", "en"), pair, strict=True):
            fields = {f for _, f, _, _ in string.Formatter().parse(text) if f}
            out = t(name, lang, **{f: f"<{f}>" for f in fields}) if fields else t(name, lang)
            assert all(f"<{f}>" in out for f in fields), (name, lang)
