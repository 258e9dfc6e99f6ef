"""The curve as a figure: B - A with its 95% CI band against the dial, and each arm's load."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

REFERENCES = {"issues.rate": (0.22, "reported to 12345: 0.22")}
"""Marked values of a dial, with what they are (the load people report, not all that occurs)."""


def draw(table: pd.DataFrame, metric: str, a: str, b: str, over: str, unit: str,
         replications: int, out: Path, marks: dict[float, str] | None = None,
         stem: str = "curve") -> list[Path]:
    """Two panels sharing the dial: the paired difference B - A of `metric` with its CI band
    and a zero line; the departments' (and a pooled team's) utilisation of each arm; dashed
    lines at `marks` (value -> what it is) and the dial's known references. PNG and SVG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cogov_sim.render import LABELS

    t = table[table["metric"] == metric].sort_values("value")
    x = t["value"].to_numpy(dtype=float)
    fig, (top, low) = plt.subplots(2, 1, sharex=True, figsize=(7, 6.2),
                                   gridspec_kw={"height_ratios": [3, 2]})
    top.fill_between(x, t["diff_ci_low"], t["diff_ci_high"], color="tab:blue", alpha=0.25,
                     lw=0, label="95% CI (paired by seed)")
    top.plot(x, t["diff"], "o-", color="tab:blue", label=f"{b} − {a}")
    top.axhline(0, color="k", lw=0.8)
    top.set_ylabel(f"{b} − {a}" + (" (days)" if metric.endswith("_days") else ""), fontsize=9)
    top.set_title(f"{LABELS.get(metric, metric).strip()}: {b} − {a}\nacross {over}, "
                  f"{replications} paired replications per point", fontsize=10)
    for arm, name, colour in (("a", a, "tab:orange"), ("b", b, "tab:green")):
        low.plot(x, t[f"{arm}_util"], "o-", color=colour, label=f"{name}: departments")
        if t[f"{arm}_pool_util"].notna().any():
            low.plot(x, t[f"{arm}_pool_util"], "s--", color=colour, alpha=0.7,
                     label=f"{name}: pooled team")
        if f"{arm}_intake_util" in t and t[f"{arm}_intake_util"].notna().any():
            low.plot(x, t[f"{arm}_intake_util"], "^:", color=colour, alpha=0.9,
                     label=f"{name}: intake (door)")
    low.axhline(1, color="0.4", lw=0.8, ls=":")
    low.set_ylim(0, 1.05)
    low.set_ylabel("utilisation (busy / staffed)", fontsize=9)
    low.set_xlabel(f"{over} ({unit})" if unit else over)
    lines = dict(marks or {})
    if over in REFERENCES:
        lines.setdefault(*REFERENCES[over])
    for ref, what in sorted(lines.items()):
        for ax in (top, low):
            ax.axvline(ref, color="0.5", lw=0.8, ls="--")
        top.annotate(what, (ref, 0.98), xycoords=("data", "axes fraction"), fontsize=7,
                     rotation=90, va="top", ha="right", color="0.3",
                     bbox={"fc": "white", "ec": "none", "alpha": 0.8, "pad": 1})
    top.legend(fontsize=8, loc="best")
    low.legend(fontsize=8, loc="best")
    fig.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{stem}.{ext}" for ext in ("png", "svg")]
    for p in paths:
        fig.savefig(p, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return paths
