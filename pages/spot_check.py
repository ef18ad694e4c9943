import streamlit as st

import ui
from core.explore import STRATEGIES, VERDICTS, record_verdict, spot_check_queue

st.title("Spot-check queue")
run = ui.pick_run()
store = ui.reader()
dataset = store.dataset(run["dataset_id"])


left, middle, right = st.columns(3)
teacher = left.selectbox("Teacher whose labels to check", list(store.run_teachers(run["run_id"])["teacher_name"]))
strategy = middle.selectbox("Rank by", list(STRATEGIES), format_func=lambda s: f"{s}: {STRATEGIES[s]}")
role = right.selectbox("Examples", ["train", "test", "all"],
                       format_func={"train": "training pool (labels that teach)", "test": "test split", "all": "all"}.get)

with st.expander("Filter by slice or cluster"):
    clusters = st.multiselect("Clusters (from the disagreement map)",
                              list(store.cluster_terms(run["run_id"], teacher)["cluster"]))
    slice_column = st.selectbox("Slice column", ["(none)", *store.slice_columns(dataset.dataset_id)["column_name"]])
    values = (st.multiselect("Values", store.column_values(dataset.dataset_id, slice_column))
              if slice_column != "(none)" else [])
    include_reviewed = st.checkbox("Include examples that already have a verdict")


@st.cache_data(show_spinner=False)
def load(run_id, teacher, strategy, role, clusters, slice_column, values, include_reviewed, _version):
    return spot_check_queue(ui.reader(), run_id, teacher, strategy, role=None if role == "all" else role,
                            clusters=clusters, slice_column=slice_column, slice_values=values,
                            include_reviewed=include_reviewed)


queue = load(run["run_id"], teacher, strategy, role, clusters, None if slice_column == "(none)" else slice_column,
             values, include_reviewed, ui.version_key())
total = int(queue["total"].iloc[0]) if len(queue) else 0
st.caption(f"{total} examples in the queue; the first {len(queue)} are listed. "
           "Gold labels are hidden here so they cannot sway the reviewer.")
shown = queue[["rank", "example_id", "reason", "text", "teacher_label", "teacher_confidence", "student_label",
               "student_confidence", "cluster", "n_verdicts"]]
ui.show_table(shown, f"{run['run_id']}-{teacher}-queue-{strategy}")

st.subheader("Record a verdict")
if queue.empty:
    st.info("Nothing left to review with these filters.")
else:
    pick = st.selectbox("Example", list(queue["example_id"]),
                        format_func=lambda i: f"#{int(queue.loc[queue.example_id == i, 'rank'].iloc[0])} · {i}")
    row = queue[queue["example_id"] == pick].iloc[0]
    st.text(row["text"])  # plain text: markup in a text is shown, not rendered
    st.caption(f"Teacher: {row['teacher_label']} · held-out student: {row['student_label']} · {row['reason']}")
    with st.form("verdict", clear_on_submit=True):
        reviewer = st.text_input("Reviewer", value=st.session_state.get("reviewer", ""), key="verdict-reviewer")
        verdict = st.radio("Verdict", VERDICTS, horizontal=True,
                           format_func={"label": "the correct label is", "ambiguous": "ambiguous", "skip": "skip"}.get,
                           key="verdict-kind")
        label = st.selectbox("Correct label", dataset.label_set.names, key="verdict-label")
        note = st.text_input("Note (optional)", key="verdict-note")
        if st.form_submit_button("Save verdict"):
            try:
                record_verdict(ui.writer(), dataset.dataset_id, pick, reviewer, verdict,
                               label if verdict == "label" else None, note)
            except ValueError as exc:
                st.error(str(exc))
            else:
                st.session_state["reviewer"] = reviewer
                st.cache_data.clear()
                st.success(f"Saved: {verdict} {label if verdict == 'label' else ''} for {pick}")

st.subheader("Verdicts so far")
verdicts = ui.reader().verdicts(dataset.dataset_id)
if verdicts.empty:
    st.info("No verdicts yet.")
else:
    ui.show_table(verdicts, f"{dataset.name}-verdicts")
