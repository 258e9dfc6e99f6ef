"""Sensitivity plots: indices ranked with error bars; Morris mu*-sigma scatter."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from cogov_sim.sensitivity.analyse import OutputResult, ranked  # noqa: E402
from cogov_sim.sensitivity.sweep import Sweep  # noqa: E402


def _save(fig, base: Path) -> list[Path]:
    out = [base.with_suffix(".png"), base.with_suffix(".svg")]
    for p in out:
        fig.savefig(p, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return out


def plot_results(sweep: Sweep, results: list[OutputResult], folder: Path) -> list[Path]:
    """One figure per output, as PNG and SVG."""
    files = []
    for r in results:
        main = sweep.method.main
        df = ranked(r, main)
        fig, ax = plt.subplots(figsize=(7, 0.45 * len(df) + 1.5))
        if sweep.method.name == "morris":
            ax.errorbar(df["mu_star"], df["sigma"], xerr=df["mu_star_conf"], fmt="o")
            for name, row in df.iterrows():
                ax.annotate(name, (row["mu_star"], row["sigma"]), fontsize=8,
                            xytext=(4, 2), textcoords="offset points")
            ax.set_xlabel("μ* (mean absolute elementary effect)")
            ax.set_ylabel("σ (non-linearity / interactions)")
        else:
            y = range(len(df))[::-1]
            cols = [c for c in ("S1", "ST", "delta") if c in df.columns]
            h = 0.8 / len(cols)
            for j, c in enumerate(cols):
                ax.barh([v + (j - (len(cols) - 1) / 2) * h for v in y], df[c], height=h,
                        xerr=df.get(f"{c}_conf"), label=c, capsize=2)
            ax.set_yticks(list(y), df.index)
            ax.set_xlabel("index (95% bootstrap CI)")
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)  # clear of bars
        ax.set_title(f"{r.output}: {sweep.method.name}, n = {sweep.n}, "
                     f"{sweep.replications} replications")
        files += _save(fig, folder / f"{r.output.replace(':', '_')}_{sweep.method.name}")
    return files
