import json

import pandas as pd
import streamlit as st

import ui
from core.errors import DataError, PseudolensError
from core.evaluation.service import slice_options
from core.report.words import visible_slices
from core.review import exchange
from core.review.queue import queue_filters, queue_strategies, spot_check_queue
from core.review.strategies import DEFAULT_STRATEGY, STRATEGIES
from core.review.verdicts import record_verdict, reviewer_agreement, reviewer_disagreements

ui.page("spot_check")
st.title("Spot-check queue")
run = ui.pick_run()
dataset = ui.dataset(run["dataset_id"])
REVIEWER = "reviewer"  # the name stays for the session, across examples and pages, and in the address (a reload)
CHOSEN = "(the label chosen above)"
# Streamlit sends a letter typed into a text box to the box, not to the buttons' shortcuts; Enter (or Esc) in the
# reviewer's or the note's box leaves it, so the next T, L, A or S is a shortcut again. A static script of ours
# (no user data in it), added once per page.
LEAVE_BOX_ON_ENTER = """<script>
if (!window.leaveBoxOnEnter) {
  window.leaveBoxOnEnter = true;
  window.parent.document.addEventListener('keydown', event => {
    const box = event.target;
    if ((event.key === 'Enter' || event.key === 'Escape') && box.tagName === 'INPUT'
        && box.closest('[data-testid=stTextInput]')) box.blur();
  }, true);
}
</script>"""


@st.cache_data(show_spinner=False)
def choices(run_id, dataset_id, teacher, db_version):
    """What the filters offer; aggregates over every example, so computed once per database version."""
    s = ui.reader()
    with s.session():
        slices = {o.title: o for o in queue_filters(visible_slices(slice_options(s, dataset_id)))}
        return queue_strategies(s, run_id, teacher), list(s.cluster_terms(run_id, teacher)["cluster"]), slices


left, right = st.columns([1, 2])
teacher = ui.pick_teacher(run["run_id"], "Teacher whose labels to check", container=left)
strategies, cluster_ids, slices = choices(run["run_id"], dataset.dataset_id, teacher, ui.version_key())
strategy = right.selectbox("Rank by", strategies, index=strategies.index(DEFAULT_STRATEGY) if DEFAULT_STRATEGY in strategies else 0,
                           format_func=lambda s: f"{s}: {STRATEGIES.description(s) if s in STRATEGIES else ''}")

with st.expander("Filter by slice or cluster"):
    clusters = st.multiselect("Clusters (from the disagreement map)", cluster_ids)
    slice_title = st.selectbox("Slice (imported columns and computed slices)", ["(none)", *slices])
    option = slices.get(slice_title)
    values = []
    if option is not None:
        store = ui.reader()
        values = st.multiselect("Values", store.slice_buckets(dataset.dataset_id, option.column) if option.slice_by == "stored"
                                else store.column_values(dataset.dataset_id, option.column))
    include_reviewed = st.checkbox("Include examples that already have a verdict")


@st.cache_data(show_spinner=False)
def load(run_id, teacher, strategy, clusters, slice_title, values, include_reviewed, db_version):
    s = ui.reader()
    with s.session():
        option = slices.get(slice_title)
        by_column = option is not None and option.slice_by == "column" and values
        queue = spot_check_queue(s, run_id, teacher, strategy, clusters=clusters,
                                 slice_column=option.column if by_column else None, slice_values=values if by_column else None,
                                 include_reviewed=include_reviewed, limit=None if option is not None and not by_column and values else 500)
        if option is not None and option.slice_by == "stored" and values:
            # computed slices live in their own table; the queue is cut to their members here
            queue = queue[queue["example_id"].isin(s.slice_members(s.run(run_id)["dataset_id"], option.column, values))]
            queue = queue.assign(total=len(queue), rank=range(1, len(queue) + 1)).head(500)
        return queue


queue = load(run["run_id"], teacher, strategy, clusters, slice_title, values, include_reviewed, ui.version_key())
total = int(queue["total"].iloc[0]) if len(queue) else 0
st.caption(f"{total} training-pool examples in the queue (the labels that teach the student); the first {len(queue)} "
           "are listed. No example's own gold label reaches its place: under cross-fitting every row is queued and its "
           "slice risk comes from other folds' gold; with a fixed test split, test examples are never queued. "
           "Gold labels are hidden here so they cannot sway the reviewer.")


@st.fragment
def review(queue, run_id: str, teacher: str, title: str) -> None:
    """One example at a time, text beside the teacher's label. Saving records the verdict and shows the next example
    without rerunning the page (the queue's table refreshes on the next page run)."""
    done = st.session_state.setdefault(f"reviewed-{run_id}-{teacher}", set())
    later = st.session_state.setdefault(f"later-{run_id}-{teacher}", [])  # skipped: after the others, in that order
    remaining = queue[~queue["example_id"].isin(done)]
    if remaining.empty:
        st.info("Nothing left to review with these filters.")
        return
    ids = [i for i in remaining["example_id"] if i not in later] + [i for i in later if i in set(remaining["example_id"])]
    if st.session_state.get("review-current") not in ids:
        st.session_state["review-current"] = ids[0]
    row = remaining.set_index("example_id").loc[st.session_state["review-current"]]
    example_id = st.session_state["review-current"]
    saved = st.session_state.pop("review-saved", "")

    text, decide = st.columns([3, 2], gap="large")
    with text:
        st.text(f"#{int(row['rank'])} of {len(queue)} listed · {example_id} · {len(remaining) - 1} after this one")
        with st.container(border=True):
            st.text(row["text"])  # plain text: markup in a text is shown, not rendered
        st.text(f"Why it is here: {row['reason']}")
        # always drawn, so the fragment's elements keep their places and the browser updates them in place
        st.caption(saved or "Keyboard: T the teacher is right, L save the chosen label, A ambiguous, S later. "
                   "In a text box letters are typed into the box: Enter leaves it.")
    with decide:
        confidence = row["teacher_confidence"]
        ui.plain_box(f"Teacher's label: {row['teacher_label']}", "same", size="1.3rem",
                     over=title if pd.isna(confidence) else f"{title} · confidence {confidence:.2f}")
        st.text(f"Held-out student says: {row['student_label']}")
        name = st.text_input("Reviewer", value=st.session_state.get(REVIEWER) or st.query_params.get(REVIEWER, ""),
                             key="reviewer-box", placeholder="your name (kept in this page's address)")
        keep_reviewer(name)
        names = dataset.label_set.names
        teacher_label = row["teacher_label"] if row["teacher_label"] in names else None
        # buttons, not a drop-down: after a click the page keeps the keyboard, where a drop-down's search box would
        # take the next letter
        st.pills("Correct label", names, default=teacher_label, key=f"label-{example_id}", required=True,
                 wrap=True)
        st.text_input("Note (optional)", key=f"note-{example_id}")
        right_col, label_col = st.columns(2)
        # the verdict is saved in the button's callback, before the fragment draws again, so the next draw is
        # already the next example
        args = dict(example_id=example_id, ids=ids, done=done)
        right_col.button("Teacher is right", type="primary", shortcut="T", width="stretch", disabled=teacher_label is None,
                         help="Keyboard: T", on_click=save, kwargs={**args, "verdict": "label", "label": teacher_label})
        label_col.button("Save this label", shortcut="L", width="stretch", help="Keyboard: L", on_click=save,
                         kwargs={**args, "verdict": "label", "label": CHOSEN})
        right_col.button("Ambiguous", shortcut="A", width="stretch", help="Keyboard: A", on_click=save,
                         kwargs={**args, "verdict": "ambiguous", "label": None})
        label_col.button("Later", shortcut="S", width="stretch", on_click=skip,
                         kwargs={"example_id": example_id, "ids": ids, "later": later},
                         help="Keyboard: S. No verdict: the example comes back after the others.")
        if "review-error" in st.session_state:
            ui.error(st.session_state.pop("review-error"))


def keep_reviewer(name: str) -> None:
    st.session_state[REVIEWER] = name
    if name:
        st.query_params[REVIEWER] = name


def skip(example_id: str, ids: list[str], later: list[str]) -> None:
    if example_id in later:
        later.remove(example_id)
    later.append(example_id)
    st.session_state["review-current"] = next((i for i in ids if i != example_id), example_id)
    st.session_state["review-saved"] = ("No verdict: that example comes back after the others."
                                        if len(ids) > 1 else "No verdict; it is the only example left.")


def save(example_id: str, ids: list[str], done: set, verdict: str, label) -> None:
    # the widgets' values as the user left them when pressing the button (the callback runs before the next draw)
    keep_reviewer(st.session_state.get("reviewer-box", ""))
    name = st.session_state[REVIEWER]
    if label is CHOSEN:
        label = st.session_state[f"label-{example_id}"]
        if label is None:
            st.session_state["review-error"] = "Choose the correct label first (the buttons under 'Correct label')."
            return
    try:
        record_verdict(ui.writer(), dataset.dataset_id, example_id, name, verdict, label,
                       st.session_state.get(f"note-{example_id}", ""))
    except PseudolensError as exc:
        st.session_state["review-error"] = str(exc)
        return
    done.add(example_id)
    st.cache_data.clear()  # the queue and the verdicts table, when the page draws again
    # ids and labels are user data, and a caption renders markdown: the message names neither
    st.session_state["review-saved"] = f"Verdict saved ({len(done)} this session); here is the next example."
    st.session_state["review-current"] = next((i for i in ids if i not in done), None)


st.subheader("Review")
st.html(LEAVE_BOX_ON_ENTER, unsafe_allow_javascript=True)
title = ui.run_teacher_titles(run["run_id"])[teacher]  # read here: a fragment rerun reads nothing
review(queue, run["run_id"], teacher, title)

with st.expander(f"The queue ({len(queue)} listed) and exports"):
    shown = queue[["rank", "example_id", "reason", "text", "teacher_label", "teacher_confidence", "student_label",
                   "student_confidence", "cluster", "n_verdicts"]]
    ui.show_table(shown.round({"teacher_confidence": 2, "student_confidence": 2}),
                  f"{run['run_id']}-{teacher}-queue-{strategy}",
                  columns=["rank", "example_id", "reason", "text", "teacher_label", "teacher_confidence", "student_label",
                           "cluster", "n_verdicts"])
    # the suggestion's author says what the teacher is, so a reviewer in Label Studio or Argilla sees SIMULATED too
    left, config_col, middle, right = st.columns(4)
    # each file is built when its button is pressed, not on every rerun of the page
    left.download_button("Label Studio tasks (JSON)", lambda: json.dumps(exchange.to_label_studio(queue, title), indent=1),
                         file_name=f"{run['run_id']}-label-studio.json", on_click="ignore")
    config_col.download_button("Label Studio labeling config (XML)", exchange.label_studio_config(dataset.label_set),
                               file_name=f"{dataset.name}-label-studio-config.xml", mime="application/xml",
                               on_click="ignore")
    middle.download_button("Argilla records (JSON)", lambda: json.dumps(exchange.to_argilla(queue, title), indent=1),
                           file_name=f"{run['run_id']}-argilla.json", on_click="ignore")
    right.download_button("Blank review sheet (CSV)", lambda: exchange.to_csv(queue),
                          file_name=f"{run['run_id']}-review.csv", on_click="ignore")

st.subheader("Verdicts so far")


@st.cache_data(show_spinner=False)
def load_verdicts(dataset_id, db_version):
    return ui.reader().verdicts(dataset_id)


verdicts = load_verdicts(dataset.dataset_id, ui.version_key())
if verdicts.empty:
    st.info("No verdicts yet.")
else:
    agreement = reviewer_agreement(verdicts)
    st.text(f"{len(verdicts)} verdicts from {verdicts['reviewer'].nunique()} reviewers on "
            f"{verdicts['example_id'].nunique()} examples. " + (
                f"{agreement['n_examples']} examples were reviewed by two or more people; all agreed on "
                f"{agreement['all_agree']:.0%} of them." if agreement["n_examples"] else
                "No example has two reviewers yet, so agreement cannot be shown."))
    conflicts = reviewer_disagreements(verdicts)
    if not conflicts.empty:
        tied = conflicts[conflicts["tied"]]
        (st.warning if len(tied) else st.info)(
            f"Reviewers disagree on {len(conflicts)} examples. {len(tied)} are tied: applying the verdicts now would "
            "leave a tied example out of training when one side says ambiguous, or take the first label in label-set "
            "order. Decide them below: your verdict breaks the tie.")
        ui.show_table(conflicts, f"{dataset.dataset_id}-disagreements")
        if len(tied):
            with st.form("decide"):
                pick = st.selectbox("Tied example", list(tied["example_id"]))
                final = st.selectbox("Final label", [*dataset.label_set.names, "ambiguous"], key="decide-final")
                if st.form_submit_button("Record the deciding verdict"):
                    try:
                        record_verdict(ui.writer(), dataset.dataset_id, pick, st.session_state.get(REVIEWER, ""),
                                       "ambiguous" if final == "ambiguous" else "label",
                                       None if final == "ambiguous" else final, "decides a tie between reviewers")
                    except PseudolensError as exc:
                        ui.error(str(exc))
                    else:
                        st.cache_data.clear()
                        st.rerun()
    ui.show_table(verdicts, f"{dataset.dataset_id}-verdicts")
    if st.button("Apply verdicts: rerun with this teacher's labels corrected", help="A new run that trains on the "
                 "teacher's labels and on the corrected labels side by side (Learning curves shows both)."):
        from core.pipeline import apply_verdicts

        with ui.reporting_errors("No run was started; the verdicts are kept."):
            new_run = apply_verdicts(ui.writer(), run["run_id"], teacher, progress=ui.progress_bar())
        st.cache_data.clear()
        ui.select_run(new_run)
        st.rerun()

with st.expander("Import completed annotations"):
    fmt = st.selectbox("Format", ["label_studio", "argilla", "csv"])
    upload = ui.file_upload("Label Studio export or Argilla records (JSON), or the review sheet", ["json", "csv"],
                            key="verdict-file")
    if upload is not None and st.button("Import verdicts"):
        try:
            with ui.saved_upload(upload) as saved:
                added = exchange.import_verdicts(ui.writer(), dataset.dataset_id, saved, fmt)
        except DataError as exc:
            ui.show_data_error(upload.name, exc, "was not imported; nothing changed.")
        except PseudolensError as exc:  # a busy database, say: named, and nothing was imported
            ui.error(f"{upload.name} was not imported: {exc}")
        else:
            st.cache_data.clear()
            st.success(f"{added} new verdicts (verdicts already imported are not added twice).")
