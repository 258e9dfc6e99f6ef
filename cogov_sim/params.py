"""The one parameter table: every model parameter declared once.

Validation, the docs reference page, `cogov params`, the visualiser's sliders and the
sensitivity problem are all derived from this table. Governance structures contribute
their own rows (see `cogov_sim.structures`), so a new structure is still one new file.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

KINDS = ("int", "float", "bool", "choice")


@dataclass(frozen=True)
class Param:
    """One parameter: its type, default, unit, allowed range and bilingual description."""

    name: str
    kind: str
    default: Any
    unit: str
    en: str
    zh: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    live: bool = False
    """May change mid-run through a scenario's `[[change]]` timeline."""
    degenerate: Any = None
    """Value forced in the queueing (degenerate) mode; None leaves it alone."""
    source: str = ""

    @property
    def section(self) -> str:
        return self.name.split(".", 1)[0] if "." in self.name else ""

    def allowed(self) -> str:
        """The allowed values, in words, for messages and docs."""
        if self.kind == "bool":
            return "true or false"
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        lo = "-inf" if self.low is None else _fmt(self.low)
        hi = "inf" if self.high is None else _fmt(self.high)
        return f"{'an integer' if self.kind == 'int' else 'a number'} in [{lo}, {hi}]"


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def P(name: str, kind: str, default: Any, unit: str, en: str, zh: str, **kw: Any) -> Param:
    """Shorthand constructor used by the table below and by structure modules."""
    return Param(name, kind, default, unit, en, zh, **kw)


STRUCTURE_KEY = "structure"

CALIBRATED = ("Calibrated by `cogov calibrate` (experiments/calibrate.toml, seed 2021; "
              "results/calibrate/calibration.json; docs/validation.md) to ")
CALIBRATED_PIPELINE = CALIBRATED + "Chengdu 12345's reply time and NYC 311's skew"
CALIBRATED_BEIJING = CALIBRATED + "Beijing's resolution rate, 53% -> 74% in nine months"
CALIBRATED_PARTICIPATION = CALIBRATED + "Jianyang's volunteers and self-organisations (seed 003)"

CORE: list[Param] = [
    # --- time and mode --------------------------------------------------------------
    P("run.days", "int", 365, "day", "Days simulated", "模拟天数", low=1, high=36500,
    source="run setting (not a model assumption)"),
    P("run.warmup_days", "int", 30, "day",
      "Issues occurring before this day are left out of the summary (initial transient)",
      "预热期：此前发生的事项不计入统计", low=0, high=3650, source="run setting (not a model assumption)"),
    P("mode.queueing", "bool", False, "",
      "Degenerate queueing mode: behaviour off, instant reporting, Poisson arrivals, "
      "exponential service, one department per issue, no transfers",
      "排队论退化模式：关闭行为，即时上报，泊松到达，指数服务，单部门，无转办",
      source="run setting (not a model assumption)"),
    # --- community and network ---------------------------------------------------------
    P("community.residents", "int", 5000, "person",
      "Residents simulated (a typical Chengdu community)", "居民人数（成都典型社区规模）",
      low=50, high=1_000_000,
      source="Chengdu: 21+ M people (seed 000) in 4,000+ urban and rural communities "
             "(project brief): about 5,000 each"),
    P("community.communities", "int", 1, "community",
      "Communities (社区/村) under the street office", "街道下辖社区（村）数", low=1, high=100,
      source="assumption"),
    P("community.neighbourhood_size", "int", 800, "person",
      "Residents per neighbourhood (小区/院落, village group)", "每个小区/院落（村民小组）人数",
      low=20, high=50_000, source="assumption"),
    P("community.household_size", "float", 2.62, "person",
      "Mean household size", "平均户规模", low=1.0, high=8.0,
      source="China 7th census (2020): 2.62 persons per household"),
    P("community.building_households", "int", 48, "household",
      "Households per urban building", "每栋楼户数", low=1, high=1000, source="assumption"),
    P("community.cluster_households", "int", 12, "household",
      "Households per rural 林盘 cluster (a village's 'building')", "每个农村林盘聚落户数",
      low=1, high=1000, source="assumption"),
    P("community.rural_share", "float", 0.0, "share",
      "Share of neighbourhoods that are rural villages (sparse, spread out)",
      "农村（村民小组）所占比例", low=0.0, high=1.0, source="assumption"),
    P("community.building_ties", "float", 4.0, "tie/person",
      "Mean ties a resident has inside the own building", "楼栋内平均联系数", low=0.0, high=50.0,
      source="assumption"),
    P("community.neighbourhood_ties", "float", 3.0, "tie/person",
      "Mean ties a resident has elsewhere in the neighbourhood", "小区内其他联系数",
      low=0.0, high=50.0, source="assumption"),
    P("community.long_tie_share", "float", 0.05, "share",
      "Share of ties that reach anywhere in the street (long ties)", "跨小区长程联系比例",
      low=0.0, high=1.0, source="assumption"),
    P("community.rural_tie_factor", "float", 0.6, "ratio",
      "Tie density of rural residents relative to urban", "农村居民联系密度（相对城市）",
      low=0.05, high=2.0, source="assumption"),
    P("community.party_share", "float", 0.07, "share",
      "Share of residents who are party members", "党员比例", low=0.0, high=1.0,
      source="about 98 M members / 1.41 bn people (2022)"),
    # --- residents' behaviour -------------------------------------------------------------
    P("residents.propensity", "float", 0.15, "probability",
      "Mean intrinsic participation propensity (before cost, efficacy, neighbours, mobilisation)",
      "内在参与倾向均值（未计成本、效能感、邻里与动员）", low=0.001, high=0.999, source="assumption"),
    P("residents.propensity_spread", "float", 1.0, "logit sd",
      "Spread of propensities between residents (sd on the logit scale)", "参与倾向个体差异",
      low=0.0, high=5.0, source="assumption"),
    P("residents.trust", "float", 0.5, "0-1", "Mean initial trust in institutions",
      "对机构的初始信任均值", low=0.0, high=1.0, source="assumption"),
    P("residents.trust_spread", "float", 0.1, "sd",
      "Spread of initial trust between residents (sd, before clipping to [0.01, 0.99])",
      "初始信任的个体差异（标准差）", low=0.0, high=1.0, source="assumption"),
    P("residents.efficacy", "float", 0.5, "0-1",
      "Initial sense of efficacy, and the level that neither raises nor lowers propensity",
      "初始效能感，亦为不增不减参与倾向的中性水平", low=0.0, high=1.0, source="assumption"),
    P("residents.report_willingness", "float", 0.6, "probability",
      "Willingness of an average resident to report an issue affecting them",
      "普通居民上报自身问题的意愿", low=0.0, high=1.0, source="assumption"),
    P("residents.report_days", "float", 3.0, "day",
      "Mean delay before a fully willing resident reports an issue", "完全愿意时的平均上报延迟",
      low=0.01, high=365.0, degenerate=0.0, source="assumption"),
    P("residents.neighbour_report", "float", 0.3, "ratio",
      "Reporting hazard of an affected neighbour, relative to the resident (public issues)",
      "公共事项中邻居的相对上报强度", low=0.0, high=5.0, source="assumption"),
    P("residents.participation_cost", "float", 0.4, "0-1",
      "Cost of taking part (distance, time, unfriendly doors)", "参与成本（距离、时间、门槛）",
      low=0.0, high=0.99, live=True, source="assumption"),
    P("residents.rural_cost_factor", "float", 1.5, "ratio",
      "Participation cost of rural residents relative to urban", "农村居民参与成本倍数",
      low=0.1, high=5.0, source="assumption"),
    P("residents.adapt_rate", "float", 0.05, "1/day",
      "Rate at which propensity moves toward its target each day", "参与倾向每日调整速率",
      low=0.0, high=1.0, source="assumption"),
    P("residents.efficacy_weight", "float", 2.0, "logit",
      "Effect of sense of efficacy (own issues handled well) on propensity",
      "效能感（自身问题处理结果）对参与倾向的影响", low=0.0, high=10.0, source="assumption"),
    P("residents.trust_weight", "float", 2.0, "logit",
      "Effect of trust in institutions (own and neighbours' experience) on propensity",
      "对机构的信任（自身与邻里经历）对参与倾向的影响", low=0.0, high=10.0, source="assumption"),
    P("residents.influence_weight", "float", 2.0, "logit",
      "Effect of neighbours' participation on propensity (social influence)",
      "邻里参与对参与倾向的影响（社会影响）", low=0.0, high=10.0, source="assumption"),
    P("residents.influence_reference", "float", 0.15, "share",
      "Share of active neighbours that neither raises nor lowers propensity",
      "不增不减参与倾向的邻里活跃比例", low=0.0, high=1.0, source="assumption"),
    P("residents.member_weight", "float", 0.8, "logit",
      "Effect of self-organisation membership on propensity", "自组织成员身份对参与倾向的影响",
      low=0.0, high=10.0, source="assumption"),
    P("residents.cost_weight", "float", 1.5, "logit",
      "Effect of participation cost on propensity", "参与成本对参与倾向的影响",
      low=0.0, high=10.0, source="assumption"),
    P("residents.learning_rate", "float", 0.3, "share",
      "How far efficacy moves toward the outcome of an own issue",
      "自身事项结果对效能感的更新幅度", low=0.0, high=1.0, source="assumption"),
    P("residents.trust_learning_rate", "float", 0.15, "share",
      "How far trust in institutions moves toward the outcome of an own issue",
      "自身事项结果对机构信任的更新幅度", low=0.0, high=1.0,
      source="assumption (half the efficacy rate: one outcome says more about one's own "
             "case than about institutions)"),
    P("residents.word_of_mouth", "float", 0.05, "share",
      "How far neighbours' trust moves toward an outcome they hear about",
      "邻居听闻结果后信任的更新幅度", low=0.0, high=1.0, source="assumption"),
    P("residents.satisfied_days", "float", 7.0, "day",
      "Resolution time judged half as good as an instant one", "满意度减半的解决时间",
      low=0.1, high=365.0, source="assumption"),
    P("residents.volunteer_rate", "float", 0.0243, "1/day",
      "Daily chance of volunteering at propensity 1", "参与倾向为1时的每日志愿服务概率",
      low=0.0, high=1.0, source=CALIBRATED_PARTICIPATION),
    # --- issues ---------------------------------------------------------------------------
    P("issues.rate", "float", 0.30, "issue/person/year",
      "Issues (needs, hazards, disputes) occurring per resident per year",
      "每位居民每年发生的事项数（需求、隐患、纠纷）", low=0.0, high=20.0, live=True,
      source="Chengdu 12345 took 4.66 M requests in 2020 from ~21 M people (0.22/person/year "
             "reported); occurrence is higher because not everything is reported"),
    P("issues.categories", "int", 8, "category",
      "Issue categories, each owned by one department", "事项类别数（每类归属一个职能部门）",
      low=1, high=30, source="assumption"),
    P("issues.category_skew", "float", 0.8, "exponent",
      "Unevenness of category shares (Zipf exponent; 0 = equal)", "类别分布不均度（齐夫指数）",
      low=0.0, high=3.0, source="assumption"),
    P("issues.multi_share", "float", 0.25, "share",
      "Share of issues needing several departments (一个部门抓不了)",
      "需要多个部门协同的事项比例", low=0.0, high=1.0, degenerate=0.0, source="assumption"),
    P("issues.max_departments", "int", 3, "department",
      "Most departments one issue can need", "单个事项最多涉及部门数", low=2, high=10, source="assumption"),
    P("issues.service_days", "float", 1.5, "day",
      "Mean working time of one department on one issue", "一个部门处理一个事项的平均工作时间",
      low=0.01, high=365.0, source="assumption"),
    P("issues.service_cv", "float", 1.7225, "ratio",
      "Coefficient of variation of working time (1 = exponential)", "工作时间变异系数",
      low=0.05, high=5.0, degenerate=1.0, source=CALIBRATED_PIPELINE),
    P("issues.service_dist", "choice", "gamma", "",
      "Shape of the working-time distribution with the mean and cv above: Gamma, or the "
      "heavier-tailed lognormal (a few issues take very long: right-skewed closing times)",
      "工作时间分布形状（均值与变异系数同上）：伽马分布，或尾部更重的对数正态分布",
      choices=("gamma", "lognormal"), degenerate="gamma", source="assumption"),
    P("issues.field_share", "float", 0.0702, "share",
      "Share of a department's parts that need field work besides staff time (repairs, "
      "construction, enforcement, other parties); the rest are closed from the desk",
      "部门处置中需现场作业的比例（维修、施工、执法、第三方）；其余案头办结",
      low=0.0, high=1.0, degenerate=0.0, source=CALIBRATED_PIPELINE),
    P("issues.field_days", "float", 77.0871, "day",
      "Mean elapsed days of such field work: it delays the issue but occupies no staff",
      "现场作业的平均耗时：延长办理但不占用部门人力", low=0.0, high=365.0,
      source=CALIBRATED_PIPELINE),
    P("issues.field_cv", "float", 1.0, "ratio",
      "Coefficient of variation of field-work time (lognormal)", "现场作业耗时的变异系数（对数正态）",
      low=0.05, high=10.0, source="assumption"),
    P("issues.patience_days", "float", 60.0, "day",
      "An issue nobody has started to act on this long after it occurred is abandoned",
      "发生后超过该时长仍无人处置即视为放弃", low=0.5, high=36500.0, degenerate=1e9, source="assumption"),
    P("issues.visible_share", "float", 0.6, "share",
      "Share of issues a grid worker can see on patrol (hazards, environment)",
      "网格员巡查可发现的事项比例", low=0.0, high=1.0, source="assumption"),
    P("issues.public_share", "float", 0.4, "share",
      "Share of issues affecting neighbours too, who may also report",
      "同时影响邻居的公共事项比例", low=0.0, high=1.0, source="assumption"),
    P("issues.community_share", "float", 0.3, "share",
      "Share of issues the community can solve itself (mediation, cleaning, mutual aid)",
      "社区可自行解决的事项比例（调解、清洁、互助）", low=0.0, high=1.0, degenerate=0.0, source="assumption"),
    P("issues.service_share", "float", 0.12, "share",
      "Share of issues that are paid services (elderly care, property)",
      "有偿服务类事项比例（养老、物业）", low=0.0, high=1.0, degenerate=0.0, source="assumption"),
    P("issues.surge_day", "float", 0.0, "day",
      "Day an epidemic-like burst of issues starts (0 = none)", "突发事项潮开始日（0为无）",
      low=0.0, high=36500.0, degenerate=0.0, source="assumption"),
    P("issues.surge_peak", "float", 3.0, "ratio",
      "Issue rate at the burst's peak, relative to normal", "事项潮高峰时的发生率倍数",
      low=1.0, high=50.0, source="assumption"),
    P("issues.surge_days", "float", 20.0, "day",
      "Days from the burst's start to its peak (it fades over twice as long)",
      "事项潮从开始到高峰的天数", low=1.0, high=365.0, source="assumption"),
    # --- departments and the pooled team ------------------------------------------------
    P("departments.staff", "int", 12, "server",
      "Departments' staff working this street's issues (issue-handling teams, all departments)",
      "各职能部门处理本街道事项的力量（办理组数，合计）", low=1, high=10_000, source="assumption"),
    P("departments.solve_share", "float", 0.7266, "probability",
      "Chance a department's handling really solves its part before any rating of departments; "
      "otherwise the issue is closed handled but not solved (办而未决). Rating (supervision) "
      "moves each department's own share from here",
      "未经考核评价时部门处置真正解决其负责部分的概率；否则事项“办而未决”地关闭。"
      "督导考核使各部门自身的解决率由此变化",
      low=0.0, high=1.0, degenerate=1.0, source=CALIBRATED_BEIJING),
    P("departments.solve_ceiling", "float", 0.985, "probability",
      "Highest chance of solving a part a department can reach (some requests cannot be met "
      "within law and budget)", "部门解决其负责部分所能达到的最高概率（部分诉求依法依规无法满足）",
      low=0.0, high=1.0,
      source="Set so that issue-level resolution nears Beijing's later 97% (seed 004, issue 7)"),
    P("mechanisms.pooled_fraction", "float", 0.0, "share",
      "Share of department staff sunk into one street team serving every category "
      "(力量下沉, 一支队伍统管)", "下沉到街道综合队伍的部门力量比例（一支队伍统管）",
      low=0.0, high=1.0, live=True, source="assumption"),
    # --- mechanism switches ---------------------------------------------------------------
    P("mechanisms.grid_discovery", "bool", False, "",
      "Grid workers patrol and report issues before residents complain (未诉先办)",
      "网格员巡查，未诉先办", live=True, degenerate=False, source="assumption"),
    P("mechanisms.supervision", "bool", False, "",
      "Supervision (督导落实): overdue issues are lifted and reassigned to idle staff; the "
      "rhythm of on-site meetings, dispatch, rating and drills (一月一现场会、两月一调度、"
      "一季一督导、半年一拉练)",
      "督导落实：超时事项上提并改派空闲力量；一月一现场会、两月一调度、一季一督导、半年一拉练",
      live=True, degenerate=False, source="assumption"),
    P("mechanisms.sanshe", "bool", False, "",
      "三社联动: community-solvable issues go to social organisations and social workers",
      "三社联动：社区可解决事项交社会组织和社工", live=True, degenerate=False, source="assumption"),
    P("mechanisms.social_enterprises", "bool", False, "",
      "Social enterprises take paid-service issues, growing with revenue",
      "社会企业承接有偿服务事项，随收入扩大", live=True, degenerate=False, source="assumption"),
    P("mechanisms.party_mobilisation", "bool", False, "",
      "Party branches mobilise members and, through them, neighbours; convene councils",
      "党组织动员党员并带动邻里，召集议事会", live=True, source="assumption"),
    P("mechanisms.service_centres", "bool", False, "",
      "Party-mass service centres (党群服务中心): residents near one take part at the centre's "
      "cost instead of the general one", "党群服务中心：就近居民按服务中心的参与成本参与", live=True,
      source="assumption"),
    P("mechanisms.self_service", "bool", True, "",
      "Self-organisations solve small community issues themselves (co-production)",
      "自组织自行解决社区小事（共治共享）", live=True, degenerate=False, source="assumption"),
    # --- grid workers ---------------------------------------------------------------------
    P("grid.residents_per_worker", "float", 740.0, "person",
      "Residents per grid worker", "每名网格员服务居民数", low=10.0, high=100_000.0,
      source="Pidu before its reform: 1,460 grid workers for 1.08 M residents (issue 7)"),
    P("grid.discovery_days", "float", 4.0, "day",
      "Mean days for the grid, at the reference staffing, to find a visible issue",
      "在参照配置下网格发现可见事项的平均天数", low=0.05, high=365.0, source="assumption"),
    P("grid.reference_residents_per_worker", "float", 740.0, "person",
      "The staffing at which grid.discovery_days is stated: more residents per worker, "
      "proportionally slower discovery", "网格发现天数所对应的参照配置（每名网格员服务居民数）",
      low=10.0, high=100_000.0, source="Pidu's staffing (issue 7), as for grid.residents_per_worker"),
    # --- supervision (督导落实) -----------------------------------------------------------------
    P("supervision.deadline_days", "float", 3.0, "day",
      "A department part still waiting this long is lifted to the street or committee (督办), "
      "which reassigns it to idle staff (the pooled team, else another department's)",
      "部门事项排队超过该时限即上提督办，改派空闲力量（先综合队伍，后其他部门）",
      low=0.1, high=365.0, live=True, source="assumption"),
    P("supervision.meeting_days", "float", 30.0, "day",
      "Days between on-site meetings (一月一现场会), each lifting the longest-open cases",
      "现场会间隔（一月一现场会），每次上提办理时间最长的事项", low=1.0, high=3650.0,
      source="seed 002: 一月一现场会"),
    P("supervision.meeting_cases", "int", 10, "issue",
      "Longest-open department issues an on-site meeting takes up (their waiting parts are "
      "lifted at once, before any deadline)", "每次现场会研究的办理时间最长事项数（其排队部分立即上提改派）",
      low=0, high=10_000, source="assumption"),
    P("supervision.dispatch_days", "float", 60.0, "day",
      "Days between dispatch meetings (两月一调度) that reallocate departments' own staff to "
      "the parts each received since the last one",
      "调度会间隔（两月一调度），按各部门收到的事项重新调配其力量",
      low=1.0, high=3650.0, source="seed 002: 两月一调度"),
    P("supervision.rating_days", "float", 90.0, "day",
      "Days between ratings of departments (一季一督导) on callbacks of the parts they closed "
      "(接诉即办's 回访 and ranking)", "督导考核间隔（一季一督导），按回访结果评价各部门办结事项",
      low=1.0, high=3650.0, source="seeds 000 and 002: 一季一督导"),
    P("supervision.rating_response", "float", 0.1845, "share",
      "Share of its rated shortfall (solve ceiling minus its rated solved share) a department "
      "makes up after each rating", "每次考核后部门弥补其考核差距（最高解决率减考核解决率）的比例",
      low=0.0, high=1.0, source=CALIBRATED_BEIJING),
    P("supervision.drill_days", "float", 180.0, "day",
      "Days between drills (半年一拉练): departments visit and compare, learning from the best",
      "拉练间隔（半年一拉练）：观摩比较，向最优学习", low=1.0, high=3650.0,
      source="seeds 000 and 002: 半年一拉练"),
    P("supervision.drill_learning", "float", 0.2, "share",
      "Share of the gap to the best-rated department's solve share a department closes at a "
      "drill", "拉练时部门向考核最优部门解决率缩小差距的比例", low=0.0, high=1.0,
      source="assumption"),
    P("supervision.prior_days", "float", 0.0, "day",
      "Days the rhythm had already run before the simulated period (a mature system): "
      "departments start from the expected result of that many ratings",
      "模拟开始前督导节奏已运行的天数（成熟体系）：部门解决率从相应考核次数的期望结果起步",
      low=0.0, high=36500.0, source="assumption"),
    # --- party branches -------------------------------------------------------------------
    P("party.intensity", "float", 0.6, "0-1",
      "How strongly a branch mobilises its members", "党支部动员党员的强度", low=0.0, high=1.0,
      live=True, source="assumption"),
    P("party.spillover", "float", 0.5, "share",
      "Share of the mobilising push members pass on to their neighbours", "党员向邻里传导动员的比例",
      low=0.0, high=1.0, source="assumption"),
    P("party.mobilisation_weight", "float", 1.5, "logit",
      "Effect of mobilisation on propensity", "动员对参与倾向的影响", low=0.0, high=10.0,
      source="assumption"),
    P("party.council_days", "float", 30.0, "day",
      "Days between neighbourhood councils (议事会)", "议事会召开间隔", low=1.0, high=365.0,
      source="assumption"),
    P("party.council_attendance", "float", 0.25, "probability",
      "Chance a resident with propensity 1 attends a council", "参与倾向为1的居民出席议事会的概率",
      low=0.0, high=1.0, source="assumption"),
    P("party.council_volunteers_per_issue", "float", 8.0, "person",
      "Attendees a council needs to take one community issue out of a department's queue and "
      "solve it with residents (co-production)", "议事会承接一件社区事项（居民共同解决）所需的出席人数",
      low=1.0, high=10_000.0, source="assumption (as selforg.members_per_job)"),
    # --- self-organisations -----------------------------------------------------------------
    P("selforg.per_1000", "float", 1.0, "org/1000 person",
      "Self-organisations per 1,000 residents at the start", "初始每千人自组织数",
      low=0.0, high=50.0,
      source="Jianyang: 1,357 registered self-organisations (seed 003) for ~1.1-1.5 M people"),
    P("selforg.size", "float", 25.0, "person", "Mean members of a new self-organisation",
      "新自组织平均成员数", low=2.0, high=500.0, source="assumption"),
    P("selforg.activity_rate", "float", 0.1, "1/day",
      "Daily chance a member with propensity 1 is active in the group",
      "参与倾向为1的成员每日参加自组织活动的概率", low=0.0, high=1.0, source="assumption"),
    P("selforg.raise_days", "float", 6.0, "day",
      "Mean days for an active self-organisation to raise a visible issue in its neighbourhood",
      "活跃自组织发现并反映本小区可见事项的平均天数", low=0.05, high=365.0, source="assumption"),
    P("selforg.service_days", "float", 2.0, "day",
      "Mean days for a self-organisation to solve a small community issue",
      "自组织解决社区小事的平均天数", low=0.01, high=365.0, source="assumption"),
    P("selforg.members_per_job", "float", 8.0, "person",
      "Active members needed per issue a group handles at once", "每同时处理一件事所需活跃成员数",
      low=1.0, high=1000.0, source="assumption"),
    P("selforg.fade_activity", "float", 0.15, "share",
      "A group whose share of active members stays below this fades away", "活跃成员比例低于此值即逐渐解散",
      low=0.0, high=1.0, source="assumption"),
    P("selforg.fade_chance", "float", 0.5, "1/month",
      "Monthly chance a fading group (no job in hand) dissolves",
      "逐渐解散的自组织（无在办事项）每月解散的概率",
      low=0.0, high=1.0, source="assumption"),
    P("selforg.initial_activity", "float", 0.33, "share",
      "Share of a group's members taken as active before any history (the first month)",
      "尚无记录时（首月）视为活跃的成员比例", low=0.0, high=1.0, source="assumption"),
    P("selforg.found_rate", "float", 0.0937, "1/month",
      "Monthly chance a neighbourhood with many active residents founds a new group",
      "活跃居民多的小区每月新成立自组织的概率", low=0.0, high=1.0,
      source=CALIBRATED_PARTICIPATION),
    # --- 三社联动 -------------------------------------------------------------------------
    P("sanshe.social_workers", "int", 2, "server",
      "Professional social workers serving the street's community issues", "街道社工力量（办理组数）",
      low=0, high=1000, source="assumption"),
    P("sanshe.intake_days", "float", 0.5, "day",
      "Mean days for a community issue to reach the social-work hub", "社区事项转到社工站的平均天数",
      low=0.0, high=365.0, source="assumption"),
    P("sanshe.service_days", "float", 2.0, "day",
      "Mean days for a social organisation project to solve a community issue",
      "社会组织项目解决社区事项的平均天数", low=0.01, high=365.0, source="assumption"),
    P("sanshe.cultivation_rate", "float", 0.1, "1/month",
      "Monthly chance an active self-organisation is cultivated into a social organisation",
      "活跃自组织每月被培育为社会组织的概率", low=0.0, high=1.0, source="assumption"),
    P("sanshe.cultivation_activity", "float", 0.3, "share",
      "Share of active members a self-organisation needs to be cultivated",
      "自组织获培育所需的活跃成员比例", low=0.0, high=1.0, source="assumption"),
    P("sanshe.project_volunteers", "float", 10.0, "person/month",
      "Residents one project engages as volunteers each month (one per social worker and per "
      "social organisation; social organisations recruit in their neighbourhood)",
      "每个项目每月动员的志愿者人数（每名社工、每个社会组织各一个项目；社会组织在本小区招募）",
      low=0.0, high=10_000.0, source="assumption"),
    # --- party-mass service centres -------------------------------------------------------
    P("centres.residents_per_centre", "float", 5000.0, "person",
      "Residents per party-mass service centre (党群服务中心)", "每个党群服务中心服务居民数",
      low=10.0, high=1_000_000.0,
      source="Jianyang: 240 new party-mass service centres (seed 003) for ~1.1-1.5 M people"),
    P("centres.participation_cost", "float", 0.2, "0-1",
      "Cost of taking part for a resident in a centre's own neighbourhood",
      "服务中心所在小区居民的参与成本", low=0.0, high=0.99, source="assumption"),
    P("centres.distance_cost", "float", 0.05, "0-1/neighbourhood",
      "Extra cost per neighbourhood between a resident and the nearest centre (never above "
      "the cost without a centre)", "居民与最近服务中心每相隔一个小区增加的参与成本（不超过无中心时的成本）",
      low=0.0, high=0.99, source="assumption"),
    # --- social enterprises -----------------------------------------------------------------
    P("enterprise.count", "int", 2, "enterprise", "Social enterprises in the street",
      "街道内社会企业数", low=0, high=100, source="assumption"),
    P("enterprise.service_days", "float", 1.0, "day",
      "Mean days for a social enterprise to deliver a service", "社会企业提供一次服务的平均天数",
      low=0.01, high=365.0, source="assumption"),
    P("enterprise.jobs_per_server", "float", 40.0, "issue",
      "Paid jobs of revenue that fund one more server", "每增加一个服务力量所需的付费订单数",
      low=1.0, high=10_000.0, source="assumption"),
    P("enterprise.max_servers", "int", 4, "server", "Largest size a social enterprise grows to",
      "社会企业最大服务力量", low=1, high=1000, source="assumption"),
]


def table() -> dict[str, Param]:
    """Every parameter by name: the core rows, then each registered structure's own rows (a
    structure found later, e.g. on $COGOV_STRUCTURE_PATH, is in the next call's table)."""
    from cogov_sim.structures import registry

    return _table(tuple(registry()))


@cache
def _table(names: tuple[str, ...]) -> dict[str, Param]:
    from cogov_sim.structures import registry

    reg = registry()
    rows = [
        P(STRUCTURE_KEY, "choice", "fragmented", "",
          "Governance structure: where issues go and how departments work together",
          "治理结构：事项去向与部门协同方式", choices=names, live=True,
          source="run setting (not a model assumption)"),
        *CORE,
        *(p for n in names for p in reg[n].own_params()),
    ]
    out: dict[str, Param] = {}
    for p in rows:
        if p.name in out:
            raise RuntimeError(f"parameter {p.name!r} declared twice")
        out[p.name] = p
    return out


def defaults() -> dict[str, Any]:
    """Every parameter's default value by name."""
    return {name: p.default for name, p in table().items()}
