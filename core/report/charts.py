"""The figures the dashboard draws and the report embeds, from the frames the store and the evaluation stage
return, as Vega-Lite charts (Altair). Vega-Lite, not plotly: a browser that never opened the dashboard drew a
page of plotly charts about 0.8 s later than the same page in Vega-Lite (plotly's 4.7 MB script against
Vega's 0.9 MB; docs/benchmarks.md), and a page was over its 3 s budget by that much.

Every chart carries its title, so a downloaded chart says what it shows. User-given names (teachers, labels,
slice buckets) are data values only, never field names or expressions, and Vega draws them as plain text."""
from __future__ import annotations

import textwrap

import altair as alt
import numpy as np
import pandas as pd

from core.decision.decision import Decision
from core.evaluation.metrics import METRIC_NAMES
from core.report.vega import (DASHES, LINES, colour_scale, dash, finish, layered, log_ticks, rule_at,
                               title_lines)
from core.review.disagreements import AGREEMENTS, PATTERNS, cluster_names

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
# the teacher, the student it taught, and the student on human labels: the same colour on every slice chart
MODEL_COLOURS = {"teacher_error": "#ff7f0e", "student_error": "#d62728", "gold_student_error": "#555555"}
ITSELF = "the teacher scored itself"  # the learning curve's reference lines
MAP_SELECTION = "area"  # the name of the box drawn on the map; the dashboard reads its x and y ranges


def teacher_colours(titles, others=()) -> dict[str, str]:
    """A colour per teacher by its place in the run's list of teachers (`titles`, in order; then any of `others`
    not in it), so a teacher has the same colour on every chart of the run, whichever others a chart leaves
    out; humans are drawn in black."""
    names = [*titles, *(name for name in others if name not in titles)]
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def gap_forest(rows: pd.DataFrame, metric: str, title: str) -> alt.LayerChart:
    """One row per teacher (and label mode): the paired gap between the student on its labels and the student on
    human labels, with its 95% interval; left of zero, teacher labels cost the student (red: the whole interval
    is below zero; blue: above). `rows`: `who`, `value`, `lo`, `hi`, `size`."""
    data = pd.DataFrame({"who": rows["who"].to_numpy(), "gap": rows["value"].to_numpy() * 100,
                         "lo": rows["lo"].to_numpy() * 100, "hi": rows["hi"].to_numpy() * 100,
                         "n": rows["size"].to_numpy()})
    data["name"] = ["\n".join(textwrap.wrap(w, 34)) for w in data["who"]]  # a narrow (printed) page keeps its plot
    data["reading"] = np.select([data["hi"] < 0, data["lo"] > 0], ["costs the student", "helps the student"],
                                "no clear difference")
    base = alt.Chart(data).encode(y=alt.Y("name:N", sort=list(data["name"]), title=None, axis=alt.Axis(labelExpr=LINES)))
    tooltip = [alt.Tooltip("who:N", title="labels"), alt.Tooltip("gap:Q", title="gap, points", format="+.1f"),
               alt.Tooltip("lo:Q", title="95% CI from", format="+.1f"), alt.Tooltip("hi:Q", title="to", format="+.1f"),
               alt.Tooltip("n:Q", title="N")]
    colour = colour_scale("reading", ["costs the student", "no clear difference", "helps the student"],
                          ["#d62728", "#555555", "#1f77b4"], legend=False)
    x_title = [f"{METRIC_NAMES[metric]}, points: student on teacher labels minus", "student on human labels (95% CI)"]
    axis = alt.Axis(format="+.1f", tickCount=8)
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="black", strokeDash=DASHES["dotted"]).encode(
        x=alt.X("x:Q", title=x_title, axis=axis))
    chart = layered(zero,
                    base.mark_rule(strokeWidth=2).encode(x=alt.X("lo:Q", title=x_title, axis=axis), x2="hi:Q",
                                                         color=colour, tooltip=tooltip),
                    base.mark_point(filled=True, size=130, opacity=1).encode(
                        x=alt.X("gap:Q", title=x_title, axis=axis), color=colour, tooltip=tooltip))
    return finish(chart, title, height=60 + 56 * len(data))


def learning_curve(curve: pd.DataFrame, teacher_scores: pd.DataFrame, titles: dict[str, str], modes: list[str],
                   metric: str, title: str, chosen: list[str] | None = None) -> alt.LayerChart:
    """Mean over seeds with its 95% band per label source, on a log axis whose ticks are the run's sizes; each
    teacher's own score is a dashed line named in the legend with its value (so two close scores are told apart
    there, never by labels printed over each other). `titles`: every teacher of the run (their colours);
    `chosen`: those drawn (all by default)."""
    colour_of = teacher_colours(titles)
    drawn_teachers = [t for t in titles if chosen is None or t in chosen]
    series = [("gold", "hard", "#111111", "student on human labels")] + [
        (t, m, colour_of[t], f"student on {titles[t]} labels ({m})") for t in drawn_teachers for m in modes]
    parts, names, colours = [], [], []
    for trained_on, mode, hue, name in series:
        points = curve[(curve["trained_on"] == trained_on) & (curve["label_mode"] == mode)]
        if not points.empty:
            parts.append(points.assign(series=name, style=f"{mode} labels"))
            names.append(name)
            colours.append(hue)
    sizes = sorted(int(size) for size in set(curve["size"]))
    references = []
    for t in drawn_teachers:
        score = teacher_scores[teacher_scores["teacher_name"] == t]
        if score.empty or not sizes:
            continue
        s = score.iloc[0]
        name = f"teacher {titles[t]} itself: {s[metric]:.3f} [{s[metric + '_lo']:.3f}, {s[metric + '_hi']:.3f}]"
        references.append({"series": name, "style": ITSELF, "from": sizes[0], "to": sizes[-1], "score": s[metric]})
        names.append(name)
        colours.append(colour_of[t])
    lines = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["series", "style", "size", "mean", "lo", "hi", "n_train", "n_seeds"])
    lines = lines[["series", "style", "size", "mean", "lo", "hi", "n_train", "n_seeds"]]
    colour = colour_scale("series", names, colours, title=None, lines=True)
    # the dashes in a legend of their own: solid hard labels, dotted soft ones, dashed the teachers' own scores
    drawn = set(lines["style"]) | ({ITSELF} if references else set())
    styles = {style: dashes for style, dashes in {"hard labels": "solid", "soft labels": "dotted", ITSELF: "dashed"}.items()
              if style in drawn}
    strokes = dash(styles, legend=True)

    def x(field: str) -> alt.X:
        return alt.X(f"{field}:Q", title="training examples (log scale)",
                     scale=alt.Scale(type="log", domain=[sizes[0], sizes[-1]] if sizes else alt.Undefined),
                     axis=alt.Axis(values=sizes, format=",", grid=False))

    n_test = int(curve["n_test"].iloc[0]) if len(curve) else 0

    def y(field: str) -> alt.Y:
        return alt.Y(f"{field}:Q", title=f"{METRIC_NAMES[metric]} on held-out gold rows (n={n_test})",
                     scale=alt.Scale(zero=False))

    base = alt.Chart(lines)
    layers = [base.mark_area(opacity=0.15).encode(x=x("size"), y=y("lo"), y2="hi:Q", color=colour),
              base.mark_line(strokeWidth=2.5).encode(x=x("size"), y=y("mean"), color=colour, strokeDash=strokes),
              base.mark_circle(size=50, opacity=1).encode(
                  x=x("size"), y=y("mean"), color=colour,
                  tooltip=[alt.Tooltip("series:N", title="trained on"), alt.Tooltip("size:Q", title="N", format=","),
                           alt.Tooltip("mean:Q", title=METRIC_NAMES[metric], format=".3f"),
                           alt.Tooltip("lo:Q", title="95% CI from", format=".3f"),
                           alt.Tooltip("hi:Q", title="to", format=".3f"),
                           alt.Tooltip("n_train:Q", title="n_train"), alt.Tooltip("n_seeds:Q", title="seeds")])]
    if references:
        layers.append(alt.Chart(pd.DataFrame(references)).mark_rule(strokeWidth=1.5).encode(
            x=x("from"), x2="to:Q", y=y("score"), color=colour, strokeDash=strokes,
            tooltip=alt.Tooltip("series:N", title="teacher")))
    return finish(layered(*layers), title, height=480)


def slice_heatmap(table: pd.DataFrame, teacher: str, slice_title: str, min_cell: int, title: str) -> alt.LayerChart:
    """Error rate per bucket (columns) for the teacher, the student on its labels and the student on human labels
    (rows); a cell with fewer than `min_cell` scored examples is grey and says "too few"."""
    models = _slice_models(teacher)
    cells = pd.DataFrame([{"model": name, "bucket": b, "n": int(n), "error": r if ok else np.nan,
                           "words": f"{r:.2f}\nn={n}" if ok else f"too few\nn={n}"}
                          for col, name in models for b, n, r, ok in zip(table["bucket"], table["n"], table[col],
                                                                          table["enough"])])
    shown = cells["error"].dropna()
    top = max(0.5, float(shown.max())) if len(shown) else 0.5
    cells["light"] = cells["error"].fillna(0) > top * 0.6  # white text on the darkest reds
    base = alt.Chart(cells).encode(
        x=alt.X("bucket:N", sort=list(table["bucket"]), title=title_lines(slice_title), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("model:N", sort=[name for _, name in models], title=None),
        tooltip=[alt.Tooltip("model:N", title="who"), alt.Tooltip("bucket:N", title=slice_title),
                 alt.Tooltip("error:Q", title="error", format=".3f"), alt.Tooltip("n:Q", title="n")])
    chart = layered(
        base.mark_rect(color="#eeeeee"),  # every cell, under the coloured ones: "too few" cells stay visible
        base.transform_filter("isValid(datum.error)").mark_rect().encode(
            color=alt.Color("error:Q", scale=alt.Scale(scheme="reds", domain=[0, top]),
                            legend=alt.Legend(title="error", orient="right", direction="vertical"))),
        base.mark_text(fontSize=14, lineBreak="\n").encode(
            text="words:N", color=alt.condition("datum.light", alt.value("white"), alt.value("black"))))
    return finish(chart, title, height=240)


def _grouped_bars(bars: pd.DataFrame, groups: list[str], names: list[str], colours: list[str], x_title: str,
                  y_title: str, title: str, height: int) -> alt.LayerChart:
    """Bars side by side per group (`group`: its axis label, lines split at "\\n"), one colour per `series`, with
    the 95% interval as a line through each bar where `lo` and `hi` are given."""
    base = alt.Chart(bars).encode(
        x=alt.X("group:N", sort=groups, title=title_lines(x_title), axis=alt.Axis(labelExpr=LINES, labelAngle=0)),
        xOffset=alt.XOffset("series:N", sort=names))
    tooltip = [alt.Tooltip("series:N", title="who"), alt.Tooltip("group:N", title=x_title),
               alt.Tooltip("value:Q", title=y_title, format=".3~f")]
    layers = [base.mark_bar().encode(y=alt.Y("value:Q", title=y_title), color=colour_scale("series", names, colours),
                                     tooltip=tooltip)]
    if "lo" in bars:
        layers.append(base.mark_rule(color="black", strokeWidth=1.5).encode(
            y="lo:Q", y2="hi:Q", tooltip=tooltip + [alt.Tooltip("lo:Q", title="95% CI from", format=".3f"),
                                                    alt.Tooltip("hi:Q", title="to", format=".3f")]))
    return finish(layered(*layers), title, height=height)


def _bars_with_intervals(table: pd.DataFrame, groups: list[str], columns: list[tuple[str, str]]) -> pd.DataFrame:
    """`_grouped_bars`' rows: per (`column`, its series name) of `table`, its value and `column_lo`, `column_hi`
    for each bucket (a row of `table`, named by `groups`)."""
    return pd.concat([pd.DataFrame({"group": groups, "series": name, "value": table[col].to_numpy(),
                                    "lo": table[f"{col}_lo"].to_numpy(), "hi": table[f"{col}_hi"].to_numpy()})
                      for col, name in columns], ignore_index=True)


def slice_bars(table: pd.DataFrame, teacher: str, slice_title: str, title: str) -> alt.LayerChart:
    groups = [f"{b}\nn={n}" for b, n in zip(table["bucket"], table["n"])]
    models = _slice_models(teacher)
    return _grouped_bars(_bars_with_intervals(table, groups, models), groups, [name for _, name in models],
                         [MODEL_COLOURS[col] for col, _ in models], slice_title, "error rate", title, height=360)


def inheritance_bars(table: pd.DataFrame, slice_title: str, title: str) -> alt.LayerChart:
    """P(student wrong | teacher wrong) against P(student wrong | teacher right) per bucket; the counts behind
    each pair are in the axis label, clear of the intervals."""
    groups = [f"{b}\nn={w} wrong / {r} right" for b, w, r in
              zip(table["bucket"], table["n_teacher_wrong"], table["n_teacher_right"])]
    series = [("student_wrong_if_teacher_wrong", "P(student wrong | teacher wrong)", "#d62728"),
              ("student_wrong_if_teacher_right", "P(student wrong | teacher right)", "#9e9e9e")]
    bars = _bars_with_intervals(table, groups, [(col, name) for col, name, _ in series])
    return _grouped_bars(bars, groups, [name for _, name, _ in series], [c for _, _, c in series], slice_title,
                         "probability", title, height=380)


def label_distribution(distribution: pd.DataFrame, gold: pd.DataFrame, titles: dict[str, str], title: str) -> alt.LayerChart:
    """Examples per label as each teacher (`teacher_name`, `label`, `n`) and the humans (`label`, `n`) gave them;
    teachers in the order and colours of `titles` (the run's teachers), the humans in black."""
    given = dict(list(distribution.groupby("teacher_name", sort=True)))
    sources = [(titles.get(t, t), given[t], colour) for t, colour in teacher_colours(titles, given).items()
               if t in given] + [("gold (human)", gold, "#111111")]
    bars = pd.concat([pd.DataFrame({"group": part["label"].astype(str).to_numpy(), "series": name,
                                    "value": part["n"].to_numpy()}) for name, part, _ in sources], ignore_index=True)
    return _grouped_bars(bars, list(dict.fromkeys(bars["group"])), [name for name, _, _ in sources],
                         [colour for _, _, colour in sources], "label", "examples", title, height=380)


def reliability(curve: pd.DataFrame, titles: dict[str, str], title: str) -> alt.LayerChart:
    """Accuracy against stated confidence per teacher and confidence signal (`calibration_tables`' curve with
    `teacher`), over the diagonal a perfectly calibrated teacher would follow."""
    parts = [points.assign(series=f"{titles.get(teacher, teacher)} · {signal}")
             for (teacher, signal), points in curve.groupby(["teacher", "signal"], sort=True)]
    names = [part["series"].iloc[0] for part in parts]
    lines = pd.concat(parts, ignore_index=True)[["series", "confidence", "accuracy", "n"]]
    diagonal = alt.Chart(pd.DataFrame({"confidence": [0.0, 1.0], "accuracy": [0.0, 1.0]})).mark_line(
        color="grey", strokeDash=DASHES["dotted"]).encode(x="confidence:Q", y="accuracy:Q")
    drawn = alt.Chart(lines).mark_line(point=True, strokeWidth=2.5).encode(
        x=alt.X("confidence:Q", title="confidence (bin mean)", scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("accuracy:Q", title="accuracy in the bin", scale=alt.Scale(domain=[0, 1])),
        color=colour_scale("series", names, [PALETTE[i % len(PALETTE)] for i in range(len(names))], lines=True),
        tooltip=[alt.Tooltip("series:N", title="teacher · signal"),
                 alt.Tooltip("confidence:Q", format=".2f"), alt.Tooltip("accuracy:Q", format=".2f"), "n:Q"])
    return finish(diagonal + drawn, title, height=380)


def _is_baseline(group: str) -> bool:
    """A line whose strategies include `random` (alone, or named with those of the same curve) is the baseline."""
    return "random" in group.split(" = ")


def _strategy_colours(groups) -> dict[str, str]:
    """A colour for each line drawn (and only those), the same on both budget charts; the baseline in grey."""
    others = [g for g in sorted(groups) if not _is_baseline(g)]
    return {**{g: "#7f7f7f" for g in groups if _is_baseline(g)},
            **{g: PALETTE[i % len(PALETTE)] for i, g in enumerate(others)}}


def _strategy_lines(curve: pd.DataFrame, y: str, y_title: str, bands: bool) -> list[alt.Chart]:
    """One line per set of strategies with the same per-fold curve: drawn once, named together ("disagreement =
    low_confidence"), never one line hidden under another; the baseline (`random`) dashed; with light 95%
    bands (`accuracy_lo`, `accuracy_hi`) where every point has one."""
    lines = curve.drop_duplicates(["same_curve", "budget"]).sort_values(["same_curve", "budget"])
    lines = lines.assign(style=np.where(lines["same_curve"].map(_is_baseline), "baseline", "ranked"))
    colours = _strategy_colours(lines["same_curve"].unique())
    colour = colour_scale("same_curve", list(colours), list(colours.values()), title="order of the checks", lines=True)
    x = alt.X("budget:Q", title="human checks (budget)", axis=alt.Axis(tickCount=8))
    base = alt.Chart(lines)
    drawn = [base.mark_line(point=True, strokeWidth=2.5).encode(
        x=x, y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(zero=False)), color=colour,
        strokeDash=dash({"baseline": "dashed", "ranked": "solid"}),
        tooltip=[alt.Tooltip("same_curve:N", title="order"), alt.Tooltip("budget:Q", title="checks", format=","),
                 alt.Tooltip(f"{y}:Q", title=y_title, format=".3f")])]
    if bands:
        banded = lines.groupby("same_curve")["accuracy_lo"].transform(lambda lo: lo.notna().all())
        drawn.insert(0, alt.Chart(lines[banded]).mark_area(opacity=0.08).encode(
            x=x, y=alt.Y("accuracy_lo:Q", title=y_title, scale=alt.Scale(zero=False)), y2="accuracy_hi:Q",
            color=colour))
    return drawn


def budget_curves(curve: pd.DataFrame, title: str) -> alt.LayerChart:
    """Student accuracy after correcting the first B labels in each strategy's order (mean over folds), with light
    95% bands, against the student on all the pool's human labels (`budget_curves`' summary)."""
    first = curve.iloc[0]
    gold = float(first["gold_accuracy"])
    layers = _strategy_lines(curve, "accuracy", f"student accuracy ({int(first['n_folds'])} folds, "
                                                f"{int(first['n_rows'])} rows)", bands=True)
    gold_line = rule_at(gold, "black", "dotted", f"student on all the pool's human labels: {gold:.3f}")
    return finish(layered(*layers, gold_line), title, height=440)


def budget_label_error(curve: pd.DataFrame, title: str) -> alt.LayerChart:
    lines = _strategy_lines(curve, "label_error", "teacher labels still wrong in the pool", bands=False)
    return finish(layered(*lines), title, height=320)


def _slice_models(teacher: str) -> list[tuple[str, str]]:
    return [("teacher_error", f"teacher {teacher}"), ("student_error", "student on teacher labels"),
            ("gold_student_error", "student on human labels")]


def decision_frontier(decision: Decision, titles: dict[str, str], title: str) -> alt.LayerChart:
    """Every priced option of a decision: its total cost (log axis) against the student's accuracy with its 95%
    interval, one colour per teacher (hollow: soft labels; diamonds: with human checks), human labels in black;
    the frontier (the cheapest way to each accuracy) as a stepped line, the target as a dashed line, the chosen
    option ringed. Options of unknown cost have no place on the axis (the caption counts them), nor have those
    that cost nothing (a log axis has no zero): the subtitle counts those."""
    teachers = list(dict.fromkeys(o.teacher for o in decision.options if o.teacher is not None))
    palette = teacher_colours(titles, teachers)
    rows, series = [], {}
    free = sum(o.cost_usd == 0 for o in decision.options)
    for option in decision.options:
        if not option.cost_usd or not np.isfinite(option.accuracy.value):  # unknown or free
            continue
        kind = "checks" if option.n_checks else option.label_mode
        name = ("human labels only" if option.teacher is None else
                f"{titles.get(option.teacher, option.teacher)} labels + human checks" if kind == "checks" else
                f"{titles.get(option.teacher, option.teacher)} labels ({kind})")
        colour = "#111111" if option.teacher is None else palette[option.teacher]
        series[name] = (colour, "white" if kind == "soft" else colour, "diamond" if kind == "checks" else "circle")
        rows.append({"series": name, "option": option.name, "cost": option.cost_usd, "accuracy": option.accuracy.value,
                     "lo": option.accuracy.lo, "hi": option.accuracy.hi})
    names = list(series)
    options = pd.DataFrame(rows, columns=["series", "option", "cost", "accuracy", "lo", "hi"])
    # with no option on the axis (every one free or of unknown cost) the axis still has a range to draw
    x = alt.X("cost:Q", title="total cost (USD, log scale)",
              scale=alt.Scale(type="log", domain=[0.01, 1] if options.empty else alt.Undefined),
              axis=alt.Axis(format="$,.2~r", values=log_ticks(options["cost"])))

    def y(field: str) -> alt.Y:
        return alt.Y(f"{field}:Q", title="student accuracy (95% CI)", scale=alt.Scale(zero=False),
                     axis=alt.Axis(format=".1~%"))

    tooltip = [alt.Tooltip("option:N"), alt.Tooltip("cost:Q", title="cost", format="$,.4~g"),
               alt.Tooltip("accuracy:Q", format=".1%"), alt.Tooltip("lo:Q", title="95% CI from", format=".1%"),
               alt.Tooltip("hi:Q", title="to", format=".1%")]
    base = alt.Chart(options)
    stroke = colour_scale("series", names, [series[n][0] for n in names], title=None)
    layers = [base.mark_rule(strokeWidth=1.5).encode(x=x, y=y("lo"), y2="hi:Q", color=stroke),
              base.mark_point(size=120, strokeWidth=2, opacity=1).encode(
                  x=x, y=y("accuracy"), tooltip=tooltip, color=stroke,
                  fill=colour_scale("series", names, [series[n][1] for n in names], title=None),
                  shape=alt.Shape("series:N", scale=alt.Scale(domain=names, range=[series[n][2] for n in names]),
                                  sort=names, legend=alt.Legend(title=None)))]
    notes = ["hollow: soft labels; diamonds: teacher labels with human checks"]
    priced_frontier = [o for o in decision.frontier if o.cost_usd]
    if priced_frontier:
        frontier = pd.DataFrame({"cost": [o.cost_usd for o in priced_frontier],
                                 "accuracy": [o.accuracy.value for o in priced_frontier]})
        layers.insert(0, alt.Chart(frontier).mark_line(color="#888888", strokeDash=DASHES["dotted"],
                                                       interpolate="step-after").encode(x=x, y=y("accuracy")))
        notes.insert(0, "dotted grey: the frontier, the cheapest option for each accuracy")
    layers.append(rule_at(decision.target, "#d62728", "dashed", f"target {decision.target:.1%}", align="right"))
    if free:
        notes.append(f"{free} option{'s' if free > 1 else ''} at $0, not on this log axis (in the table)")
    if decision.cheapest is not None and decision.cheapest.cost_usd:
        chosen = decision.cheapest
        ring = pd.DataFrame({"cost": [chosen.cost_usd], "accuracy": [chosen.accuracy.value], "option": [chosen.name]})
        layers.append(alt.Chart(ring).mark_point(size=700, strokeWidth=3, color="#d62728", opacity=1).encode(
            x=x, y=y("accuracy"), tooltip=alt.Tooltip("option:N", title="cheapest reaching the target")))
        notes.append("red ring: the cheapest option reaching the target")
    return finish(layered(*layers), title, height=480, subtitle=notes)


# the map: "all right" and "agree" in a mid grey as solid as the rest, so two thirds of the texts read as two thirds
# of the map; clusters by size, largest first, strong colours for the big ones, far from the light grey of "no cluster"
MAP_COLOURS = {**dict(zip(PATTERNS, ["#8c8c8c", "#ff7f0e", "#9467bd", "#d62728", "#aec7e8", "#1f77b4"])),
               **dict(zip(AGREEMENTS, ["#8c8c8c", "#d62728", "#e3e3e3"])), "no cluster": "#e3e3e3"}
CLUSTER_COLOURS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
                   "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173"]


def disagreement_map(points: pd.DataFrame, colour_by: str, title: str, legend_title: str) -> alt.Chart:
    """Each text of the map (`core.review.map.map_points`, placed) at its place, coloured by `colour_by`: its
    "agreement" (teacher vs student), its right-or-wrong "pattern" by the human labels, or its "cluster". Drawn in
    a shuffled order, every point equally opaque, so no group is drawn wholly under another and the colours'
    shares on screen are their shares of the texts; each legend entry gives its group's count and share
    (`group`). Hovering shows the text and both labels; a box drawn on it (`MAP_SELECTION`) selects by place."""
    points = points.assign(cluster=cluster_names(points["cluster"]))
    counts = points[colour_by].value_counts()
    by_size = [c for c in points["cluster"].value_counts().index if c != "no cluster"]
    colours = {**MAP_COLOURS, **{c: CLUSTER_COLOURS[i % len(CLUSTER_COLOURS)] for i, c in enumerate(by_size)}}
    order = {"agreement": list(AGREEMENTS), "pattern": list(PATTERNS), "cluster": [*by_size, "no cluster"]}[colour_by]
    groups = [c for c in order if c in counts.index]
    entries = {c: f"{c}: {counts[c]:,} ({counts[c] / len(points):.0%})" for c in groups}
    shuffled = points.sample(frac=1, random_state=0)
    drawn = pd.DataFrame({
        "x": shuffled["x"].to_numpy(), "y": shuffled["y"].to_numpy(), "text": shuffled["text"].str[:200].to_numpy(),
        "teacher": shuffled["teacher_label"].fillna("(no label)").to_numpy(),
        "student": shuffled["student_label"].fillna("(no label)").to_numpy(), "role": shuffled["role"].to_numpy(),
        "group": shuffled[colour_by].map(entries).to_numpy()})
    hidden = alt.Axis(labels=False, ticks=False, grid=False, domain=False, title=None)
    chart = alt.Chart(drawn).mark_circle(size=36, opacity=0.7).encode(
        x=alt.X("x:Q", axis=hidden, scale=alt.Scale(zero=False, nice=False)),
        y=alt.Y("y:Q", axis=hidden, scale=alt.Scale(zero=False, nice=False)),
        color=colour_scale("group", list(entries.values()), [colours[c] for c in groups], title=legend_title),
        tooltip=[alt.Tooltip("text:N"), alt.Tooltip("teacher:N"), alt.Tooltip("student:N"), alt.Tooltip("role:N"),
                 alt.Tooltip("group:N", title=legend_title)],
    ).add_params(alt.selection_interval(name=MAP_SELECTION, encodings=["x", "y"]))
    return finish(chart, title, height=600)
