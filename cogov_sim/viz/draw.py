"""Matplotlib views of a running model, drawn to PNG bytes.

Each view builds its figure once (static parts: neighbourhoods, sampled ties, departments,
legend) and only updates artists' data per frame, so a frame is one `savefig`. Figures are
`matplotlib.figure.Figure` objects with an Agg canvas: no pyplot, no global figure state.
Text is bilingual; Chinese glyphs fall back to a CJK font found on the system.
"""

from __future__ import annotations

import glob
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import matplotlib as mpl
import numpy as np
from matplotlib import colormaps, font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle
from matplotlib.ticker import MaxNLocator
from PIL import Image

from cogov_sim.issues import Status
from cogov_sim.viz.i18n import STAGES, department_name, stage_name, structure_name, t
from cogov_sim.viz.layout import Layout

if TYPE_CHECKING:
    from cogov_sim.model import CoGovModel

DPI = 90
CJK_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Micro Hei",
                "WenQuanYi Zen Hei", "Noto Sans CJK JP", "Droid Sans Fallback", "AR PL UMing CN")
CJK_GLOBS = ("/usr/share/fonts/**/NotoSansCJK*.tt[cf]", "/usr/share/fonts/**/wqy*.tt[cf]",
             "/usr/share/fonts/**/*SourceHanSans*.[ot]t[cf]", "/usr/local/share/fonts/**/*.[ot]t[cf]")
STAGE_COLOURS = {"undiscovered": "#9e9e9e", "routing": "#ff9800", "waiting": "#e53935",
                 "service": "#1e88e5", "coordination": "#8e24aa"}
STAGE_KEYS = list(STAGES)
RUN_COLOURS = ("#1f4e9c", "#e6550d")
PROPENSITY = colormaps["viridis"]
PROPENSITY_NORM = Normalize(0.0, 0.6)
ACTIVE, INACTIVE = np.array(mpl.colors.to_rgba("#f28e2b")), np.array(mpl.colors.to_rgba("#c8ccd4"))
WAIT_CMAP = colormaps["Reds"]


@cache
def cjk_font() -> str | None:
    """A CJK font family matplotlib can use, registering system font files if needed."""
    def known() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((f for f in CJK_FAMILIES if f in names), None)

    found = known()
    if found is None:
        for pattern in CJK_GLOBS:
            for path in sorted(glob.glob(pattern, recursive=True)):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        found = known()
    return found


@contextmanager
def _style() -> Iterator[None]:
    """Fonts with CJK fallback and small sizes, for building and saving our figures only."""
    family = ["DejaVu Sans"] + ([cjk_font()] if cjk_font() else [])
    with mpl.rc_context({"font.family": family, "font.size": 8, "axes.titlesize": 9,
                         "axes.unicode_minus": False}):
        yield


def _figure(w: float, h: float) -> Figure:
    fig = Figure(figsize=(w, h), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _encode(fig: Figure) -> bytes:
    """The canvas as it stands, as PNG (RGB, fast compression: frames are short-lived)."""
    w, h = fig.canvas.get_width_height(physical=True)
    img = Image.frombuffer("RGBA", (w, h), fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def to_png(fig: Figure) -> bytes:
    with _style():
        fig.canvas.draw()
    return _encode(fig)


def nice_ceiling(x: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at or above x (stable axis limits)."""
    if x <= 0:
        return 1.0
    k = 10.0 ** np.floor(np.log10(x))
    return float(next(m * k for m in (1, 2, 2.5, 5, 10) if m * k >= x * (1 - 1e-12)))


class Blitted:
    """A figure whose static parts are drawn once and kept as pixels: each frame restores
    them and draws only the `dynamic` artists. Static parts are redrawn when `key` (the axis
    limits, say) changes."""

    fig: Figure
    dynamic: list

    def _init_blit(self, dynamic: list) -> None:
        self.dynamic = dynamic
        for artist in dynamic:
            artist.set_animated(True)
        self._background = None
        self._key: object = None

    def _blit(self, key: object = None) -> bytes:
        canvas = self.fig.canvas
        with _style():
            if self._background is None or key != self._key:
                canvas.draw()
                self._background = canvas.copy_from_bbox(self.fig.bbox)
                self._key = key
            else:
                canvas.restore_region(self._background)
            for artist in self.dynamic:
                self.fig.draw_artist(artist)
        return _encode(self.fig)


def open_issues(model: CoGovModel) -> tuple[np.ndarray, np.ndarray]:
    """Residents and stages of the issues that have occurred and are still open."""
    L = model.ledger
    n = int(np.searchsorted(L.t_occur[: L.n], model.time, side="right"))
    idx = np.nonzero(L.status[:n] == Status.OPEN)[0]
    return L.resident[idx], L.stage[idx]


def hub_kind(model: CoGovModel) -> type | None:
    """The structure's class when it draws a hub (a marker of its own), else None."""
    cls = type(model.structure)
    return cls if cls.marker else None


class NetworkView(Blitted):
    """The community: residents, ties, open issues, organisations, branches, departments."""

    def __init__(self, layout: Layout, model: CoGovModel, lang: str, colour_by: str) -> None:
        self.layout, self.lang, self.colour_by = layout, lang, colour_by
        self.structure = model.structure.name
        lay = layout
        with _style():
            self.fig = fig = _figure(8.0, 4.6)
            ax = self.ax = fig.add_axes((0.005, 0.15, 0.99, 0.76))
            ax.set_axis_off()
            right = lay.cols + 1.75
            ax.set_xlim(-0.02, right)
            ax.set_ylim(-0.05, lay.rows + 0.01)
            ax.set_aspect("equal")
            for i, (x0, y0, w, h) in enumerate(lay.nb_box):
                rural = bool(lay.nb_rural[i])
                ax.add_patch(Rectangle((x0, y0), w, h, facecolor="#eef6e6" if rural else "#f2f3f5",
                                       edgecolor="#c9ccd1", lw=0.6, zorder=0))
                ax.text(x0 + 0.01, y0 + h + 0.008,
                        f"{t('village' if rural else 'neighbourhood', lang)} {i + 1}",
                        fontsize=6, va="bottom", ha="left", color="#555", zorder=1)
            ax.add_collection(LineCollection(lay.edges, colors="#8a8f99", linewidths=0.35,
                                             alpha=0.25, zorder=1))
            self.residents = ax.scatter(lay.xy[:, 0], lay.xy[:, 1], s=3.5, linewidths=0,
                                        zorder=2)
            party = model.net.party
            self.party = ax.scatter(lay.xy[party, 0], lay.xy[party, 1], s=9, facecolors="none",
                                    edgecolors="#d62728", linewidths=0.35, alpha=0.6, zorder=3)
            corners = lay.nb_box[:, :2] + lay.nb_box[:, 2:] * np.array([0.93, 0.9])
            ax.scatter(corners[:, 0], corners[:, 1], s=70, marker="*", color="#d62728",
                       edgecolors="#7f0000", linewidths=0.5, zorder=6)
            self.orgs = ax.scatter([], [], s=[], marker="h", facecolors="#2ca02c",
                                   edgecolors="#0b4d0b", linewidths=0.8, alpha=0.85, zorder=5)
            self.issues = ax.scatter([], [], s=20, marker="^", linewidths=0.3, edgecolors="k",
                                     zorder=7)

            k = len(model.departments)
            top, bottom = lay.rows - 0.12, 0.42
            self.dept_y = np.linspace(top, bottom, k) if k > 1 else np.array([top])
            self.dept_x = lay.cols + 0.42
            self.depts = ax.scatter(np.full(k, self.dept_x), self.dept_y, s=70, marker="s",
                                    edgecolors="k", linewidths=0.6, zorder=6)
            self.dept_text = [ax.text(self.dept_x + 0.1, y, "", fontsize=6.5, va="center",
                                      zorder=6) for y in self.dept_y]
            self.pool = ax.scatter([self.dept_x], [0.1], s=120, marker="D", facecolors="#ffb000",
                                   edgecolors="k", linewidths=0.7, zorder=6)
            self.pool_text = ax.text(self.dept_x + 0.1, 0.1, "", fontsize=6.5, va="center")
            hub = hub_kind(model)
            if hub:
                ax.scatter([lay.cols + 0.14], [lay.rows / 2], s=260, marker=hub.marker,
                           facecolors=hub.colour, edgecolors="k", linewidths=0.8, zorder=6)
                ax.text(lay.cols + 0.14, lay.rows / 2 - 0.12, hub.title_zh.split("（")[0],
                        fontsize=7, ha="center", va="top", zorder=6)
            self.title = ax.set_title("", loc="left", fontsize=9.5)
            self._legend(fig, hub)
            self._init_blit([self.residents, self.party, self.orgs, self.issues, self.depts,
                             self.pool, *self.dept_text, self.pool_text, self.title])
            if colour_by == "propensity":
                cax = fig.add_axes((0.72, 0.945, 0.2, 0.02))
                fig.colorbar(mpl.cm.ScalarMappable(PROPENSITY_NORM, PROPENSITY), cax=cax,
                             orientation="horizontal")
                cax.tick_params(labelsize=6, length=2, pad=1)
                cax.set_title(t("by_propensity", lang), fontsize=6.5, pad=2)

    def _legend(self, fig: Figure, hub: type | None) -> None:
        lang = self.lang

        def mark(marker: str, face: str, size: float, edge: str = "k", label: str = "") -> Line2D:
            return Line2D([], [], ls="", marker=marker, markerfacecolor=face, markeredgecolor=edge,
                          markersize=size, label=label)

        if self.colour_by == "propensity":
            res = [mark("o", PROPENSITY(0.5), 5, "none", t("leg_resident", lang))]
        else:
            res = [mark("o", ACTIVE, 5, "none", t("leg_active", lang)),
                   mark("o", INACTIVE, 5, "none", t("leg_inactive", lang))]
        handles = [*res, mark("o", "none", 5, "#d62728", t("leg_party", lang)),
                   mark("*", "#d62728", 9, "#7f0000", t("leg_branch", lang)),
                   mark("h", "#2ca02c", 8, "#0b4d0b", t("leg_selforg", lang)),
                   mark("s", WAIT_CMAP(0.3), 7, "k", t("leg_dept", lang)),
                   mark("D", "#ffb000", 7, "k", t("leg_pool", lang))]
        if hub:
            label = hub.title_zh if lang == "zh" else hub.title
            handles.append(mark(hub.marker, hub.colour, 11, "k", label))
        handles += [mark("^", STAGE_COLOURS[s], 6, "k", t("leg_issue", lang, stage=stage_name(s, lang)))
                    for s in STAGE_KEYS]
        fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=6.5, frameon=False,
                   bbox_to_anchor=(0.5, 0.0), handletextpad=0.3, columnspacing=1.0,
                   borderaxespad=0.2)

    def update(self, model: CoGovModel) -> bytes:
        """Today's colours, issues, organisations and queues; returns the PNG."""
        lay, lang = self.layout, self.lang
        if self.colour_by == "propensity":
            self.residents.set_facecolor(PROPENSITY(PROPENSITY_NORM(model.pop.propensity)))
        else:
            day = max(int(round(model.time)) - 1, 0)
            active = model.pop.active(day)[:, None]
            self.residents.set_facecolor(np.where(active, ACTIVE, INACTIVE))
        who, stage = open_issues(model)
        if len(who):
            self.issues.set_offsets(lay.xy[who] + np.array([0.0, 0.012]))
            self.issues.set_facecolor([STAGE_COLOURS[STAGE_KEYS[s]] for s in stage])
        else:
            self.issues.set_offsets(np.empty((0, 2)))
        orgs = model.self_orgs
        if orgs:
            self.orgs.set_offsets(np.array([lay.xy[o.members].mean(axis=0) for o in orgs]))
            self.orgs.set_sizes(np.array([25.0 + 2.0 * len(o.members) for o in orgs]))
        else:
            self.orgs.set_offsets(np.empty((0, 2)))
        waiting = np.array([d.waiting for d in model.departments], dtype=float)
        self.depts.set_facecolor(WAIT_CMAP(0.15 + 0.85 * np.minimum(waiting / 10.0, 1.0)))
        for d, txt in zip(model.departments, self.dept_text, strict=True):
            txt.set_text(f"{department_name(d, lang)}  {d.waiting} | {d.busy}/{d.servers}")
        pool = model.pool
        self.pool.set_alpha(1.0 if pool.servers else 0.25)
        self.pool_text.set_text(f"{t('pool_short', lang)}  {pool.busy}/{pool.servers}")
        day = int(round(model.time))
        self.title.set_text(f"{structure_name(model.structure.name, lang)} · "
                            f"{t('day', lang, day=day, days=model.days)}")
        return self._blit()


@dataclass
class Track:
    """One run's history for the charts (the model's own daily series plus transfers)."""

    label: str
    model: CoGovModel
    transfers: list[float]

    def record(self) -> None:
        """Append today's transfers per issue sent to departments in the last 30 days."""
        L, now = self.model.ledger, self.model.time
        n = L.n
        known = L.t_known[:n]
        recent = (L.channel[:n] == 1) & (known > now - 30) & (known <= now)
        self.transfers.append(float(L.transfers[:n][recent].mean()) if recent.any() else np.nan)


class ChartsView(Blitted):
    """Six live charts; one line per run, so side by side shows both structures."""

    KEYS = ("resolution", "backlog", "solved", "participation", "transfers", "trust")
    UNIT = (False, False, True, False, False, True)
    """Shares on [0, 1] keep a fixed axis."""

    def __init__(self, labels: Sequence[str], lang: str) -> None:
        self.lang = lang
        with _style():
            self.fig = fig = _figure(9.6, 4.4)
            axes = fig.subplots(2, 3, sharex=True)
            fig.subplots_adjust(left=0.055, right=0.99, top=0.93, bottom=0.11, hspace=0.32,
                                wspace=0.2)
            self.axes = axes.ravel()
            self.lines: list[list[Line2D]] = []
            for ax, key in zip(self.axes, self.KEYS, strict=True):
                ax.set_title(t(key, lang), loc="left")
                ax.grid(axis="y", alpha=0.3, lw=0.5)
                ax.tick_params(labelsize=7)
                ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))
                ax.yaxis.set_major_locator(MaxNLocator(4))
                self.lines.append([ax.plot([], [], color=RUN_COLOURS[i], lw=1.4, label=lab)[0]
                                   for i, lab in enumerate(labels)])
            for ax in self.axes[3:]:
                ax.set_xlabel(t("day_axis", lang), fontsize=7, labelpad=1)
            if len(labels) > 1:
                self.axes[0].legend(fontsize=7, loc="upper left", frameon=False)
            self._init_blit([line for lines in self.lines for line in lines])
            self.xmax = 30
            self.ymax = np.zeros(len(self.axes))

    def update(self, tracks: Sequence[Track]) -> bytes:
        day = int(round(tracks[0].model.time))
        x = np.arange(day + 1)
        top = np.zeros(len(self.axes))
        for i, tr in enumerate(tracks):
            s = tr.model.series
            ys = (s["resolution_30d"][: day + 1], s["backlog"][: day + 1],
                  s["solved_30d"][: day + 1], s["participation"][: day + 1],
                  np.asarray(tr.transfers[: day + 1]), s["trust"][: day + 1])
            for j, (lines, y) in enumerate(zip(self.lines, ys, strict=True)):
                lines[i].set_data(x[: len(y)], y)
                finite = y[np.isfinite(y)]
                if len(finite):
                    top[j] = max(top[j], float(finite.max()))
        while day > self.xmax:  # limits only grow, in steps, so the axes rarely redraw
            self.xmax *= 2
        self.ymax = np.maximum(self.ymax, [1.0 if unit else nice_ceiling(1.15 * hi) if hi > 0
                                           else 0.0 for hi, unit in zip(top, self.UNIT,
                                                                        strict=True)])
        for ax, hi in zip(self.axes, self.ymax, strict=True):
            ax.set_ylim(0, hi if hi > 0 else 1.0)
            ax.set_xlim(0, self.xmax)
        return self._blit((self.xmax, tuple(self.ymax)))


class FlowView(Blitted):
    """Where issues are now: the stage pipeline as a live flow, and queues per station."""

    def __init__(self, model: CoGovModel, lang: str) -> None:
        self.lang = lang
        rows = [department_name(d, lang) for d in model.departments] + [
            t("pool_short", lang), t("hub_short", lang), t("self_orgs_short", lang),
            t("enterprise_short", lang)]
        with _style():
            self.fig = fig = _figure(8.0, 3.9)
            top = fig.add_axes((0.01, 0.74, 0.98, 0.2))
            top.set_axis_off()
            top.set_xlim(0, 5)
            top.set_ylim(0, 1)
            fig.text(0.01, 0.965, t("where", lang), fontsize=9.5, va="top")
            self.stage_boxes, self.stage_names, self.stage_counts = [], [], []
            for i, s in enumerate(STAGE_KEYS):
                box = FancyBboxPatch((i + 0.1, 0.08), 0.7, 0.84, boxstyle="round,pad=0.02",
                                     facecolor=STAGE_COLOURS[s], edgecolor="k", lw=0.6)
                top.add_patch(box)
                self.stage_boxes.append(box)
                self.stage_names.append(top.text(i + 0.45, 0.74, stage_name(s, lang),
                                                 ha="center", va="center", fontsize=7.5))
                self.stage_counts.append(top.text(i + 0.45, 0.34, "0", ha="center",
                                                  va="center", fontsize=13, weight="bold"))
                if i < 4:
                    top.add_patch(FancyArrowPatch((i + 0.82, 0.5), (i + 1.08, 0.5),
                                                  arrowstyle="-|>", mutation_scale=10, lw=1))
            ax = self.ax = fig.add_axes((0.17, 0.1, 0.8, 0.55))
            ax.set_title(t("per_department", lang), loc="left", fontsize=8.5)
            y = np.arange(len(rows))[::-1]
            self.busy = ax.barh(y, np.zeros(len(rows)), color=STAGE_COLOURS["service"],
                                label=t("working", lang), height=0.7)
            self.wait = ax.barh(y, np.zeros(len(rows)), color=STAGE_COLOURS["waiting"],
                                label=t("waiting", lang), height=0.7)
            self.staff = ax.scatter(np.zeros(len(rows)), y, marker="|", s=80, color="k",
                                    label=t("staff", lang), zorder=4)
            ax.set_yticks(y, rows, fontsize=7)
            ax.tick_params(axis="x", labelsize=7)
            ax.grid(axis="x", alpha=0.3, lw=0.5)
            ax.legend(fontsize=7, loc="lower right", ncol=3, frameon=False)
            self.y = y
            self._init_blit([*self.stage_boxes, *self.stage_names, *self.stage_counts,
                             *self.busy, *self.wait,
                             self.staff])
            self.xmax = 5.0

    def update(self, model: CoGovModel) -> bytes:
        counts = [int(model.observed[f"stage_{s}"]) for s in STAGE_KEYS]
        peak = max(max(counts), 1)
        for box, txt, c in zip(self.stage_boxes, self.stage_counts, counts, strict=True):
            txt.set_text(str(c))
            box.set_alpha(0.25 + 0.75 * c / peak)
        orgs, ents = model.self_orgs, model.enterprises
        stations = [(d.busy, d.waiting, d.servers) for d in model.departments] + [
            (model.pool.busy, model.pool.waiting, model.pool.servers),
            (model.hub.busy, model.hub.waiting, model.hub.servers),
            (sum(o.busy for o in orgs), sum(o.waiting for o in orgs), sum(o.servers for o in orgs)),
            (sum(e.busy for e in ents), sum(e.waiting for e in ents), sum(e.servers for e in ents)),
        ]
        busy, wait, servers = (np.array(c, dtype=float) for c in zip(*stations, strict=True))
        for rb, rw, b, w in zip(self.busy, self.wait, busy, wait, strict=True):
            rb.set_width(b)
            rw.set_x(b)
            rw.set_width(w)
        self.staff.set_offsets(np.column_stack([servers, self.y]))
        need = max(float((busy + wait).max()), float(servers.max())) * 1.12
        if need > self.xmax:
            self.xmax = nice_ceiling(need)
        self.ax.set_xlim(0, self.xmax)
        return self._blit(self.xmax)


def stage_counts(model: CoGovModel) -> dict[str, int]:
    """Open issues by stage today (the same numbers the flow shows)."""
    return {s: int(model.observed[f"stage_{s}"]) for s in STAGE_KEYS}

