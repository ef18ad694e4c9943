import json
from pathlib import Path

import streamlit as st

import ui
from core.datasets.labelset import LabelSet
from core.datasets.pairs import name_value_pairs
from core.datasets.reading import ColumnMapping, read_dataset
from core.errors import ConfigError, DataError, PseudolensError
from core.evaluation.config import parse_config
from core.teachers.outbound import check_dashboard_destinations

ui.page("runs")
st.title("Runs")
path = ui.db_path()


if path.exists():
    runs = ui.reader().runs()  # not cached: a run killed meanwhile turns 'interrupted' without the file changing
    if runs.empty:
        st.info("No runs yet: run a config below, or build the demo.")
    else:
        table = runs.assign(timings=[json.loads(t) if t else {} for t in runs["timings"]])
        table["seconds"] = [t.get("total") for t in table["timings"]]
        # what each teacher is, so a SIMULATED run is never read as an LLM's
        table["teachers"] = [", ".join(ui.run_teacher_titles(run_id).values()) for run_id in runs["run_id"]]
        ui.show_table(table[["run_id", "name", "dataset", "teachers", "status", "created_at", "finished_at", "seconds",
                             "code_version", "error"]], "runs",
                      columns=["run_id", "name", "dataset", "teachers", "status", "finished_at", "seconds", "error"])
        with st.expander("Configs and timings"):
            for r in runs.itertuples():
                st.text(r.run_id)
                st.json({"config": json.loads(r.config), "timings": json.loads(r.timings) if r.timings else {}})
else:
    st.info(f"No database at {path} yet. Build the demo below, or import a file.")

st.header("Build the demo database")
st.caption("Generates the demo corpus, labels it with two SIMULATED teachers and a zero-shot embedding model, and "
           "runs the demo experiments (about two minutes). Replaces the database file when it finishes.")
runs_now = ui.cached_runs(ui.version_key()) if path.exists() else None
confirmed = True
if runs_now is not None:
    # replacing the file loses everything in it; say what, and build only once the user has said so
    st.text(f"This replaces {path}: its {len(runs_now)} runs, every imported data set, verdict and taxonomy in it.")
    confirmed = st.checkbox("I understand: replace the database and lose what is in it", key="confirm-demo")
if st.button("Build the demo database", disabled=not confirmed):
    from core.demo import build_demo_database

    with ui.reporting_errors("The demo database was not built; the file is as it was."):
        build_demo_database(path, progress=ui.progress_bar())
    st.cache_data.clear()
    st.success("Demo database built.")

st.header("Import a data set")
upload = ui.file_upload("Data file", ["csv", "tsv", "parquet", "jsonl"], key="import-file")
if upload is not None:
    with st.form("import"):
        name = st.text_input("Name in the database", value=Path(upload.name).stem)
        text = st.text_input("Text column", value="text")
        gold = st.text_input("Gold label column (optional)")
        split = st.text_input("Split column (optional)")
        slices = st.text_input("Slice columns, comma-separated (optional)")
        llm = st.text_input("Existing LLM labels as TEACHER=COLUMN, comma-separated (optional)")
        stored = ui.reader().taxonomies() if path.exists() else None
        taxonomies = {} if stored is None else dict(zip(stored["taxonomy_id"], stored["labels"]))
        taxonomy_id = st.selectbox("Label set", [None, *taxonomies], format_func=lambda i: "from the labels in the data"
                                   if i is None else f"taxonomy {i} ({', '.join(r['name'] for r in taxonomies[i])})")
        if st.form_submit_button("Import"):
            try:
                from core.datasets.importing import import_dataset

                mapping = ColumnMapping(text=text, gold=gold or None, split=split or None,
                                        slices=tuple(s.strip() for s in slices.split(",") if s.strip()),
                                        llm_labels=name_value_pairs(llm))

                label_set = None if taxonomy_id is None else LabelSet.from_records(taxonomies[taxonomy_id])
                with ui.saved_upload(upload) as saved:
                    info = import_dataset(ui.writer(), read_dataset(saved, mapping, label_set), name)
            except DataError as exc:
                ui.show_data_error(upload.name, exc, "nothing was imported.")
            except PseudolensError as exc:  # the message names what to fix; the database is unchanged
                ui.error(str(exc))
            else:
                st.cache_data.clear()
                st.success(f"Imported {info.n_examples} examples.")
                st.text(f"Data set name: {info.name}")

st.header("Run an experiment")
example = (Path(__file__).resolve().parent.parent / "data" / "demo_run.toml").read_text()
config_text = st.text_area("Run config (TOML)", value=example, height=300)
if st.button("Start the run"):
    import tomllib

    from core.pipeline import run_experiment

    try:
        config = parse_config(tomllib.loads(config_text))
        check_dashboard_destinations(config.teachers)  # a web page must not choose where keys go
    except (ConfigError, tomllib.TOMLDecodeError) as exc:
        ui.error(str(exc))
    else:
        try:
            run_id = run_experiment(ui.writer(), config, progress=ui.progress_bar())
        except PseudolensError as exc:
            ui.error(str(exc))
        else:
            st.cache_data.clear()
            ui.select_run(run_id)
            st.success("Run finished; it is now selected in the sidebar.")
            st.text(f"Run id: {run_id}")
