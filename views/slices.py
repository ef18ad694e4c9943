import numpy as np
import plotly.graph_objects as go
import streamlit as st

import ui
from core.evaluation.slice_errors import MIN_CELL, structure_sentence
from core.evaluation.service import slice_options, slice_table

st.title("Slice error maps")
run = ui.pick_run()
store = ui.reader()
teachers = store.run_teachers(run["run_id"])
options = slice_options(store, run["dataset_id"])
left, middle, right = st.columns(3)
teacher = left.selectbox("Teacher", list(teachers["teacher_name"]))
mode = middle.selectbox("Student trained on the teacher's", run["config"]["student"]["label_modes"])
titles = [o.title for o in options]
depth = next((i for i, o in enumerate(options) if o.column == "clause_depth"), 0)  # the research's first suspect
option = options[titles.index(right.selectbox("Slice by", titles, index=depth))]
if not any(o.slice_by == "stored" for o in options):
    st.info("The failure-zone slices of this data set (syntactic depth, ambiguity cues, negation, length, rare gold "
            "classes, teacher self-disagreement, disagreement between teachers) are not computed yet. They take about "
            "four seconds per 1,000 texts, once; an LLM judge for ambiguity and false premises is added with "
            "`python -m core slices --dataset NAME --judge claude`.")
    if st.button("Compute the slices"):
        from core.slices.service import compute_slices, default_slicers

        writer = ui.writer()
        compute_slices(writer, run["dataset_id"], default_slicers(writer, run["dataset_id"]), progress=ui.progress_bar())
        st.cache_data.clear()
        st.rerun()


@st.cache_data(show_spinner=False)
def load(run_id, teacher, mode, title, _version):
    chosen = next(o for o in slice_options(ui.reader(), ui.reader().run(run_id)["dataset_id"]) if o.title == title)
    return slice_table(ui.reader(), run_id, teacher, mode, chosen)


table = load(run["run_id"], teacher, mode, option.title, ui.version_key())
st.caption(f"Test examples only. Students at their largest training size, error averaged over seeds. "
           f"95% Wilson intervals. Cells with fewer than {MIN_CELL} examples are greyed out and say so.")

models = [("teacher_error", f"teacher {teacher}"), ("student_error", "student on teacher labels"),
          ("gold_student_error", "student on human labels")]
z = np.array([[r if ok else np.nan for r, ok in zip(table[col], table["enough"])] for col, _ in models])
text = [[f"{r:.2f}<br>n={n}" if ok else f"too few<br>n={n}" for r, n, ok in zip(table[col], table["n"], table["enough"])]
        for col, _ in models]
heat = go.Figure(go.Heatmap(z=z, x=[str(b) for b in table["bucket"]], y=[name for _, name in models], text=text,
                            texttemplate="%{text}", colorscale="Reds", zmin=0, zmax=max(0.5, np.nanmax(z) if np.isfinite(z).any() else 0.5),
                            colorbar=dict(title="error"), hoverongaps=False))
heat.update_layout(xaxis_title=option.title, xaxis_type="category", height=320, plot_bgcolor="#eeeeee")
ui.show_figure(heat, f"{run['run_id']}-slices-heatmap")
st.markdown(structure_sentence(table, option.title))

bars = go.Figure()
for col, name in models:
    bars.add_trace(go.Bar(name=name, x=[str(b) for b in table["bucket"]], y=table[col],
                          error_y=dict(type="data", symmetric=False, array=table[f"{col}_hi"] - table[col],
                                       arrayminus=table[col] - table[f"{col}_lo"])))
bars.update_layout(barmode="group", yaxis_title="error rate", xaxis_title=option.title, xaxis_type="category", height=380)
ui.show_figure(bars, f"{run['run_id']}-slices-bars")

st.subheader("Inheritance: does the student copy its teacher's mistakes?")
st.caption("If the student only learned the task, P(student wrong | teacher wrong) would be close to "
           "P(student wrong | teacher right). A large gap means the teacher's errors were learned.")
inherit = go.Figure()
for col, name, n_col in (("student_wrong_if_teacher_wrong", "P(student wrong | teacher wrong)", "n_teacher_wrong"),
                         ("student_wrong_if_teacher_right", "P(student wrong | teacher right)", "n_teacher_right")):
    inherit.add_trace(go.Bar(name=name, x=[str(b) for b in table["bucket"]], y=table[col],
                             text=[f"n={n}" for n in table[n_col]], textposition="outside",
                             error_y=dict(type="data", symmetric=False, array=table[f"{col}_hi"] - table[col],
                                          arrayminus=table[col] - table[f"{col}_lo"])))
inherit.update_layout(barmode="group", yaxis_title="probability", xaxis_title=option.title, xaxis_type="category", height=380)
ui.show_figure(inherit, f"{run['run_id']}-inheritance")
ui.show_table(table, f"{run['run_id']}-slices")
