"""Streamlit helpers shared by the pages: the database, the run picker, downloads, and clear messages
instead of tracebacks. Pages stay thin: they ask `core` and draw."""
from __future__ import annotations

import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from streamlit.errors import StreamlitSecretNotFoundError

from core.errors import InputError, StoreBusyError, StoreError
from core.paths import DEFAULT_DB
from core.store import Store

PLOT_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}


API_KEYS = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY")


def export_api_keys() -> None:
    """LLM teachers read their keys from the environment only; a key kept in Streamlit secrets
    (.streamlit/secrets.toml) is copied there, in this process's memory, unless the environment has one."""
    for name in API_KEYS:
        if os.environ.get(name):
            continue
        try:
            value = st.secrets.get(name)
        except StreamlitSecretNotFoundError:
            return
        if value:
            os.environ[name] = str(value)


def db_path() -> Path:
    return Path(os.environ.get("PSEUDOLENS_DB", DEFAULT_DB))


def version_key() -> float:
    """Changes whenever the database file does, so cached queries refresh after a run or a verdict."""
    path = db_path()
    return path.stat().st_mtime if path.exists() else 0.0


@st.cache_resource(show_spinner=False, max_entries=4)
def _reader(path: Path, _version: float) -> Store:
    # one Store per database version: opening checks the schema, which need not happen on every query
    return Store(path, read_only=True, lock_timeout=3.0)


def reader() -> Store:
    """A read-only store, or a message saying what to do, and the page stops."""
    try:
        return _reader(db_path(), version_key())
    except StoreBusyError:
        st.warning(f"The database {db_path()} is busy (a run is writing to it). Reload in a moment.")
    except StoreError as exc:
        st.info(f"{exc}\n\nBuild the demo with `python -m core demo`, or import your data on the **Runs** page.")
    st.stop()


def writer() -> Store:
    try:
        return Store(db_path(), lock_timeout=10.0)
    except StoreError as exc:
        st.error(f"Cannot write to the database: {exc}")
        st.stop()


@st.cache_data(show_spinner=False)
def cached_runs(_version: float) -> pd.DataFrame:
    return reader().runs()


def pick_run(finished_only: bool = True) -> dict:
    """The run the user is looking at, chosen in the sidebar and kept across pages."""
    runs = cached_runs(version_key())
    if finished_only:
        runs = runs[runs["status"] == "finished"]
    if runs.empty:
        st.info("No finished run in this database yet. Start the demo or an import on the **Runs** page, "
                "or run `python -m core demo`.")
        st.stop()
    ids = list(runs["run_id"])
    if st.session_state.get("run_id") not in ids:
        st.session_state["run_id"] = ids[0]
    labels = {r.run_id: f"{r.name} · {r.dataset} · {r.teachers}" for r in runs.itertuples()}
    run_id = st.sidebar.selectbox("Run", ids, index=ids.index(st.session_state["run_id"]), format_func=labels.get)
    st.session_state["run_id"] = run_id
    return reader().run(run_id)


def show_figure(fig: go.Figure, name: str) -> None:
    """A chart, with PNG from the chart's camera button and a standalone HTML download for slides."""
    st.plotly_chart(fig, width="stretch", config={**PLOT_CONFIG, "toImageButtonOptions": {
        **PLOT_CONFIG["toImageButtonOptions"], "filename": name}})
    st.download_button("Download chart (HTML)", fig.to_html(include_plotlyjs="cdn"), file_name=f"{name}.html",
                       mime="text/html", key=f"html-{name}")


def show_table(frame: pd.DataFrame, name: str, **kwargs) -> None:
    """A table (text shown as plain text, never as markup) with a CSV download."""
    st.dataframe(frame, width="stretch", hide_index=True, **kwargs)
    st.download_button("Download table (CSV)", frame.to_csv(index=False), file_name=f"{name}.csv", mime="text/csv",
                       key=f"csv-{name}")


def progress_bar():
    """A `Progress` callback drawing one Streamlit progress bar, with the rate and time left of each stage."""
    bar = st.progress(0.0, text="starting")
    started: dict[str, float] = {}

    def draw(stage: str, done: int, total: int) -> None:
        elapsed = time.monotonic() - started.setdefault(stage, time.monotonic())
        text = f"{stage}: {done}/{total}"
        if done and elapsed > 0 and done < total:
            rate = done / elapsed
            text += f" · {rate:.1f}/s · about {(total - done) / rate:.0f} s left"
        bar.progress(min(done / max(total, 1), 1.0), text=text)

    return draw


MAX_UPLOAD_MB = 200  # also server.maxUploadSize in .streamlit/config.toml


def safe_file_name(name: str) -> str:
    """A browser-given file name reduced to a plain base name: no folders, no NUL bytes, no leading dots."""
    base = Path(name.replace("\\", "/").replace("\0", "")).name.lstrip(".").strip()
    return base or "upload"


@contextmanager
def saved_upload(upload) -> Iterator[Path]:
    """An uploaded file on disk for the duration, under its own (sanitized) base name so the readers in `core`
    can name it in their errors, inside this session's own folder, and removed afterwards."""
    if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
        raise InputError(f"{upload.name}: {upload.size / 2 ** 20:.0f} MB is over the {MAX_UPLOAD_MB} MB upload limit; "
                         "import larger files with `python -m core import`")
    folder = Path(st.session_state.setdefault("upload_folder", tempfile.mkdtemp(prefix="pseudolens-upload-")))
    path = folder / safe_file_name(upload.name)
    path.write_bytes(upload.getvalue())
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def show_data_error(file_name: str, error, outcome: str) -> None:
    """A file's problems (row and column named) under what did not happen because of them."""
    st.error(f"{file_name}: {outcome}")
    st.code("\n".join(error.problems[:20]), language=None)


def simulated_marker(simulated: bool) -> str:
    return " (SIMULATED)" if simulated else ""
