import streamlit as st

import ui
from core.explore import STRATEGIES, VERDICTS, record_verdict, spot_check_queue

st.title("Spot-check queue")
run = ui.pick_run()
store = ui.reader()
dataset = store.dataset(run["dataset_id"])


@st.cache_data(show_spinner=False)
def load(run_id, teacher, _version):
    s = ui.reader()
    dataset_id = s.run(run_id)["dataset_id"]
    return s.example_view(run_id, teacher), s.example_columns(dataset_id), s.verdicts(dataset_id)


left, middle, right = st.columns(3)
teacher = left.selectbox("Teacher whose labels to check", list(store.run_teachers(run["run_id"])["teacher_name"]))
strategy = middle.selectbox("Rank by", list(STRATEGIES), format_func=lambda s: f"{s}: {STRATEGIES[s]}")
role = right.selectbox("Examples", ["train", "test", "all"],
                       format_func={"train": "training pool (labels that teach)", "test": "test split", "all": "all"}.get)
view, columns, verdicts = load(run["run_id"], teacher, ui.version_key())

with st.expander("Filter by slice or cluster"):
    clusters = st.multiselect("Clusters (from the disagreement map)", sorted(int(c) for c in view["cluster"].dropna().unique() if c >= 0))
    slice_column = st.selectbox("Slice column", ["(none)", *[c for c in columns.columns if c != "example_id"]])
    if slice_column != "(none)":
        values = st.multiselect("Values", sorted(columns[slice_column].dropna().unique()))
        if values:
            view = view[view["example_id"].isin(columns.loc[columns[slice_column].isin(values), "example_id"])]
    include_reviewed = st.checkbox("Include examples that already have a verdict")
if role != "all":
    view = view[view["role"] == role]
queue = spot_check_queue(view, strategy, include_reviewed, clusters)
st.caption(f"{len(queue)} examples in the queue. Gold labels are hidden here so they cannot sway the reviewer.")
shown = queue[["rank", "example_id", "reason", "text", "teacher_label", "teacher_confidence", "student_label",
               "student_confidence", "cluster", "n_verdicts"]]
ui.show_table(shown.head(200), f"{run['run_id']}-{teacher}-queue-{strategy}")
st.download_button("Download the whole queue (CSV)", shown.to_csv(index=False), file_name=f"{run['run_id']}-queue.csv",
                   key="queue-all")

st.subheader("Record a verdict")
if queue.empty:
    st.info("Nothing left to review with these filters.")
else:
    pick = st.selectbox("Example", list(queue["example_id"][:200]),
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
