"""pseudolens dashboard: `streamlit run app.py` (database: $PSEUDOLENS_DB or data/pseudolens.duckdb)."""
import streamlit as st

st.set_page_config(page_title="pseudolens", layout="wide")

pages = [
    st.Page("pages/overview.py", title="Overview", default=True),
    st.Page("pages/learning_curves.py", title="Learning curves"),
    st.Page("pages/slices.py", title="Slice error maps"),
    st.Page("pages/disagreements.py", title="Disagreement map"),
    st.Page("pages/spot_check.py", title="Spot-check queue"),
    st.Page("pages/budget.py", title="Budget curves"),
    st.Page("pages/runs.py", title="Runs"),
]
st.navigation(pages).run()
