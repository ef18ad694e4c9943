"""The figures the dashboard draws and the report embeds, from the frames the store and the evaluation stage
return. Every figure carries its title, so a downloaded chart says what it shows; user-given names are
escaped (`chart_text`)."""
from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from core.decision.decision import Decision
from core.evaluation.metrics import METRIC_NAMES
from core.report.words import chart_text
from core.review.disagreements import AGREEMENTS, PATTERNS, cluster_names

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
# the teacher, the student it taught, and the student on human labels: the same colour on every slice chart
MODEL_COLOURS = {"teacher_error": "#ff7f0e", "student_error": "#d62728", "gold_student_error": "#555555"}


# read from the back of a room: no chart text under 14 px, titles larger; every figure (the report's too) uses it
pio.templates["pseudolens"] = go.layout.Template(layout=dict(font=dict(size=14), title=dict(font=dict(size=18)),
                                                             hoverlabel=dict(font=dict(size=14))))
pio.templates.default = "plotly+pseudolens"
TITLE_WIDTH = 70  # characters per title line: a title wider than its chart (a printed page) is cut, not wrapped


def _wrapped(text: str, width: int = TITLE_WIDTH) -> str:
    """`text` escaped and wrapped onto lines that fit the narrowest chart (a PDF page)."""
    return "<br>".join(chart_text(line) for line in textwrap.wrap(text, width)) or ""


def _title(text: str) -> dict:
    """A chart title, wrapped, from the figure's top edge down, pushing the plot down as far as its lines need."""
    return dict(text=_wrapped(text), automargin=True, yref="container", y=1, yanchor="top", pad=dict(t=12))


def _band(fig: go.Figure, x, lo, hi, colour: str, opacity: float = 0.15) -> None:
    fig.add_trace(go.Scatter(x=np.concatenate([x, x[::-1]]), y=np.concatenate([hi, lo[::-1]]), fill="toself",
                             line=dict(width=0), fillcolor=colour, opacity=opacity, hoverinfo="skip", showlegend=False))


def gap_forest(rows: pd.DataFrame, metric: str, title: str) -> go.Figure:
    """One row per teacher (and label mode): the paired gap between the student on its labels and the student on
    human labels, with its 95% interval; left of zero, teacher labels cost the student. `rows`: `who`, `value`,
    `lo`, `hi`, `size`."""
    rows = rows.iloc[::-1]  # plotly draws the first category at the bottom; read top-down in the given order
    rows = rows.assign(**{c: rows[c] * 100 for c in ("value", "lo", "hi")})  # points, as every sentence says them
    fig = go.Figure(go.Scatter(
        # names wrapped, so the plot keeps its width on a narrow (printed) page
        x=rows["value"], y=["<br>".join(chart_text(part) for part in textwrap.wrap(w, 34)) for w in rows["who"]],
        mode="markers",
        marker=dict(size=11, color=["#d62728" if h < 0 else "#1f77b4" if lo > 0 else "#555555"
                                    for lo, h in zip(rows["lo"], rows["hi"])]),
        error_x=dict(type="data", symmetric=False, array=rows["hi"] - rows["value"],
                     arrayminus=rows["value"] - rows["lo"], thickness=2, width=6),
        customdata=np.stack([rows["lo"], rows["hi"], rows["size"]], axis=1),
        hovertemplate="%{y}<br>gap %{x:+.1f} points (95% CI %{customdata[0]:+.1f} to %{customdata[1]:+.1f})"
                      "<br>N = %{customdata[2]}<extra></extra>", showlegend=False))
    fig.add_vline(x=0, line=dict(color="black", dash="dot"))
    fig.update_layout(title=_title(title), height=140 + 64 * len(rows), margin=dict(r=30, t=60, b=80),
                      yaxis=dict(automargin=True),
                      xaxis=dict(title=f"{METRIC_NAMES[metric]}, points: student on teacher labels minus<br>student "
                                       "on human labels (95% CI)", zeroline=False, tickformat="+.1f", automargin=True))
    return fig


def learning_curve(curve: pd.DataFrame, teacher_scores: pd.DataFrame, titles: dict[str, str], modes: list[str],
                   metric: str, title: str) -> go.Figure:
    """Mean over seeds with its 95% band per label source, on a log axis whose ticks are the run's sizes; each
    teacher's own score is a dashed line named in the legend (so two close scores never print over each other)."""
    fig = go.Figure()
    series = [("gold", "hard", "#111111", "student on human labels")] + [
        (t, m, PALETTE[i % len(PALETTE)], f"student on {title_} labels ({m})")
        for i, (t, title_) in enumerate(titles.items()) for m in modes]
    for trained_on, mode, colour, name in series:
        points = curve[(curve["trained_on"] == trained_on) & (curve["label_mode"] == mode)].sort_values("size")
        if points.empty:
            continue
        _band(fig, points["size"].to_numpy(), points["lo"].to_numpy(), points["hi"].to_numpy(), colour)
        fig.add_trace(go.Scatter(
            x=points["size"], y=points["mean"], mode="lines+markers", name=chart_text(name),
            line=dict(color=colour, dash="dot" if mode == "soft" else "solid"),
            customdata=np.stack([points["lo"], points["hi"], points["n_train"], points["n_seeds"]], axis=1),
            hovertemplate="N=%{x}<br>%{y:.3f} [%{customdata[0]:.3f}, %{customdata[1]:.3f}]"
                          "<br>n_train=%{customdata[2]}, seeds=%{customdata[3]}<extra></extra>"))
    sizes = sorted(set(curve["size"]))
    for i, (t, title_) in enumerate(titles.items()):
        score = teacher_scores[teacher_scores["teacher_name"] == t]
        if score.empty or not sizes:
            continue
        s = score.iloc[0]
        fig.add_trace(go.Scatter(
            x=[sizes[0], sizes[-1]], y=[s[metric]] * 2, mode="lines", hoverinfo="name",
            line=dict(color=PALETTE[i % len(PALETTE)], dash="dash", width=1),
            name=chart_text(f"teacher {title_} itself: {s[metric]:.3f} [{s[metric + '_lo']:.3f}, {s[metric + '_hi']:.3f}]")))
    n_test = int(curve["n_test"].iloc[0]) if len(curve) else 0
    fig.update_layout(title=_title(title), height=560, legend=dict(orientation="h", y=-0.22, yanchor="top"),
                      xaxis=dict(type="log", title="training examples (log scale)", tickvals=sizes,
                                 ticktext=[f"{s:,}" for s in sizes], minor=dict(showgrid=False)),
                      yaxis=dict(title=f"{METRIC_NAMES[metric]} on held-out gold rows (n={n_test})"))
    return fig


def slice_heatmap(table: pd.DataFrame, teacher: str, slice_title: str, min_cell: int, title: str) -> go.Figure:
    models = _slice_models(teacher)
    z = np.array([[r if ok else np.nan for r, ok in zip(table[col], table["enough"])] for col, _ in models])
    text = [[f"{r:.2f}<br>n={n}" if ok else f"too few<br>n={n}" for r, n, ok in zip(table[col], table["n"], table["enough"])]
            for col, _ in models]
    top = max(0.5, float(np.nanmax(z))) if np.isfinite(z).any() else 0.5
    heat = go.Figure(go.Heatmap(z=z, x=_buckets(table), y=[name for _, name in models], text=text,
                                texttemplate="%{text}", colorscale="Reds", zmin=0, zmax=top,
                                colorbar=dict(title="error"), hoverongaps=False))
    heat.update_layout(title=_title(title), xaxis_title=_wrapped(slice_title), xaxis_type="category", height=360,
                       plot_bgcolor="#eeeeee", yaxis=dict(automargin=True))  # row labels whole, however narrow
    return heat


def slice_bars(table: pd.DataFrame, teacher: str, slice_title: str, title: str) -> go.Figure:
    bars = go.Figure()
    for col, name in _slice_models(teacher):
        bars.add_trace(go.Bar(name=name, x=_buckets(table, with_n=True), y=table[col], error_y=_error(table, col),
                              marker_color=MODEL_COLOURS[col]))
    bars.update_layout(title=_title(title), barmode="group", yaxis_title="error rate", xaxis_title=_wrapped(slice_title),
                       xaxis_type="category", height=400)
    return bars


def inheritance_bars(table: pd.DataFrame, slice_title: str, title: str) -> go.Figure:
    """P(student wrong | teacher wrong) against P(student wrong | teacher right) per bucket; the counts behind
    each pair are in the tick label, clear of the error bars."""
    fig = go.Figure()
    for col, name, colour in (("student_wrong_if_teacher_wrong", "P(student wrong | teacher wrong)", "#d62728"),
                              ("student_wrong_if_teacher_right", "P(student wrong | teacher right)", "#9e9e9e")):
        fig.add_trace(go.Bar(name=name, x=[f"{chart_text(b)}<br>n={w} wrong / {r} right" for b, w, r in
                                           zip(table["bucket"], table["n_teacher_wrong"], table["n_teacher_right"])],
                             y=table[col], error_y=_error(table, col), marker_color=colour))
    fig.update_layout(title=_title(title), barmode="group", yaxis_title="probability", xaxis_title=_wrapped(slice_title),
                      xaxis_type="category", height=420)
    return fig


def label_distribution(distribution: pd.DataFrame, gold: pd.DataFrame, titles: dict[str, str], title: str) -> go.Figure:
    """Examples per label as each teacher (`teacher_name`, `label`, `n`) and the humans (`label`, `n`) gave them."""
    sources = [(titles.get(name, name), part) for name, part in distribution.groupby("teacher_name", sort=True)]
    sources.append(("gold (human)", gold))
    fig = go.Figure([go.Bar(name=chart_text(name), x=part["label"].map(chart_text), y=part["n"],
                            marker_color=PALETTE[i % len(PALETTE)]) for i, (name, part) in enumerate(sources)])
    fig.update_layout(title=_title(title), barmode="group", height=420, yaxis_title="examples",
                      legend=dict(orientation="h", y=-0.2, yanchor="top"))
    return fig


def reliability(curve: pd.DataFrame, titles: dict[str, str], title: str) -> go.Figure:
    """Accuracy against stated confidence per teacher and confidence signal (`calibration_tables`' curve with
    `teacher`), over the diagonal a perfectly calibrated teacher would follow."""
    fig = go.Figure()
    for i, ((teacher, signal), points) in enumerate(curve.groupby(["teacher", "signal"], sort=True)):
        fig.add_trace(go.Scatter(x=points["confidence"], y=points["accuracy"], mode="lines+markers",
                                 name=chart_text(f"{titles.get(teacher, teacher)} · {signal}"),
                                 line=dict(color=PALETTE[i % len(PALETTE)]), customdata=points["n"],
                                 hovertemplate="confidence %{x:.2f}<br>accuracy %{y:.2f}<br>n = %{customdata}"))
    fig.add_shape(type="line", x0=0, y0=0, x1=1, y1=1, line=dict(dash="dot", color="grey"))
    fig.update_layout(title=_title(title), height=420, xaxis_title="confidence (bin mean)",
                      yaxis_title="accuracy in the bin", legend=dict(orientation="h", y=-0.2, yanchor="top"))
    return fig


def _strategy_colours(strategies) -> dict[str, str]:
    """The same colour for a strategy on every budget chart; `random`, the baseline, in grey."""
    others = [s for s in sorted(strategies) if s != "random"]
    return {"random": "#7f7f7f", **{s: PALETTE[i % len(PALETTE)] for i, s in enumerate(others)}}


def _curve_groups(curve: pd.DataFrame):
    """One (name, points) per set of strategies with the same per-fold curve: drawn once, named together
    ("disagreement = low_confidence"), never one line hidden under another."""
    return [(group, points.sort_values("budget"))
            for group, points in curve.drop_duplicates(["same_curve", "budget"]).groupby("same_curve", sort=True)]


def budget_curves(curve: pd.DataFrame, title: str) -> go.Figure:
    """Student accuracy after correcting the first B labels in each strategy's order (mean over folds), with light
    95% bands, against the student on all the pool's human labels (`budget_curves`' summary)."""
    groups = _curve_groups(curve)
    colours = _strategy_colours([group for group, _ in groups])
    fig = go.Figure()
    for group, points in groups:
        if points["accuracy_lo"].notna().all():
            _band(fig, points["budget"].to_numpy(), points["accuracy_lo"].to_numpy(), points["accuracy_hi"].to_numpy(),
                  colours[group], opacity=0.06)
        fig.add_trace(go.Scatter(x=points["budget"], y=points["accuracy"], name=chart_text(group), mode="lines+markers",
                                 line=dict(color=colours[group], dash="dash" if group == "random" else "solid")))
    gold = curve["gold_accuracy"].iloc[0]
    fig.add_hline(y=gold, line=dict(color="black", dash="dot"),
                  annotation_text=f"student on all the pool's human labels: {gold:.3f}", annotation_position="top left")
    first = curve.iloc[0]
    fig.update_layout(title=_title(title), xaxis_title="human checks (budget)", height=520,
                      yaxis_title=f"student accuracy ({int(first['n_folds'])} folds, {int(first['n_rows'])} rows)",
                      legend=dict(orientation="h", y=-0.2, yanchor="top"))
    return fig


def budget_label_error(curve: pd.DataFrame, title: str) -> go.Figure:
    groups = _curve_groups(curve)
    colours = _strategy_colours([group for group, _ in groups])
    fig = go.Figure([go.Scatter(x=p["budget"], y=p["label_error"], name=chart_text(g), mode="lines+markers",
                                line=dict(color=colours[g], dash="dash" if g == "random" else "solid"))
                     for g, p in groups])
    fig.update_layout(title=_title(title), xaxis_title="human checks (budget)", height=380,
                      yaxis_title="teacher labels still wrong in the pool")
    return fig


def _slice_models(teacher: str) -> list[tuple[str, str]]:
    return [("teacher_error", chart_text(f"teacher {teacher}")), ("student_error", "student on teacher labels"),
            ("gold_student_error", "student on human labels")]


def _buckets(table: pd.DataFrame, with_n: bool = False) -> list[str]:
    return [f"{chart_text(b)}<br>n={n}" if with_n else chart_text(b) for b, n in zip(table["bucket"], table["n"])]


def _error(table: pd.DataFrame, col: str) -> dict:
    return dict(type="data", symmetric=False, array=table[f"{col}_hi"] - table[col],
                arrayminus=table[col] - table[f"{col}_lo"])


def decision_frontier(decision: Decision, titles: dict[str, str], title: str) -> go.Figure:
    """Every priced option of a decision: its total cost (log axis) against the student's accuracy with its 95%
    interval, one colour per teacher (hollow: soft labels; diamonds: with human checks), human labels in black;
    the frontier (the cheapest way to each accuracy) as a line, the target as a dashed line, the chosen option
    ringed. Options of unknown cost have no place on the axis; the caption counts them."""
    fig = go.Figure()
    teachers = list(dict.fromkeys(o.teacher for o in decision.options if o.teacher is not None))
    colours = {t: PALETTE[i % len(PALETTE)] for i, t in enumerate(teachers)}
    groups: dict[tuple, list] = {}
    for option in decision.options:
        if option.cost_usd is not None and np.isfinite(option.accuracy.value):
            kind = "checks" if option.n_checks else option.label_mode
            groups.setdefault((option.teacher, kind), []).append(option)
    for (teacher, kind), options in groups.items():
        name = ("human labels only" if teacher is None else
                f"{titles.get(teacher, teacher)} labels + human checks" if kind == "checks" else
                f"{titles.get(teacher, teacher)} labels ({kind})")
        colour = "#111111" if teacher is None else colours[teacher]
        options = sorted(options, key=lambda o: o.cost_usd)
        accuracy = np.array([[o.accuracy.value, o.accuracy.lo, o.accuracy.hi] for o in options]) * 100
        fig.add_trace(go.Scatter(
            x=[o.cost_usd for o in options], y=accuracy[:, 0], mode="markers", name=chart_text(name),
            marker=dict(size=10, color="white" if kind == "soft" else colour, line=dict(color=colour, width=2),
                        symbol="diamond" if kind == "checks" else "circle"),
            error_y=dict(type="data", symmetric=False, array=np.nan_to_num(accuracy[:, 2] - accuracy[:, 0]),
                         arrayminus=np.nan_to_num(accuracy[:, 0] - accuracy[:, 1]), thickness=1, width=3, color=colour),
            text=[chart_text(o.name) for o in options],
            hovertemplate="%{text}<br>$%{x:,.2f}<br>accuracy %{y:.1f}%<extra></extra>"))
    if decision.frontier:
        fig.add_trace(go.Scatter(x=[o.cost_usd for o in decision.frontier],
                                 y=[o.accuracy.value * 100 for o in decision.frontier], mode="lines",
                                 line=dict(color="#888888", dash="dot", shape="hv"),
                                 name="frontier: cheapest for its accuracy", hoverinfo="skip"))
    fig.add_hline(y=decision.target * 100, line=dict(color="#d62728", dash="dash"),
                  annotation=dict(text=f"target {decision.target:.1%}", font=dict(size=14)),
                  annotation_position="bottom right")
    if decision.cheapest is not None:
        chosen = decision.cheapest
        fig.add_trace(go.Scatter(x=[chosen.cost_usd], y=[chosen.accuracy.value * 100], mode="markers",
                                 marker=dict(size=24, color="rgba(0,0,0,0)", line=dict(color="#d62728", width=3)),
                                 name=chart_text(f"cheapest reaching the target: {chosen.name}"), hoverinfo="skip"))
    fig.update_layout(title=_title(title), height=560, legend=dict(font=dict(size=14)),
                      xaxis=dict(title="total cost (USD, log scale)", type="log", tickprefix="$"),
                      yaxis=dict(title="student accuracy, % (95% CI)", ticksuffix="%"))
    return fig


# the map: "all right" and "agree" in a mid grey as solid as the rest, so two thirds of the texts read as two thirds
# of the map; clusters by size, largest first, strong colours for the big ones, far from the light grey of "no cluster"
MAP_COLOURS = {**dict(zip(PATTERNS, ["#8c8c8c", "#ff7f0e", "#9467bd", "#d62728", "#aec7e8", "#1f77b4"])),
               **dict(zip(AGREEMENTS, ["#8c8c8c", "#d62728", "#e3e3e3"])), "no cluster": "#e3e3e3"}
CLUSTER_COLOURS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
                   "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173"]


def _steps(colours: list[str]) -> list[list] | None:
    """A colour scale on which the number i (0 to len(colours) - 1) is exactly colours[i]."""
    colours = colours * 2 if len(colours) == 1 else colours  # one group: the scale is that colour throughout
    return [[i / (len(colours) - 1), colour] for i, colour in enumerate(colours)] if colours else None


def disagreement_map(points: pd.DataFrame, colour_by: str, title: str, legend_title: str) -> go.Figure:
    """Each text of the map (`core.review.map.map_points`, placed) at its place, coloured by `colour_by`: its
    "agreement" (teacher vs student), its right-or-wrong "pattern" by the human labels, or its "cluster". One trace
    in a shuffled order, every point equally opaque, so no group is drawn wholly under another and the colours'
    shares on screen are their shares of the texts; the legend gives each group's count and share. Hovering shows
    the text and both labels, escaped; a lasso or box selects points by their example id (`customdata[0]`). In
    WebGL: the map page with 4,000 points was drawn in 0.96 s (median of 10 visits, Chromium without a GPU)
    against 1.20 s in SVG, though SVG drew one such plot faster on a bare page."""
    points = points.assign(cluster=cluster_names(points["cluster"]), hover=points["text"].str[:200].map(chart_text),
                           teacher_says=points["teacher_label"].fillna("(no label)").map(chart_text),
                           student_says=points["student_label"].fillna("(no label)").map(chart_text))
    counts = points[colour_by].value_counts()
    by_size = [c for c in points["cluster"].value_counts().index if c != "no cluster"]
    colours = {**MAP_COLOURS, **{c: CLUSTER_COLOURS[i % len(CLUSTER_COLOURS)] for i, c in enumerate(by_size)}}
    order = {"agreement": list(AGREEMENTS), "pattern": list(PATTERNS), "cluster": [*by_size, "no cluster"]}[colour_by]
    shuffled = points.sample(frac=1, random_state=0)
    # each point's colour as its group's number on a stepped colour scale: plotly checks a list of colour names one
    # by one and a list of numbers at once (the figure of 4,000 points took 0.13 s of every visit, now 0.045 s)
    groups = [c for c in order if c in counts.index]
    fig = go.Figure(go.Scattergl(
        x=shuffled["x"], y=shuffled["y"], mode="markers", showlegend=False, hovertext=shuffled["hover"],
        marker=dict(size=6, opacity=0.7, color=shuffled[colour_by].map({c: i for i, c in enumerate(groups)}),
                    colorscale=_steps([colours[c] for c in groups]), cmin=0, cmax=max(len(groups) - 1, 1),
                    showscale=False),
        customdata=shuffled[["example_id", "teacher_says", "student_says", "role", colour_by]].to_numpy(),
        hovertemplate="%{hovertext}<br>teacher: %{customdata[1]} · student: %{customdata[2]}<br>"
                      "%{customdata[3]} · %{customdata[4]}<extra></extra>"))
    for category in groups:  # legend entries only, each with its count and share
        share = f"{counts[category]:,} ({counts[category] / len(points):.0%})"
        fig.add_trace(go.Scattergl(x=[None], y=[None], mode="markers", marker=dict(size=12, color=colours[category]),
                                   name=chart_text(f"{category}: {share}")))
    fig.update_layout(title=_title(title), height=640, dragmode="lasso", legend=dict(title=chart_text(legend_title)),
                      xaxis=dict(showticklabels=False, title=""), yaxis=dict(showticklabels=False, title=""))
    return fig
