"""UI words in 中文 and English.

Parameter labels come from the parameter table's own `zh`/`en` descriptions, structure titles
from the structure classes, so each is written once; this module holds the words they lack.
In Chinese mode no visible label is in Latin letters except units, numbers and file names.
"""

from __future__ import annotations

import functools
import re

from cogov_sim.params import Param, table
from cogov_sim.structures import registry

LANGS = ("zh", "en")
LANG_NAMES = {"zh": {"zh": "中文", "en": "英文"}, "en": {"zh": "中文 (Chinese)", "en": "English"}}
"""The language buttons' labels, in the language shown now (so Chinese mode shows no Latin)."""

STRINGS: dict[str, tuple[str, str]] = {  # key: (中文, English)
    "title": ("社区协同治理模拟", "Community co-governance simulator"),
    "subtitle": ("同一个社区、同一个随机种子，两种治理方式并排运行",
                 "One community, one seed, two ways of governing it, side by side"),
    "left": ("左侧", "Left"),
    "right": ("右侧", "Right"),
    "seed": ("随机种子", "Seed"),
    "seed_help": ("同一种子＝同一个社区、同样的事项；换一个试试结论是否稳定",
                  "Same seed = same community and issues; try another to see if it holds"),
    "seed_bad": ("随机种子必须是非负整数，收到：", "The seed must be a non-negative integer, got: "),
    "play": ("▶ 播放", "▶ Play"),
    "pause": ("❚❚ 暂停", "❚❚ Pause"),
    "step": ("前进", "Step"),
    "reset": ("重置", "Reset"),
    "every": ("每步天数", "Days per step"),
    "speed": ("播放间隔", "Delay between frames"),
    "day": ("第 {day} / {days} 天", "Day {day} / {days}"),
    "finished": ("已到模拟终点", "reached the end"),
    "warmup": ("预热期（前 {days} 天的事项不计入）", "warm-up (issues before day {days} not counted)"),
    "diff_title": ("两侧的差别：", "What differs: "),
    "diff_none": ("两侧设置完全相同（只用于检验：结果应一模一样）",
                  "Both sides are set up identically (a check: results should be identical)"),
    "diff_more": ("另 {n} 项", "{n} more"),
    "tab_time": ("时间花在哪", "Where the time goes"),
    "tab_network": ("社区网络", "Community"),
    "tab_why": ("为什么更快", "Why is it faster"),
    "tab_lesson": ("导学", "Lesson"),
    "tab_settings": ("设置", "Settings"),
    "tab_files": ("保存与载入", "Save & load"),
    "readout": ("指标", "Measure"),
    "difference": ("差（右−左）", "Right − left"),
    "resolution_rmst_days": ("解决时间（限制平均，天）", "Resolution time (restricted mean, days)"),
    "resolution_censored_share": ("仍未解决", "Still open"),
    "resolution_mean_days": ("平均用时：仅已解决事项（天）", "Mean of closed issues only (days)"),
    "solved_rate": ("真正解决（占全部事项）", "Really solved (of all issues)"),
    "reported_solved_rate": ("账面解决（按上报）", "Solved as reported (the books)"),
    "backlog_final": ("积压（未解决事项）", "Backlog (open issues)"),
    "transfers_per_issue": ("每件转办次数", "Transfers per issue"),
    "participation_final": ("参与率（近30天）", "Participation (last 30 days)"),
    "readout_note": ("预热期后发生的事项；与命令行运行到同一天的结果相同。解决时间＝180 天限制平均，"
                     "含仍未解决的事项；「仅已解决」的平均漏掉积压，不判好坏。鼠标悬停看定义。",
                     "Issues after the warm-up; the same numbers as `cogov run` on that day. "
                     "Resolution time = restricted mean to 180 days over every issue, open ones "
                     "included; the closed-only mean leaves out the backlog, so it is not judged. "
                     "Hover a measure for its definition."),
    "def_resolution_rmst_days": (
        "每件事（含仍未解决的，按今天截尾；放弃的计 180 天）在 180 天内平均用了多少天：限制平均"
        "（生存曲线下的面积），与说明文档和命令行运行的首要指标相同。",
        "The mean days an issue takes, counted up to 180 days, over every issue: open ones cut "
        "off today, abandoned ones counting 180 (the area under the Kaplan–Meier curve). "
        "README's and cogov run's headline measure."),
    "def_resolution_censored_share": ("预热期后发生、到今天既未解决也未放弃的事项比例",
                                      "Issues since the warm-up neither resolved nor abandoned by "
                                      "today, as a share of all of them"),
    "def_solved_rate": ("预热期后发生的全部事项中，已解决且真正解决的比例；仍未解决和放弃的都算未解决。"
                        "趋势图「真正解决」是同一定义，逐日计算。",
                        "Resolved and truly solved, as a share of every issue since the warm-up "
                        "(open and abandoned ones count as not solved). The trend 'Really "
                        "solved' is the same definition, day by day."),
    "def_reported_solved_rate": ("与「真正解决」同一口径，但按部门上报计：受考核压力的部门把部分未解决的事项"
                                 "非正式办结、上报为已解决，也算在内。高出「真正解决」的部分就是账面比实际好看的程度，"
                                 "所以不判好坏。",
                                 "As 'Really solved', but as the departments report it: parts a "
                                 "department under rating pressure closed informally, unsolved, "
                                 "count as solved. Its excess over 'Really solved' is how much the "
                                 "books flatter, so it is not judged."),
    "def_resolution_mean_days": ("只算已解决的事项：积压中的事不计，"
                                 "负荷大时慢的一侧反而显得快，所以不判好坏。",
                                 "Resolved issues only: the backlog is left out, so under heavy "
                                 "load the slower side can look faster; hence not judged."),
    "step_own": ("这一步自己的效果（右−左，解决时间）：{days} 天", "This step's own effect (right − left, "
                 "resolution time): {days} days"),
    "step_total": ("累计（右−九龙治水）：{days} 天", "Running total (right − 九龙治水): {days} days"),
    "not_judged": ("不比较", "not compared"),
    "better": ("更好", "better"),
    "worse": ("更差", "worse"),
    "stage_title": ("已解决事项各环节平均用时（天）", "Where a resolved issue's days went (mean)"),
    "stage_none": ("预热期后还没有解决的事项", "no issue resolved since the warm-up yet"),
    "stage_open": ("不含仍未解决的：{shares}", "leaves out the issues still open: {shares}"),
    "trend_title": ("随时间变化", "Over time"),
    "resolution_30d": ("近30天办结事项的平均用时（天）", "Mean days of issues closed in the last 30 days"),
    "solved_share": ("真正解决（占全部事项，累计）", "Really solved (of all issues so far)"),
    "backlog": ("积压", "Backlog"),
    "participation": ("参与率", "Participation"),
    "transfers": ("每件转办次数（近30天）", "Transfers per issue (last 30 days)"),
    "trust": ("对政府的信任（0–1）", "Trust in institutions (0–1)"),
    "day_axis": ("天", "day"),
    "days_axis": ("天数", "days"),
    "export_csv": ("导出数据（CSV）", "Export data (CSV)"),
    "export_hint": ("图表右上角：放大、平移、下载图片（PNG）；鼠标悬停看数值",
                    "Chart toolbar: zoom, pan, download PNG; hover for values"),
    "network_title": ("{side}：居民与未解决的事项", "{side}: residents and open issues"),
    "colour_by": ("居民着色", "Colour residents by"),
    "by_activity": ("近30天是否参与", "took part in the last 30 days"),
    "by_propensity": ("参与倾向", "participation propensity"),
    "leg_active": ("近30天参与过", "took part (30 days)"),
    "leg_inactive": ("近30天未参与", "did not take part"),
    "leg_propensity": ("参与倾向：低 → 高", "propensity: low → high"),
    "leg_issue": ("三角＝未解决事项，颜色＝卡在哪个环节", "triangle = open issue, colour = stage"),
    "stations_title": ("各办理点：办理中与排队", "Stations: being worked on and waiting"),
    "working": ("办理中", "being worked on"),
    "waiting_q": ("排队", "waiting"),
    "staff": ("办理组", "staff"),
    "pool_short": ("综合队伍", "street team"),
    "hub_short": ("社工站", "social work"),
    "self_orgs_short": ("自组织", "self-orgs"),
    "enterprise_short": ("社会企业", "enterprises"),
    "why_intro": ("把右侧相对左侧的改变逐项拆开（沙普利分解，{reps} 次配对重复，365 天）："
                  "每根柱子是一项改变使解决时间（限制平均，全部事项）变化了多少天，黑线为 95% 置信区间。"
                  "沙普利值是一项改变在所有加入顺序下的平均贡献，所以和导学里按固定顺序逐项加上的差值不同："
                  "几项改变互相影响时，先加的那一项显得作用更大。",
                  "The change from left to right split into its parts (Shapley decomposition, "
                  "{reps} paired replications, 365 days): each bar is how many days one change "
                  "adds to or takes off the resolution time (restricted mean, every issue); "
                  "black lines are 95% intervals. A Shapley value averages a change's effect "
                  "over every order of adding the changes, so it differs from the lesson's "
                  "one-at-a-time steps in one fixed order: where changes interact, whichever "
                  "comes first looks bigger."),
    "why_missing": ("这组对比还没有分解结果。命令行运行：", "No decomposition for this pair yet. Run:"),
    "why_metric": ("指标", "Measure"),
    "why_start": ("起点", "start"),
    "why_end": ("终点", "end"),
    "common": ("两侧共同的设置（改变对两侧同时生效，松开滑块后重新开始）",
               "Settings for both sides (apply to both; a change restarts on release)"),
    "mechanisms": ("机制开关（左 | 右）", "Mechanisms (left | right)"),
    "range": ("范围", "range"),
    "side_pick": ("{side}情景", "{side} scenario"),
    "structure_only": ("{base}，只换结构为{structure}", "{base}, structure only → {structure}"),
    "save_side": ("保存{side}为情景文件", "Save {side} as scenario file"),
    "copy_cmd": ("复制为命令行命令", "Copy as cogov command"),
    "copied": ("已复制", "Copied"),
    "cmd_label": ("在终端重现这两次运行：", "Replay both runs in a terminal:"),
    "load": ("载入情景文件到右侧（.toml）", "Load a scenario file into the right side (.toml)"),
    "browse": ("选择文件…", "Choose file…"),
    "drop": ("或把文件拖到这里", "or drop the file here"),
    "loaded": ("已载入：", "Loaded: "),
    "file_error": ("无法载入 {file}：", "Cannot load {file}: "),
    "file_extends": ("无法载入 {file}：「{key}」只能写随附情景的名字（{allowed}），不能写路径；"
                     "文件里写的是 '{value}'",
                     "Cannot load {file}: '{key}' may name only a shipped scenario ({allowed}), "
                     "never a path; the file has '{value}'"),
    "file_not_text": ("不是 UTF-8 文本文件", "not a UTF-8 text file"),
    "lesson_prev": ("上一步", "Back"),
    "lesson_next": ("下一步", "Next"),
    "lesson_apply": ("照这一步设置两侧", "Set up this step"),
    "lesson_step": ("第 {i} / {n} 步", "Step {i} of {n}"),
    "notice": ("留意", "Notice"),
    "try": ("试一试", "Try"),
    "custom_side": ("自定义", "custom"),
    "batch": ("打开批量运行中的一次（载入到右侧）", "Open one run of a batch (into the right side)"),
    "batch_folder": ("批量结果文件夹", "Batch folder"),
    "batch_run": ("运行编号", "Run id"),
    "batch_open": ("打开", "Open"),
    "batch_need_folder": ("请先填写批量结果文件夹", "Type the batch folder first"),
    "batch_no_folder": ("找不到文件夹 {folder}", "No folder {folder}"),
    "batch_not_batch": ("{folder} 不是批量运行的结果文件夹（缺少 {files}）",
                        "{folder} is not a batch folder (no {files})"),
    "batch_need_run": ("请填写 {folder} 中的运行编号", "Type a run id of {folder}"),
    "batch_no_run": ("{folder} 中没有运行编号 {run}（例如 {hint}）",
                     "{folder} has no run {run} (e.g. {hint})"),
    "batch_error": ("无法打开 {folder} 的运行 {run}：", "Cannot open run {run} of {folder}: "),
    "none_side": ("（不对比，只运行左侧）", "(no comparison: the left side only)"),
    "single_note": ("只运行左侧；在「右侧情景」里选一个情景来对比",
                    "Only the left side runs; pick a right-hand scenario to compare"),
}

STAGES: dict[str, tuple[str, str]] = {
    "discovery": ("被发现", "discovery"),
    "routing": ("分派", "routing"),
    "waiting": ("排队", "waiting"),
    "coordination": ("协同/移交", "coordination"),
    "service": ("办理", "service"),
}

SCENARIOS: dict[str, tuple[str, str]] = {
    "fragmented": ("九龙治水（改革前）", "九龙治水 — before the reform"),
    "committee": ("社治委（完整改革）", "社治委 — the full reform"),
    "committee-no-grid": ("社治委，无网格主动发现", "社治委 without grid discovery"),
    "committee-sanshe": ("社治委＋三社联动与社会企业", "社治委 + 三社联动 and social enterprises"),
    "reform": ("改革进行时：第180天起转为社治委", "Reform under way: 社治委 from day 180"),
    "rural-fragmented": ("城乡结合街道·九龙治水", "Urban-rural street, 九龙治水"),
    "rural": ("城乡结合街道·社治委", "Urban-rural street, 社治委"),
    "shanghai": ("区域化党建（上海）", "Regional party building (Shanghai)"),
    "surge": ("社治委遭遇疫情式事项激增", "社治委 facing an epidemic-like surge"),
    "whistle": ("吹哨报到（北京）", "Street whistle (Beijing)"),
    "wuhan": ("红色引擎（武汉）", "Red engine (Wuhan)"),
}

DIALS: dict[str, tuple[str, str]] = {
    "structure": ("治理结构", "governance structure"),
    "pooled_team": ("一支队伍统管（力量下沉）", "pooled street team"),
    "grid": ("网格主动发现（未诉先办）", "grid discovery"),
    "supervision": ("督办与考评", "supervision and rating"),
    "party": ("党建引领与议事会", "party mobilisation and councils"),
    "centres": ("党群服务中心", "party-mass service centres"),
    "self_service": ("居民自组织共治", "self-organisations' co-production"),
    "sanshe": ("三社联动", "三社联动 (three-society linkage)"),
    "enterprises": ("社会企业", "social enterprises"),
}

UNITS_ZH = {
    "day": "天", "person": "人", "share": "比例", "probability": "概率", "ratio": "倍",
    "issue/person/year": "件/人/年", "server": "个办理组", "0-1": "0–1", "logit": "logit",
    "1/day": "每天", "1/month": "每月", "household": "户", "tie/person": "条/人",
    "community": "个", "category": "类", "department": "个部门", "issue": "件",
    "enterprise": "家", "org/1000 person": "个/千人", "exponent": "指数", "logit sd": "logit 标准差",
    "sd": "标准差", "person/month": "人/月", "0-1/neighbourhood": "0–1/小区", "transfer": "次",
    "unit/10000 person": "个/万人", "person/1000 person": "人/千人",
}


def t(name: str, lang: str, /, **fmt: object) -> str:
    """The UI string `name` in `lang` ("zh" or "en"), formatted with `fmt` (which may hold a
    field called `key`: the two are positional only)."""
    zh, en = STRINGS[name]
    text = zh if lang == "zh" else en
    return text.format(**fmt) if fmt else text


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def stage_name(stage: str, lang: str) -> str:
    return _pick(STAGES[stage], lang)


def dial_name(key: str, lang: str) -> str:
    """A mechanism group's name (the dials of `explain`), or the parameter's label."""
    return _pick(DIALS[key], lang) if key in DIALS else param_label(key, lang)


def scenario_title(name: str, lang: str) -> str:
    """A shipped scenario's title; any other found scenario (e.g. on $COGOV_SCENARIO_PATH, for a
    plug-in structure) its name with its file's description; a loaded file its file name."""
    if name in SCENARIOS:
        return _pick(SCENARIOS[name], lang)
    return f"{name}: {_description(name)}" if _description(name) else name


@functools.cache
def _description(name: str) -> str:
    from cogov_sim.errors import InputError
    from cogov_sim.scenario import available, load

    if name not in available():
        return ""
    try:
        return load(name).description.strip()
    except InputError:
        return ""


def structure_name(name: str, lang: str) -> str:
    """A structure's display name, from its class."""
    cls = registry()[name]
    return cls.title_zh if lang == "zh" else getattr(cls, "title", name)


def unit(p: Param, lang: str) -> str:
    return UNITS_ZH.get(p.unit, p.unit) if lang == "zh" else p.unit


def param_label(name: str, lang: str) -> str:
    """A slider or switch label: the table's description in `lang`, with its unit."""
    p = table()[name]
    text = p.zh if lang == "zh" else p.en
    u = unit(p, lang)
    if not u or p.kind == "bool":
        return text
    return f"{text}（{u}）" if lang == "zh" else f"{text} ({u})"


def short_label(name: str, lang: str) -> str:
    """A parameter's description up to its first bracket or clause (for one-line prose)."""
    p = table()[name]
    text = p.zh if lang == "zh" else p.en
    return re.split(r"[（(:：,，;；]", text, maxsplit=1)[0].strip() or text


def fmt_value(value: object, lang: str) -> str:
    """A parameter value for prose: switches as on/off, structures by title, numbers short."""
    if isinstance(value, bool):
        return ("开" if value else "关") if lang == "zh" else ("on" if value else "off")
    if isinstance(value, str) and value in registry():
        return structure_name(value, lang)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return f"{value:,}" if lang == "en" else str(value)
    return str(value)
