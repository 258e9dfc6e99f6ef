"""The one parameter table: every model parameter declared once.

Validation, the docs reference page, `cogov params`, the visualiser's sliders and the
sensitivity problem are all derived from this table. Governance structures contribute
their own rows (see `cogov_sim.structures`), so a new structure is still one new file.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from cogov_sim.rows import (  # noqa: F401  (Param, P re-exported for plug-ins)
    CALIBRATED_BEIJING,
    CALIBRATED_PARTICIPATION,
    CALIBRATED_PIPELINE,
    KINDS,
    P,
    Param,
)

STRUCTURE_KEY = "structure"

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
    P("departments.staff_per_10000", "float", 24.0, "server",
      "Departments' staff working this community's issues, per 10,000 residents (issue-handling "
      "teams, all departments), so a district is staffed like a community: rounded to whole "
      "staff, at least one per department",
      "每万居民的各职能部门办事力量（办理组数，合计），大小社区按同一人均配置：取整；"
      "每个部门至少一人", low=0.01, high=10_000.0,
      source="assumption (12 issue-handling teams for a 5,000-resident community)"),
    P("departments.solve_share", "float", 0.7266, "probability",
      "Chance a department's handling really solves its part before any rating of departments; "
      "otherwise the issue is closed handled but not solved (办而未决). Rating (supervision) "
      "moves each department's own share from here",
      "未经考核评价时部门处置真正解决其负责部分的概率；否则事项“办而未决”地关闭。"
      "督导考核使各部门自身的解决率由此变化",
      low=0.0, high=1.0, degenerate=1.0, source=CALIBRATED_BEIJING),
    P("departments.solve_spread", "float", 0.3, "logit sd",
      "How much departments' own solve shares differ at the start (sd on the logit scale "
      "around departments.solve_share)", "各部门初始解决率的差异（围绕平均解决率的logit标准差）",
      low=0.0, high=5.0, degenerate=0.0,
      source="assumption (departments differ; what drills spread presumes)"),
    P("departments.generalist_days", "float", 1.3, "ratio",
      "How much longer a generalist -- the pooled street team, or another department's staff "
      "taking a lifted part -- takes over a department's part than its own staff would",
      "综合队伍或其他部门人员办理某部门事项所需时间相对本部门人员的倍数（通才不如专才）",
      low=1.0, high=10.0, degenerate=1.0,
      source="assumption (specialisation: pooling trades queueing for expertise)"),
    P("departments.generalist_solve", "float", 0.9, "ratio",
      "A generalist's chance of really solving a department's part, relative to the "
      "department's own staff", "综合队伍或其他部门人员真正解决某部门事项的概率相对本部门人员的比例",
      low=0.0, high=1.0, degenerate=1.0,
      source="assumption (specialisation: pooling trades queueing for expertise)"),
]


def table() -> dict[str, Param]:
    """Every parameter by name: the core rows, each registered mechanism's rows, then each
    registered structure's own rows (a plug-in found later, e.g. on $COGOV_STRUCTURE_PATH or
    $COGOV_MECHANISM_PATH, is in the next call's table)."""
    from cogov_sim.mechanisms import registry as mechanisms
    from cogov_sim.structures import registry as structures

    return _table(tuple(mechanisms()), tuple(structures()))


def core() -> dict[str, Param]:
    """The rows the model's core declares (no mechanism's, no structure's)."""
    return {p.name: p for p in CORE}


@cache
def _table(mechanism_names: tuple[str, ...], names: tuple[str, ...]) -> dict[str, Param]:
    from cogov_sim.mechanisms import registry as mechanisms
    from cogov_sim.structures import registry as structures

    mech, reg = mechanisms(), structures()
    rows = [
        P(STRUCTURE_KEY, "choice", "fragmented", "",
          "Governance structure: where issues go and how departments work together",
          "治理结构：事项去向与部门协同方式", choices=names, live=True,
          source="run setting (not a model assumption)"),
        *CORE,
        *(p for m in mechanism_names for p in mech[m].params),
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
