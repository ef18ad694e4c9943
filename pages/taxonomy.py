import pandas as pd
import streamlit as st
import yaml

import ui
from core.datasets.reading import read_texts
from core.errors import DataError, PseudolensError
from core.taxonomy.propose import edited, propose, save_taxonomy

ui.page("taxonomy")
st.title("Label set (taxonomy)")
st.caption("For texts without a label set: propose one, edit the names and descriptions, then import the texts with "
           "it on the **Runs** page. With an LLM this follows TnT-LLM (summaries, proposals over minibatches, a "
           "critique and revision); offline, labels are embedding clusters named by their top terms.")

run = ui.chosen_run()
if run is not None:
    st.header("The label set in use")
    st.text(f"Data set {run['dataset']}, of the run chosen in the sidebar ({run['name']}): the labels its teachers "
            "chose from and its human labels use.")
    ui.show_table(pd.DataFrame([{"label": label.name, "description": label.description}
                                for label in ui.dataset(run["dataset_id"]).label_set.labels]),
                  f"{run['dataset']}-label-set")


def show_stored(taxonomy_id: str, message: str) -> None:
    """Selects a just-stored taxonomy in the editor below and says so."""
    st.session_state["taxonomy_id"] = taxonomy_id
    st.cache_data.clear()
    st.success(message)


st.header("Propose")
upload = ui.file_upload("Texts", ["csv", "tsv", "parquet", "jsonl"], key="tax-file")
if upload is not None:
    with st.form("propose"):
        column = st.text_input("Text column", value="text")
        method = st.selectbox("Method", ["clusters", "claude", "openai_compatible"],
                              format_func={"clusters": "Embedding clusters (offline, free)",
                                           "claude": "Claude (TnT-LLM; needs ANTHROPIC_API_KEY)",
                                           "openai_compatible": "OpenAI-compatible endpoint (TnT-LLM)"}.get)
        max_labels = st.number_input("Labels (at most)", min_value=2, max_value=30, value=8)
        use_case = st.text_input("Use case", value="sort these texts into categories a team can act on")
        model = st.text_input("Model (LLM methods)", value="")
        base_url = st.text_input("Endpoint URL (OpenAI-compatible)", value="")
        if st.form_submit_button("Propose"):
            try:
                with ui.saved_upload(upload) as saved:
                    texts = read_texts(saved, column)
                with st.spinner("Proposing a label set"):
                    taxonomy_id, _ = propose(ui.writer(), texts, upload.name, method, int(max_labels), use_case,
                                             model=model or None, base_url=base_url or None)
            except DataError as exc:
                ui.show_data_error(upload.name, exc, "no taxonomy was proposed.")
            except PseudolensError as exc:
                ui.error(str(exc))
            else:
                show_stored(taxonomy_id, f"Proposed and stored taxonomy {taxonomy_id}.")

st.header("Edit")
if not ui.db_path().exists():
    st.info("No database yet: propose a taxonomy above.")
    st.stop()
stored = ui.reader().taxonomies()
if stored.empty:
    st.info("No taxonomy stored yet: propose one above, or with `python -m core taxonomy FILE --text COLUMN --out labels.yaml`.")
    st.stop()
by_id = stored.set_index("taxonomy_id")
titles = {i: f"{r.method} · {r.source} · {len(r.labels)} labels · {r.created_at:%Y-%m-%d %H:%M}" for i, r in by_id.iterrows()}
ids = list(by_id.index)
chosen = st.selectbox("Taxonomy", ids, index=ids.index(st.session_state["taxonomy_id"])
                      if st.session_state.get("taxonomy_id") in ids else 0, format_func=titles.get)
row = by_id.loc[chosen]
table = st.data_editor(pd.DataFrame(row["labels"], columns=["name", "description"]), num_rows="dynamic",
                       width="stretch", key=f"editor-{chosen}")
records = table.fillna("").to_dict("records")
left, right = st.columns(2)
if left.button("Save as an edited taxonomy"):
    try:
        taxonomy_id = save_taxonomy(ui.writer(), edited(chosen, records), row["source"])
    except PseudolensError as exc:
        ui.error(str(exc))
    else:
        show_stored(taxonomy_id, f"Saved as taxonomy {taxonomy_id}; choose it when importing on the Runs page.")
right.download_button("Download label file (YAML)", yaml.safe_dump({"labels": records}, sort_keys=False, allow_unicode=True),
                      file_name="labels.yaml", mime="application/x-yaml")
with st.expander("Provenance"):
    provenance = row["provenance"]
    if "cost_usd" in provenance:
        st.write(f"{provenance['calls']} LLM calls ({provenance['invalid_calls']} invalid), "
                 f"{provenance['input_tokens']} input and {provenance['output_tokens']} output tokens, "
                 f"${provenance['cost_usd']:.4f}")
    if provenance.get("critique"):
        st.markdown("**Critique before the revision**")
        st.text(provenance["critique"])
    st.json(provenance, expanded=False)
