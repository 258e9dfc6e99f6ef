"""The observed patterns the model is asked to reproduce at once (pattern-oriented modelling,
Grimm et al. 2005), each declared once as data: the published figure, the band it is taken to
allow, its source, the scenario that stands for the observed system, and the per-run measure
(`cogov_sim.validation.runs.measure_run`) that computes the simulated counterpart.

A pattern *holds* when the mean over replications lies inside [low, high]. ``scale`` turns a
miss into standard units for the calibration distance (`distance`); ``weight`` = 0 marks a pattern that is
reported but not calibrated to (say why in ``note``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

CHENGDU_12345 = ("Chengdu 12345 hotline, 2020 annual figures: 4.66 million requests, resolution "
                 "and satisfaction rates above 90%, mean reply time 4.24 working days (Sichuan "
                 "news reports, April 2021; cited in issue 7). Population: Chengdu 20.94 M, "
                 "Seventh National Population Census (2020).")
BEIJING = ("Beijing 12345 after the 2019 接诉即办 reform: resolution rate 53% (January 2019) -> "
           "74% (October 2019), satisfaction 65% -> 85%, later 97% (Beijing municipal reports; "
           "seed 004 and issue 7).")
NYC = ("New York City 311 service requests: 24.5 M requests, median closing time 2.9 days, "
       "mean 9.0 days, 85.7% closed within 7 days (NYC Open Data 311 Service Requests, as "
       "summarised in issue 7).")
JIANYANG = ("Jianyang (简阳市), seed 003: 131,940 volunteers in 933 teams, 1,357 registered "
            "community self-organisations. Population not in the seed: ~1.11 M resident "
            "population (Seventh National Population Census, 2020) to ~1.5 M registered "
            "(户籍) -- an external figure, hence the band.")
PIDU = ("Pidu district (郫都区) before its reform: 15 separate grid systems, 1,689 grids, 1,460 "
        "grid workers for 1.08 M residents (issue 7).")

WORKING_TO_CALENDAR = 365.0 / 250.0
"""China's statutory year has 250 working days (365 - 104 weekend days - 11 holidays)."""
CHENGDU_REPLY_DAYS = 4.24 * WORKING_TO_CALENDAR


@dataclass(frozen=True)
class Pattern:
    """One observed pattern and how the model is held to it."""

    name: str
    title: str
    target: float
    low: float
    high: float
    unit: str
    scenario: str
    measure: str
    source: str
    note: str
    scale: float = 1.0
    weight: float = 1.0
    kind: str = "emergent"
    """'emergent' (an output) or 'input' (holds by construction: a parameter set from it)."""
    twin: str = ""
    """A measure reported beside `measure`, not held to the band: for a figure compared with
    what the books say, its true counterpart."""

    def holds(self, mean: float) -> bool:
        """Whether a simulated mean lies in the pattern's band."""
        return not math.isnan(mean) and self.low <= mean <= self.high

    def miss(self, value: float) -> float:
        """Distance of a value outside the band, in units of `scale` (0 inside; NaN stays NaN)."""
        if math.isnan(value):
            return math.nan
        return max(self.low - value, 0.0, value - self.high) / self.scale

    def criterion(self) -> str:
        """The band in words, for tables."""
        if self.high >= 1e9:
            return f">= {self.low:g}"
        return f"[{self.low:g}, {self.high:g}]"


PATTERNS: tuple[Pattern, ...] = (
    Pattern("chengdu_requests", "Chengdu 12345: requests per resident per year", 4.66 / 20.94,
            0.18, 0.27, "request/person/year", "committee", "reports_per_capita", CHENGDU_12345,
            "Issues reported by a resident or an affected neighbour (not found by the grid or a "
            "group), per resident-year. 12345 also logs consultations, and one request can be "
            "several calls: +-20%.", scale=0.045),
    Pattern("chengdu_resolution", "Chengdu 12345: resolution rate", 0.90, 0.90, math.inf,
            "share", "committee", "solved_rate", CHENGDU_12345,
            "Share of issues occurring after the warm-up that are solved: not abandoned, not "
            "left open, not handled without being solved (办而未决).", scale=0.05),
    Pattern("chengdu_reply", "Chengdu 12345: mean reply time", CHENGDU_REPLY_DAYS, 5.05, 7.12,
            "calendar day", "committee", "response_mean_days", CHENGDU_12345,
            "4.24 working days x 365/250 = 6.19 calendar days (x 7/5 = 5.94 if only weekends "
            "are skipped). Model: report -> resolution (response_mean_days) under the "
            "committee, i.e. the clock a hotline runs; band: 5.94 - 15% to 6.19 + 15%.", scale=0.9),
    Pattern("chengdu_satisfaction", "Chengdu 12345: satisfaction", 0.90, 0.90, math.inf, "share",
            "committee", "satisfied_share_reported", CHENGDU_12345,
            "Proxy: share of closed issues reported solved (informal closures too) within "
            "residents.satisfied_days of occurring; compared as reported because a published "
            "satisfaction rate is a hotline's rating of its closed cases, not an audit of them. "
            "The true counterpart (really solved, outcome score >= 0.5) is shown beside. The "
            "model has no survey answer, and callers also rate attitude and explanations: "
            "reported, not calibrated (an out-of-sample check).",
            scale=0.05, weight=0.0, twin="satisfied_share"),
    Pattern("nyc_skew", "Closing times right-skewed: mean / median", 9.0 / 2.9, 2.5, 3.8, "ratio",
            "committee", "response_mean_median_ratio", NYC,
            "Mean over median of report -> close times of resolved issues under one door "
            "(committee). NYC's levels differ from Chengdu's; the shape is the pattern.",
            scale=0.6),
    Pattern("nyc_within7", "Closing times: share closed within 7 days", 0.857, 0.80, 0.91,
            "share", "committee", "response_within_7d", NYC,
            "Share of resolved issues closed within 7 days of the report.", scale=0.05),
    Pattern("beijing_rise", "Beijing reform: resolution rate rises", 0.74 - 0.53, 0.01, math.inf,
            "share", "reform", "ramp_rise", BEIJING,
            "Monthly resolution rate (issues occurring in a 30-day month, resolved within 30 "
            "days), mean of the last 3 months minus mean of the 3 months before the switch.",
            scale=0.05),
    Pattern("beijing_gradual", "Beijing reform: a ramp, not a step (share of the rise in month 1)",
            0.25, 0.0, 0.6, "share of rise", "reform", "ramp_first_share", BEIJING,
            "How much of the eventual rise the first month after the switch already shows. "
            "Beijing took ~9 months from 53% to 74% and kept rising: a step (~1) does not fit.",
            scale=0.2, weight=0.0),
    Pattern("beijing_level_before", "Beijing: resolution rate before the reform", 0.53, 0.48, 0.58,
            "share", "reform", "ramp_before", BEIJING,
            "Monthly resolution rate before the switch. Beijing's 解决率 is rated by callers: "
            "handled but not solved counts as unresolved, as in the model "
            "(departments.solve_share).", scale=0.05),
    Pattern("beijing_level_after", "Beijing: resolution rate ~9 months after", 0.74, 0.69, 0.79,
            "share", "reform", "ramp_after9", BEIJING,
            "Monthly resolution rate 9 months after the switch: how much departments learn "
            "from the ratings since (supervision.rating_response, supervision.rating_days).",
            scale=0.05),
    Pattern("beijing_satisfaction_before", "Beijing: satisfaction before the reform", 0.65,
            0.60, 0.70, "share", "reform", "satisfied_before_reported", BEIJING,
            "Satisfaction proxy as reported (as for Chengdu; true counterpart beside) for issues "
            "occurring in the 3 months before the switch. Callers are satisfied by some answers "
            "that solve nothing (a clear explanation), which the proxy counts only where a "
            "department closed the part informally: reported, not calibrated.",
            scale=0.05, weight=0.0, twin="satisfied_before"),
    Pattern("beijing_satisfaction_after", "Beijing: satisfaction ~9 months after", 0.85, 0.80,
            0.90, "share", "reform", "satisfied_after9_reported", BEIJING,
            "Satisfaction proxy as reported for issues occurring 9 months after the switch (same "
            "caveat; true counterpart beside).", scale=0.05, weight=0.0, twin="satisfied_after9"),
    Pattern("jianyang_volunteers", "Jianyang: volunteers per resident", 131_940 / 1.11e6, 0.06,
            0.119, "share", "committee", "participation_volunteer_mean", JIANYANG,
            "Registered volunteers are 8.8-11.9% of residents; the model counts residents who "
            "volunteered in the last 30 days, which cannot exceed the registered share: band "
            "from half of it to all of it.", scale=0.03),
    Pattern("jianyang_selforgs", "Jianyang: self-organisations per 1,000 residents",
            1357 / 1.11e3, 0.90, 2.44, "org/1000 person", "committee", "self_orgs_per_1000",
            JIANYANG,
            "1,357 registered groups = 0.90-1.22 per 1,000; the model's groups include "
            "unregistered ones: band up to twice the registered density.", scale=0.5),
    Pattern("pidu_grid", "Pidu: residents per grid worker", 1.08e6 / 1460, 666.0, 814.0,
            "person/worker", "fragmented", "residents_per_grid_worker", PIDU,
            "An input: grid.residents_per_worker was set from this figure; the model's "
            "community gets ceil(residents / 740) workers. The 15 separate systems enter as "
            "fragmented.grid_efficiency, but the fragmented scenario switches grid discovery "
            "off, so that figure is not tested.", scale=50.0, weight=0.0, kind="input"),
)


def by_name() -> dict[str, Pattern]:
    """The patterns keyed by name."""
    return {p.name: p for p in PATTERNS}


def targets(patterns: tuple[Pattern, ...] = PATTERNS) -> tuple[Pattern, ...]:
    """The calibration targets: emergent patterns with weight > 0 (the rest are held out or
    inputs, and no calibration may look at them)."""
    return tuple(p for p in patterns if p.weight > 0 and p.kind == "emergent")


def scenarios(patterns: tuple[Pattern, ...] = PATTERNS) -> list[str]:
    """The scenarios the patterns need, in first-use order."""
    return list(dict.fromkeys(p.scenario for p in patterns))


CENTRE_WEIGHT = 0.01
"""Weight of the tie-breaking pull toward the centres of two-sided bands."""


def distance(means: dict[str, float], patterns: tuple[Pattern, ...] = PATTERNS) -> float:
    """Calibration distance over patterns with weight > 0: the weighted root mean square of
    the misses outside the bands, plus CENTRE_WEIGHT times the weighted root mean square of
    the offsets from the centres of two-sided bands, both in units of each pattern's `scale`.
    Misses dominate; among points where every band holds, the one nearer the centres wins (so
    parameters no band pins are not left on a band's edge). A NaN measure counts as a miss of
    10 units."""
    used = [p for p in patterns if p.weight > 0 and p.name in means]
    if not used:
        return math.nan
    miss = off = 0.0
    for p in used:
        v = means[p.name]
        if math.isnan(v):
            miss += p.weight * 100.0
            continue
        o = (v - (p.low + p.high) / 2) / p.scale if math.isfinite(p.high) else 0.0
        miss += p.weight * p.miss(v) ** 2
        off += p.weight * o * o
    w = sum(p.weight for p in used)
    return math.sqrt(miss / w) + CENTRE_WEIGHT * math.sqrt(off / w)
