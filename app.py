"""pseudolens dashboard: `streamlit run app.py` (database: $PSEUDOLENS_DB or data/pseudolens.duckdb).

The views live in views/, a folder Streamlit does not discover by itself, so a deep link (/slices) is routed by
the navigation below and lands on its page. The run picker and the metric are drawn here, in the entry file, on
every page: their keyed widgets keep the user's choice when the page changes."""
import streamlit as st

import ui

st.set_page_config(page_title="pseudolens", layout="wide")
ui.export_api_keys()

VIEWS = [("overview", "Overview"), ("learning_curves", "Learning curves"), ("slices", "Slice error maps"),
         ("disagreements", "Disagreement map"), ("spot_check", "Spot-check queue"), ("budget", "Budget curves"),
         ("taxonomy", "Label set"), ("runs", "Runs")]
pages = [st.Page(f"views/{name}.py", title=title, url_path=name, default=name == "overview") for name, title in VIEWS]
navigation = st.navigation(pages)
ui.sidebar_controls()
navigation.run()
