"""UI strings in 中文 and English.

Parameter labels and help come from the parameter table's own `zh`/`en` descriptions, so a
parameter is described once; this module only holds the words the table does not have.
"""

from __future__ import annotations

from cogov_sim.params import Param, table
from cogov_sim.structures import registry

LANGS = ("zh", "en")
LANG_NAMES = {"zh": "中文", "en": "English"}

STRINGS: dict[str, tuple[str, str]] = {  # key: (中文, English)
    "title": ("社区协同治理模拟", "Community co-governance simulator"),
    "subtitle": ("九龙治水 与 社治委：同一个社区、同一个随机种子，看事项怎样被发现、流转和解决",
                 "九龙治水 vs 社治委: one community, one seed — watch issues being found, routed "
                 "and solved"),
    "language": ("语言", "Language"),
    "scenario": ("情景", "Scenario"),
    "structure": ("治理结构", "Governance structure"),
    "mechanisms": ("机制开关", "Mechanisms"),
    "parameters": ("关键参数", "Key parameters"),
    "seed": ("随机种子（整数）", "Random seed (integer)"),
    "seed_bad": ("随机种子必须是非负整数，收到：", "The seed must be a non-negative integer, got: "),
    "play": ("▶ 播放", "▶ Play"),
    "pause": ("❚❚ 暂停", "❚❚ Pause"),
    "step": ("单步", "Step"),
    "reset": ("重置", "Reset"),
    "interval": ("播放间隔（毫秒）", "Delay between frames (ms)"),
    "every": ("每帧推进天数", "Days per frame (render every N)"),
    "compare": ("对比", "Compare"),
    "side_by_side": ("并排对比两种结构", "Side by side: two structures"),
    "compare_with": ("右侧结构", "Right-hand structure"),
    "colour_by": ("居民着色", "Colour residents by"),
    "by_propensity": ("参与倾向", "participation propensity"),
    "by_activity": ("近30天参与", "took part, last 30 days"),
    "save": ("保存为情景文件", "Save as scenario file"),
    "load": ("拖入情景文件（.toml）以载入", "Drop a scenario file (.toml) here to load it"),
    "loaded": ("已载入：", "Loaded: "),
    "batch": ("打开批量运行中的第 k 次", "Open run k of a batch folder"),
    "batch_folder": ("批量结果文件夹", "Batch folder"),
    "batch_run": ("运行编号（run_id）", "Run id (run_id)"),
    "batch_open": ("打开", "Open"),
    "day": ("第 {day} / {days} 天", "Day {day} / {days}"),
    "frame": ("渲染耗时 {ms:.0f} 毫秒", "frame {ms:.0f} ms"),
    "finished": ("已到模拟终点", "reached the horizon"),
    "restart_note": ("修改任何设置都会从第 0 天重新开始。", "Changing any setting restarts from day 0."),
    "range": ("允许范围", "allowed"),
    "help_title": ("怎么看这张图", "How to read this"),
    "help": (
        "<p><b>社区网络</b>：每个点是一位居民，按小区、楼栋、家庭排布（布局只计算一次）。"
        "颜色表示参与倾向（或近30天是否参与）。灰线是抽样显示的邻里联系。"
        "彩色三角是尚未解决的事项，颜色表示它现在处在哪个环节。</p>"
        "<p><b>右侧方块</b>是各职能部门，旁边的数字是「排队 | 办理中 / 办理组」；菱形是下沉的"
        "街道综合队伍（一支队伍统管）；星形是社治委或吹哨的街道。红色五角星是各小区党支部，"
        "绿色六边形是居民自组织。</p>"
        "<p><b>事项在哪里</b>：待发现 → 分派中 → 部门排队 → 办理中 → 协同/移交。九龙治水下，"
        "居民要猜该找哪个部门，猜错就被转办，多部门事项一个接一个办理；社治委一个门进，"
        "同时派给所有部门。打开「并排对比」，看同一个社区在两种结构下如何分叉。</p>",
        "<p><b>The community network</b>: each dot is a resident, placed by neighbourhood, "
        "building and household (the layout is computed once). Colour is participation "
        "propensity (or whether they took part in the last 30 days). Grey lines are a sample of "
        "ties. Coloured triangles are open issues, coloured by where they are now.</p>"
        "<p><b>Squares on the right</b> are the departments, with 'waiting | being worked on / "
        "staff'; the diamond is the pooled street team (staff sunk from departments); the star is "
        "the committee (社治委) or the whistling street office. Red stars are party branches, green "
        "hexagons residents' self-organisations.</p>"
        "<p><b>Where the issues are</b>: undiscovered → routing → waiting in a queue → being "
        "worked on → coordination / hand-off. Under 九龙治水 a resident guesses which door to "
        "knock on and wrong guesses get transferred; issues needing several departments pass "
        "from one to the next. Under the committee there is one door and every department is "
        "dispatched at once. Turn on side by side to watch one community diverge under two "
        "structures.</p>",
    ),
    # figures
    "network": ("社区网络", "Community network"),
    "where": ("事项现在在哪里", "Where the issues are now"),
    "per_department": ("各部门：排队与办理中", "Per department: waiting and being worked on"),
    "waiting": ("排队", "waiting"),
    "working": ("办理中", "being worked on"),
    "staff": ("办理组", "staff"),
    "resolution": ("平均解决时间（近30天，天）", "Mean resolution time (last 30 days, days)"),
    "backlog": ("未解决事项（积压）", "Open issues (backlog)"),
    "participation": ("参与率（近30天任一形式）", "Participation rate (any kind, last 30 days)"),
    "solved": ("真正解决的比例（近30天办结事项）", "Share really solved (closed, last 30 days)"),
    "trust": ("对政府的信任（居民平均，0–1）", "Trust in institutions (residents' mean, 0-1)"),
    "transfers": ("每件转办次数（近30天）", "Transfers per issue (last 30 days)"),
    "day_axis": ("天", "day"),
    "leg_resident": ("居民（颜色=参与倾向）", "resident (colour: propensity)"),
    "leg_active": ("近30天参与过", "took part (30 days)"),
    "leg_inactive": ("近30天未参与", "did not take part"),
    "leg_party": ("党员", "party member"),
    "leg_branch": ("党支部", "party branch"),
    "leg_selforg": ("居民自组织", "self-organisation"),
    "leg_dept": ("职能部门", "department"),
    "leg_pool": ("街道综合队伍（下沉力量）", "pooled street team"),
    "leg_issue": ("事项·{stage}", "issue: {stage}"),
    "neighbourhood": ("小区", "nbhd"),
    "village": ("村组", "village"),
    "pool_short": ("综合队伍", "street team"),
    "self_orgs_short": ("自组织", "self-orgs"),
    "hub_short": ("社工站", "social work"),
    "enterprise_short": ("社会企业", "enterprises"),
}

STAGES: dict[str, tuple[str, str]] = {
    "undiscovered": ("待发现", "undiscovered"),
    "routing": ("分派中", "routing"),
    "waiting": ("部门排队", "waiting in a queue"),
    "service": ("办理中", "being worked on"),
    "coordination": ("协同/移交", "coordination / hand-off"),
}

UNITS_ZH = {
    "day": "天", "person": "人", "share": "比例", "probability": "概率", "ratio": "倍",
    "issue/person/year": "件/人/年", "server": "个办理组", "0-1": "0–1", "logit": "logit",
    "1/day": "每天", "1/month": "每月", "household": "户", "tie/person": "条/人",
    "community": "个", "category": "类", "department": "个部门", "issue": "件",
    "enterprise": "家", "org/1000 person": "个/千人", "exponent": "指数", "logit sd": "logit 标准差",
}


def t(key: str, lang: str, **fmt: object) -> str:
    """The UI string `key` in `lang` ("zh" or "en"), formatted with `fmt`."""
    zh, en = STRINGS[key]
    text = zh if lang == "zh" else en
    return text.format(**fmt) if fmt else text


def stage_name(stage: str, lang: str) -> str:
    zh, en = STAGES[stage]
    return zh if lang == "zh" else en


def structure_name(name: str, lang: str) -> str:
    """A structure's display name, from its class: the Chinese title, or both titles."""
    cls = registry()[name]
    if lang == "zh":
        return cls.title_zh
    return f"{cls.title_zh} — {getattr(cls, 'title', name)}"


def unit(p: Param, lang: str) -> str:
    return UNITS_ZH.get(p.unit, p.unit) if lang == "zh" else p.unit


def param_label(name: str, lang: str) -> str:
    """A slider or switch label: the table's description in `lang`, with its unit."""
    p = table()[name]
    text = p.zh if lang == "zh" else p.en
    u = unit(p, lang)
    return f"{text}（{u}）" if u and lang == "zh" and p.kind != "bool" else (
        f"{text} ({u})" if u and p.kind != "bool" else text)


def param_help(name: str, lang: str) -> str:
    """The parameter's key and the range the table allows (the slider may show less)."""
    p = table()[name]
    if p.kind in ("int", "float") and p.low is not None and p.high is not None:
        return f"{name} · {t('range', lang)} {_fmt(p.low)}–{_fmt(p.high)} {unit(p, lang)}".rstrip()
    return name


def _fmt(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


def department_name(dept: object, lang: str) -> str:
    return getattr(dept, "label_zh" if lang == "zh" else "label", type(dept).__name__)
