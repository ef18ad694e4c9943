import streamlit as st

import ui
from core.report import charts, tables
from core.review.disagreements import cluster_names, cluster_summary
from core.review.map import map_points

ui.page("disagreements")
st.title("Disagreement map")
run = ui.pick_run()
teacher = ui.pick_teacher(run["run_id"])


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
COLOURINGS = {"teacher vs student": "agreement", "cluster": "cluster", "right or wrong by the human labels": "pattern"}
colour_by = st.radio("Colour by", list(COLOURINGS), horizontal=True)
view = view.dropna(subset=["x"])
by = COLOURINGS[colour_by]
who = "teacher, student and human labels" if by == "pattern" else "the teacher and the student"  # a title on one line
fig = charts.disagreement_map(view, by, f"Where {who} disagree ({len(view):,} texts)",
                              "cluster (largest first)" if by == "cluster" else colour_by)
st.caption("Each point a text placed by its MiniLM embedding (UMAP), drawn in a random order so no colour hides "
           "another. Drag a box over the map to list its examples and send them to the spot-check queue; "
           "double-click clears the box.")
# keyed by run and teacher: a box drawn on one map must not select whatever lies in the same place on another
event = st.altair_chart(fig, width="stretch", theme=None, on_select="rerun", selection_mode=charts.MAP_SELECTION,
                        key=f"map-{run['run_id']}-{teacher}")
ui.chart_downloads(fig, f"{run['run_id']}-map")

st.subheader("Clusters of disagreement")
summary = cluster_summary(view).merge(terms, on="cluster", how="left")
ERROR_OVER = "error on its human-labelled texts [95% CI]"
ui.show_table(summary.assign(**{f"{model} {ERROR_OVER}": tables.with_interval(summary, f"{model}_error")
                                for model in ("teacher", "student")}).rename(columns={"n": "texts"}),
              f"{run['run_id']}-{teacher}-clusters",
              columns=["cluster", "texts", "n_gold", f"teacher {ERROR_OVER}", f"student {ERROR_OVER}", "terms"])
st.caption(f"Texts: the cluster's texts among the {len(view):,} drawn; with a human label: those whose error can be "
           "counted. Both error rates are over those human-labelled texts only, with 95% Wilson intervals; a cluster "
           "without human labels has none.")

box = (event.selection.get(charts.MAP_SELECTION) if event and event.selection else None) or {}
if "x" in box and "y" in box:
    chosen = view[view["x"].between(*box["x"]) & view["y"].between(*box["y"])]
    pool = chosen[chosen["role"] != "test"]
    st.subheader(f"Selected: {len(chosen)} examples")
    # gold stays hidden here (and from the CSV) as in the queue, so it cannot sway whoever reviews these next
    shown = chosen.assign(cluster=cluster_names(chosen["cluster"]))
    ui.show_table(shown[["example_id", "text", "teacher_label", "student_label", "role", "cluster"]],
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
