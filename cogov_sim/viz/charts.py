"""Interactive charts (plotly.js, shipped inside the plotly package: nothing from a CDN).

Each chart is built once per page and language as a plotly figure; per frame only its traces'
data change (`update_*`, a few ms). Hover, zoom, pan and PNG export come with plotly's
toolbar. Both sides share one chart (the time bar) or shared axes (the trends), so the sides
are read against one scale; value axes are left to autorange so that change is visible.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cogov_sim.viz.i18n import dial_name, stage_name, t
from cogov_sim.viz.raster import STAGE_COLOURS
from cogov_sim.viz.readouts import STAGE_KEYS

SIDE_COLOURS = ("#1f4e9c", "#e6550d")
FONT = dict(family="Noto Sans CJK SC, Source Han Sans SC, WenQuanYi Micro Hei, sans-serif",
            size=11)
TRENDS = ("resolution_30d", "backlog", "solved_share", "participation", "transfers", "trust")
"""The six trend panels, by series name (`transfers`, `solved_share`: the page's own series)."""


BUNDLE = "widgetbundle.js"


def bundle_url(headers: dict[str, list[str]] | None) -> str | None:
    """Where the browser can fetch plotly's widget bundle from this server (`cogov viz` serves
    plotly's package_data as static assets), so the 5 MB script is downloaded once and cached
    rather than sent inline with every chart widget. None outside a server (tests in-process)
    or when the server does not serve it: the widget then carries the bundle itself."""
    import os

    host = (headers or {}).get("host")
    if not host or BUNDLE not in os.listdir(_served() or "/nonexistent"):
        return None
    return f"http://{host[0]}/static/assets/{BUNDLE}"


@cache
def widget_class(url: str | None) -> type:
    """plotly's FigureWidget, loading its front end from `url` when given (else inline)."""
    from plotly.graph_objs._figurewidget import FigureWidget

    if url is None:
        return FigureWidget
    return type("ServedFigureWidget", (FigureWidget,), {"_esm": url})


def make_widget(url: str | None, fig: go.Figure, filename: str) -> Any:
    """A live widget of `fig` whose initial state holds the whole figure and its toolbar
    settings (what is sent before the browser has drawn it can be lost)."""
    widget = widget_class(url)(fig)
    widget._config = config(filename)
    return widget


def _served() -> str | None:
    import os

    for path in os.environ.get("SOLARA_ASSETS_EXTRA_LOCATIONS", "").split(","):
        if path and os.path.isdir(path):
            return path
    return None


def config(filename: str) -> dict[str, Any]:
    """Plotly toolbar settings: PNG export at twice the size, no logo, no cloud."""
    return {"displaylogo": False, "responsive": True, "showSendToCloud": False,
            "showEditInChartStudio": False, "showLink": False,
            "toImageButtonOptions": {"format": "png", "scale": 2, "filename": filename},
            "modeBarButtonsToRemove": ["lasso2d", "select2d", "sendDataToCloud"]}


def _layout(height: int, **kw: Any) -> dict[str, Any]:
    base = dict(height=height, autosize=True, margin=dict(l=8, r=30, t=26, b=8), font=FONT,
                modebar=dict(orientation="v"),
                paper_bgcolor="white", plot_bgcolor="white", hovermode="x unified",
                legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0, font=dict(size=11)))
    return {**base, **kw}


def stage_figure(names: Sequence[str], lang: str) -> go.Figure:
    """Both sides' mean days per stage as stacked horizontal bars on one axis."""
    fig = go.Figure()
    rows = list(names)[::-1]
    for s in STAGE_KEYS:
        fig.add_bar(y=rows, x=[0.0] * len(rows), orientation="h", name=stage_name(s, lang),
                    marker_color=STAGE_COLOURS[s], texttemplate="%{x:.1f}",
                    textposition="inside", insidetextanchor="middle",
                    hovertemplate="%{y}<br>" + stage_name(s, lang) + "：%{x:.2f} "
                    + t("day_axis", lang) + "<extra></extra>")
    fig.add_annotation(text=t("stage_none", lang), showarrow=False, xref="paper", yref="paper",
                       x=0.5, y=0.5, font=dict(size=12, color="#666"), bgcolor="white")
    fig.update_layout(**_layout(175, barmode="stack", hovermode="closest",
                                legend_traceorder="normal"),
                      xaxis=dict(title=dict(text=t("days_axis", lang), standoff=2),
                                 gridcolor="#eee", rangemode="tozero", automargin=True),
                      yaxis=dict(automargin=True, ticksuffix=" "))
    return fig


def update_stage(fig: Any, readouts: Sequence[dict[str, float]], day: int) -> None:
    """Set the bars from each side's `stage_<key>_days` (NaN before any issue is solved); the
    day they show goes in `layout.meta` (the page acknowledges a frame by it)."""
    with fig.batch_update():
        fig.layout.meta = day
        fig.layout.annotations[0].visible = not any(
            _num(r.get(f"stage_{s}_days")) for r in readouts for s in STAGE_KEYS)
        for trace, s in zip(fig.data, STAGE_KEYS, strict=True):
            trace.x = [_num(r.get(f"stage_{s}_days")) for r in readouts][::-1]


def trends_figure(names: Sequence[str], lang: str) -> go.Figure:
    """Six panels over days, one line per side, sharing the day axis."""
    fig = make_subplots(rows=2, cols=3, shared_xaxes="all", vertical_spacing=0.2,
                        horizontal_spacing=0.06, subplot_titles=[t(k, lang) for k in TRENDS])
    for j, _ in enumerate(TRENDS):
        for i, name in enumerate(names):
            fig.add_scatter(x=[], y=[], mode="lines", name=name, legendgroup=str(i),
                            showlegend=j == 0, line=dict(color=SIDE_COLOURS[i], width=1.6),
                            hovertemplate="%{y:.3~g}", row=j // 3 + 1, col=j % 3 + 1)
    fig.update_layout(**_layout(315, margin=dict(l=8, r=8, t=48, b=8)))
    fig.update_layout(legend=dict(y=1.09))
    fig.update_xaxes(gridcolor="#eee", showticklabels=True, rangemode="tozero")
    fig.update_yaxes(gridcolor="#eee", rangemode="normal")
    fig.update_annotations(font=dict(size=11))
    for ax in ("xaxis4", "xaxis5", "xaxis6"):
        fig.layout[ax].title = dict(text=t("day_axis", lang), standoff=0, font=dict(size=10))
    return fig


def update_trends(fig: Any, series: Sequence[dict[str, np.ndarray]], day: int) -> None:
    """Set every line from the sides' daily series (index = day); the day in `layout.meta`."""
    with fig.batch_update():
        fig.layout.meta = day
        k = 0
        for key in TRENDS:
            for i in range(len(fig.data) // len(TRENDS)):
                y = series[i][key] if i < len(series) else np.array([])
                fig.data[k].x = np.arange(len(y))
                fig.data[k].y = y
                k += 1


def why_figure(table: Any, metric: str, names: Sequence[str], lang: str) -> go.Figure:
    """A waterfall from the left's mean, through each change's Shapley contribution (with its
    95% interval), to the right's mean."""
    rows = table.loc[metric]
    parts = rows.drop(index=["(A)", "(B)", "(total)"])
    parts = parts.reindex(parts["contribution"].abs().sort_values(ascending=False).index)
    start, end = float(rows.loc["(A)", "contribution"]), float(rows.loc["(B)", "contribution"])
    labels = [names[0], *[dial_name(str(d), lang) for d in parts.index], names[1]]
    values = [start, *parts["contribution"].astype(float), end]
    fig = go.Figure(go.Waterfall(
        x=labels, y=values, measure=["absolute", *["relative"] * len(parts), "total"],
        name=t("why_metric", lang), textposition="outside",
        text=[f"{start:.2f}", *[f"{c:+.2f}" for c in values[1:-1]], f"{end:.2f}"],
        decreasing=dict(marker_color="#2563eb"), increasing=dict(marker_color="#dc2626"),
        totals=dict(marker_color="#555"), connector=dict(line=dict(color="#bbb")),
        hovertemplate="%{x}: %{y:.2f}<extra></extra>"))
    level = start
    xs, ys, lo, hi = [], [], [], []
    for label, (_, r) in zip(labels[1:-1], parts.iterrows(), strict=True):
        level += float(r["contribution"])
        xs.append(label)
        ys.append(level)
        lo.append(float(r["contribution"] - r["ci_low"]))
        hi.append(float(r["ci_high"] - r["contribution"]))
    fig.add_scatter(x=xs, y=ys, mode="markers", marker=dict(size=1, color="black"),
                    name="95%", showlegend=False, hoverinfo="skip",
                    error_y=dict(type="data", symmetric=False, array=hi, arrayminus=lo,
                                 color="black", thickness=1.2, width=4))
    fig.update_layout(**_layout(330, showlegend=False, hovermode="closest"),
                      yaxis=dict(title=dict(text=t(metric, lang)),
                                 gridcolor="#eee"),
                      xaxis=dict(automargin=True, tickangle=0))
    return fig


def _num(x: float | None) -> float:
    return 0.0 if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)
