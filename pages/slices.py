import shlex

import pandas as pd
import streamlit as st

import ui
from core.evaluation.service import run_scheme_words, slice_options, slice_table
from core.evaluation.slice_errors import MIN_CELL, structure_sentence
from core.report import charts, tables
from core.report.words import LABEL_MODES, structure_found, structure_words, visible_slices

ui.page("slices")
st.title("Slice error maps")
run = ui.pick_run()


@st.cache_data(show_spinner=False)
def offered(dataset_id, db_version):
    return visible_slices(slice_options(ui.reader(), dataset_id))


options = offered(run["dataset_id"], ui.version_key())
left, middle, right = st.columns(3)
teacher = ui.pick_teacher(run["run_id"], container=left)
title = ui.run_teacher_titles(run["run_id"])[teacher]
mode = middle.selectbox("Student trained on the teacher's", run["config"]["student"]["label_modes"],
                        format_func=LABEL_MODES.get)
titles = [o.title for o in options]
depth = next((i for i, o in enumerate(options) if o.column == "clause_depth"), 0)  # the research's first suspect
option = options[titles.index(right.selectbox("Slice by", titles, index=depth))]
if not any(o.slice_by == "stored" for o in options):
    from core.pipeline import compute_dataset_slices
    from core.slices.service import default_slicers

    ui.offer_to_compute(
        "The failure-zone slices of this data set (syntactic depth, ambiguity cues, negation, length, rare gold "
        "classes, teacher self-disagreement, disagreement between teachers) are not computed yet. They take about "
        "four seconds per 1,000 texts, once; an LLM judge for ambiguity and false premises is added with --judge:",
        f"python -m core slices --dataset {shlex.quote(run['dataset'])} --judge claude", "Compute the slices",
        lambda store, progress: compute_dataset_slices(store, run["dataset_id"],
                                                       default_slicers(store, run["dataset_id"]), progress=progress),
        "The slices were not stored.")


@st.cache_data(show_spinner=False)
def load(run_id, teacher, mode, title, db_version):
    s = ui.reader()
    with s.session():
        chosen = next(o for o in slice_options(s, s.run(run_id)["dataset_id"]) if o.title == title)
        return slice_table(s, run_id, teacher, mode, chosen)


table = load(run["run_id"], teacher, mode, option.title, ui.version_key())
ui.plain_box(structure_words(table, option.title, title), "warning" if structure_found(table) else "same",
             size="1.1rem")
with st.expander("The statistics behind this sentence"):
    st.text(structure_sentence(table, option.title))
    st.caption("A chi-square (or permutation) test of equal teacher error rates across the groups, its p "
               "Benjamini-Hochberg adjusted over every slice tested for this teacher, and per group a one-sided Fisher "
               "exact test of its rate against the rest (Holm-adjusted over the groups).")
st.caption(f"Scored gold rows only: {run_scheme_words(ui.reader(), run['run_id'])}. "
           "Students at their largest training size, error averaged over seeds. "
           f"95% Wilson intervals. Cells with fewer than {MIN_CELL} examples are greyed out and say so.")
ui.show_figure(charts.slice_heatmap(table, title, option.title, MIN_CELL, f"Error rate by {option.title}"),
               f"{run['run_id']}-slices-heatmap")
ui.show_figure(charts.slice_bars(table, title, option.title, f"Error rate by {option.title}, with 95% intervals"),
               f"{run['run_id']}-slices-bars")

st.subheader("Inheritance: does the student copy its teacher's mistakes?")
st.caption("If the student only learned the task, P(student wrong | teacher wrong) would be close to "
           "P(student wrong | teacher right). A large gap means the teacher's errors were learned.")
ui.show_figure(charts.inheritance_bars(table, option.title, "Does the student copy its teacher's mistakes? "
                                       f"By {option.title}"), f"{run['run_id']}-inheritance")
# one column per group, one row per measure: a slice has a handful of groups, so the table fits the page
measures = {"texts (n)": table["n"].astype(str).tolist(), **{
    name: tables.with_interval(table, column, digits=2) for column, name in [
        ("teacher_error", "teacher error"), ("student_error", "student error, trained on teacher labels"),
        ("gold_student_error", "student error, trained on human labels"),
        ("student_wrong_if_teacher_wrong", "P(student wrong | teacher wrong)"),
        ("student_wrong_if_teacher_right", "P(student wrong | teacher right)")]},
    "teacher error above the rest: p (Holm)": table["teacher_excess_p"].map("{:.2g}".format).tolist()}
by_group = pd.DataFrame(measures, index=table["bucket"].astype(str)).T.rename_axis(option.title).reset_index()
ui.show_table(by_group, f"{run['run_id']}-{teacher}-slices")
st.caption("Error rates with 95% Wilson intervals, on the test examples of each group. The CSV holds the same "
           "rows and measures.")
