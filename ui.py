"""Streamlit helpers shared by the pages: the database, the run picker, downloads, and clear messages
instead of tracebacks. Pages stay thin: they ask `core` and draw."""
from __future__ import annotations

import html
import json
import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import altair as alt
import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from core.decision.costs import Costs
from core.errors import InputError, PseudolensError, StoreBusyError, StoreError
from core.evaluation.metrics import METRIC_NAMES
from core.paths import DEFAULT_DB, derived_status_path
from core.progress import Progress
from core.report.html import chart_page
from core.report.images import png
from core.report.words import teacher_titles
from core.store import Store
from core.teachers import outbound

API_KEYS = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY")


def export_api_keys() -> None:
    """The dashboard's API keys: where they come from and where they may go. LLM teachers read their keys from
    the environment only; a key kept in Streamlit secrets (.streamlit/secrets.toml) is copied there, in this
    process's memory, unless the environment has one. Called by the entry file on every script run, which it
    marks as the dashboard's, so every LLM teacher built in it passes the outbound guard (core.teachers.outbound)."""
    outbound.from_dashboard()
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
def _reader(path: Path, db_version: float) -> Store:
    # one Store per database version: opening checks the schema, which need not happen on every query
    return Store(path, read_only=True, lock_timeout=3.0)


def reader() -> Store:
    """A read-only store, or a message saying what to do, and the page stops."""
    try:
        return _reader(db_path(), version_key())
    except StoreBusyError:  # the path is the user's, so it is shown as typed
        plain_box(f"The database {db_path()} is busy (a run is writing to it). Reload in a moment.", "warning")
    except StoreError as exc:
        plain_box(str(exc), "warning")
        st.info("Build the demo with `python -m core demo`, or import your data on the **Runs** page.")
    st.stop()


@st.cache_resource(show_spinner=False, max_entries=2)
def _writer(path: Path) -> Store:
    # opened (schema checked, upgraded if older) once per file; its connections are short-lived all the same,
    # so keeping it holds no lock between writes
    return Store(path, lock_timeout=10.0)


def writer() -> Store:
    try:
        return _writer(db_path())
    except StoreError as exc:
        error(f"Cannot write to the database: {exc}")
        st.stop()


@st.cache_data(show_spinner=False)
def cached_runs(db_version: float) -> pd.DataFrame:
    return reader().runs()


RUN_KEY, METRIC_KEY, NEXT_RUN_KEY = "run", "metric", "next-run"
HUMAN_LABEL_KEY, CHECK_KEY = "human-label-usd", "check-usd"  # the decision's prices, kept across pages

# pages/<file>.py -> its title in the sidebar, in the sidebar's order; the file name is the page's address
PAGES = {"overview": "Overview", "learning_curves": "Learning curves", "slices": "Slice error maps",
         "disagreements": "Disagreement map", "spot_check": "Spot-check queue", "budget": "Budget curves",
         "taxonomy": "Label set", "runs": "Runs"}


CHART_PAGES = {"overview", "learning_curves", "slices", "disagreements", "budget"}


def load_charts_for_the_next_page() -> None:
    """On a page without charts, an empty chart out of sight, so that the browser has Vega's script (0.8 MB, about
    0.25 s to fetch and compile in a tab that never had it) before the next page draws its charts: without it the
    Overview's first visit after the Runs page took 0.81-1.05 s (bench/browser_pages.py, three runs; goal < 1 s)."""
    with st.container(key="charts-preload"):  # inside its own box, so the page has no gap where it is
        st.html("<style>.st-key-charts-preload, :has(> .st-key-charts-preload) {display: none}</style>")
        st.vega_lite_chart({"mark": "point"}, key="charts-preload-chart")


def page(name: str) -> None:
    """What every page draws first: its browser tab title, and the sidebar all pages share: the eight pages by
    title, then the run picker and the metric. Streamlit runs a page's file directly (pages/ is its own
    multipage layout), so each page calls this, and a deep link, a reload or a new tab gets the same sidebar."""
    st.set_page_config(page_title=f"{PAGES[name]} · pseudolens", layout="wide")
    export_api_keys()
    with st.sidebar:
        for file, title in PAGES.items():
            st.page_link(f"pages/{file}.py", label=title)
    sidebar_controls()
    if name not in CHART_PAGES:
        with st.sidebar:
            load_charts_for_the_next_page()


@st.fragment(run_every=5)
def background_steps() -> None:
    """How far `./scripts/start`'s background steps are (slices, noise experiment, budget curves, map), in the
    sidebar every page shows; looked at again every 5 s, and the page reloads when they finish."""
    path = derived_status_path(db_path())
    if not path.exists():
        return
    try:
        status = json.loads(path.read_text())
    except (OSError, ValueError):
        return  # being written this instant; the next look reads it whole
    if status["step"] == "done":
        if st.session_state.pop("background-running", False):
            st.cache_data.clear()
            st.rerun(scope="app")
        return
    st.session_state["background-running"] = True
    st.info(f"Preparing the demo in the background ({status['done']} of {status['total']} steps done; now: "
            f"{status['step']}). Pages that need a step say so until it is done.")


def sidebar_controls() -> None:
    """The run picker and the metric, drawn on every page. They are keyed widgets: a keyed widget keeps its value
    from run to run, where one placed by `index=` loses every second change. Each page draws its own copy, which
    Streamlit forgets when the page changes, so both values are written back to session state before they are
    drawn: the next page's copy starts from them. Without a database or a finished run nothing is drawn (the
    Runs page is where one is made)."""
    if not db_path().exists():
        return
    try:
        runs = cached_runs(version_key())
    except StoreError:
        return  # the page says what is wrong with the file
    runs = runs[runs["status"] == "finished"]
    if runs.empty:
        return
    ids = list(runs["run_id"])
    # a page that made a new run asks for it here: a widget's value can only be set before it is drawn
    wanted = st.session_state.pop(NEXT_RUN_KEY, st.session_state.get(RUN_KEY))
    st.session_state[RUN_KEY] = wanted if wanted in ids else ids[0]
    labels = {r.run_id: f"{r.name} · {r.dataset} · {r.run_id}" for r in runs.itertuples()}
    st.sidebar.selectbox("Run", ids, key=RUN_KEY, format_func=labels.get)
    st.session_state[METRIC_KEY] = metric()
    st.sidebar.radio("Metric", list(METRIC_NAMES), key=METRIC_KEY, format_func=METRIC_NAMES.get,
                     help="for the Overview, the learning curves and the report")
    prices = costs()
    st.session_state[HUMAN_LABEL_KEY], st.session_state[CHECK_KEY] = prices.human_label_usd, prices.human_check_usd
    with st.sidebar.expander("Prices for the decision"):
        st.number_input("A human label (USD)", min_value=0.0, step=0.05, format="%.2f", key=HUMAN_LABEL_KEY,
                        help="what one person-written gold label costs you")
        st.number_input("A human check of a teacher label (USD)", min_value=0.0, step=0.05, format="%.2f",
                        key=CHECK_KEY, help="what one person confirming or correcting a teacher's label costs you")
        st.caption("A teacher's price comes from its measured calls, or the run config's price_per_1000_labels.")
    with st.sidebar:
        background_steps()


def pick_run() -> dict:
    """The run chosen in the sidebar, or a message saying how to make one, and the page stops."""
    reader()  # a busy or damaged file is reported before anything else
    run_id = st.session_state.get(RUN_KEY)
    if run_id is None:
        st.info("No finished run in this database yet. Start the demo or an import on the **Runs** page, "
                "or run `python -m core demo`.")
        st.stop()
    return _run(run_id, version_key())


def chosen_run() -> dict | None:
    """The run chosen in the sidebar, or None (no database or no finished run yet), for a page that works without."""
    run_id = st.session_state.get(RUN_KEY)
    return None if run_id is None else _run(run_id, version_key())


@st.cache_data(show_spinner=False)
def _run(run_id: str, db_version: float) -> dict:
    return reader().run(run_id)


@st.cache_data(show_spinner=False)
def _dataset(dataset_id: str, db_version: float):
    return reader().dataset(dataset_id)


def dataset(dataset_id: str):
    """The stored data set (name, label set, columns), read once per database version."""
    return _dataset(dataset_id, version_key())


def select_run(run_id: str) -> None:
    """Makes `run_id` the sidebar's run on the next rerun."""
    st.session_state[NEXT_RUN_KEY] = run_id


def metric() -> str:
    return st.session_state.get(METRIC_KEY, "accuracy")


def costs() -> Costs:
    """The human prices set in the sidebar (defaults: `Costs`' stated ones)."""
    default = Costs()
    return Costs(human_label_usd=st.session_state.get(HUMAN_LABEL_KEY, default.human_label_usd),
                 human_check_usd=st.session_state.get(CHECK_KEY, default.human_check_usd))


@st.cache_data(show_spinner=False)
def _teacher_titles(run_id: str, db_version: float) -> dict[str, str]:
    return teacher_titles(reader().run_teachers(run_id))


def run_teacher_titles(run_id: str) -> dict[str, str]:
    """The run's teachers, name -> "name (what it is: SIMULATED, LLM, offline model, ...)"."""
    return _teacher_titles(run_id, version_key())


def pick_teacher(run_id: str, label: str = "Teacher", container=st) -> str:
    """A teacher of the run, offered with what kind it is; the choice is kept per run while the page is open."""
    titles = run_teacher_titles(run_id)
    return container.selectbox(label, list(titles), format_func=titles.get, key=f"teacher-{run_id}")


def show_figure(chart: alt.TopLevelMixin, name: str) -> None:
    """A chart, with two downloads for slides, each built only when its button is pressed: a PNG at twice the
    screen's resolution, and a self-contained HTML page (Vega embedded, about 0.9 MB) that opens offline."""
    st.altair_chart(chart, width="stretch", theme=None)  # theme=None: Streamlit's theme would shrink our 14 px text
    chart_downloads(chart, name)


def chart_downloads(chart: alt.TopLevelMixin, name: str) -> None:
    left, right = st.columns(2, width=440)
    left.download_button("Download chart (PNG)", lambda: png(chart), file_name=f"{name}.png", mime="image/png",
                         key=f"png-{name}", on_click="ignore")
    right.download_button("Download chart (HTML)", lambda: chart_page(chart, name), file_name=f"{name}.html",
                          mime="text/html", key=f"html-{name}", on_click="ignore")


TONES = {"hurts": ("#d62728", "#fdecea"), "helps": ("#1f77b4", "#e8f1fa"), "same": ("#7f7f7f", "#f3f3f3"),
         "warning": ("#e6a700", "#fff8e1")}


def plain_box(text: str, tone: str = "same", size: str = "1rem", over: str = "") -> None:
    """Text that may hold user-given names (teachers, data sets, labels) in a coloured box, with an optional small
    line `over` it: escaped HTML, so a name is shown as typed and never rendered as markdown, a link or an image."""
    edge, fill = TONES[tone]
    small = f'<div style="font-size:0.8rem;color:#555;letter-spacing:0.02em">{html.escape(over)}</div>' if over else ""
    st.html(f'<div style="border-left:6px solid {edge};background:{fill};padding:0.5rem 0.9rem;margin:0.1rem 0;'
            f'line-height:1.45;border-radius:4px">{small}<div style="font-size:{size}">{html.escape(text)}</div></div>')


def error(message: str) -> None:
    """An error, which often quotes a file, a column or a teacher name: shown as typed, never as markdown."""
    plain_box(message, "hurts", over="Error")


@contextmanager
def reporting_errors(outcome: str) -> Iterator[None]:
    """A page action (compute, apply, save) whose failure pseudolens names (bad input, a busy database, a teacher
    that cannot label) is shown with `outcome` (what did not happen) instead of a traceback; the page stops."""
    try:
        yield
    except PseudolensError as exc:
        error(f"{exc}\n\n{outcome}")
        st.stop()


def offer_to_compute(missing: str, command: str | None, button: str, compute: Callable[[Store, Progress], None],
                     failed: str) -> None:
    """A derived result this page needs is not stored yet: what it is and what it costs (`missing`), the shell
    `command` that makes it, and a `button` that makes it here with its progress shown and its errors named
    (`failed`: what did not happen); once it is stored the page runs again and shows it."""
    st.info(missing)
    if command:
        st.code(command, language="bash")
    if st.button(button):
        with reporting_errors(failed):
            compute(writer(), progress_bar())
        st.cache_data.clear()
        st.rerun()


def answer(sentence: str, tone: str, over: str) -> None:
    """A headline sentence, large enough to read out from a projected screen, under what teacher it is about."""
    plain_box(sentence, tone, size="1.2rem", over=over)


@st.cache_data(show_spinner=False, max_entries=8)
def _report(run_id: str, metric: str, prices: Costs, db_version: float) -> str:
    from core.report.service import html_report

    return html_report(reader(), run_id, metric, prices)


@st.cache_data(show_spinner=False, max_entries=4)
def _pdf(run_id: str, metric: str, prices: Costs, db_version: float) -> bytes:
    from core.report.pdf import print_pdf

    return print_pdf(_report(run_id, metric, prices, db_version))


def report_button(run_id: str, metric: str) -> None:
    """The run's self-contained report (`python -m core report --format html|pdf`), built when pressed."""
    from core.report.pdf import find_chromium

    html_column, pdf_column = st.columns([1, 1])
    html_column.download_button(
        "Download the report (HTML)", lambda: _report(run_id, metric, costs(), version_key()), file_name=f"{run_id}-report.html",
        mime="text/html", key="report", on_click="ignore", type="primary", icon=":material/description:",
        help="One HTML file with the answer, every chart (its script embedded; opens offline), the slice findings, the "
             "spot-check budget, the config and data provenance.")
    if find_chromium() is None:
        pdf_column.caption("A PDF is printed by Chromium, which is not installed here: print the HTML report from a browser.")
        return
    pdf_column.download_button(
        "Download the report (PDF)", lambda: _pdf(run_id, metric, costs(), version_key()), file_name=f"{run_id}-report.pdf",
        mime="application/pdf", key="report-pdf", on_click="ignore", icon=":material/picture_as_pdf:",
        help="The same report printed by a local headless Chromium (about 15 s; nothing is sent anywhere).")


# column names the library uses, in words; any other name loses its underscores
COLUMN_WORDS = {"run_id": "run", "bucket": "group", "example_id": "example", "n_gold": "with a human label", "n_verdicts": "verdicts",
                "teacher_label": "teacher's label", "student_label": "student's label",
                "teacher_confidence": "teacher's confidence", "student_confidence": "student's confidence",
                "checks_to_half_gap": "checks to close half the gap", "n_unconverged": "fits not converged",
                "n_seeds": "seeds", "n_train": "training texts", "n_test": "test texts", "n_folds": "folds",
                "trained_on": "trained on",
                "difference (student minus human-label student)": "student minus human-label",
                "label_mode": "labels", "created_at": "started", "finished_at": "finished"}
TABLE_WIDTH = 940  # pixels a table has at 1440x900 with the sidebar open
CHAR_WIDTH, CELL_PADDING, NARROWEST_TEXT = 7.5, 24, 140


def column_words(name: str) -> str:
    return COLUMN_WORDS.get(name, name.replace("_", " "))


def _chars(values: pd.Series) -> int:
    """How many characters most of a column's cells take (its 90th percentile; a missing cell counts as blank)."""
    lengths = values.map(lambda v: 0 if v is None or v is pd.NA or v != v else len(str(v)))
    return int(lengths.quantile(0.9)) if len(values) else 0


def fitted_widths(frame: pd.DataFrame) -> dict:
    """Column widths that fit the table in `TABLE_WIDTH`: short columns keep their width, long text (a text, a
    reason, a description) shares the rest, cut with an ellipsis (the CSV download holds it whole). Empty when
    the table fits as it is."""
    natural = {column: CELL_PADDING + CHAR_WIDTH * max(len(str(column)), _chars(frame[column]))
               for column in frame.columns}
    if sum(natural.values()) <= TABLE_WIDTH:
        return {}
    short = {c: w for c, w in natural.items() if w <= 2 * NARROWEST_TEXT}  # sized by Streamlit, to their content
    long = [c for c in natural if c not in short]
    # Streamlit draws a short column somewhat wider than its characters: a margin, so the long ones leave room
    share = max(NARROWEST_TEXT, (TABLE_WIDTH - 1.3 * sum(short.values())) / max(len(long), 1))
    return {c: st.column_config.Column(width=int(share)) for c in long}


def show_table(frame: pd.DataFrame, name: str, columns: list[str] | None = None, **kwargs) -> None:
    """A table (text shown as plain text, never as markup) with human column names, fitted to the page's width
    (`columns`: the ones shown; the CSV download has every column, as the library names them)."""
    shown = (frame if columns is None else frame[columns]).rename(columns=column_words)
    for column in shown.columns[shown.dtypes == object]:  # a missing text is blank, not "<NA>" or "None"
        shown[column] = shown[column].where(shown[column].notna(), "")
    st.dataframe(shown, width="stretch", hide_index=True, column_config=fitted_widths(shown), **kwargs)
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


MAX_NAME_BYTES = 200  # file systems allow 255 bytes per name; the rest is room for what readers add


def safe_file_name(name: str) -> str:
    """A browser-given file name reduced to a plain base name: no folders, no NUL bytes, no leading dots, and at
    most MAX_NAME_BYTES bytes (a longer stem is cut, its extension kept, so the readers still know the type)."""
    base = Path(name.replace("\\", "/").replace("\0", "")).name.lstrip(".").strip() or "upload"
    if len(base.encode()) <= MAX_NAME_BYTES:
        return base
    suffix = Path(base).suffix if len(Path(base).suffix.encode()) <= 16 else ""
    stem = base[:len(base) - len(suffix)].encode()[:MAX_NAME_BYTES - len(suffix.encode())]
    return stem.decode(errors="ignore") + suffix


def file_upload(label: str, types: list[str], key: str):
    """An uploaded file of one of `types` (extensions), or None. The types are checked here, not by Streamlit:
    Streamlit checks them before the page runs and answers a name it refuses (a NUL byte, 'a.csv/..', another
    type) with an exception box the page cannot catch; here such a file is named in one sentence instead, and
    the user removes or replaces it in the same uploader."""
    upload = st.file_uploader(f"{label} ({', '.join(t.upper() for t in types)})", key=key)
    if upload is None:
        return None
    shown = safe_file_name(upload.name)
    if "\0" in upload.name or Path(upload.name).suffix.lower().lstrip(".") not in types:
        error(f"{shown}: not accepted; upload a file whose name ends in {', '.join('.' + t for t in types)} "
              "(and holds no NUL byte). Nothing was saved.")
        return None
    return upload


@contextmanager
def saved_upload(upload) -> Iterator[Path]:
    """An uploaded file on disk for the duration, under its own (sanitized) base name so the readers in `core`
    can name it in their errors, in a folder of its own that is removed afterwards with everything in it."""
    if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
        raise InputError(f"{upload.name}: {upload.size / 2 ** 20:.0f} MB is over the {MAX_UPLOAD_MB} MB upload limit; "
                         "import larger files with `python -m core import`")
    with tempfile.TemporaryDirectory(prefix="pseudolens-upload-") as folder:
        path = Path(folder) / safe_file_name(upload.name)
        try:
            path.write_bytes(upload.getvalue())
        except OSError as exc:
            raise InputError(f"{safe_file_name(upload.name)}: could not be saved for reading "
                             f"({exc.strerror or exc}); nothing was imported") from None
        yield path


def show_data_error(file_name: str, problem, outcome: str) -> None:
    """A file's problems (row and column named) under what did not happen because of them."""
    error(f"{file_name}: {outcome}")
    shown = problem.problems[:20]
    more = len(problem.problems) - len(shown)
    st.code("\n".join(shown + ([f"... and {more} more problems of the same file"] if more else [])), language=None)
