import streamlit as st

import ui
from core.evaluation.service import run_scheme_words
from core.report import charts, tables
from core.report.words import LABEL_MODES

ui.page("learning_curves")
st.title("Learning curves")
run = ui.pick_run()
metric = ui.metric()


@st.cache_data(show_spinner=False)
def load(run_id, db_version):
    s = ui.reader()
    with s.session():
        return s.curve(run_id), s.teacher_scores(run_id)


curve, teacher_scores = load(run["run_id"], ui.version_key())
titles = ui.run_teacher_titles(run["run_id"])
curve = curve[curve["metric"] == metric]
left, right = st.columns([2, 1])
# buttons, not a drop-down's chips, which cut a long teacher title short
chosen = left.pills("Teachers", list(titles), selection_mode="multi", default=list(titles), format_func=titles.get,
                    wrap=True)
all_modes = sorted(set(curve["label_mode"]) - {"hard"} | {"hard"})
modes = right.pills("Student trained on the teacher's", all_modes, selection_mode="multi", default=all_modes,
                    format_func=lambda mode: f"{mode} labels", wrap=True)
right.caption("; ".join(LABEL_MODES[mode] for mode in all_modes if mode in LABEL_MODES))
fig = charts.learning_curve(curve, teacher_scores, titles, modes, metric,
                            f"Student {ui.METRIC_NAMES[metric]} by training size: teacher labels against human labels",
                            chosen=chosen)
ui.show_figure(fig, f"{run['run_id']}-learning-curve-{metric}")
st.caption(f"Bands: {run_scheme_words(ui.reader(), run['run_id'])}. Dashed lines: each teacher scored on the same gold "
           "rows, a bootstrap over those rows (named in the legend).")

table = curve[curve["trained_on"].isin(["gold", *chosen]) & curve["label_mode"].isin(["hard", *modes])]
ui.show_table(table.assign(trained_on=table["trained_on"].map({**titles, "gold": "gold (human)"}),
                           **{f"{ui.METRIC_NAMES[metric]} [95% CI]": tables.with_interval(
                               table.assign(mean_lo=table["lo"], mean_hi=table["hi"]), "mean")}),
              f"{run['run_id']}-curve-{metric}",
              columns=["trained_on", "label_mode", "size", f"{ui.METRIC_NAMES[metric]} [95% CI]", "n_seeds", "n_train",
                       "n_test", "n_unconverged"])
