import html

import plotly.express as px
import streamlit as st

import ui
from core.review.disagreements import PATTERNS, with_patterns

st.title("Disagreement map")
run = ui.pick_run()
store = ui.reader()
teacher = st.selectbox("Teacher", list(store.run_teachers(run["run_id"])["teacher_name"]))
MAX_POINTS = 20000
PATTERN_COLOURS = ["#c7c7c7", "#ff7f0e", "#9467bd", "#d62728", "#aec7e8", "#1f77b4"]


@st.cache_data(show_spinner=False)
def load(run_id, teacher, _version):
    s = ui.reader()
    return with_patterns(s.example_view(run_id, teacher, "umap", sample=MAX_POINTS)), s.cluster_terms(run_id, teacher)


view, terms = load(run["run_id"], teacher, ui.version_key())
if view["x"].isna().all():
    st.info("The map for this run has not been computed yet. It takes about a minute (UMAP over the text "
            "embeddings), once per data set; then it is stored and opens instantly. "
            "From a shell: `python -m core map --run " + run["run_id"] + "`.")
    if st.button("Compute the map now"):
        from core.review.map import build_map

        build_map(ui.writer(), run["run_id"], progress=ui.progress_bar())
        st.cache_data.clear()
        st.rerun()
    st.stop()

colour_by = st.radio("Colour by", ["agreement pattern", "cluster"], horizontal=True)
view = view.dropna(subset=["x"]).assign(
    cluster_name=lambda v: [f"cluster {c}" if c >= 0 else "no cluster" for c in v["cluster"].fillna(-1).astype(int)],
    hover=lambda v: [html.escape(t[:200]) for t in v["text"]],
)
fig = px.scatter(view, x="x", y="y", color="pattern" if colour_by == "agreement pattern" else "cluster_name",
                 category_orders={"pattern": list(PATTERNS)}, custom_data=["example_id"],
                 color_discrete_map={**dict(zip(PATTERNS, PATTERN_COLOURS)), "no cluster": "#d0d0d0"},
                 hover_name="hover", hover_data={"x": False, "y": False, "gold": True, "teacher_label": True,
                                                 "student_label": True, "role": True})
fig.update_traces(marker=dict(size=5, opacity=0.7))
fig.update_layout(height=600, dragmode="lasso", xaxis=dict(showticklabels=False, title=""),
                  yaxis=dict(showticklabels=False, title=""))
st.caption(f"{len(view)} examples; each point a text placed by its MiniLM embedding (UMAP). "
           "Draw a lasso or box to list examples and send them to the spot-check queue.")
event = st.plotly_chart(fig, width="stretch", on_select="rerun", selection_mode=("lasso", "box"),
                        config=ui.PLOT_CONFIG, key="map")
st.download_button("Download chart (HTML)", fig.to_html(include_plotlyjs="cdn"), file_name=f"{run['run_id']}-map.html")

st.subheader("Clusters of disagreement")
summary = (view[view["cluster"].fillna(-1) >= 0].groupby("cluster")
           .agg(n=("example_id", "size"), teacher_error=("pattern", lambda p: p.isin(["teacher wrong", "both wrong"]).mean()),
                student_error=("pattern", lambda p: p.isin(["student wrong", "both wrong"]).mean()))
           .reset_index().merge(terms, on="cluster", how="left"))
ui.show_table(summary, f"{run['run_id']}-{teacher}-clusters")
st.caption("Error rates count only examples with a gold label; n is all examples in the cluster.")

selected_ids = [p["customdata"][0] for p in (event.selection.points if event and event.selection else [])]
if selected_ids:
    chosen = view[view["example_id"].isin(selected_ids)]
    st.subheader(f"Selected: {len(chosen)} examples")
    ui.show_table(chosen[["example_id", "text", "gold", "teacher_label", "student_label", "pattern", "cluster"]],
                  f"{run['run_id']}-selection")
    if st.button("Send to the spot-check queue"):
        ui.writer().pin(run["dataset_id"], chosen["example_id"], f"on the map ({teacher})")
        st.cache_data.clear()
        st.success(f"Queued {len(chosen)} examples at the top of the spot-check queue.")
