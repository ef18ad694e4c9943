"""pseudolens dashboard: `streamlit run app.py` (database: $PSEUDOLENS_DB or data/pseudolens.duckdb).

Streamlit's own multipage layout: every file in pages/ is a page at its own address (pages/slices.py is /slices),
found by Streamlit itself, so a deep link, a reload or a new tab runs that page's file directly, on a fresh
server as on a warm one. Each page starts with `ui.page(...)`, which draws the sidebar every page shares (the
eight pages by their titles, the run picker and the metric, kept in session state across pages). Streamlit's
automatic page list is turned off (`client.showSidebarNavigation = false`), since it would title the pages by
their file names. This entry file is the bare address: it goes on to the Overview."""
import streamlit as st

st.switch_page("pages/overview.py")
