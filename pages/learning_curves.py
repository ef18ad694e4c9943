import numpy as np
import plotly.graph_objects as go
import streamlit as st

import ui

st.title("Learning curves")
run = ui.pick_run()
metric = st.sidebar.radio("Metric", ["accuracy", "macro_f1"], format_func={"accuracy": "accuracy", "macro_f1": "macro-F1"}.get)


@st.cache_data(show_spinner=False)
def load(run_id, _version):
    s = ui.reader()
    return s.curve(run_id), s.teacher_scores(run_id), s.run_teachers(run_id)


curve, teacher_scores, teachers = load(run["run_id"], ui.version_key())
simulated = dict(zip(teachers["teacher_name"], teachers["simulated"]))
curve = curve[curve["metric"] == metric]
chosen = st.multiselect("Teachers", list(teachers["teacher_name"]), default=list(teachers["teacher_name"]))
modes = st.multiselect("Teacher label modes", sorted(set(curve["label_mode"])), default=sorted(set(curve["label_mode"])),
                       help="hard: the teacher's label; soft: its probabilities")

palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"]
fig = go.Figure()
series = [("gold", "hard", "#111111", "student on human labels")] + [
    (t, m, palette[i % len(palette)], f"student on {t}{ui.simulated_marker(simulated[t])} ({m})")
    for i, t in enumerate(chosen) for m in modes]
for trained_on, mode, colour, name in series:
    points = curve[(curve["trained_on"] == trained_on) & (curve["label_mode"] == mode)]
    if points.empty:
        continue
    dash = "dot" if mode == "soft" else "solid"
    fig.add_trace(go.Scatter(x=np.concatenate([points["size"], points["size"][::-1]]),
                             y=np.concatenate([points["hi"], points["lo"][::-1]]), fill="toself", line=dict(width=0),
                             fillcolor=colour, opacity=0.15, hoverinfo="skip", showlegend=False))
    fig.add_trace(go.Scatter(x=points["size"], y=points["mean"], mode="lines+markers", name=name,
                             line=dict(color=colour, dash=dash),
                             customdata=np.stack([points["lo"], points["hi"], points["n_train"], points["n_seeds"]], axis=1),
                             hovertemplate="N=%{x}<br>%{y:.3f} [%{customdata[0]:.3f}, %{customdata[1]:.3f}]"
                                           "<br>n_train=%{customdata[2]}, seeds=%{customdata[3]}<extra></extra>"))
for i, t in enumerate(chosen):
    score = teacher_scores[teacher_scores["teacher_name"] == t].iloc[0]
    fig.add_hline(y=score[metric], line=dict(color=palette[i % len(palette)], dash="dash", width=1),
                  annotation_text=f"teacher {t}: {score[metric]:.3f} [{score[metric + '_lo']:.3f}, {score[metric + '_hi']:.3f}]",
                  annotation_position="bottom right")
n_test = int(curve["n_test"].iloc[0]) if len(curve) else 0
fig.update_layout(xaxis=dict(type="log", title="training examples (log scale)"),
                  yaxis=dict(title=f"{metric.replace('_', '-')} on the gold test set (n={n_test})"),
                  legend=dict(orientation="h", y=-0.25), height=560)
ui.show_figure(fig, f"{run['run_id']}-learning-curve-{metric}")
st.caption("Bands: 95% CIs, a two-level bootstrap over seeds and test examples. Dashed lines: each teacher scored on the same test set.")

table = curve[curve["trained_on"].isin(["gold", *chosen]) & curve["label_mode"].isin(["hard", *modes])]
ui.show_table(table, f"{run['run_id']}-curve-{metric}")
