import plotly.graph_objects as go
import streamlit as st

import ui
from core.report import tables
from core.report.words import chart_text
from core.review.disagreements import AGREEMENTS, PATTERNS, cluster_summary
from core.review.map import map_points

ui.page("disagreements")
st.title("Disagreement map")
run = ui.pick_run()
teacher = ui.pick_teacher(run["run_id"])
# "all right" in a mid grey as solid as the rest, so two thirds of the texts read as two thirds of the map
PATTERN_COLOURS = ["#8c8c8c", "#ff7f0e", "#9467bd", "#d62728", "#aec7e8", "#1f77b4"]
AGREEMENT_COLOURS = ["#8c8c8c", "#d62728", "#e3e3e3"]
# clusters by size, largest first: strong colours for the big ones, far from the light grey of "no cluster"
CLUSTER_COLOURS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
                   "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173"]
NO_CLUSTER = "#e3e3e3"


@st.cache_data(show_spinner=False)
def load(run_id, teacher, db_version):
    s = ui.reader()
    with s.session():
        return map_points(s, run_id, teacher), s.cluster_terms(run_id, teacher)


view, terms = load(run["run_id"], teacher, ui.version_key())
if view is None:
    from core.review.map import build_map

    ui.offer_to_compute(
        "The map for this run has not been computed yet. It takes about a minute (UMAP over the text embeddings), "
        "once per data set; then it is stored and opens instantly. From a shell:",
        f"python -m core map --run {run['run_id']}", "Compute the map now",
        lambda store, progress: build_map(store, run["run_id"], progress=progress), "The map was not stored.")
    st.stop()

# colouring by right and wrong reads the human labels, so it is asked for, never the first thing a reviewer sees
COLOURINGS = {"teacher vs student": ("agreement", list(AGREEMENTS)), "cluster": ("cluster_name", None),
              "right or wrong by the human labels": ("pattern", list(PATTERNS))}
colour_by = st.radio("Colour by", list(COLOURINGS), horizontal=True)
view = view.dropna(subset=["x"]).assign(
    cluster_name=lambda v: [f"cluster {c}" if c >= 0 else "no cluster" for c in v["cluster"].fillna(-1).astype(int)],
    hover=lambda v: v["text"].str[:200].map(chart_text),
    # plotly renders a subset of HTML in hover text, so labels are escaped to show as typed
    teacher_says=lambda v: v["teacher_label"].fillna("(no label)").map(chart_text),
    student_says=lambda v: v["student_label"].fillna("(no label)").map(chart_text),
)
by_size = [c for c in view["cluster_name"].value_counts().index if c != "no cluster"]
cluster_colours = {c: CLUSTER_COLOURS[i % len(CLUSTER_COLOURS)] for i, c in enumerate(by_size)}
key, categories = COLOURINGS[colour_by]
categories = categories or [*by_size, "no cluster"]
colours = {**dict(zip(PATTERNS, PATTERN_COLOURS)), **dict(zip(AGREEMENTS, AGREEMENT_COLOURS)), **cluster_colours,
           "no cluster": NO_CLUSTER}
counts = view[key].value_counts()
# one trace in a shuffled order, every point equally opaque: no group is drawn wholly under another, so the
# colours' shares on screen are their shares of the texts; the legend says each share in numbers
shuffled = view.sample(frac=1, random_state=0)
fig = go.Figure(go.Scattergl(
    x=shuffled["x"], y=shuffled["y"], mode="markers", showlegend=False, hovertext=shuffled["hover"],
    marker=dict(size=6, opacity=0.7, color=shuffled[key].map(colours)),
    customdata=shuffled[["example_id", "teacher_says", "student_says", "role", key]].to_numpy(),
    hovertemplate="%{hovertext}<br>teacher: %{customdata[1]} · student: %{customdata[2]}<br>"
                  "%{customdata[3]} · %{customdata[4]}<extra></extra>"))
for category in [c for c in categories if c in counts.index]:
    fig.add_trace(go.Scattergl(x=[None], y=[None], mode="markers", marker=dict(size=12, color=colours[category]),
                               name=f"{category}: {counts[category]:,} ({counts[category] / len(view):.0%})"))
who = "the teacher, the student and the human labels" if key == "pattern" else "the teacher and the student"
fig.update_layout(title=f"Where {who} disagree ({len(view):,} texts)",
                  height=640, dragmode="lasso", legend=dict(title="cluster (largest first)" if key == "cluster_name"
                                                            else colour_by),
                  xaxis=dict(showticklabels=False, title=""), yaxis=dict(showticklabels=False, title=""))
st.caption("Each point a text placed by its MiniLM embedding (UMAP), drawn in a random order so no colour hides "
           "another. Draw a lasso or box to list examples and send them to the spot-check queue.")
event = st.plotly_chart(ui.readable(fig), width="stretch", theme=None, on_select="rerun", selection_mode=("lasso", "box"),
                        config=ui.PLOT_CONFIG, key="map")
ui.html_download(fig, f"{run['run_id']}-map")

st.subheader("Clusters of disagreement")
summary = cluster_summary(view).merge(terms, on="cluster", how="left")
ERROR_OVER = "error on its human-labelled texts [95% CI]"
ui.show_table(summary.assign(**{f"{who} {ERROR_OVER}": tables.with_interval(summary, f"{who}_error")
                                for who in ("teacher", "student")}).rename(columns={"n": "texts"}),
              f"{run['run_id']}-{teacher}-clusters",
              columns=["cluster", "texts", "n_gold", f"teacher {ERROR_OVER}", f"student {ERROR_OVER}", "terms"])
st.caption(f"Texts: the cluster's texts among the {len(view):,} drawn; with a human label: those whose error can be "
           "counted. Both error rates are over those human-labelled texts only, with 95% Wilson intervals; a cluster "
           "without human labels has none.")

selected_ids = [p["customdata"][0] for p in (event.selection.points if event and event.selection else [])]
if selected_ids:
    chosen = view[view["example_id"].isin(selected_ids)]
    pool = chosen[chosen["role"] != "test"]
    st.subheader(f"Selected: {len(chosen)} examples")
    # gold stays hidden here as in the queue, so it cannot sway whoever reviews these next
    ui.show_table(chosen[["example_id", "text", "teacher_label", "student_label", "role", "cluster"]],
                  f"{run['run_id']}-selection")
    left_out = len(chosen) - len(pool)
    if left_out:
        st.caption(f"{left_out} of them are test examples: their gold labels score the students, so they are not "
                   "queued for checking (a corrected test label would change the scoreboard, not the training data).")
    if st.button(f"Send {len(pool)} training-pool examples to the spot-check queue", disabled=pool.empty):
        with ui.reporting_errors("Nothing was queued."):
            ui.writer().pin(run["dataset_id"], pool["example_id"], f"on the map ({teacher})")
        st.cache_data.clear()
        st.success(f"Queued {len(pool)} examples at the top of the spot-check queue"
                   + (f"; {left_out} test examples left out." if left_out else "."))
