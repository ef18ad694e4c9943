import streamlit as st

import ui
import json

from core.review import exchange
from core.errors import DataError, PseudolensError
from core.review.verdicts import VERDICTS, record_verdict, reviewer_agreement
from core.review.queue import spot_check_queue
from core.review.strategies import STRATEGIES

st.title("Spot-check queue")
run = ui.pick_run()
store = ui.reader()
dataset = store.dataset(run["dataset_id"])




@st.cache_data(show_spinner=False)
def choices(run_id, dataset_id, teacher, _version):
    """What the filters offer; aggregates over every example, so computed once per database version."""
    s = ui.reader()
    return (s.ranking_strategies(run_id, teacher), list(s.cluster_terms(run_id, teacher)["cluster"]),
            list(s.slice_columns(dataset_id)["column_name"]))


left, right = st.columns([1, 2])
teacher = left.selectbox("Teacher whose labels to check", list(store.run_teachers(run["run_id"])["teacher_name"]))
strategies, cluster_ids, slice_names = choices(run["run_id"], dataset.dataset_id, teacher, ui.version_key())
strategy = right.selectbox("Rank by", strategies, index=strategies.index("disagreement") if "disagreement" in strategies else 0,
                           format_func=lambda s: f"{s}: {STRATEGIES.description(s) if s in STRATEGIES else ''}")

with st.expander("Filter by slice or cluster"):
    clusters = st.multiselect("Clusters (from the disagreement map)", cluster_ids)
    slice_column = st.selectbox("Slice column", ["(none)", *slice_names])
    values = (st.multiselect("Values", store.column_values(dataset.dataset_id, slice_column))
              if slice_column != "(none)" else [])
    include_reviewed = st.checkbox("Include examples that already have a verdict")


@st.cache_data(show_spinner=False)
def load(run_id, teacher, strategy, clusters, slice_column, values, include_reviewed, _version):
    return spot_check_queue(ui.reader(), run_id, teacher, strategy, clusters=clusters, slice_column=slice_column,
                            slice_values=values, include_reviewed=include_reviewed)


queue = load(run["run_id"], teacher, strategy, clusters, None if slice_column == "(none)" else slice_column,
             values, include_reviewed, ui.version_key())
total = int(queue["total"].iloc[0]) if len(queue) else 0
st.caption(f"{total} training-pool examples in the queue (the labels that teach the student); the first {len(queue)} "
           "are listed. "
           "Gold labels are hidden here so they cannot sway the reviewer.")
shown = queue[["rank", "example_id", "reason", "text", "teacher_label", "teacher_confidence", "student_label",
               "student_confidence", "cluster", "n_verdicts"]]
ui.show_table(shown, f"{run['run_id']}-{teacher}-queue-{strategy}")

left, middle, right = st.columns(3)
left.download_button("Label Studio tasks (JSON)", json.dumps(exchange.to_label_studio(queue, teacher), indent=1),
                     file_name=f"{run['run_id']}-label-studio.json", help="Labeling config: "
                     + exchange.label_studio_config(dataset.label_set))
middle.download_button("Argilla records (JSON)", json.dumps(exchange.to_argilla(queue, teacher), indent=1),
                       file_name=f"{run['run_id']}-argilla.json")
right.download_button("Blank review sheet (CSV)", exchange.to_csv(queue), file_name=f"{run['run_id']}-review.csv")

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
            except PseudolensError as exc:
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
    agreement = reviewer_agreement(verdicts)
    st.caption(f"{len(verdicts)} verdicts from {verdicts['reviewer'].nunique()} reviewers on "
               f"{verdicts['example_id'].nunique()} examples. " + (
                   f"{agreement['n_examples']} examples were reviewed by two or more people; all agreed on "
                   f"{agreement['all_agree']:.0%} of them." if agreement["n_examples"] else
                   "No example has two reviewers yet, so agreement cannot be shown."))
    ui.show_table(verdicts, f"{dataset.name}-verdicts")
    if st.button(f"Apply verdicts: rerun with {teacher}'s labels corrected", help="A new run that trains on the "
                 "teacher's labels and on the corrected labels side by side (Learning curves shows both)."):
        from core.pipeline import apply_verdicts

        new_run = apply_verdicts(ui.writer(), run["run_id"], teacher, progress=ui.progress_bar())
        st.cache_data.clear()
        st.session_state["run_id"] = new_run
        st.success(f"Run {new_run} finished; it is now selected in the sidebar.")

with st.expander("Import completed annotations"):
    fmt = st.selectbox("Format", ["label_studio", "argilla", "csv"])
    upload = st.file_uploader("Label Studio export (JSON), Argilla records (JSON) or the review sheet (CSV)",
                              type=["json", "csv"])
    if upload is not None and st.button("Import verdicts"):
        try:
            with ui.saved_upload(upload) as saved:
                added = exchange.import_verdicts(ui.writer(), dataset.dataset_id, saved, fmt)
        except DataError as exc:
            st.error(f"{upload.name} was not imported; nothing changed.")
            st.code("\n".join(exc.problems[:20]), language=None)
        else:
            st.cache_data.clear()
            st.success(f"{added} new verdicts (verdicts already imported are not added twice).")
