"""pseudolens dashboard: `streamlit run app.py` (database: $PSEUDOLENS_DB or data/pseudolens.duckdb)."""
import streamlit as st

import ui

st.set_page_config(page_title="pseudolens", layout="wide")
ui.export_api_keys()

pages = [
    st.Page("pages/overview.py", title="Overview", default=True),
    st.Page("pages/learning_curves.py", title="Learning curves"),
    st.Page("pages/slices.py", title="Slice error maps"),
    st.Page("pages/disagreements.py", title="Disagreement map"),
    st.Page("pages/spot_check.py", title="Spot-check queue"),
    st.Page("pages/budget.py", title="Budget curves"),
    st.Page("pages/taxonomy.py", title="Label set"),
    st.Page("pages/runs.py", title="Runs"),
]
st.navigation(pages).run()
