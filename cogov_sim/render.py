"""Plain-text rendering of run summaries, comparison tables and the parameter table."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from cogov_sim.metrics import STAGES
from cogov_sim.params import Param
from cogov_sim.survival import TAU_DAYS

LABELS = {
    "resolution_rmst_days": f"resolution time, restricted mean to {TAU_DAYS:g} d (days)",
    "resolution_km_median_days": "median time to resolution, KM (days)",
    "resolution_km_p90_days": "p90 time to resolution, KM (days)",
    "cif_resolved_7d": "resolved within 7 days (cum. incidence)",
    "cif_resolved_30d": "resolved within 30 days (cum. incidence)",
    "cif_resolved_90d": "resolved within 90 days (cum. incidence)",
    "cif_abandoned_90d": "abandoned within 90 days (cum. incidence)",
    "resolution_censored_share": "open at the run's end (censored share)",
    "resolution_mean_days": "mean resolution time, closed issues only (days)",
    "resolution_median_days": "median resolution time, closed issues only (days)",
    "resolution_p90_days": "p90 resolution time, closed issues only (days)",
    "response_mean_days": "mean time from report to resolution, closed only (days)",
    "resolution_rate": "resolution rate (closed, solved or not)",
    "solved_rate": "solved rate (closed and really solved)",
    "reported_solved_rate": "solved rate as reported (informal closures too)",
    "abandonment_rate": "abandonment rate",
    "participation_mean": "participation rate (30-day, mean)",
    "transfers_per_issue": "transfers per issue",
    "resolution_mean_days_1dept": "mean resolution, 1 department, closed only (days)",
    "resolution_mean_days_multidept": "mean resolution, 2+ departments, closed only (days)",
    **{f"stage_{s}_days": f"  time in {s}, closed only (days)" for s in STAGES},
}


def _f(x: float, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if abs(x) < 1 and x != 0 and digits == 2:
        return f"{x:.3f}"
    return f"{x:.{digits}f}"


def summary_text(summary: dict[str, float], provenance: dict[str, Any],
                 plugins: tuple[dict[str, float], dict[str, float]] = ({}, {})) -> str:
    """A readable one-run summary; `plugins`: the channel shares and station utilisations a
    plug-in structure or mechanism brought (`metrics.plugin_shares`)."""
    channels, stations = plugins
    s = summary
    lines = [
        f"cogov-sim {provenance.get('cogov_sim', '')} -- scenario '{provenance['scenario']}' "
        f"(hash {provenance['scenario_hash']}), seed {provenance['seed']}, "
        f"{provenance['days']} days",
    ]
    if provenance.get("overrides"):
        lines.append("  overrides: " + ", ".join(f"{k}={v}" for k, v in
                                                 provenance["overrides"].items()))
    lines += [
        "",
        f"Issues (after warm-up): {int(s['issues_created'])} created, "
        f"{int(s['issues_resolved'])} resolved, {int(s['issues_abandoned'])} abandoned, "
        f"{int(s['issues_open'])} open; ledger balanced: "
        f"{'yes' if s['ledger_balanced'] == 1.0 else 'NO'}",
        f"  resolution rate {_f(s['resolution_rate'])} (really solved "
        f"{_f(s['solved_rate'])}), abandonment rate {_f(s['abandonment_rate'])}",
        f"Time to resolution, every issue counted (open ones censored at the run's end, "
        f"abandoned ones never resolved): restricted mean to {_f(s['resolution_tau_days'], 0)} d "
        f"{_f(s['resolution_rmst_days'])} d, median {_f(s['resolution_km_median_days'])} d, "
        f"p90 {_f(s['resolution_km_p90_days'])} d (Kaplan-Meier)",
        f"  resolved within 7 / 30 / 90 days {_f(s['cif_resolved_7d'])} / "
        f"{_f(s['cif_resolved_30d'])} / {_f(s['cif_resolved_90d'])}, abandoned within 90 days "
        f"{_f(s['cif_abandoned_90d'])} (cumulative incidence, Aalen-Johansen); open at the end "
        f"{_f(s['resolution_censored_share'])}",
        f"Resolution time, closed issues only: mean {_f(s['resolution_mean_days'])} d, median "
        f"{_f(s['resolution_median_days'])} d, p90 {_f(s['resolution_p90_days'])} d; "
        f"from report: {_f(s['response_mean_days'])} d",
        "  where the time goes: " + ", ".join(
            f"{st} {_f(s[f'stage_{st}_days'])}" for st in STAGES),
        f"  by departments needed: 1 -> {_f(s['resolution_mean_days_1dept'])} d, "
        f"2 -> {_f(s['resolution_mean_days_2dept'])} d, "
        f"3 -> {_f(s['resolution_mean_days_3dept'])} d",
        f"  transfers per issue {_f(s['transfers_per_issue'])}, bounces "
        f"{_f(s['bounces_per_issue'])}, lifted (escalated) {_f(s['escalated_share'])}; parts "
        f"done by the pooled team {_f(s['pooled_part_share'])}, by another department's staff "
        f"{_f(s['borrowed_part_share'])}",
        "Found by: " + ", ".join(
            f"{k} {_f(s[f'found_by_{k}_share'])}" for k in
            ("resident", "neighbour", "grid", "self_org")) +
        f", never found {_f(s['undiscovered_share'])}",
        "Handled by: " + ", ".join(
            f"{k} {_f(s[f'channel_{k}_share'])}" for k in
            ("departments", "self_org", "council", "sanshe", "enterprise"))
        + "".join(f", {k} {_f(v)}" for k, v in channels.items()),
        f"Participation (share active in 30 days): mean {_f(s['participation_mean'])}, "
        f"final {_f(s['participation_final'])}; reporting "
        f"{_f(s['participation_report_mean'])}, councils {_f(s['participation_council_mean'])},"
        f" volunteering {_f(s['participation_volunteer_mean'])}, self-organisations "
        f"{_f(s['participation_selforg_mean'])}",
        f"  trust {_f(s['trust_final'])}, efficacy {_f(s['efficacy_final'])}, "
        f"self-organisations {int(s['self_orgs_final'])}",
        f"Departments: utilisation {_f(s['utilisation_departments'])} (most loaded "
        f"{_f(s['utilisation_max_department'])}, least {_f(s['utilisation_min_department'])})"
        f", pooled team {_f(s['utilisation_pool'])}"
        + "".join(f", {k} {_f(v)}" for k, v in stations.items())
        + f"; backlog mean {_f(s['backlog_mean'], 1)}",
    ]
    if not math.isnan(s["gap_resolution_rural_urban"]):
        lines.append(
            f"Rural minus urban: resolution {_f(s['gap_resolution_rural_urban'])} d, "
            f"participation {_f(s['gap_participation_rural_urban'])}")
    return "\n".join(lines)


def comparison_text(table: pd.DataFrame, replications: int, seed: int) -> str:
    """Means with 95% CIs per scenario, and each scenario's difference from the first."""
    scenarios = list(dict.fromkeys(table.index.get_level_values(0)))
    first = scenarios[0]
    rows: list[tuple[str, list[str]]] = []
    for m in dict.fromkeys(table.index.get_level_values(1)):
        cells, deltas = [], []
        for s in scenarios:
            r = table.loc[(s, m)]
            cells.append(f"{_f(r['mean'])} [{_f(r['ci_low'])}, {_f(r['ci_high'])}]")
            deltas.append("" if s == first else
                          f"Δ {_f(r['diff'])} [{_f(r['diff_ci_low'])}, {_f(r['diff_ci_high'])}]")
        rows.append((LABELS.get(m, m), cells))
        if any(deltas):
            rows.append(("", deltas))
    width = max(len(c) for _, cells in rows for c in [*cells, *scenarios])
    label_w = max(len(label) for label, _ in rows)
    head = f"{'metric':<{label_w}}  " + "  ".join(f"{s:>{width}}" for s in scenarios)
    lines = [
        f"{replications} replications per scenario, master seed {seed}; mean [95% CI]; "
        f"Δ = difference from '{first}' (paired by seed) [95% CI]",
        "Times to resolution count every issue (open ones censored at the run's end, abandoned "
        "ones never resolved); 'closed only' rows drop both (docs/time.md)",
        "",
        head,
        "-" * len(head),
    ]
    lines += [f"{label:<{label_w}}  " + "  ".join(f"{c:>{width}}" for c in cells)
              for label, cells in rows]
    return "\n".join(lines)


def params_text(rows: list[Param], chinese: bool = False) -> str:
    """The parameter table, one line each."""
    lines = []
    for p in rows:
        rng = p.allowed()
        desc = p.zh if chinese else p.en
        unit = f" [{p.unit}]" if p.unit else ""
        lines.append(f"{p.name:<34} {str(p.default):>10}{unit:<22} {rng:<32} {desc}")
    return "\n".join(lines)


def params_markdown(rows: list[Param]) -> str:
    """The parameter reference page (docs/parameters.md), generated from the table."""
    out = [
        "# Parameter reference",
        "",
        "Generated from `cogov_sim/params.py` and the structure modules by "
        "`cogov params --markdown`; do not edit by hand.",
        "",
        "`live`: may change mid-run in a `[[change]]` block. `queueing`: the value forced by "
        "`mode.queueing = true`.",
        "",
    ]
    section = None
    for p in rows:
        sec = p.section or "structure"
        if sec != section:
            out += ["", f"## {sec}", "",
                    "| name | default | unit | allowed | live | queueing | description | 说明 |",
                    "|---|---|---|---|---|---|---|---|"]
            section = sec
        src = f" *Source: {p.source}.*" if p.source else ""
        deg = "" if p.degenerate is None else str(p.degenerate)
        out.append(f"| `{p.name}` | {p.default} | {p.unit} | {p.allowed()} | "
                   f"{'yes' if p.live else ''} | {deg} | {p.en}.{src} | {p.zh} |")
    return "\n".join(out) + "\n"



def posterior_headline_text(table: pd.DataFrame, prov: dict[str, Any], replications: int,
                            seed: int) -> str:
    """Each scenario's difference from the first, one line per metric: at the scenarios' own
    values with its run-to-run CI, beside the posterior's interval, the CI of its mean, and the
    share of the variance that is between draws (`cogov compare --posterior`)."""
    draws = prov["draws"]
    label_w = max(len(LABELS.get(m, m)) for m in table.index.get_level_values(1))

    def iv(lo: float, hi: float) -> str:
        return f"[{_f(lo)}, {_f(hi)}]"

    lines = [
        f"Δ = scenario - '{prov['base']}', paired by seed. At the scenarios' own values: "
        f"{replications} replications (as `cogov compare -r {replications} --seed {seed}`); over "
        f"the posterior: {len(draws)} draws x {replications} replications, each draw's values in "
        "every arm that reads them.",
        "Columns: Δ at own values [95% CI, run to run only] | Δ over the posterior [95% interval "
        "of the draws' mean Δ: parameters and runs] [95% CI of the posterior mean, bootstrap over "
        "draws] | share of the variance of Δ between draws (parameters) rather than within "
        "(run to run)",
    ]
    for arm in dict.fromkeys(table.index.get_level_values(0)):
        lines += ["", f"{arm} - {prov['base']}"]
        for m, r in table.loc[arm].iterrows():
            share = "-" if pd.isna(r["share_between"]) else f"{100 * r['share_between']:.0f}%"
            lines.append(
                f"{LABELS.get(m, m):<{label_w}}  {_f(r['defaults_diff']):>7} "
                f"{iv(r['defaults_ci_low'], r['defaults_ci_high']):<18} | "
                f"{_f(r['posterior_diff']):>7} {iv(r['interval_low'], r['interval_high']):<18} "
                f"{iv(r['ci_low'], r['ci_high']):<18} | {share:>4}")
    arms = [prov["base"], *dict.fromkeys(table.index.get_level_values(0))]

    def applies(k: str, used: list[str]) -> str:
        rest = [a for a in arms if a not in used]
        if not rest:
            return f"{k} -> every arm"
        return (f"{k} -> {', '.join(used) or 'no arm'}"
                f" (not read by {', '.join(rest)}: left at its own value there)")

    where = "; ".join(applies(k, v) for k, v in prov["applies_to"].items())
    made = ", ".join(f"{k} {v}" for k, v in prov["made"].items()
                     if k in ("git", "seed", "cogov_sim"))
    parts = sorted({d["particle"] for d in draws})
    lines += ["", f"posterior: {prov['folder']} (posterior.csv sha256 {prov['csv_sha256'][:12]}"
              f"{', made at ' + made if made else ''}); draws: {prov['sampling']}; "
              f"{len(parts)} distinct particles used",
              f"parameters set per arm: {where}"]
    return "\n".join(lines)
