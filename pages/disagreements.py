import plotly.express as px
import streamlit as st

import ui
from core.report import tables
from core.report.words import chart_text
from core.review.disagreements import PATTERNS, cluster_summary
from core.review.map import map_points

ui.page("disagreements")
st.title("Disagreement map")
run = ui.pick_run()
teacher = ui.pick_teacher(run["run_id"])
PATTERN_COLOURS = ["#c7c7c7", "#ff7f0e", "#9467bd", "#d62728", "#aec7e8", "#1f77b4"]
# clusters by size, largest first: strong colours for the big ones, far from the light grey of "no cluster"
CLUSTER_COLOURS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
                   "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173"]
NO_CLUSTER = "#e3e3e3"


@st.cache_data(show_spinner=False)
def load(run_id, teacher, db_version):
    s = ui.reader()
    with s.reading():
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

colour_by = st.radio("Colour by", ["agreement pattern", "cluster"], horizontal=True)
view = view.dropna(subset=["x"]).assign(
    cluster_name=lambda v: [f"cluster {c}" if c >= 0 else "no cluster" for c in v["cluster"].fillna(-1).astype(int)],
    hover=lambda v: v["text"].str[:200].map(chart_text),
    # plotly renders a subset of HTML in hover text, so labels are escaped to show as typed
    teacher_says=lambda v: v["teacher_label"].fillna("(no label)").map(chart_text),
    student_says=lambda v: v["student_label"].fillna("(no label)").map(chart_text),
)
by_size = [c for c in view["cluster_name"].value_counts().index if c != "no cluster"]
cluster_colours = {c: CLUSTER_COLOURS[i % len(CLUSTER_COLOURS)] for i, c in enumerate(by_size)}
fig = px.scatter(view, x="x", y="y", color="pattern" if colour_by == "agreement pattern" else "cluster_name",
                 category_orders={"pattern": list(PATTERNS), "cluster_name": [*by_size, "no cluster"]},
                 custom_data=["example_id"],
                 color_discrete_map={**dict(zip(PATTERNS, PATTERN_COLOURS)), **cluster_colours, "no cluster": NO_CLUSTER},
                 hover_name="hover", hover_data={"x": False, "y": False, "teacher_says": True,
                                                 "student_says": True, "role": True, "cluster_name": False},
                 title=f"Where the teacher, the student and the human labels disagree ({len(view)} texts)",
                 labels={"cluster_name": "cluster (largest first)"})
fig.update_traces(marker=dict(size=5, opacity=0.75))
fig.update_layout(height=620, dragmode="lasso", xaxis=dict(showticklabels=False, title=""),
                  yaxis=dict(showticklabels=False, title=""))
st.caption("Each point a text placed by its MiniLM embedding (UMAP). Draw a lasso or box to list examples and send "
           "them to the spot-check queue.")
event = st.plotly_chart(fig, width="stretch", on_select="rerun", selection_mode=("lasso", "box"),
                        config=ui.PLOT_CONFIG, key="map")
ui.html_download(fig, f"{run['run_id']}-map")

st.subheader("Clusters of disagreement")
summary = cluster_summary(view).merge(terms, on="cluster", how="left")
ui.show_table(summary.assign(**{f"{who} error [95% CI]": tables.with_interval(summary, f"{who}_error")
                                for who in ("teacher", "student")})
              .drop(columns=[f"{w}_error{e}" for w in ("teacher", "student") for e in ("", "_lo", "_hi")]),
              f"{run['run_id']}-{teacher}-clusters")
st.caption(f"n: the cluster's texts among the {len(view):,} drawn; n_gold: those with a human label. Error rates are "
           "over n_gold only, with 95% Wilson intervals; a cluster without gold labels has none.")

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
