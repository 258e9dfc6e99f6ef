"""`cogov report DIR`: comparison tables and figures (PNG and SVG) and a report.md, from a
batch folder.

Tables reuse `cogov_sim.api.comparison_table` (means, 95% CIs, paired differences) and add
Cohen's d. The resolution-time ECDF pools every resolved issue of every run, so it needs the
issue ledgers (``keep = ["issues"]``); participation over time needs the daily series
(``keep = ["daily"]``). Without them those figures are left out and report.md says why:
quantiles per run cannot be pooled into an exact ECDF, and a ledger costs about 170 kB per
default run, so the headline experiment keeps ledgers.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow.dataset as ds  # noqa: E402
from scipy import stats as sps  # noqa: E402

from cogov_sim.errors import InputError  # noqa: E402
from cogov_sim.metrics import KEY_METRICS, STAGES  # noqa: E402
from cogov_sim.render import LABELS  # noqa: E402
from cogov_sim.stats import (
    comparison_table,  # noqa: E402
    mean_ci,  # noqa: E402
)

from .integrity import describe  # noqa: E402
from .store import VOLATILE, Store, read_runs  # noqa: E402

ID_COLUMNS = ("run_id", "scenario", "point", "replication", "seed", "status", "error", *VOLATILE)


def cohens_d(a: np.ndarray, b: np.ndarray) -> float:
    """Standardised difference of means, (mean b - mean a) / pooled SD, NaNs dropped."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) < 2 or len(b) < 2:
        return math.nan
    pooled = math.sqrt(((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1))
                       / (len(a) + len(b) - 2))
    return (b.mean() - a.mean()) / pooled if pooled > 0 else math.nan


def label_groups(runs: pd.DataFrame, scenarios: list[str],
                 varied: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """A 'group' column per scenario and design point, and the groups in experiment order."""
    def label(row: pd.Series) -> str:
        if not varied:
            return str(row["scenario"])
        return f"{row['scenario']} [" + ", ".join(f"{k}={row[k]:g}" if isinstance(row[k], float)
                                                  else f"{k}={row[k]}" for k in varied) + "]"
    runs = runs.assign(group=runs.apply(label, axis=1))
    cells = runs.drop_duplicates(["scenario", "point"])
    cells = cells.assign(_s=cells["scenario"].map({n: i for i, n in enumerate(scenarios)}))
    return runs, list(cells.sort_values(["_s", "point"])["group"])


def comparison(runs: pd.DataFrame, order: list[str], metrics: list[str]) -> pd.DataFrame:
    """Means, 95% CIs, paired differences from the first group with CIs, and Cohen's d."""
    table = comparison_table(runs.drop(columns="scenario").rename(columns={"group": "scenario"}),
                             order, tuple(metrics))
    base = runs[runs["group"] == order[0]]
    d = [math.nan if g == order[0] else cohens_d(base[m], runs.loc[runs["group"] == g, m])
         for g, m in table.index]
    return table.assign(cohens_d=d)


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.3f}" if abs(x) < 1 else f"{x:.2f}"


def markdown_table(table: pd.DataFrame, order: list[str]) -> str:
    """The comparison as a Markdown table, one row per metric and group."""
    lines = ["| metric | group | mean | 95% CI | Δ vs " + order[0] + " | 95% CI of Δ | Cohen's d |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for m in dict.fromkeys(table.index.get_level_values(1)):
        for g in order:
            r = table.loc[(g, m)]
            lines.append(f"| {LABELS.get(m, m).strip()} | {g} | {_fmt(r['mean'])} | "
                         f"[{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}] | {_fmt(r['diff'])} | "
                         + ("" if g == order[0] else f"[{_fmt(r['diff_ci_low'])}, {_fmt(r['diff_ci_high'])}]")
                         + f" | {_fmt(r['cohens_d'])} |")
    return "\n".join(lines)


def _save(fig: plt.Figure, out: Path, name: str) -> str:
    for ext in ("png", "svg"):
        fig.savefig(out / f"{name}.{ext}", dpi=150, bbox_inches="tight")
    plt.close(fig)
    return name


def _colors(order: list[str]) -> dict[str, Any]:
    cmap = plt.get_cmap("tab10")
    return {g: cmap(i % 10) for i, g in enumerate(order)}


def _read(folder: Path, name: str, columns: list[str]) -> pd.DataFrame | None:
    path = folder / name
    if not path.is_dir():
        return None
    return ds.dataset(path, format="parquet", partitioning="hive").to_table(columns=columns).to_pandas()


def plot_ecdf(folder: Path, groups: pd.Series, order: list[str], warmup: dict[str, float],
              out: Path) -> str | None:
    """ECDF of resolution time per group, pooling every resolved issue after warm-up."""
    df = _read(folder, "issues", ["run_id", "scenario", "t_occur", "status", "resolution_days"])
    if df is None or df.empty:
        return None
    df = df[(df["status"].astype(str) == "resolved")
            & (df["t_occur"] >= df["scenario"].astype(str).map(warmup).fillna(0))]
    df = df.assign(group=df["run_id"].map(groups))
    fig, ax = plt.subplots(figsize=(6.5, 4))
    col = _colors(order)
    for g in order:
        x = np.sort(df.loc[df["group"] == g, "resolution_days"].to_numpy())
        if len(x):
            ax.step(x, np.arange(1, len(x) + 1) / len(x), where="post", color=col[g],
                    label=f"{g} (n = {len(x):,})")
    ax.set(xlabel="resolution time (days)", ylabel="share of resolved issues ≤ x",
           title="Resolution time of resolved issues that occurred after warm-up\n"
                 "(runs pooled; open and abandoned issues not included)")
    ax.set_xscale("symlog", linthresh=1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, out, "resolution_ecdf")


def plot_survival(folder: Path, groups: pd.Series, order: list[str], warmup: dict[str, float],
                  horizon: dict[str, float], out: Path) -> str | None:
    """Censoring-aware curves per group (cogov_sim.survival.curves, run by run): the share of
    issues not yet resolved by age (Kaplan-Meier, open issues censored at the run's end,
    abandoned ones never resolved) and the Aalen-Johansen cumulative incidence of abandonment,
    each the mean over replications with a 95% band (Student t over runs)."""
    from cogov_sim import survival

    df = _read(folder, "issues", ["run_id", "scenario", "t_occur", "t_closed", "status"])
    if df is None or df.empty:
        return None
    grid = np.arange(0.0, survival.TAU_DAYS + 1.0)
    per_run = []
    for run_id, g in df.groupby("run_id", observed=True):
        sc = str(g["scenario"].iloc[0])
        c = survival.curves(g, horizon.get(sc, float(np.nanmax(g["t_closed"]))),
                            warmup.get(sc, 0.0), grid)
        per_run.append(c.assign(group=groups.get(run_id)))
    curves = pd.concat(per_run)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    col = _colors(order)
    for ax, what, ylabel in ((axes[0], "unresolved", "share of issues not yet resolved"),
                             (axes[1], "cif_abandoned", "cumulative incidence of abandonment")):
        for gname in order:
            sub = curves[curves["group"] == gname]
            if sub.empty:
                continue
            ci = np.array([mean_ci(x.to_numpy()) for _, x in sub.groupby("age_days")[what]])
            ax.plot(grid, ci[:, 0], color=col[gname], label=gname)
            ax.fill_between(grid, np.clip(ci[:, 1], 0, 1), np.clip(ci[:, 2], 0, 1),
                            color=col[gname], alpha=0.25, lw=0)
        ax.set(xlabel="age of the issue (days since it occurred)", ylabel=ylabel)
        ax.grid(alpha=0.3)
    axes[0].set_title("Time to resolution, every issue (open ones censored)", fontsize=9)
    axes[1].set_title("Abandonment, the competing outcome (Aalen-Johansen)", fontsize=9)
    axes[0].legend(fontsize=8)
    return _save(fig, out, "resolution_survival")


def plot_stages(runs: pd.DataFrame, order: list[str], out: Path) -> str | None:
    """Stacked bars: mean days per resolved issue spent in each stage, per group."""
    cols = [f"stage_{s}_days" for s in STAGES]
    if not set(cols) <= set(runs.columns):
        return None
    means = runs.groupby("group")[cols].mean().reindex(order)
    fig, ax = plt.subplots(figsize=(max(5.0, 1.2 * len(order) + 2) + 1.5, 4))
    bottom = np.zeros(len(order))
    for s, c in zip(STAGES, cols, strict=True):
        ax.bar(order, means[c].to_numpy(), bottom=bottom, label=s)
        bottom += np.nan_to_num(means[c].to_numpy())
    # the total's 95% CI over runs (per-stage CIs would overlap in a stack)
    totals = runs[cols].sum(axis=1, min_count=1)
    ci = [mean_ci(totals[runs["group"] == g].to_numpy()) for g in order]
    err = np.array([[m - lo for m, lo, _ in ci], [hi - m for m, _, hi in ci]])
    ax.errorbar(order, [m for m, _, _ in ci], yerr=np.nan_to_num(err), fmt="none", ecolor="black",
                capsize=4, lw=1, label="total: 95% CI")
    ax.set(ylabel="mean days per resolved issue",
           title="Where the time goes, by stage (total with its 95% CI)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.tick_params(axis="x", rotation=20 if len(order) > 3 else 0)
    return _save(fig, out, "time_by_stage")


def plot_departments(runs: pd.DataFrame, order: list[str], out: Path) -> str | None:
    """Mean resolution time by number of departments an issue needs, with 95% CIs."""
    ks = [(1, "resolution_mean_days_1dept"), (2, "resolution_mean_days_2dept"),
          (3, "resolution_mean_days_3dept")]
    if not all(c in runs.columns for _, c in ks):
        return None
    fig, ax = plt.subplots(figsize=(6.5, 4))
    width = 0.8 / len(order)
    col = _colors(order)
    for i, g in enumerate(order):
        cur = runs[runs["group"] == g]
        ci = [mean_ci(cur[c].to_numpy()) for _, c in ks]
        m = np.array([c[0] for c in ci])
        err = np.array([[c[0] - c[1] for c in ci], [c[2] - c[0] for c in ci]])
        ax.bar(np.arange(len(ks)) + (i - (len(order) - 1) / 2) * width, m, width, yerr=err,
               capsize=3, color=col[g], label=g)
    ax.set_xticks(range(len(ks)), [str(k) for k, _ in ks])
    ax.set(xlabel="departments the issue needs", ylabel="mean resolution time (days)",
           title="Resolution time by departments needed (95% CI)")
    ax.legend(fontsize=8)
    return _save(fig, out, "resolution_by_departments")


def plot_participation(folder: Path, groups: pd.Series, order: list[str], out: Path) -> str | None:
    """Participation over time: mean of runs, its 95% CI, and the 5-95% range of runs."""
    df = _read(folder, "daily", ["run_id", "time", "participation"])
    if df is None or df.empty:
        return None
    df = df.assign(group=df["run_id"].map(groups))
    g = df.groupby(["group", "time"])["participation"]
    agg = pd.DataFrame({"mean": g.mean(), "sd": g.std(), "n": g.count(),
                        "lo": g.quantile(0.05), "hi": g.quantile(0.95)}).reset_index()
    half = sps.t.ppf(0.975, np.maximum(agg["n"] - 1, 1)) * agg["sd"] / np.sqrt(agg["n"])
    agg = agg.assign(ci_lo=agg["mean"] - half, ci_hi=agg["mean"] + half)
    fig, ax = plt.subplots(figsize=(7, 4))
    col = _colors(order)
    for name in order:
        a = agg[agg["group"] == name]
        ax.fill_between(a["time"], a["lo"], a["hi"], color=col[name], alpha=0.12, lw=0)
        ax.fill_between(a["time"], a["ci_lo"], a["ci_hi"], color=col[name], alpha=0.35, lw=0)
        ax.plot(a["time"], a["mean"], color=col[name], lw=1.2, label=name)
    ax.set(xlabel="day", ylabel="share of residents active (30 days)",
           title="Participation over time: mean, 95% CI (dark), 5–95% of runs (light)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, out, "participation")


def provenance_md(m: dict[str, Any], runs: pd.DataFrame) -> str:
    """The manifest's provenance as a Markdown list."""
    e, p, s = m["experiment"], m["plan"], m["seeds"]
    sw = ", ".join(f"{k} {v}" for k, v in m["software"].items())
    scen = "; ".join(f"`{n}` ({d['source']}, hash {d['hash']})" for n, d in m["scenarios"].items())
    n_bad = int((runs["status"] != "ok").sum())
    lines = [
        f"- experiment: `{e['name']}` from `{e['file']}` (sha256 `{e['sha256'][:16]}…`), "
        f"model `{e['model']}`, plan hash `{p['hash'][:16]}…`",
        f"- runs: {p['runs']} planned, {len(runs)} stored, {n_bad} failed; "
        f"{p['replications']} replications × {len(p['scenarios'])} scenario(s) × {p['points']} "
        "design point(s)",
        f"- seeds: master {s['master']}, replication r uses {s['scheme']} (the same in every "
        "scenario: differences are paired)",
        f"- fixed overrides: {json.dumps(p['fixed'])}" + (f"; varied: {', '.join(p['varied'])}"
                                                           if p["varied"] else ""),
        f"- scenarios: {scen}" if scen else "- scenarios: none (model without scenarios)",
        f"- git: {m['git'] or 'n/a'}; software: {sw}",
        f"- machine: {m['machine']['hostname']}, {m['machine']['platform']}, "
        f"{m['machine']['cpus']} CPUs",
        f"- started {m['started']}, finished {m['finished'] or 'not finished'}; sessions: "
        + "; ".join(f"{x['executor']} ×{x['workers']} {x['started']}–{x['finished']}"
                    for x in m["sessions"]),
    ]
    return "\n".join(lines)


def report(folder: Path, out: Path | None = None) -> Path:
    """Write tables, figures and report.md for a batch folder; return report.md's path."""
    store = Store(folder)
    if not store.is_batch():
        raise InputError(str(folder), "is not a batch folder (no manifest.json); give a folder "
                         "written by `cogov batch`")
    manifest = store.manifest()
    damaged = store.damaged()
    if damaged:
        raise InputError(str(folder), f"is damaged: {describe(damaged)}; run the batch again "
                         f"(`cogov batch {manifest['experiment']['file']} --out {folder}`): it "
                         "sets damaged files aside and redoes their runs")
    runs = read_runs(folder)
    out = out or folder / "report"
    figs = out / "figures"
    figs.mkdir(parents=True, exist_ok=True)
    varied = manifest["plan"]["varied"]
    runs, order = label_groups(runs, manifest["plan"]["scenarios"], varied)
    ok = runs.assign(**{c: runs[c].where(runs["status"] == "ok") for c in runs.columns
                        if c not in ID_COLUMNS and c not in varied and c != "group"
                        and pd.api.types.is_numeric_dtype(runs[c])})
    metrics = [m for m in KEY_METRICS if m in ok.columns] or [
        c for c in ok.columns if c not in ID_COLUMNS and c not in varied and c != "group"
        and pd.api.types.is_numeric_dtype(ok[c])]
    table = comparison(ok, order, metrics)
    (out / "tables").mkdir(exist_ok=True)
    table.reset_index().rename(columns={"scenario": "group"}).to_csv(out / "tables" / "comparison.csv",
                                                                      index=False)
    groups = ok.set_index("run_id")["group"]
    warm = {n: float(d["params"].get("run.warmup_days", 0)) for n, d in manifest["scenarios"].items()}
    made = {
        "resolution_ecdf": plot_ecdf(folder, groups, order, warm, figs),
        "time_by_stage": plot_stages(ok, order, figs),
        "participation": plot_participation(folder, groups, order, figs),
        "resolution_by_departments": plot_departments(ok, order, figs),
        "resolution_survival": plot_survival(folder, groups, order, warm, {
            n: float(d["params"].get("run.days", 365)) for n, d in manifest["scenarios"].items()},
            figs),
    }
    captions = {
        "resolution_ecdf": ("Resolution time (ECDF)", "needs the issue ledgers: add \"issues\" to keep"),
        "time_by_stage": ("Where the time goes, by stage", "needs the cogov model's stage metrics"),
        "participation": ("Participation over time", "needs the daily series: add \"daily\" to keep"),
        "resolution_by_departments": ("Resolution time by departments needed",
                                      "needs the cogov model's per-department metrics"),
        "resolution_survival": ("Time to resolution and abandonment, censoring-aware "
                                "(see docs/time.md)",
                                "needs the issue ledgers: add \"issues\" to keep"),
    }
    e = manifest["experiment"]
    md = [f"# Batch report: {e['name']}", "", e["description"], "", "## Provenance", "",
          provenance_md(manifest, runs), "", "## Comparison", "",
          f"Mean over replications with 95% CI (Student t); Δ is the difference from "
          f"**{order[0]}**, paired by seed, with its 95% CI; Cohen's d is Δ over the pooled "
          "standard deviation of runs. Failed runs are left out (and their pair).", "",
          markdown_table(table, order), "", "All rows: [tables/comparison.csv](tables/comparison.csv).",
          "", "## Figures", ""]
    for key, (title, why) in captions.items():
        md.append(f"### {title}")
        md.append("")
        if made[key]:
            md.append(f"![{title}](figures/{key}.png)  ")
            md.append(f"[SVG](figures/{key}.svg)")
        else:
            md.append(f"Not drawn: {why}.")
        md.append("")
    bad = runs[runs["status"] != "ok"]
    if len(bad):
        md += ["## Failed runs", "", f"{len(bad)} runs failed; first errors:", ""]
        md += [f"- `{r.run_id}`: {str(r.error).splitlines()[0]}" for r in bad.head(10).itertuples()]
        md.append("")
    path = out / "report.md"
    path.write_text("\n".join(md), encoding="utf-8")
    return path
